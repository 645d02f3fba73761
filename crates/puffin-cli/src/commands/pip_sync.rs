use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Arguments of `puffin pip-sync`.
#[derive(Args, Debug)]
pub(crate) struct PipSyncArgs {}

pub(crate) fn run(
    _args: PipSyncArgs,
    _global: &GlobalArgs,
    _printer: Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`puffin pip-sync` is not implemented yet")
}
