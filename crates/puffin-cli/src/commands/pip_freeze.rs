use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Arguments of `puffin pip-freeze`.
#[derive(Args, Debug)]
pub(crate) struct PipFreezeArgs {}

pub(crate) fn run(
    _args: PipFreezeArgs,
    _global: &GlobalArgs,
    _printer: Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`puffin pip-freeze` is not implemented yet")
}
