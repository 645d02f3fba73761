use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Arguments of `puffin clean`.
#[derive(Args, Debug)]
pub(crate) struct CleanArgs {}

pub(crate) fn run(
    _args: CleanArgs,
    _global: &GlobalArgs,
    _printer: Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`puffin clean` is not implemented yet")
}
