//! `pip-sync` as a library call: make an environment contain exactly the
//! distributions some requirements list.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use install_wheel_rs::{Cancellation, Layout, LinkFallback, LinkFault, LinkMode, Transaction};
use puffin_cache::Cache;
use puffin_client::{IndexArgs, IndexLocations, Refresh};
use puffin_interpreter::PythonEnvironment;
use puffin_store::WheelStore;
use tracing::debug;

use crate::build::Builds;
use crate::preparer::{PrepareOptions, Preparer};
use crate::sources::name_sources;
use crate::{
    CachedWheel, EnvironmentLock, Error, InstallReason, InstallTarget, InstalledDist, Installer,
    Lock, Orphans, Phase, Plan, PlanOptions, Reinstall, Reporter, SilentReporter, SitePackages,
    SyncRequirement, TargetPython, Uninstaller, WheelSource, find_orphans, recover_environment,
};

/// How to sync.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// How files are put into the environment.
    pub link_mode: LinkMode,
    /// Which matching distributions to reinstall anyway.
    pub reinstall: Reinstall,
    /// Never use the network: only the store and local find-links.
    pub offline: bool,
    /// Which packages to look up on their indexes again, however fresh their
    /// cached pages (see [`PrepareOptions::refresh`]).
    pub refresh: Refresh,
    /// Plan only: change nothing.
    pub dry_run: bool,
    /// Require a `--hash` for every requirement (also on when any has one).
    pub require_hashes: bool,
    /// Index options of the command line; those of the requirements files
    /// are in [`SyncRequirements::index`].
    pub index: IndexArgs,
    /// Compile the installed distributions' `.py` files to bytecode.
    pub compile_bytecode: Option<crate::CompileOptions>,
    /// Where to install: the environment, `--target` or `--prefix`.
    pub target: InstallTarget,
    /// The interpreter to choose wheels for, when not the environment's.
    pub python: TargetPython,
    /// How sources are built.
    pub build: crate::BuildOptions,
    /// Keep installed distributions that the requirements do not name
    /// (`pip-install`): install and replace only (see
    /// [`PlanOptions::keep_unlisted`](crate::PlanOptions::keep_unlisted)).
    pub keep_unlisted: bool,
    /// Remove the [`Orphans`] (files of installs interrupted before puffin
    /// journaled its changes) in the sync's transaction (`--fix`); with
    /// [`SyncOptions::dry_run`], only report them.
    pub fix_orphans: bool,
    /// Test hook: a fault injected into the linking of every wheel (the
    /// CLI sets it only in debug builds, from `PUFFIN_TEST_*` variables).
    #[doc(hidden)]
    pub fault: Option<LinkFault>,
}

/// The modification times of purelib and platlib, `None` when unreadable.
fn site_packages_stamp(layout: &Layout) -> Option<String> {
    let mtime = |dir: &std::path::Path| {
        let modified = fs_err::metadata(dir).ok()?.modified().ok()?;
        let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(format!("{}.{:09}", since.as_secs(), since.subsec_nanos()))
    };
    let purelib = mtime(&layout.scheme.purelib)?;
    let platlib = if layout.scheme.platlib == layout.scheme.purelib {
        purelib.clone()
    } else {
        mtime(&layout.scheme.platlib)?
    };
    Some(format!("{purelib} {platlib}"))
}

/// The requirements of a sync, as read from requirements files.
#[derive(Debug, Clone, Default)]
pub struct SyncRequirements {
    /// Every requirement.
    pub requirements: Vec<SyncRequirement>,
    /// The lines of `-c` constraints files: they restrict the version (and
    /// the hashes) of a name that a requirement lists, and install nothing.
    pub constraints: Vec<SyncRequirement>,
    /// Index options given in the files (`--index-url`, `-f`, ...).
    pub index: IndexArgs,
    /// Whether a file said `--require-hashes`.
    pub require_hashes: bool,
    /// Paths and URLs to build (`-e`, project directories, source archives,
    /// `git+` URLs).
    pub sources: Vec<requirements_txt::SourceEntry>,
    /// The files' `--no-binary` values.
    pub no_binary: Vec<String>,
    /// The files' `--only-binary` values.
    pub only_binary: Vec<String>,
    /// PEP 751 lock files (`pylock.toml`, `pylock.<name>.toml`) with their
    /// paths: what they install is chosen for the environment when the sync
    /// runs (markers, wheel tags), then synced like the requirements.
    pub locks: Vec<(PathBuf, puffin_lock::PyLock)>,
    /// Origins of requirements that have no file to hash (a lock's `vcs` and
    /// `directory` entries), to which pip's `--require-hashes` rule does not
    /// apply.
    pub hash_exempt: std::collections::BTreeSet<String>,
}

