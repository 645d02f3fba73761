use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use distribution_filename::PackageName;
use futures::StreamExt;
use install_wheel_rs::LinkMode;
use owo_colors::OwoColorize;
use platform_tags::{Platform, Tags};
use puffin_cache::{Cache, CacheBucket, WheelSource as CacheKey};
use puffin_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, IndexArgs, IndexLocations, RegistryClient, RegistryClientBuilder,
    SelectedWheel, WheelSourceLocation,
};
use puffin_installer::{
    CachedWheel, EntryStatus, EnvironmentLock, InstallReason, InstalledDist, Installer, Plan,
    PlanOptions, PlannedRequirement, Reinstall, RequirementProblem, SyncRequirement, Uninstaller,
    WheelSource, clean_leftovers, find_cached_wheel, read_archive_hash, unzip_wheel, verify_entry,
    write_archive_hash,
};
use puffin_interpreter::PythonEnvironment;
use requirements_txt::RequirementsTxt;
use tracing::debug;

use crate::GlobalArgs;
use crate::commands::environment::{
    EnvironmentRequest, display_path, elapsed, find_environment, layout, open_cache, packages,
    read_site_packages, site_packages, site_packages_dirs,
};
use crate::commands::progress::DownloadProgress;
use crate::commands::{ExitStatus, UserError};
use crate::printer::Printer;

/// Arguments of `puffin pip-sync`.
#[derive(Args, Debug)]
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
    fn reinstall(&self) -> Reinstall {
        if self.reinstall {
            Reinstall::All
        } else if self.reinstall_package.is_empty() {
            Reinstall::None
        } else {
            Reinstall::Packages(self.reinstall_package.iter().cloned().collect())
        }
    }
}

/// The requirements files, read and merged.
struct Requirements {
    requirements: Vec<SyncRequirement>,
    index: IndexArgs,
    require_hashes: bool,
}

