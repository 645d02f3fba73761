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
use platform_tags::Platform;
use puffin_installer::{InstallTarget, Sync, SyncRequirement, SyncRequirements, TargetPython};

use crate::GlobalArgs;
use crate::commands::build_args::BuildArgs;
use crate::commands::environment::{
    EnvironmentRequest, cache_write_hint, display_path, find_environment, open_cache,
};
use crate::commands::network_args::NetworkArgs;
use crate::commands::output::{OutputFormat, plan_json, print_json};
use crate::commands::progress::SyncProgress;
use crate::commands::sync_report::{print_orphans, print_report, warn_missing_dependencies};
use crate::commands::{ExitStatus, UserError, installer_error, sync_failed};
use crate::printer::Printer;

/// Turning the arguments into the library's options.
#[path = "pip_sync_options.rs"]
mod options;

// The arguments of `puffin pip-sync`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Make an environment contain exactly the distributions a requirements file lists.
#[derive(Args, Debug, Default)]
#[command(after_help = "\
pip-sync never removes pip, setuptools, wheel or puffin, even when the \
requirements do not list them (as pip-tools does).")]
pub(crate) struct PipSyncArgs {
    /// The requirements files (pip's format) listing exactly what the
    /// environment must contain, or PEP 751 lock files (`pylock.toml`,
    /// `pylock.<name>.toml`: the packages whose markers hold, each from its
    /// wheel that fits the environment best, else its sdist, with the lock's
    /// hashes checked; the lock's `default-groups` selected, no extras).
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

    /// Change a Python whose distributor marks it `EXTERNALLY-MANAGED`
    /// (PEP 668) anyway; it still needs `--system`.
    #[arg(long, env = "PIP_BREAK_SYSTEM_PACKAGES", value_parser = clap::builder::FalseyValueParser::new())]
    break_system_packages: bool,

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

    /// Change nothing; exit 1 (printing the difference) if the environment
    /// does not already match the requirements.
    #[arg(long, conflicts_with = "dry_run")]
    check: bool,

    /// With `--dry-run`: `text` or `json` (the plan as one JSON document on
    /// stdout, see `docs/json-output.md`).
    #[arg(long, value_enum, default_value_t, requires = "dry_run")]
    output_format: OutputFormat,

    /// Fail (exit 1) when an installed distribution requires something the
    /// requirements do not provide, instead of warning.
    #[arg(long)]
    strict: bool,

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

    /// Install into this directory (for `PYTHONPATH`), scripts in DIR/bin;
    /// only what is in DIR is kept or removed.
    #[arg(long, value_name = "DIR", conflicts_with = "prefix")]
    target: Option<PathBuf>,

    /// Install into pip's prefix scheme under DIR, as the interpreter computes it.
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,

    /// With `--target`: choose wheels for this platform tag (`manylinux2014_aarch64`).
    #[arg(long, value_name = "TAG", requires = "target")]
    python_platform: Option<Platform>,

    /// With `--target`: choose wheels for this Python version (`3.12`).
    #[arg(long, value_name = "X.Y", requires = "target", value_parser = TargetPython::parse_version)]
    python_version: Option<(u8, u8)>,

    /// Compile the installed `.py` files to bytecode.
    #[arg(long, env = "PUFFIN_COMPILE_BYTECODE", value_parser = clap::builder::FalseyValueParser::new())]
    compile_bytecode: bool,

    /// Seconds one file may take to compile before it is skipped.
    #[arg(long, env = "PUFFIN_COMPILE_BYTECODE_TIMEOUT", default_value_t = 60)]
    compile_timeout: u64,

    /// Remove files that an install interrupted before puffin journaled its
    /// changes left in site-packages: top-level packages and modules that no
    /// installed distribution owns (never `.pth` files, other files, or
    /// anything outside site-packages). With `--dry-run`, list them only.
    #[arg(long)]
    fix: bool,

    /// Accept empty requirements, which remove everything from the environment.
    #[arg(long)]
    allow_empty_requirements: bool,

    #[command(flatten)]
    build: BuildArgs,

    #[command(flatten)]
    network: NetworkArgs,

    /// Requirements given by another command rather than a file (`puffin venv
    /// --seed`): installed with the files' and without the unpinned warning.
    #[arg(skip)]
    seed_requirements: Vec<SyncRequirement>,
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
            break_system_packages: args.break_system_packages,
            // `--target` and `--prefix` leave the environment unchanged.
            read_only: args.install_target() != InstallTarget::Environment,
            create_if_missing: args.python.is_none()
                && !args.dry_run
                && !args.check
                && args.install_target() == InstallTarget::Environment,
            system_fallback: true,
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
        .with_cancellation(global.cancellation.clone())
        .run(&requirements);
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(err) => {
            return sync_failed(err, printer).map_err(|err| cache_write_hint(err, &cache));
        }
    };
    if args.output_format == OutputFormat::Json {
        print_json(&plan_json(&report.plan))?;
        return Ok(ExitStatus::Success);
    }
    print_report(&report, args.dry_run || args.check, printer, start);
    print_orphans(&report, args.fix && args.dry_run, printer);
    if args.check && !report.is_noop() {
        printer.status("The environment does not match the requirements (--check)");
        return Ok(ExitStatus::Failure);
    }
    let changed = !report.is_noop() && !args.dry_run && !args.check && !report.installed.is_empty();
    let checked = args.strict || changed;
    if checked && warn_missing_dependencies(&environment, printer) > 0 && args.strict {
        printer.status("Missing dependencies with --strict");
        return Ok(ExitStatus::Failure);
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
    if requirements.is_empty() && !args.allow_empty_requirements {
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
    let seed_requirements = vec![SyncRequirement {
        requirement,
        hashes: Vec::new(),
        origin: "--seed".to_string(),
        build: None,
    }];
    run(
        PipSyncArgs {
            python: Some(python.display().to_string()),
            seed_requirements,
            ..PipSyncArgs::default()
        },
        global,
        printer,
    )
}