impl SyncRequirements {
    /// Whether there is nothing at all to install.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && self.sources.is_empty() && self.locks.is_empty()
    }
}

/// What a sync did (or, for a dry run, would do).
#[derive(Debug, Default)]
pub struct SyncReport {
    /// The plan: what was kept, installed and removed.
    pub plan: Plan,
    /// The wheels installed, in the plan's order.
    pub installed: Vec<CachedWheel>,
    /// How many wheels were downloaded or unzipped.
    pub downloaded: usize,
    /// How many wheels were linked with each link mode (`clone`, `hardlink`, `copy`).
    pub link_modes: BTreeMap<String, usize>,
    /// The link fallback warning, at most one per sync.
    pub fallback: Option<LinkFallback>,
    /// Warnings about odd but accepted wheels.
    pub warnings: Vec<String>,
    /// What bytecode compilation did, when it was asked for.
    pub compiled: Option<crate::CompileReport>,
    /// The installed `.dist-info` directories.
    pub dist_infos: Vec<PathBuf>,
    /// The orphans left in the environment: found after the sync (before
    /// it, for a dry run or when nothing changed), not removed.
    pub orphans: Orphans,
    /// The orphans removed with [`SyncOptions::fix_orphans`].
    pub removed_orphans: Orphans,
}

impl SyncReport {
    /// Whether the environment already matched.
    pub fn is_noop(&self) -> bool {
        self.plan.is_noop()
    }
}

/// Syncs one environment through one cache.
///
/// ```no_run
/// # fn f(environment: &puffin_interpreter::PythonEnvironment, cache: &puffin_cache::Cache,
/// #      requirements: &puffin_installer::SyncRequirements) -> Result<(), puffin_installer::Error> {
/// use puffin_installer::{Sync, SyncOptions};
/// let report = Sync::new(environment, cache)
///     .with_options(SyncOptions::default())
///     .run(requirements)?;
/// println!("installed {}", report.installed.len());
/// # Ok(()) }
/// ```
pub struct Sync<'a> {
    pub(crate) environment: &'a PythonEnvironment,
    cache: &'a Cache,
    pub(crate) options: SyncOptions,
    reporter: Arc<dyn Reporter>,
    cancellation: Cancellation,
    /// The layout, once computed (see `Sync::layout`).
    pub(crate) layout: std::sync::OnceLock<Layout>,
}

impl<'a> Sync<'a> {
    /// A sync of `environment` through `cache`, with default options.
    pub fn new(environment: &'a PythonEnvironment, cache: &'a Cache) -> Self {
        Self {
            environment,
            cache,
            options: SyncOptions::default(),
            reporter: Arc::new(SilentReporter),
            cancellation: Cancellation::new(),
            layout: std::sync::OnceLock::new(),
        }
    }

    /// Stop when `cancellation` is set: before the environment changes, the
    /// sync returns [`Error::Cancelled`] at once; while it changes, it stops
    /// between two file operations and rolls back first.
    #[must_use]
    pub fn with_cancellation(mut self, cancellation: Cancellation) -> Self {
        self.cancellation = cancellation;
        self
    }

    /// Sync with these options.
    #[must_use]
    pub fn with_options(mut self, options: SyncOptions) -> Self {
        self.options = options;
        self
    }

