use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use distribution_filename::PackageName;
use install_wheel_rs::Transaction;
use owo_colors::OwoColorize;
use puffin_installer::{EnvironmentLock, Uninstaller, recover_environment};
use requirements_txt::RequirementsTxt;

use crate::GlobalArgs;
use crate::commands::environment::{
    EnvironmentRequest, display_path, elapsed, find_environment, open_cache, packages,
    site_packages,
};
use crate::commands::{ExitStatus, UserError};
use crate::printer::Printer;

// The arguments of `puffin pip-uninstall`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Uninstall distributions from an environment.
#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("sources").required(true).multiple(true))]
pub(crate) struct PipUninstallArgs {
    /// The packages to uninstall.
    #[arg(group = "sources", value_name = "NAME")]
    packages: Vec<PackageName>,

    /// Uninstall every package the requirements file lists (repeatable).
    #[arg(short, long, group = "sources", value_name = "FILE")]
    requirement: Vec<PathBuf>,

    /// The environment's Python [default: the active virtual environment, else
    /// `.venv` in this or a parent directory].
    #[arg(short, long)]
    python: Option<String>,

    /// Allow uninstalling from a Python that is not a virtual environment.
    #[arg(long)]
    system: bool,

    /// Change a Python whose distributor marks it `EXTERNALLY-MANAGED`
    /// (PEP 668) anyway; it still needs `--system`.
    #[arg(long, env = "PIP_BREAK_SYSTEM_PACKAGES", value_parser = clap::builder::FalseyValueParser::new())]
    break_system_packages: bool,
}

pub(crate) fn run(
    args: PipUninstallArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let mut names = args.packages.clone();
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    for file in &args.requirement {
        if !file.exists() {
            return Err(
                UserError(format!("Requirements file `{}` not found", file.display())).into(),
            );
        }
        let parsed = RequirementsTxt::parse(file, &cwd)
            .map_err(|err| crate::commands::InvalidInput(Box::new(err)))?;
        for entry in parsed.requirements {
            let name = PackageName::from_str(entry.requirement.name.as_ref())
                .map_err(|err| UserError(err.to_string()))?;
            names.push(name);
        }
    }
    names.sort();
    names.dedup();

    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let environment = find_environment(
        &EnvironmentRequest {
            python: args.python,
            system: args.system,
            break_system_packages: args.break_system_packages,
            read_only: false,
            create_if_missing: false,
            system_fallback: false,
        },
        &cache,
        printer,
    )?;
    printer.status(format_args!(
        "Using Python {} environment at {}",
        environment.interpreter().python_version_string(),
        display_path(environment.root())
    ));
    let _lock = EnvironmentLock::acquire(environment.root(), |path| {
        printer.status(format_args!(
            "Waiting for another puffin process to release the environment lock at {}",
            path.display()
        ));
    })?;
    let layout = environment.layout();
    if let Some(recovery) = recover_environment(&layout)? {
        printer.warn(recovery);
    }
    let site_packages = site_packages(&environment, printer)?;

    let mut dists = Vec::new();
    for name in &names {
        let installed = site_packages.get_all(name);
        if installed.is_empty() {
            printer.warn(format_args!("Skipping {name}: it is not installed"));
            continue;
        }
        dists.extend(installed);
    }
    uninstall(&layout, &dists, global)?;
    let removed: Vec<String> = dists
        .iter()
        .map(|dist| format!("{}=={}", dist.name, dist.version))
        .collect();
    if removed.is_empty() {
        printer.status("No packages to uninstall");
        return Ok(ExitStatus::Success);
    }
    printer.status(format_args!(
        "Uninstalled {} in {}",
        packages(removed.len()),
        elapsed(start.elapsed())
    ));
    for line in removed {
        if printer.color() {
            printer.status(format_args!(" {} {}", "-".red(), line.bold()));
        } else {
            printer.status(format_args!(" - {line}"));
        }
    }
    Ok(ExitStatus::Success)
}

/// Uninstall `dists` in one transaction: all of them, or, on an error or a
/// signal, none.
fn uninstall(
    layout: &install_wheel_rs::Layout,
    dists: &[&puffin_installer::InstalledDist],
    global: &GlobalArgs,
) -> anyhow::Result<()> {
    if dists.is_empty() {
        return Ok(());
    }
    let transaction = Transaction::begin(layout, global.cancellation.clone())?;
    let result = Uninstaller::new(layout)
        .with_transaction(&transaction)
        .uninstall_all(dists);
    match result {
        Ok(()) => Ok(transaction.commit()?),
        Err(err) => {
            let rollback = transaction.rollback()?;
            Err(anyhow::Error::new(err).context(format!(
                "The environment was restored to its state before the uninstall ({rollback})"
            )))
        }
    }
}
