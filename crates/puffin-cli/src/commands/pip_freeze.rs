use std::io::Write;

use anyhow::Context;
use clap::Args;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::commands::environment::read_environment;
use crate::printer::Printer;

/// Arguments of `puffin pip-freeze`.
#[derive(Args, Debug)]
pub(crate) struct PipFreezeArgs {
    /// The environment's Python [default: the active virtual environment, else
    /// `.venv` in this or a parent directory].
    #[arg(short, long)]
    python: Option<String>,

    /// List a Python that is not a virtual environment.
    #[arg(long)]
    system: bool,
}

/// Print every installed distribution as a requirement that `pip-sync`
/// accepts back: `name==version`, or `name @ url` for direct URL installs.
pub(crate) fn run(
    args: PipFreezeArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let (_, site_packages) = read_environment(args.python, args.system, global, printer)?;
    let mut lines = Vec::new();
    for dist in site_packages.iter() {
        let direct_url = dist
            .direct_url()
            .ok()
            .flatten()
            .and_then(|json| puffin_package::DirectUrl::from_json(&json).ok());
        match direct_url {
            // Older installs may have recorded credentials (PEP 610 forbids it).
            Some(direct_url) => lines.push(format!(
                "{} @ {}",
                dist.name,
                puffin_redact::remove_credentials(&direct_url.url)
            )),
            None => lines.push(format!("{}=={}", dist.name, dist.version)),
        }
    }
    lines.sort();
    let mut stdout = std::io::stdout().lock();
    for line in lines {
        writeln!(stdout, "{line}").context("Failed to write to stdout")?;
    }
    Ok(ExitStatus::Success)
}