    /// Report progress to `reporter`.
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }

    /// Make the environment contain exactly what `requirements` list.
    ///
    /// Takes the cache's shared lock and (unless a dry run) the environment's
    /// lock, removes what killed runs left, plans, prepares every missing
    /// wheel in the store, then, in one transaction, removes the orphans
    /// (with [`SyncOptions::fix_orphans`]) and what is extraneous or
    /// replaced, and links the new wheels in. On any error (or a
    /// cancellation) the transaction rolls back, and the error is
    /// [`Error::RolledBack`] (or [`Error::Cancelled`]).
    pub fn run(&self, requirements: &SyncRequirements) -> Result<SyncReport, Error> {
        let start = Instant::now();
        self.sweep_store();
        let _cache_lock = self.cache.lock_shared_with(|| {
            self.reporter
                .on_lock_wait(Lock::Cache(&self.cache.lock_path()))
        })?;
        let _environment_lock = self.lock_environment()?;
        let locked = self.expand_locks(requirements)?;
        let requirements = locked.as_ref().unwrap_or(requirements);
        let (named, builds) = self.name_sources(requirements)?;
        let requirements = named.as_ref().unwrap_or(requirements);
        let hash_mode = self.hash_mode(requirements)?;
        let site_packages = self.site_packages()?;
        let plan = self.plan_in(&site_packages, requirements)?;
        self.reporter.on_plan(&plan);
        let mut report = SyncReport {
            plan,
            orphans: self.orphans(&site_packages)?,
            ..SyncReport::default()
        };
        let noop = report.plan.is_noop();
        let fix = self.options.fix_orphans && !report.orphans.is_empty();
        if self.options.dry_run || (noop && !fix) {
            return Ok(report);
        }
        if !noop {
            let prepared = self.prepare(&report.plan, requirements, hash_mode, builds)?;
            self.reporter.on_phase(Phase::Prepared {
                resolved: report.plan.install.len() + report.plan.satisfied.len(),
                downloaded: prepared.downloaded,
                built: prepared.built,
                elapsed: start.elapsed(),
            });
            report.downloaded = prepared.downloaded;
            report.installed = prepared.wheels;
        }
        if fix {
            report.removed_orphans = std::mem::take(&mut report.orphans);
        }
        self.apply(&mut report)?;
        // A sync leaves no orphans of its own (it is a transaction): look
        // again only when there were some, which an install may now own.
        if !fix && !noop && !report.orphans.is_empty() {
            report.orphans = self.orphans(&self.site_packages()?)?;
        }
        self.compile(&mut report)?;
        if !fix && report.orphans.is_empty() && report.plan.only_adds() {
            // None before, and installs only add owned files (bytecode
            // included): still none, so the next no-op sync need not look.
            self.remember_no_orphans();
        }
        Ok(report)
    }

    /// Uninstall and install in one transaction: commit, or roll back and
    /// return the error.
    fn apply(&self, report: &mut SyncReport) -> Result<(), Error> {
        let layout = self.layout()?;
        let transaction = Transaction::begin(&layout, self.cancellation.clone())
            .map_err(|err| transaction_error(&layout, err))?;
        let result = self
            .remove_orphans(&report.removed_orphans, &transaction)
            .and_then(|()| self.uninstall(&report.plan, &transaction))
            .and_then(|()| self.install(report, &transaction))
            .and_then(|()| {
                self.cancellation
                    .check()
                    .map_err(|err| transaction_error(&layout, err.into()))
            });
        let Err(err) = result else {
            return transaction
                .commit()
                .map_err(|err| transaction_error(&layout, err));
        };
        let cancelled = self.cancellation.is_cancelled();
        debug!(%err, cancelled, "Rolling back the sync");
        match transaction.rollback() {
            Ok(rollback) if cancelled => Err(Error::Cancelled {
                rollback: Some(rollback),
            }),
            Ok(rollback) => Err(Error::RolledBack {
                err: Box::new(err),
                rollback,
            }),
            Err(rollback_err) => Err(Error::RollbackFailed {
                err: Box::new(err),
                rollback_err: Box::new(rollback_err),
            }),
        }
    }

    /// Compare the requirements with what is installed, changing nothing.
    pub fn plan(&self, requirements: &SyncRequirements) -> Result<Plan, Error> {
        self.plan_in(&self.site_packages()?, requirements)
    }

    /// [`Sync::plan`] against an inventory already read.
    fn plan_in(
        &self,
        site_packages: &SitePackages,
        requirements: &SyncRequirements,
    ) -> Result<Plan, Error> {
        for warning in site_packages.warnings() {
            self.reporter.on_warning(&warning.to_string());
        }
        Ok(Plan::build(
            requirements,
            site_packages,
            &self.markers(),
            &PlanOptions {
                reinstall: self.options.reinstall.clone(),
                keep_unlisted: self.options.keep_unlisted,
            },
        )?)
    }

    fn site_packages(&self) -> Result<SitePackages, Error> {
        let dirs = self.site_packages_dirs()?;
        let dirs: Vec<&std::path::Path> = dirs.iter().map(PathBuf::as_path).collect();
        Ok(SitePackages::from_dirs(&dirs)?)
    }

    /// The orphans in the environment, given what is installed.
    ///
    /// Orphans are top-level entries of purelib or platlib, so a scan that
    /// found none stays true while neither directory changes: its result is
    /// remembered in the cache by their modification times (any entry
    /// added or removed changes them), and a no-op sync then reads no
    /// RECORD for it. Where the filesystem's timestamps are coarse (kernels
    /// before 6.13), an entry added in the same tick as the sync's last
    /// change goes unnoticed until the next change: only the warning waits
    /// for it, since `--fix` always looks.
    fn orphans(&self, site_packages: &SitePackages) -> Result<Orphans, Error> {
        let layout = self.layout()?;
        if !self.options.fix_orphans
            && let Some((stamp, record)) = self.no_orphans_record(&layout)
            && puffin_fs::read_small_to_string(&record, 128).is_ok_and(|stored| stored == stamp)
        {
            return Ok(Orphans::default());
        }
        let orphans = find_orphans(site_packages, &layout);
        if orphans.is_empty() {
            self.remember_no_orphans();
        }
        Ok(orphans)
    }

    /// Record that purelib and platlib, as they are now, hold no orphans.
    fn remember_no_orphans(&self) {
        let Ok(layout) = self.layout() else { return };
        let Some((stamp, record)) = self.no_orphans_record(&layout) else {
            return;
        };
        // Only an optimisation: a cache that cannot be written is fine.
        let _ = record
            .parent()
            .map(fs_err::create_dir_all)
            .transpose()
            .and_then(|_| puffin_fs::replace_via_temp(&record, |temp| fs_err::write(temp, &stamp)));
    }

    /// The stamp of purelib and platlib now, and the cache file that holds
    /// the stamp of the last scan that found no orphans there.
    fn no_orphans_record(&self, layout: &Layout) -> Option<(String, PathBuf)> {
        let stamp = site_packages_stamp(layout)?;
        let key = puffin_cache::digest(layout.scheme.purelib.as_os_str().as_encoded_bytes());
        let record = self
            .cache
            .bucket(puffin_cache::CacheBucket::Environments)
            .join(format!("no-orphans-{key}"));
        Some((stamp, record))
    }

    /// Move the orphans into the transaction's journal (deleted by the
    /// commit, put back by a rollback).
    fn remove_orphans(&self, orphans: &Orphans, transaction: &Transaction) -> Result<(), Error> {
        if orphans.is_empty() {
            return Ok(());
        }
        let removed =
            transaction
                .remove_files(&orphans.files)
                .map_err(|err| Error::RemoveOrphans {
                    path: self
                        .layout()
                        .map(|layout| layout.scheme.purelib)
                        .unwrap_or_default(),
                    err: Box::new(err),
                })?;
        debug!(
            removed,
            "Removed files that belong to no installed distribution"
        );
        Ok(())
    }

    /// When no other puffin process uses the cache, what killed runs left in
    /// the store is nobody's work in progress: remove it.
    fn sweep_store(&self) {
        if let Ok(Some(exclusive)) = self.cache.try_lock(true) {
            match WheelStore::new(self.cache).sweep(self.cache) {
                Ok(report) => {
                    if let Some(legacy) = &report.legacy_bucket {
                        self.reporter.on_warning(&format!(
                            "Removed the cache's old wheel layout at `{}`: its wheels are \
                             downloaded again into the new store",
                            legacy.display()
                        ));
                    }
                    if report.leftovers > 0 {
                        debug!(
                            removed = report.leftovers,
                            "Removed store leftovers of interrupted runs"
                        );
                    }
                }
                Err(err) => debug!(%err, "Failed to sweep the wheel store"),
            }
            drop(exclusive);
        }
    }

    /// Lock the environment and finish or remove what killed runs left in
    /// its site-packages; nothing for a dry run.
    fn lock_environment(&self) -> Result<Option<EnvironmentLock>, Error> {
        if self.options.dry_run {
            return Ok(None);
        }
        let root = self.lock_root();
        if self.options.target != InstallTarget::Environment {
            fs_err::create_dir_all(root).map_err(|err| Error::Environment {
                path: root.to_path_buf(),
                err,
            })?;
        }
        let lock = EnvironmentLock::acquire(root, |path| {
            self.reporter.on_lock_wait(Lock::Environment(path));
        })
        .map_err(|err| Error::Environment {
            path: root.to_path_buf(),
            err,
        })?;
        if let Some(recovery) = recover_environment(&self.layout()?)? {
            self.reporter.on_recovery(&recovery);
        }
        Ok(Some(lock))
    }

    /// pip's `--require-hashes` rule; returns whether hash-checking mode is on.
    /// The requirements with every source to build named, and the builds
    /// that do it (`None` when there is no source, the common case, which
    /// then costs nothing).
    fn name_sources(
        &self,
        requirements: &SyncRequirements,
    ) -> Result<(Option<SyncRequirements>, Option<Arc<Builds>>), Error> {
        let has_urls = requirements.requirements.iter().any(|requirement| {
            matches!(
                requirement.requirement.version_or_url,
                Some(pep508_rs::VersionOrUrl::Url(_))
            )
        });
        if requirements.sources.is_empty() && !has_urls {
            return Ok((None, None));
        }
        let builds = self.builds(requirements)?;
        let named = SyncRequirements {
            requirements: name_sources(requirements, &builds)?,
            sources: Vec::new(),
            ..requirements.clone()
        };
        Ok((Some(named), Some(builds)))
    }

    /// The builds of this sync, for requirements read from `requirements`.
    fn builds(&self, requirements: &SyncRequirements) -> Result<Arc<Builds>, Error> {
        let builds = Builds::new(
            self.environment,
            self.cache,
            &self.options,
            requirements,
            self.tags()?,
        )?;
        Ok(Arc::new(builds))
    }

    fn hash_mode(&self, requirements: &SyncRequirements) -> Result<bool, Error> {
        puffin_client::check_require_hashes(
            self.options.require_hashes || requirements.require_hashes,
            requirements.hashed(&self.environment.interpreter().markers),
        )
        .map_err(|origins| Error::MissingHashes { origins })
    }

    /// Every wheel the plan installs, as store entries: those the store
    /// has are found first, and only what is missing needs the async
    /// runtime (and, when some requirement turns out to need a build, the
    /// builds).
    fn prepare(
        &self,
        plan: &Plan,
        requirements: &SyncRequirements,
        hash_mode: bool,
        builds: Option<Arc<Builds>>,
    ) -> Result<crate::Prepared, Error> {
        let tags = self.tags()?;
        // Direct URL wheels name their own tags: refuse one that does not fit.
        plan.check_wheel_tags(&tags)?;
        let store = WheelStore::new(self.cache);
        let options = PrepareOptions {
            locations: self.index_locations(plan, requirements)?,
            tags,
            python_version: self.python_version(),
            offline: self.options.offline,
            hash_mode,
            reinstall: self.options.reinstall.clone(),
            refresh: self.options.refresh.clone(),
        };
        let preparer = Preparer::new(&store, self.cache, options)
            .with_reporter(self.reporter.clone())
            .with_policy(crate::build::format_policy(
                &self.options.build,
                requirements,
            )?)
            .with_builds(builds);
        let planned: Vec<_> = plan
            .install
            .iter()
            .map(|install| &install.requirement)
            .collect();
        let stored = preparer.find_stored(&planned);
        let missing: Vec<_> = planned
            .iter()
            .zip(&stored)
            .filter(|(_, stored)| stored.is_none())
            .map(|(requirement, _)| *requirement)
            .collect();
        let mut fetched = if missing.is_empty() {
            crate::Prepared::default()
        } else {
            self.fetch(preparer, &missing, requirements)?
        };
        let mut fetched_wheels = std::mem::take(&mut fetched.wheels).into_iter();
        fetched.wheels = stored
            .into_iter()
            .filter_map(|stored| stored.or_else(|| fetched_wheels.next()))
            .collect();
        Ok(fetched)
    }

    /// Download, build and unzip what the store lacks, on an async runtime.
    fn fetch(
        &self,
        preparer: Preparer<'_>,
        missing: &[&crate::PlannedRequirement],
        requirements: &SyncRequirements,
    ) -> Result<crate::Prepared, Error> {
        // Any registry requirement may turn out to need a build.
        let builds = match preparer.builds() {
            Some(builds) => builds,
            None => self.builds(requirements)?,
        };
        let preparer = preparer.with_builds(Some(builds));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        runtime.block_on(preparer.prepare(missing))
    }

    /// The indexes to search: discovered as pip does when any requirement
    /// needs one, else none (direct URLs need no index).
    fn index_locations(
        &self,
        plan: &Plan,
        requirements: &SyncRequirements,
    ) -> Result<IndexLocations, Error> {
        let needs_registry = plan
            .install
            .iter()
            .any(|install| matches!(install.requirement.source, WheelSource::Registry { .. }));
        let env = |key: &str| std::env::var(key).ok();
        if !needs_registry {
            // Direct URLs need no index (nor its configuration checked), but
            // reach their hosts with the same `--cert`, `--client-cert`,
            // trusted hosts and keyring as an index would.
            let no_index = IndexArgs {
                no_index: true,
                ..self.options.index.clone()
            };
            let network = IndexLocations::discover(&no_index, &requirements.index, &env, None)
                .map_err(|err| Error::IndexLocations(Box::new(err)))?
                .network;
            let mut locations = IndexLocations::find_links_only(Vec::new());
            locations.network = network;
            return Ok(locations);
        }
        let locations = IndexLocations::discover(
            &self.options.index,
            &requirements.index,
            &env,
            self.environment.interpreter().pip_default_index.as_deref(),
        )
        .map_err(|err| Error::IndexLocations(Box::new(err)))?;
        debug!("Using {locations}");
        Ok(locations)
    }

    /// Remove what the plan replaces or does not list, in parallel; the first
    /// failure is returned once every distribution was attempted.
    fn uninstall(&self, plan: &Plan, transaction: &Transaction) -> Result<(), Error> {
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
        if removals.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let layout = self.layout()?;
        let mut first_failure = None;
        for (dist, result) in removals.iter().zip(
            Uninstaller::new(&layout)
                .with_transaction(transaction)
                .uninstall(&removals),
        ) {
            match result {
                Ok(uninstallation) => {
                    for skipped in &uninstallation.skipped {
                        tracing::warn!(path = %skipped.display(), "Not removed: the RECORD entry points outside the environment");
                    }
                    self.reporter.on_uninstall_complete(dist);
                }
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        if let Some(failure) = first_failure {
            return Err(failure.into());
        }
        self.reporter.on_phase(Phase::Uninstalled {
            count: removals.len(),
            elapsed: start.elapsed(),
        });
        Ok(())
    }

    /// Link the prepared wheels into the environment.
    fn install(&self, report: &mut SyncReport, transaction: &Transaction) -> Result<(), Error> {
        if report.installed.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let layout = self.layout()?;
        let installed = Installer::new(&layout)
            .with_link_mode(self.options.link_mode)
            .with_fault(self.options.fault)
            .with_reporter(self.reporter.clone())
            .with_transaction(transaction)
            .install(&report.installed)
            .map_err(Error::Install)?;
        report.link_modes = installed.link_modes;
        report.fallback = installed.fallback;
        report.warnings = installed.warnings;
        report.dist_infos = installed.dist_infos;
        self.reporter.on_phase(Phase::Installed {
            count: report.installed.len(),
            elapsed: start.elapsed(),
        });
        Ok(())
    }

    /// Compile the installed `.py` files, once the transaction committed
    /// (bytecode is not part of it: a rollback never leaves `.pyc` behind).
    fn compile(&self, report: &mut SyncReport) -> Result<(), Error> {
        let Some(options) = self.options.compile_bytecode else {
            return Ok(());
        };
        if report.dist_infos.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let files = crate::compile::python_files(&report.dist_infos, &self.layout()?.prefix);
        let python = self.environment.python_executable();
        let compiled = crate::compile_bytecode(&python, files, options)?;
        report.compiled = Some(compiled);
        self.reporter.on_phase(Phase::Compiled {
            count: compiled.compiled,
            elapsed: start.elapsed(),
        });
        Ok(())
    }
}

/// A transaction that could not begin or commit; a cancellation before any
/// change is [`Error::Cancelled`].
fn transaction_error(layout: &Layout, err: install_wheel_rs::Error) -> Error {
    if err.is_cancelled() {
        return Error::Cancelled { rollback: None };
    }
    Error::Transaction {
        path: layout.scheme.purelib.clone(),
        err: Box::new(err),
    }
}
