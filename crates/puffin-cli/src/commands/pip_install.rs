//! `puffin pip-install`: the requirements of the command line resolved (the
//! installed versions preferred), then installed by one
//! [`puffin_installer::Sync`] that keeps everything it is not asked about.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use distribution_filename::PackageName;
use install_wheel_rs::LinkMode;
use pep440_rs::Version;
use pep508_rs::{Requirement, VersionOrUrl};
use platform_tags::Platform;
use puffin_client::{IndexArgs, IndexLocations};
use puffin_installer::{Reinstall, Sync, SyncOptions, SyncRequirement, SyncRequirements};
use puffin_interpreter::PythonEnvironment;
use puffin_resolver::{RequiredBy, Resolution, ResolverOptions, RootRequirement};

use crate::GlobalArgs;
use crate::commands::build_args::BuildArgs;
use crate::commands::environment::{
    EnvironmentRequest, cache_write_hint, display_path, find_environment, open_cache,
    read_site_packages,
};
use crate::commands::network_args::NetworkArgs;
use crate::commands::progress::SyncProgress;
use crate::commands::resolve::{ResolveInput, resolve};
use crate::commands::sync_report::{print_report, warn_missing_dependencies};
use crate::commands::{ExitStatus, UserError, installer_error, sync_failed};
use crate::printer::Printer;

// The arguments of `puffin pip-install`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Resolve requirements and install them, keeping everything else installed.
#[derive(Args, Debug, Default)]
#[command(after_help = "\
pip-install never removes a distribution that it is not asked to install or \
replace. Requirements built from source (paths, -e, git URLs) are installed \
as given: their own dependencies are not resolved.")]
pub(crate) struct PipInstallArgs {
    /// Requirements (`name`, `name>=1.0`, `name[extra]`), project paths or
    /// source URLs to install.
    #[arg(value_name = "PACKAGES")]
    packages: Vec<String>,

    /// Install the requirements of this file (repeatable).
    #[arg(short, long, value_name = "FILE")]
    requirement: Vec<PathBuf>,

    /// Constrain versions with this file (pip's constraints format,
    /// repeatable).
    #[arg(short, long, value_name = "FILE")]
    constraint: Vec<PathBuf>,

    /// Install this project directory in editable mode (repeatable).
    #[arg(short, long, value_name = "PATH")]
    editable: Vec<String>,

    /// The environment's Python: a path, a name on PATH or a version
    /// [default: the active virtual environment, else `.venv` in this or a
    /// parent directory].
    #[arg(short, long)]
    python: Option<String>,

    /// Allow installing into a Python that is not a virtual environment.
    #[arg(long)]
    system: bool,

    /// Change a Python whose distributor marks it `EXTERNALLY-MANAGED`
    /// (PEP 668) anyway; it still needs `--system`.
    #[arg(long, env = "PIP_BREAK_SYSTEM_PACKAGES", value_parser = clap::builder::FalseyValueParser::new())]
    break_system_packages: bool,

    /// Upgrade every requirement to the newest version allowed, rather than
    /// keeping the installed versions that satisfy them.
    #[arg(short = 'U', long)]
    upgrade: bool,

    /// Upgrade this package (repeatable).
    #[arg(short = 'P', long, value_name = "NAME")]
    upgrade_package: Vec<PackageName>,

    /// Install only the named requirements, none of their dependencies.
    #[arg(long)]
    no_deps: bool,

    /// Reinstall every requirement, even those already satisfied.
    #[arg(long)]
    reinstall: bool,

    /// Reinstall this package (repeatable).
    #[arg(long, value_name = "NAME")]
    reinstall_package: Vec<PackageName>,

    /// Allow pre-releases of every package.
    #[arg(long)]
    pre: bool,

    /// How files are put into the environment: clone, hardlink or copy
    /// [default: hardlink on Linux, clone on macOS].
    #[arg(long, value_enum, env = "PUFFIN_LINK_MODE")]
    link_mode: Option<LinkMode>,

    /// Use only the cache and local find-links: never the network.
    #[arg(long)]
    offline: bool,

    /// Print what would change, and change nothing.
    #[arg(long)]
    dry_run: bool,

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

