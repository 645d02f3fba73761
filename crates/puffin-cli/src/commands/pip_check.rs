use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Arguments of `puffin pip-check`.
#[derive(Args, Debug)]
pub(crate) struct PipCheckArgs {}

pub(crate) fn run(
    _args: PipCheckArgs,
    _global: &GlobalArgs,
    _printer: Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`puffin pip-check` is not implemented yet")
}
