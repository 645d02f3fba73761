//! `puffin pip-sync`: arguments in, one [`puffin_installer::Sync`] call, the
//! report printed.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use distribution_filename::PackageName;
use install_wheel_rs::LinkMode;
use puffin_client::{IndexArgs, Refresh};
use puffin_installer::{Reinstall, Sync, SyncOptions, SyncRequirement, SyncRequirements};

use crate::GlobalArgs;
use crate::commands::environment::{
    EnvironmentRequest, cache_write_hint, display_path, find_environment, open_cache,
};
use crate::commands::progress::SyncProgress;
use crate::commands::sync_report::{print_report, warn_missing_dependencies};
use crate::commands::{ExitStatus, UserError, installer_error};
use crate::printer::Printer;

/// Arguments of `puffin pip-sync`.
#[derive(Args, Debug, Default)]
#[command(after_help = "\
pip-sync never removes pip, setuptools, wheel or puffin, even when the \
requirements do not list them (as pip-tools does).")]
pub(crate) struct PipSyncArgs {
    /// The requirements files (pip's format) listing exactly what the
    /// environment must contain.
    #[arg(required = true, value_name = "REQUIREMENTS")]
    src_files: Vec<PathBuf>,

    /// The environment's Python: a path (e.g. `.venv/bin/python`), a name on
    /// PATH or a version [default: the active virtual environment, else
    /// `.venv` in this or a parent directory].
    #[arg(short, long)]
    python: Option<String>,

    /// Allow installing into a Python that is not a virtual environment.
    #[arg(long)]
    system: bool,

    /// How files are put into the environment: clone (copy-on-write), hardlink
    /// or copy [default: hardlink on Linux, clone on macOS]. A wheel whose
    /// files cannot be linked is copied whole, with one warning.
    #[arg(long, value_enum, env = "PUFFIN_LINK_MODE")]
    link_mode: Option<LinkMode>,

    /// Reinstall every listed package, re-checking their cache entries.
    #[arg(long)]
    reinstall: bool,

    /// Reinstall this package (repeatable).
    #[arg(long, value_name = "NAME")]
    reinstall_package: Vec<PackageName>,

    /// Use only the cache and local find-links: never the network.
    #[arg(long)]
    offline: bool,

    /// Ask the indexes again, however fresh their cached pages: without it,
    /// an index page is reused for up to 10 minutes (whatever `max-age` the
    /// server sends), and an exact pin already in the cache is installed
    /// without asking at all. A wheel the cache holds under the hash the
    /// index gives is still not downloaded again.
    #[arg(long)]
    refresh: bool,

    /// Like `--refresh`, for this package only (repeatable).
    #[arg(long, value_name = "NAME")]
    refresh_package: Vec<PackageName>,

    /// Print what would change, and change nothing.
    #[arg(long)]
    dry_run: bool,

    /// Require a `--hash` for every requirement (implied by any `--hash` in the
    /// files).
    #[arg(long)]
    require_hashes: bool,

    /// The package index (a PEP 503 simple index) [default: as pip is
    /// configured: PUFFIN_INDEX_URL, PIP_INDEX_URL, pip.conf, pip's default].
    #[arg(short, long)]
    index_url: Option<String>,

    /// Another index, looked at before the main one (repeatable).
    #[arg(long)]
    extra_index_url: Vec<String>,

    /// A directory of wheels or an HTML page of links to them (repeatable).
    #[arg(short, long)]
    find_links: Vec<String>,

    /// Use no index: only `--find-links` locations.
    #[arg(long)]
    no_index: bool,

    /// Accept empty requirements, which remove everything from the environment.
    #[arg(long)]
    allow_empty_requirements: bool,

    /// Requirements given by another command rather than a file (`puffin venv
    /// --seed`): installed with the files' and without the unpinned warning.
    #[arg(skip)]
    seed_requirements: Vec<SyncRequirement>,
}

impl PipSyncArgs {
    /// The library's options.
    fn options(&self) -> SyncOptions {
        let reinstall = if self.reinstall {
            Reinstall::All
        } else if self.reinstall_package.is_empty() {
            Reinstall::None
        } else {
            Reinstall::Packages(self.reinstall_package.iter().cloned().collect())
        };
        let refresh = if self.refresh {
            Refresh::All
        } else if self.refresh_package.is_empty() {
            Refresh::None
        } else {
            Refresh::Packages(self.refresh_package.iter().cloned().collect())
        };
        SyncOptions {
            link_mode: self.link_mode.unwrap_or_default(),
            reinstall,
            offline: self.offline,
            refresh,
            dry_run: self.dry_run,
            require_hashes: self.require_hashes,
            index: IndexArgs {
                index_url: self.index_url.clone(),
                extra_index_urls: self.extra_index_url.clone(),
                find_links: self.find_links.clone(),
                no_index: self.no_index,
            },
        }
    }
}

pub(crate) fn run(
    args: PipSyncArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let requirements = read_requirements(&args, printer)?;
    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let environment = find_environment(
        &EnvironmentRequest {
            python: args.python.clone(),
            system: args.system,
            read_only: false,
            create_if_missing: args.python.is_none() && !args.dry_run,
        },
        &cache,
        printer,
    )?;
    printer.status(format_args!(
        "Using Python {} environment at {}",
        environment.interpreter().python_version_string(),
        display_path(environment.root())
    ));
    printer.verbose(format_args!(
        "Found the environment through {}",
        environment.source()
    ));

    let seeds = args.seed_requirements.iter();
    let progress = Arc::new(SyncProgress::new(printer, start, seeds));
    let result = Sync::new(&environment, &cache)
        .with_options(args.options())
        .with_reporter(progress.clone())
        .run(&requirements);
    progress.finish();
    let report = result.map_err(|err| cache_write_hint(installer_error(err, printer), &cache))?;
    print_report(&report, args.dry_run, printer, start);
    if !report.is_noop() && !args.dry_run && !report.installed.is_empty() {
        warn_missing_dependencies(&environment, printer);
    }
    Ok(ExitStatus::Success)
}

/// Read every requirements file and merge them, after the seeds.
fn read_requirements(args: &PipSyncArgs, printer: Printer) -> anyhow::Result<SyncRequirements> {
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    let (mut requirements, warnings) = SyncRequirements::read(&args.src_files, &cwd)
        .map_err(|err| installer_error(err, printer))?;
    for warning in warnings {
        printer.warn(warning);
    }
    requirements
        .requirements
        .splice(0..0, args.seed_requirements.iter().cloned());
    if requirements.requirements.is_empty() && !args.allow_empty_requirements {
        return Err(UserError(format!(
            "The requirements in {} are empty: pip-sync would remove every package from the \
             environment. Pass --allow-empty-requirements to do that.",
            args.src_files
                .iter()
                .map(|path| format!("`{}`", path.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    Ok(requirements)
}

/// Install the newest pip into the environment of `python` (`puffin venv
/// --seed`), through the same pipeline as a sync.
pub(crate) fn seed(
    python: &Path,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let requirement =
        pep508_rs::Requirement::from_str("pip").context("Invalid seed requirement")?;
    let args = PipSyncArgs {
        python: Some(python.display().to_string()),
        seed_requirements: vec![SyncRequirement {
            requirement,
            hashes: Vec::new(),
            origin: "--seed".to_string(),
        }],
        ..PipSyncArgs::default()
    };
    run(args, global, printer)
}
