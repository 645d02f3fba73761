use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

/// Arguments of `puffin pip-uninstall`.
#[derive(Args, Debug)]
pub(crate) struct PipUninstallArgs {}

pub(crate) fn run(
    _args: PipUninstallArgs,
    _global: &GlobalArgs,
    _printer: Printer,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`puffin pip-uninstall` is not implemented yet")
}