    #[command(flatten)]
    build: BuildArgs,

    #[command(flatten)]
    network: NetworkArgs,
}

pub(crate) fn run(
    args: PipInstallArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let requested = read_requirements(&args, printer)?;
    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let environment = find_environment(
        &EnvironmentRequest {
            python: args.python.clone(),
            system: args.system,
            break_system_packages: args.break_system_packages,
            read_only: false,
            create_if_missing: args.python.is_none() && !args.dry_run,
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
    let requirements = resolve_requirements(&args, &environment, &cache, requested, printer)?;
    printer.status(format_args!(
        "Resolved {} in {:.2?}",
        crate::commands::environment::packages(requirements.requirements.len()),
        start.elapsed()
    ));

    let progress =
        Arc::new(SyncProgress::new(printer, start, std::iter::empty()).without_resolved_line());
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
    print_report(&report, args.dry_run, printer, start);
    if !args.dry_run && !report.installed.is_empty() {
        warn_missing_dependencies(&environment, printer);
    }
    Ok(ExitStatus::Success)
}

impl PipInstallArgs {
    /// The command line's requirements as the lines of a requirements file:
    /// `-r`, `-c` and `-e` lines, then one line per argument.
    fn command_line(&self) -> anyhow::Result<String> {
        let mut lines = Vec::new();
        for file in &self.requirement {
            lines.push(format!("-r {}", file.display()));
        }
        for file in &self.constraint {
            lines.push(format!("-c {}", file.display()));
        }
        for path in &self.editable {
            lines.push(format!("-e {path}"));
        }
        lines.extend(self.packages.iter().cloned());
        if let Some(line) = lines.iter().find(|line| line.contains(['\n', '\r'])) {
            return Err(UserError(format!("`{line}` spans several lines")).into());
        }
        Ok(lines.join("\n") + "\n")
    }

    /// The library's options: a sync that keeps what it is not asked about.
    fn options(&self) -> SyncOptions {
        let reinstall = if self.reinstall {
            Reinstall::All
        } else if self.reinstall_package.is_empty() {
            Reinstall::None
        } else {
            Reinstall::Packages(self.reinstall_package.iter().cloned().collect())
        };
        SyncOptions {
            link_mode: self.link_mode.unwrap_or_default(),
            reinstall,
            offline: self.offline,
            dry_run: self.dry_run,
            index: self.index_args(),
            build: self.build.options(),
            keep_unlisted: true,
            ..SyncOptions::default()
        }
    }

    fn index_args(&self) -> IndexArgs {
        IndexArgs {
            index_url: self.index_url.clone(),
            extra_index_urls: self.extra_index_url.clone(),
            find_links: self.find_links.clone(),
            no_index: self.no_index,
            network: self.network.to_client(),
        }
    }
}

/// The requirements the command line names, read as a requirements file
/// named `<command line>`.
fn read_requirements(args: &PipInstallArgs, printer: Printer) -> anyhow::Result<SyncRequirements> {
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    let (requirements, warnings) =
        SyncRequirements::read_str(&args.command_line()?, Path::new("<command line>"), &cwd)
            .map_err(|err| installer_error(err, printer))?;
    for warning in warnings {
        printer.warn(warning);
    }
    if requirements.is_empty() {
        return Err(UserError(
            "Nothing to install: name packages, or give `-r <file>` or `-e <path>`".to_string(),
        )
        .into());
    }
    Ok(requirements)
}

/// The requirements of the sync: the resolution of the registry
/// requirements as exact pins, then the direct URLs and sources as given.
fn resolve_requirements(
    args: &PipInstallArgs,
    environment: &PythonEnvironment,
    cache: &puffin_cache::Cache,
    mut requested: SyncRequirements,
    printer: Printer,
) -> anyhow::Result<SyncRequirements> {
    let interpreter = environment.interpreter();
    let (registry, direct): (Vec<SyncRequirement>, Vec<SyncRequirement>) =
        std::mem::take(&mut requested.requirements)
            .into_iter()
            .partition(|requirement| {
                !matches!(
                    requirement.requirement.version_or_url,
                    Some(VersionOrUrl::Url(_))
                )
            });
    let tags = interpreter.tags(&Platform::current()?)?;
    let builds = Arc::new(puffin_installer::Builds::new(
        environment,
        cache,
        &args.options(),
        &requested,
        tags.clone(),
    )?);
    let mut options = ResolverOptions::new(interpreter.markers.clone());
    options.prereleases = args.pre;
    options.preferences = preferences(args, environment)?;
    options.format_policy = builds.policy().clone();
    let locations = IndexLocations::discover(
        &args.index_args(),
        &requested.index,
        &|key: &str| std::env::var(key).ok(),
        interpreter.pip_default_index.as_deref(),
    )?;
    let input = ResolveInput {
        locations,
        requirements: roots(&registry),
        constraints: roots(&requested.constraints),
        options,
        tags,
        offline: args.offline,
        no_deps: args.no_deps,
        source_metadata: Some(builds),
    };
    let resolution = if input.requirements.is_empty() {
        Resolution::default()
    } else {
        resolve(cache, input, printer)?
    };
    // Direct URLs and sources are installed as given, never from the index.
    let given: BTreeSet<String> = direct
        .iter()
        .map(|requirement| requirement.requirement.name.to_string())
        .chain(
            requested
                .sources
                .iter()
                .filter_map(|entry| entry.name.clone()),
        )
        .filter_map(|name| PackageName::new(&name).ok().map(|name| name.to_string()))
        .collect();
    let mut requirements = pins(&resolution, &registry, &given)?;
    requirements.extend(direct);
    requested.requirements = requirements;
    Ok(requested)
}

/// Requirements (or constraints) as the resolver's, named by their origin.
fn roots(requirements: &[SyncRequirement]) -> Vec<RootRequirement> {
    requirements
        .iter()
        .map(|requirement| RootRequirement {
            requirement: requirement.requirement.clone(),
            source: requirement.origin.clone(),
        })
        .collect()
}

/// The installed versions, for the resolver to keep when they satisfy the
/// requirements: none with `--upgrade`, and not those of `--upgrade-package`.
fn preferences(
    args: &PipInstallArgs,
    environment: &PythonEnvironment,
) -> anyhow::Result<BTreeMap<PackageName, Version>> {
    if args.upgrade {
        return Ok(BTreeMap::new());
    }
    let site_packages = read_site_packages(environment)?;
    Ok(site_packages
        .iter()
        .filter(|dist| !args.upgrade_package.contains(&dist.name))
        .map(|dist| (dist.name.clone(), dist.version.clone()))
        .collect())
}

/// Each resolved project as `name==version`, with the `--hash` values and
/// the origin of the requirement that named it (else the projects that
/// required it); none for the names in `skip`.
fn pins(
    resolution: &Resolution,
    requested: &[SyncRequirement],
    skip: &BTreeSet<String>,
) -> anyhow::Result<Vec<SyncRequirement>> {
    let mut pins = Vec::new();
    for (name, package) in &resolution.packages {
        if skip.contains(name.as_str()) {
            continue;
        }
        let named: Vec<&SyncRequirement> = requested
            .iter()
            .filter(|requirement| {
                PackageName::new(requirement.requirement.name.as_ref())
                    .ok()
                    .as_ref()
                    == Some(name)
            })
            .collect();
        let origin = match named.first() {
            Some(requirement) => requirement.origin.clone(),
            None => required_by(package),
        };
        let requirement: Requirement = format!("{name}=={}", package.version)
            .parse()
            .with_context(|| format!("Invalid pin of `{name}`"))?;
        pins.push(SyncRequirement {
            requirement,
            hashes: named
                .iter()
                .flat_map(|requirement| requirement.hashes.iter().cloned())
                .collect(),
            origin,
            build: None,
        });
    }
    Ok(pins)
}

/// `required by a, b`, for the origin of a dependency.
fn required_by(package: &puffin_resolver::ResolvedPackage) -> String {
    let names: Vec<String> = package
        .required_by
        .iter()
        .map(|reason| match reason {
            RequiredBy::Source(source) => source.clone(),
            RequiredBy::Project(name) => name.to_string(),
        })
        .collect();
    format!("required by {}", names.join(", "))
}
