use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use puffin_installer::SitePackages;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::commands::environment::{
    EnvironmentRequest, find_environment, open_cache, site_packages_dirs,
};
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
    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let environment = find_environment(
        &EnvironmentRequest {
            python: args.python,
            system: args.system,
            read_only: true,
            create_if_missing: false,
        },
        &cache,
        printer,
    )?;
    let dirs = site_packages_dirs(&environment);
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let site_packages = SitePackages::from_dirs(&dirs)?;
    for warning in site_packages.warnings() {
        printer.warn(warning);
    }
    let mut lines = Vec::new();
    for dist in site_packages.iter() {
        let direct_url = dist
            .direct_url()
            .ok()
            .flatten()
            .and_then(|json| puffin_package::DirectUrl::from_json(&json).ok());
        match direct_url {
            Some(direct_url) => lines.push(format!("{} @ {}", dist.name, direct_url.url)),
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