pub(crate) fn run(
    args: PipSyncArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let requirements = read_requirements(&args, printer)?;
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

    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    // When no other puffin process uses the cache, what killed runs left in
    // it (temporary download and unzip directories, entries being replaced)
    // is nobody's work in progress: remove it.
    if let Ok(Some(exclusive)) = cache.try_lock(true) {
        match remove_cache_leftovers(&cache) {
            Ok(0) => {}
            Ok(removed) => debug!(removed, "Removed cache leftovers of interrupted runs"),
            Err(err) => debug!(%err, "Failed to remove cache leftovers"),
        }
        drop(exclusive);
    }
    let _cache_lock = cache.lock_shared_with(|| {
        printer.status("Waiting for another puffin process to release the cache lock");
    })?;
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
    let interpreter = environment.interpreter();
    printer.status(format_args!(
        "Using Python {} environment at {}",
        interpreter.python_version_string(),
        display_path(environment.root())
    ));
    printer.verbose(format_args!(
        "Found the environment through {}",
        environment.source()
    ));

    let _environment_lock = if args.dry_run {
        None
    } else {
        Some(EnvironmentLock::acquire(environment.root(), |path| {
            printer.status(format_args!(
                "Waiting for another puffin process to release the environment lock at {}",
                path.display()
            ));
        })?)
    };
    let site_packages_dirs = site_packages_dirs(&environment);
    if !args.dry_run {
        let layout = layout(&environment);
        for dir in &site_packages_dirs {
            let removed = clean_leftovers(&layout, dir)?;
            if removed > 0 {
                debug!(removed, dir = %dir.display(), "Removed leftovers of an interrupted run");
            }
        }
    }

    let hash_mode = puffin_client::check_require_hashes(
        args.require_hashes || requirements.require_hashes,
        requirements
            .requirements
            .iter()
            .map(|requirement| (requirement.origin.as_str(), requirement.hashes.as_slice())),
    )
    .map_err(|missing| {
        UserError(format!(
            "Hash-checking mode is on (--require-hashes, or a --hash in the requirements), so \
             every requirement needs a --hash; these have none:\n{}",
            missing
                .iter()
                .map(|origin| format!("  {origin}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })?;

    let site_packages = site_packages(&environment, printer)?;
    let plan = Plan::build(
        &requirements.requirements,
        &site_packages,
        &interpreter.markers,
        &PlanOptions {
            reinstall: args.reinstall(),
        },
    )
    .map_err(|err| UserError(err.to_string()))?;
    report_plan_notes(&plan, &args.seed_requirements, printer);

    if plan.is_noop() {
        printer.status(format_args!(
            "Audited {} in {}",
            packages(plan.satisfied.len()),
            elapsed(start.elapsed())
        ));
        return Ok(ExitStatus::Success);
    }
    if args.dry_run {
        print_dry_run(&plan, printer);
        return Ok(ExitStatus::Success);
    }

    let tags = tags_for(&environment)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    let fetched = runtime.block_on(fetch_wheels(
        &plan,
        &requirements.index,
        &args,
        &cache,
        &environment,
        &tags,
        hash_mode,
        printer,
        start,
    ))?;

    let layout = layout(&environment);
    let removals: Vec<&InstalledDist> = plan
        .extraneous
        .iter()
        .chain(
            plan.install
                .iter()
                .filter_map(|install| match &install.reason {
                    InstallReason::New => None,
                    InstallReason::Replace(dist) | InstallReason::Reinstall(dist) => Some(dist),
                }),
        )
        .collect();
    if !removals.is_empty() {
        let uninstall_start = Instant::now();
        uninstall_all(&layout, &removals)?;
        printer.status(format_args!(
            "Uninstalled {} in {}",
            packages(removals.len()),
            elapsed(uninstall_start.elapsed())
        ));
    }

    if fetched.is_empty() {
        print_changes(&plan, &fetched, printer);
        return Ok(ExitStatus::Success);
    }
    let install_start = Instant::now();
    let link_mode = args.link_mode.unwrap_or_default();
    let report = Installer::new(&layout)
        .with_link_mode(link_mode)
        .install(&fetched);
    let report = match report {
        Ok(report) => report,
        Err(failures) => {
            let count = failures.len();
            let mut failures = failures.into_iter();
            let first = failures.next().expect("at least one failure");
            for other in failures {
                printer.error(&anyhow::Error::new(other));
            }
            let err = anyhow::Error::new(first);
            return Err(if count > 1 {
                err.context(format!("{count} packages failed to install"))
            } else {
                err
            });
        }
    };
    if let Some(fallback) = &report.fallback {
        printer.warn(fallback);
    }
    for warning in &report.warnings {
        printer.warn(warning);
    }
    printer.status(format_args!(
        "Installed {} in {}",
        packages(fetched.len()),
        elapsed(install_start.elapsed())
    ));
    printer.verbose(format_args!(
        "Link modes used: {}",
        report
            .link_modes
            .iter()
            .map(|(mode, count)| format!("{mode} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    print_changes(&plan, &fetched, printer);
    warn_missing_dependencies(&environment, printer);
    Ok(ExitStatus::Success)
}

/// Read every requirements file and merge them.
fn read_requirements(args: &PipSyncArgs, printer: Printer) -> anyhow::Result<Requirements> {
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    let mut merged = Requirements {
        requirements: args.seed_requirements.clone(),
        index: IndexArgs::default(),
        require_hashes: false,
    };
    for path in &args.src_files {
        if !path.exists() {
            return Err(UserError(format!(
                "Requirements file `{}` not found: pass the path of a requirements file \
                 (e.g. one written by pip-compile)",
                path.display()
            ))
            .into());
        }
        let file = RequirementsTxt::parse(path, &cwd)
            .map_err(|err| crate::commands::InvalidInput(Box::new(err)))?;
        for warning in &file.warnings {
            printer.warn(warning);
        }
        if let Some(editable) = file.editables.first() {
            return Err(UserError(format!(
                "Editable requirements are not supported yet: `-e {}` at {}:{}",
                editable.path_or_url,
                editable.file.display(),
                editable.line
            ))
            .into());
        }
        merged
            .requirements
            .extend(file.requirements.into_iter().map(|entry| SyncRequirement {
                origin: format!("{}:{}", entry.file.display(), entry.line),
                requirement: entry.requirement,
                hashes: entry.hashes,
            }));
        if file.index_url.is_some() {
            merged.index.index_url = file.index_url;
        }
        merged.index.extra_index_urls.extend(file.extra_index_urls);
        merged.index.find_links.extend(file.find_links);
        merged.index.no_index |= file.no_index;
        merged.require_hashes |= file.require_hashes;
    }
    Ok(merged)
}

/// Say what the plan will not do that a user might expect.
fn report_plan_notes(plan: &Plan, seeds: &[SyncRequirement], printer: Printer) {
    if plan.skipped_by_markers > 0 {
        printer.verbose(format_args!(
            "Skipped {} whose markers do not match this environment",
            if plan.skipped_by_markers == 1 {
                "1 requirement".to_string()
            } else {
                format!("{} requirements", plan.skipped_by_markers)
            }
        ));
    }
    for name in &plan.unpinned {
        if seeds
            .iter()
            .any(|seed| seed.requirement.name.as_ref() == name.as_str())
        {
            continue;
        }
        printer.warn(format_args!(
            "`{name}` is not pinned to one version: pip-sync installs the newest matching \
             version and none of its dependencies (pin it with `{name}==<version>`, e.g. with \
             pip-compile)"
        ));
    }
}

/// The compatible tags of the environment's interpreter.
fn tags_for(environment: &PythonEnvironment) -> anyhow::Result<Tags> {
    let interpreter = environment.interpreter();
    let platform = Platform::current().context("Failed to detect the platform")?;
    Ok(Tags::from_env(
        &platform,
        (interpreter.python_version.0, interpreter.python_version.1),
        &interpreter.implementation_name,
        interpreter.implementation_version,
        interpreter.gil_disabled,
        interpreter.debug,
    )?)
}

/// Find, download and unzip every wheel the plan installs; returns them in the
/// plan's order.
#[allow(clippy::too_many_arguments)]
async fn fetch_wheels(
    plan: &Plan,
    file_index: &IndexArgs,
    args: &PipSyncArgs,
    cache: &Cache,
    environment: &PythonEnvironment,
    tags: &Tags,
    hash_mode: bool,
    printer: Printer,
    start: Instant,
) -> anyhow::Result<Vec<CachedWheel>> {
    let reinstall = args.reinstall();
    let env = |key: &str| std::env::var(key).ok();
    let cli_index = IndexArgs {
        index_url: args.index_url.clone(),
        extra_index_urls: args.extra_index_url.clone(),
        find_links: args.find_links.clone(),
        no_index: args.no_index,
    };
    let needs_registry = plan
        .install
        .iter()
        .any(|install| matches!(install.requirement.source, WheelSource::Registry { .. }));
    let locations = if needs_registry {
        let locations = IndexLocations::discover(
            &cli_index,
            file_index,
            &env,
            environment.interpreter().pip_default_index.as_deref(),
        )
        .map_err(|err| UserError(err.to_string()))?;
        printer.verbose(format_args!("Using {locations}"));
        locations
    } else {
        IndexLocations::find_links_only(Vec::new())
    };
    let progress = DownloadProgress::new(printer);
    let python_version = environment.interpreter().version().clone();
    let indexes: Vec<url::Url> = locations.indexes().cloned().collect();
    let context = FetchContext {
        client: tokio::sync::OnceCell::new(),
        client_settings: (cache.clone(), locations, args.offline, progress.reporter()),
        cache,
        tags,
        python_version: &python_version,
        indexes: &indexes,
        hash_mode,
        warnings: std::sync::Mutex::new(Vec::new()),
    };
    let results: Vec<anyhow::Result<(CachedWheel, bool)>> =
        futures::stream::iter(plan.install.iter().map(|install| {
            let verify = reinstall_applies(&reinstall, &install.requirement.name);
            context.fetch(&install.requirement, verify)
        }))
        .buffered(DEFAULT_CONCURRENT_DOWNLOADS)
        .collect()
        .await;
    progress.finish();
    for warning in context.warnings.into_inner().unwrap_or_default() {
        printer.warn(warning);
    }

    let mut wheels = Vec::with_capacity(results.len());
    let mut downloaded = 0;
    for result in results {
        let (wheel, was_downloaded) = result?;
        downloaded += usize::from(was_downloaded);
        wheels.push(wheel);
    }
    printer.status(format_args!(
        "Resolved {} in {}",
        packages(plan.install.len() + plan.satisfied.len()),
        elapsed(start.elapsed())
    ));
    if downloaded > 0 {
        printer.status(format_args!(
            "Downloaded {} in {}",
            packages(downloaded),
            elapsed(start.elapsed())
        ));
    }
    Ok(wheels)
}

fn reinstall_applies(reinstall: &Reinstall, name: &PackageName) -> bool {
    match reinstall {
        Reinstall::None => false,
        Reinstall::All => true,
        Reinstall::Packages(names) => names.contains(name),
    }
}

/// What every fetch needs.
struct FetchContext<'a> {
    /// Built on first use: a warm sync never pays for the HTTP client's setup
    /// (loading the system's certificates).
    client: tokio::sync::OnceCell<RegistryClient>,
    client_settings: (
        Cache,
        IndexLocations,
        bool,
        Arc<dyn puffin_client::Reporter>,
    ),
    cache: &'a Cache,
    tags: &'a Tags,
    python_version: &'a pep440_rs::Version,
    indexes: &'a [url::Url],
    hash_mode: bool,
    /// Messages of the wheel selection (a yanked file), printed once the
    /// progress bars are gone.
    warnings: std::sync::Mutex<Vec<String>>,
}

impl FetchContext<'_> {
    async fn client(&self) -> anyhow::Result<&RegistryClient> {
        self.client
            .get_or_try_init(|| async {
                let (cache, locations, offline, reporter) = &self.client_settings;
                Ok(RegistryClientBuilder::new(cache.clone())
                    .index_locations(locations.clone())
                    .offline(*offline)
                    .reporter(reporter.clone())
                    .build()?)
            })
            .await
    }

    /// The unzipped cache entry of one requirement, downloading and unzipping
    /// it if needed. The flag says whether anything was downloaded or unzipped.
    /// With `verify` (a reinstall), an existing entry is checked against its
    /// manifest and re-extracted if it was changed.
    async fn fetch(
        &self,
        requirement: &PlannedRequirement,
        verify: bool,
    ) -> anyhow::Result<(CachedWheel, bool)> {
        let hashes = if self.hash_mode {
            requirement.hashes.as_slice()
        } else {
            &[]
        };
        match &requirement.source {
            WheelSource::Registry { specifiers } => {
                if !verify
                    && let Some(version) = puffin_installer::exact_pin(specifiers)
                    && let Some(entry) = find_cached_wheel(
                        self.cache,
                        self.indexes,
                        &requirement.name,
                        version,
                        self.tags,
                    )
                    && archive_hash_matches(&entry.path, hashes)
                {
                    debug!(wheel = %entry.filename, "Found in the cache");
                    return Ok((
                        CachedWheel {
                            filename: entry.filename,
                            path: entry.path,
                            direct_url: None,
                        },
                        false,
                    ));
                }
                let selected = self
                    .client()
                    .await?
                    .select_wheel(
                        &requirement.name,
                        specifiers,
                        self.tags,
                        self.python_version,
                    )
                    .await
                    .with_context(|| {
                        format!(
                            "Failed to find `{}` ({})",
                            requirement.name, requirement.origin
                        )
                    })?;
                if let Ok(mut warnings) = self.warnings.lock() {
                    warnings.extend(selected.warnings.iter().cloned());
                }
                let entry = self
                    .cache
                    .wheel_entry(&selected.cache_source()?, &selected.filename);
                let downloaded = self
                    .ensure_entry(&selected, &entry, hashes, verify, &requirement.origin)
                    .await?;
                Ok((
                    CachedWheel {
                        filename: selected.filename,
                        path: entry,
                        direct_url: None,
                    },
                    downloaded,
                ))
            }
            WheelSource::LocalWheel {
                path,
                url,
                filename,
            } => {
                let mtime = fs_err::metadata(path)
                    .and_then(|metadata| metadata.modified())
                    .map_err(|err| {
                        UserError(format!(
                            "Failed to read the wheel `{}` ({}): {err}",
                            path.display(),
                            requirement.origin
                        ))
                    })?;
                let entry = self
                    .cache
                    .wheel_entry(&CacheKey::Path { path, mtime }, filename);
                let location = WheelSourceLocation::Path(path.clone());
                self.fetch_direct(requirement, url, filename, location, entry, hashes, verify)
                    .await
            }
            WheelSource::RemoteWheel { url, filename } => {
                let entry = self.cache.wheel_entry(&CacheKey::Url(url), filename);
                let location = WheelSourceLocation::Url {
                    url: url.clone(),
                    index: url.clone(),
                };
                self.fetch_direct(requirement, url, filename, location, entry, hashes, verify)
                    .await
            }
        }
    }

    /// The cache entry of a direct URL requirement (a local path or a remote
    /// URL), recorded with its `direct_url.json`.
    #[allow(clippy::too_many_arguments)]
    async fn fetch_direct(
        &self,
        requirement: &PlannedRequirement,
        url: &url::Url,
        filename: &distribution_filename::WheelFilename,
        location: WheelSourceLocation,
        entry: PathBuf,
        hashes: &[String],
        verify: bool,
    ) -> anyhow::Result<(CachedWheel, bool)> {
        let selected = SelectedWheel {
            filename: filename.clone(),
            source: location,
            hashes: Vec::new(),
            yanked: None,
            warnings: Vec::new(),
        };
        let downloaded = self
            .ensure_entry(&selected, &entry, hashes, verify, &requirement.origin)
            .await?;
        Ok((
            CachedWheel {
                filename: filename.clone(),
                path: entry,
                direct_url: Some(puffin_package::DirectUrl::archive(url.as_str(), None).to_json()),
            },
            downloaded,
        ))
    }

    /// Make sure `entry` holds the unzipped wheel: reuse it when it is there
    /// (and, with `verify`, unchanged; and its archive hash matches), else
    /// download and unzip. Returns whether anything was downloaded or unzipped.
    async fn ensure_entry(
        &self,
        selected: &SelectedWheel,
        entry: &Path,
        hashes: &[String],
        verify: bool,
        origin: &str,
    ) -> anyhow::Result<bool> {
        let status = if verify {
            let entry = entry.to_path_buf();
            tokio::task::spawn_blocking(move || verify_entry(&entry)).await??
        } else if puffin_installer::entry_manifest(entry).is_some() {
            EntryStatus::Valid
        } else {
            EntryStatus::Missing
        };
        match status {
            EntryStatus::Valid if archive_hash_matches(entry, hashes) => return Ok(false),
            EntryStatus::Valid | EntryStatus::Missing => {}
            EntryStatus::Corrupt { path, reason } => {
                debug!(path = %path.display(), reason, "The cache entry was changed; unzipping it again");
                remove_entry(entry)?;
            }
        }
        let download_dir = self.cache.temp_dir(CacheBucket::Wheels)?;
        let downloaded = self
            .client()
            .await?
            .fetch_wheel(selected, download_dir.path(), hashes)
            .await
            .with_context(|| format!("Failed to download `{}` ({origin})", selected.filename))?;
        let filename = selected.filename.clone();
        let target = entry.to_path_buf();
        let outcome = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            // Downloads were hashed while they streamed; only a local wheel
            // checked against no hash is read once more here.
            let sha256 = match downloaded.sha256 {
                Some(sha256) => sha256,
                None => hex_of_record_digest(&install_wheel_rs::hash_file(&downloaded.path)?.0),
            };
            let outcome = unzip_wheel(&downloaded.path, &filename, &target)?;
            write_archive_hash(&target, &sha256)?;
            drop(download_dir);
            Ok(outcome)
        })
        .await??;
        for warning in &outcome.warnings {
            debug!(wheel = %selected.filename, %warning, "Unzip warning");
        }
        Ok(true)
    }
}

/// Whether an entry's recorded archive hash satisfies the required hashes
/// (always, when none are required).
fn archive_hash_matches(entry: &Path, hashes: &[String]) -> bool {
    if hashes.is_empty() {
        return true;
    }
    let Some(recorded) = read_archive_hash(entry) else {
        return false;
    };
    hashes.iter().any(|hash| {
        hash.strip_prefix("sha256:")
            .is_some_and(|hex| hex.eq_ignore_ascii_case(&recorded))
    })
}

/// RECORD-form digests are URL-safe base64; the archive hash is kept in hex,
/// the form `--hash` uses.
fn hex_of_record_digest(digest: &str) -> String {
    data_encoding::BASE64URL_NOPAD
        .decode(digest.as_bytes())
        .map(|bytes| data_encoding::HEXLOWER.encode(&bytes))
        .unwrap_or_default()
}

/// Remove a changed cache entry by renaming it aside first, so that no process
/// ever sees it half removed.
fn remove_entry(entry: &Path) -> anyhow::Result<()> {
    let aside = entry.with_extension(format!("stale-{}", std::process::id()));
    fs_err::rename(entry, &aside)?;
    fs_err::remove_dir_all(&aside)?;
    Ok(())
}

/// Remove the temporary directories of killed runs from the wheels bucket:
/// download directories (`.tmp*`) at its top, unzip directories
/// (`.tmp-unzip-*`) next to the entries, and entries renamed aside for
/// removal (`*.stale-<pid>`). Only call with the exclusive cache lock held.
/// Returns how many were removed.
fn remove_cache_leftovers(cache: &Cache) -> std::io::Result<usize> {
    let is_leftover = |name: &str| name.starts_with(".tmp") || name.contains(".stale-");
    let subdirs = |dir: &Path| -> std::io::Result<Vec<(String, PathBuf)>> {
        match fs_err::read_dir(dir) {
            Ok(entries) => entries
                .map(|entry| {
                    let entry = entry?;
                    Ok((
                        entry.file_name().to_string_lossy().into_owned(),
                        entry.path(),
                    ))
                })
                .collect(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(err),
        }
    };
    let mut removed = 0;
    let mut remove = |path: &Path| -> std::io::Result<()> {
        if path.is_dir() {
            fs_err::remove_dir_all(path)?;
        } else {
            fs_err::remove_file(path)?;
        }
        removed += 1;
        Ok(())
    };
    // `wheels-v0/{kind}/{digest}/{entry}`.
    for (name, kind) in subdirs(&cache.bucket(CacheBucket::Wheels))? {
        if is_leftover(&name) {
            remove(&kind)?;
            continue;
        }
        if !kind.is_dir() {
            continue;
        }
        for (_, digest) in subdirs(&kind)? {
            if !digest.is_dir() {
                continue;
            }
            for (name, entry) in subdirs(&digest)? {
                if is_leftover(&name) {
                    remove(&entry)?;
                }
            }
        }
    }
    Ok(removed)
}

/// Uninstall distributions through their RECORD files, in parallel; the first
/// failure is returned once every distribution was attempted.
pub(crate) fn uninstall_all(
    layout: &install_wheel_rs::Layout,
    dists: &[&InstalledDist],
) -> anyhow::Result<()> {
    let mut first_failure = None;
    for result in Uninstaller::new(layout).uninstall(dists) {
        match result {
            Ok(uninstallation) => {
                for skipped in &uninstallation.skipped {
                    tracing::warn!(path = %skipped.display(), "Not removed: the RECORD entry points outside the environment");
                }
            }
            Err(failure) => {
                first_failure.get_or_insert(failure);
            }
        }
    }
    match first_failure {
        Some(failure) => Err(failure.into()),
        None => Ok(()),
    }
}

/// The plan, as `--dry-run` prints it.
fn print_dry_run(plan: &Plan, printer: Printer) {
    let removals = plan.extraneous.len()
        + plan
            .install
            .iter()
            .filter(|install| !matches!(install.reason, InstallReason::New))
            .count();
    printer.status(format_args!(
        "Would uninstall {} and install {} (dry run: nothing changed)",
        packages(removals),
        packages(plan.install.len())
    ));
    print_changes(plan, &[], printer);
}

/// ` - name==old`, ` + name==new` and ` ~ name==version` lines, sorted by name.
/// The new version is the installed wheel's (an unpinned requirement's
/// version is only known once its wheel is chosen).
fn print_changes(plan: &Plan, installed: &[CachedWheel], printer: Printer) {
    let mut lines: BTreeMap<PackageName, Vec<(char, String)>> = BTreeMap::new();
    for dist in &plan.extraneous {
        lines
            .entry(dist.name.clone())
            .or_default()
            .push(('-', dist.version.to_string()));
    }
    for install in &plan.install {
        let name = &install.requirement.name;
        let new_version = installed
            .iter()
            .find(|wheel| &wheel.filename.name == name)
            .map(|wheel| wheel.filename.version.to_string())
            .or_else(|| {
                install
                    .requirement
                    .source
                    .exact_version()
                    .map(ToString::to_string)
            })
            .unwrap_or_else(|| "latest".to_string());
        let entry = lines.entry(name.clone()).or_default();
        match &install.reason {
            InstallReason::New => entry.push(('+', new_version)),
            InstallReason::Replace(old) => {
                entry.push(('-', old.version.to_string()));
                entry.push(('+', new_version));
            }
            InstallReason::Reinstall(old) => entry.push(('~', old.version.to_string())),
        }
    }
    for (name, changes) in lines {
        for (sign, version) in changes {
            let line = format!("{name}=={version}");
            if printer.color() {
                match sign {
                    '+' => printer.status(format_args!(" {} {}", "+".green(), line.bold())),
                    '-' => printer.status(format_args!(" {} {}", "-".red(), line.bold())),
                    _ => printer.status(format_args!(" {} {}", "~".yellow(), line.bold())),
                }
            } else {
                printer.status(format_args!(" {sign} {line}"));
            }
        }
    }
}

/// Warn when an installed distribution requires something the requirements
/// do not provide (pip-sync installs only what is listed), read from each
/// distribution's METADATA.
fn warn_missing_dependencies(environment: &PythonEnvironment, printer: Printer) {
    // Its warnings were printed before the sync.
    let Ok(site_packages) = read_site_packages(environment) else {
        return;
    };
    let markers = &environment.interpreter().markers;
    let Ok(problems) = puffin_installer::check_requirements(&site_packages, markers) else {
        return;
    };
    for problem in problems {
        match problem {
            RequirementProblem::Missing {
                dist,
                version,
                requirement,
                ..
            } => printer.warn(format_args!(
                "{dist} {version} requires {requirement}, which is not in the requirements"
            )),
            RequirementProblem::Conflict {
                dist,
                version,
                requirement,
                installed,
                installed_version,
            } => printer.warn(format_args!(
                "{dist} {version} requires {requirement}, but the requirements give {installed} \
                 {installed_version}"
            )),
            RequirementProblem::InvalidMetadata { .. } => printer.warn(problem),
        }
    }
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
        src_files: Vec::new(),
        python: Some(python.display().to_string()),
        system: false,
        link_mode: None,
        reinstall: false,
        reinstall_package: Vec::new(),
        offline: false,
        dry_run: false,
        require_hashes: false,
        index_url: None,
        extra_index_url: Vec::new(),
        find_links: Vec::new(),
        no_index: false,
        allow_empty_requirements: false,
        seed_requirements: vec![SyncRequirement {
            requirement,
            hashes: Vec::new(),
            origin: "--seed".to_string(),
        }],
    };
    run(args, global, printer)
}
