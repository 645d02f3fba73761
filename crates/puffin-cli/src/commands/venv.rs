use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Arguments of `puffin venv`.
#[derive(Args, Debug)]
pub(crate) struct VenvArgs {}

pub(crate) fn run(
    _args: VenvArgs,
    _global: &GlobalArgs,
    _printer: Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`puffin venv` is not implemented yet")
}
