//! Turning the plan's missing distributions into verified entries of the
//! wheel store: find, download, hash, unzip, publish.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use pep440_rs::Version;
use platform_tags::Tags;
use puffin_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, FormatPolicy, IndexLocations, Refresh, RegistryClient,
    RegistryClientBuilder, SelectedDist, SelectedSource, SelectedWheel, WheelSourceLocation,
};
use puffin_package::{DirectUrl, HashAlgorithm, HashDigest};
use puffin_store::{EntryStatus, StoredWheel, WheelOrigin, WheelStore};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tracing::debug;
use url::Url;

use crate::build::Builds;
use crate::reporter::DownloadEvents;
use crate::{CachedWheel, Error, PlannedRequirement, Reinstall, Reporter, WheelSource};

/// What the preparer needs to know besides the store.
#[derive(Clone)]
pub struct PrepareOptions {
    /// Where wheels are looked for.
    pub locations: IndexLocations,
    /// The tags of the target interpreter, best first.
    pub tags: Tags,
    /// The target interpreter's version (for `Requires-Python`).
    pub python_version: Version,
    /// Never use the network.
    pub offline: bool,
    /// Hash-checking mode: every wheel must match one of its requirement's
    /// hashes.
    pub hash_mode: bool,
    /// Which entries to check against their manifests before use (and unzip
    /// again when changed).
    pub reinstall: Reinstall,
    /// Which packages to look up on their indexes again: their cached index
    /// pages are revalidated and the store's pointers (which file a source
    /// served last time) are not trusted, but an entry whose digest the index
    /// or a `--hash` names is still used without a download.
    pub refresh: Refresh,
}

/// What [`Preparer::prepare`] produced.
#[derive(Debug, Default)]
pub struct Prepared {
    /// One wheel per requirement, in the order given.
    pub wheels: Vec<CachedWheel>,
    /// How many were downloaded or unzipped (the rest were in the store).
    pub downloaded: usize,
    /// How many were built from source (not found built in the cache).
    pub built: usize,
}

/// Makes sure every requirement's wheel is an entry of the wheel store,
/// downloading and unzipping what is missing, several at a time: a finished
/// download is unzipped while others are still downloading.
pub struct Preparer<'a> {
    store: &'a WheelStore,
    cache: puffin_cache::Cache,
    options: PrepareOptions,
    reporter: Arc<dyn Reporter>,
    /// Built on first use: a warm sync never pays for the HTTP client's setup
    /// (loading the system's certificates).
    client: tokio::sync::OnceCell<RegistryClient>,
    indexes: Vec<Url>,
    builds: Option<Arc<Builds>>,
    /// Which packages may use wheels: the builds' policy, or wheels only.
    policy: FormatPolicy,
}

impl<'a> Preparer<'a> {
    /// A preparer filling `store` (which lives in `cache`).
    pub fn new(
        store: &'a WheelStore,
        cache: &puffin_cache::Cache,
        options: PrepareOptions,
    ) -> Self {
        let indexes = options.locations.indexes().cloned().collect();
        Self {
            store,
            cache: cache.clone(),
            options,
            reporter: Arc::new(crate::SilentReporter),
            client: tokio::sync::OnceCell::new(),
            indexes,
            builds: None,
            policy: FormatPolicy::from_pip_args(&[], &[], true).expect("no values to refuse"),
        }
    }

    /// Build requirements from source with `builds` (without, a requirement
    /// to build is an error), under their format policy.
    #[must_use]
    pub(crate) fn with_builds(mut self, builds: Option<Arc<Builds>>) -> Self {
        if let Some(builds) = &builds {
            self.policy = builds.policy().clone();
        }
        self.builds = builds;
        self
    }

    /// The builds given with [`Preparer::with_builds`].
    pub(crate) fn builds(&self) -> Option<Arc<Builds>> {
        self.builds.clone()
    }

    /// Use wheels only where `policy` allows them (`--no-binary`), before
    /// any builds are given.
    #[must_use]
    pub(crate) fn with_policy(mut self, policy: FormatPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Report downloads and unzips to `reporter`.
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }

    /// The wheels of the requirements that the store already has, one slot
    /// per requirement, looked up in parallel without the network (nor an
    /// async runtime): what [`Preparer::prepare`] would find first. A
    /// requirement to build, to verify (`--reinstall`) or whose lookup fails
    /// is left to [`Preparer::prepare`], which reports the failure.
    pub fn find_stored(&self, requirements: &[&PlannedRequirement]) -> Vec<Option<CachedWheel>> {
        let stored = |requirement: &&PlannedRequirement| {
            if matches!(requirement.source, WheelSource::Build(_))
                || self.options.reinstall.applies_to(&requirement.name)
                || !self.policy.allows_wheel(&requirement.name)
            {
                return None;
            }
            let found = self.lookup(requirement).ok()??;
            debug!(wheel = %found.filename, "Found in the wheel store");
            Some(cached_wheel(found, &requirement.source))
        };
        // Each lookup is a few system calls: threads pay only for many.
        if requirements.len() < 8 {
            return requirements.iter().map(stored).collect();
        }
        requirements.par_iter().map(stored).collect()
    }

    /// Prepare every requirement, [`DEFAULT_CONCURRENT_DOWNLOADS`] at a time.
    /// The first failure, in the order given, is returned once all finished.
    pub async fn prepare(&self, requirements: &[&PlannedRequirement]) -> Result<Prepared, Error> {
        let results: Vec<Result<(CachedWheel, bool), Error>> = futures::stream::iter(
            requirements
                .iter()
                .map(|requirement| self.prepare_one(requirement)),
        )
        .buffered(DEFAULT_CONCURRENT_DOWNLOADS)
        .collect()
        .await;
        let mut prepared = Prepared::default();
        for result in results {
            let (wheel, downloaded) = result?;
            prepared.downloaded += usize::from(downloaded);
            prepared.wheels.push(wheel);
        }
        prepared.built = self.builds.as_ref().map_or(0, |builds| builds.built());
        Ok(prepared)
    }

    async fn client(&self) -> Result<&RegistryClient, Error> {
        self.client
            .get_or_try_init(|| async {
                RegistryClientBuilder::new(self.cache.clone())
                    .index_locations(self.options.locations.clone())
                    .offline(self.options.offline)
                    .refresh(self.options.refresh.clone())
                    .reporter(Arc::new(DownloadEvents(self.reporter.clone())))
                    .build()
                    .map_err(|err| Error::Client(Box::new(err)))
            })
            .await
    }

    /// The hashes the requirement's wheel must match (none outside
    /// hash-checking mode).
    fn required_hashes<'r>(&self, requirement: &'r PlannedRequirement) -> &'r [HashDigest] {
        if self.options.hash_mode {
            &requirement.hashes
        } else {
            &[]
        }
    }

    /// One requirement's wheel in the store; the flag says whether it was
    /// downloaded or unzipped.
    async fn prepare_one(
        &self,
        requirement: &PlannedRequirement,
    ) -> Result<(CachedWheel, bool), Error> {
        if let WheelSource::Build(source) = &requirement.source {
            return self.prepare_build(requirement, source).await;
        }
        let verify = self.options.reinstall.applies_to(&requirement.name);
        let wheels_allowed = self.policy.allows_wheel(&requirement.name);
        if wheels_allowed
            && let Some(found) = self.lookup(requirement)?
            && (!verify || self.still_valid(&found).await?)
        {
            debug!(wheel = %found.filename, "Found in the wheel store");
            return Ok((cached_wheel(found, &requirement.source), false));
        }
        let selected = match self.select(requirement).await? {
            SelectedDist::Wheel(selected) => selected,
            SelectedDist::Source(source) => {
                return self.prepare_registry_source(requirement, &source).await;
            }
        };
        if let Some(found) = self.find_selected(requirement, &selected)?
            && (!verify || self.still_valid(&found).await?)
        {
            debug!(wheel = %found.filename, "Found the selected file in the wheel store");
            return Ok((cached_wheel(found, &requirement.source), false));
        }
        let stored = self.download(requirement, &selected).await?;
        Ok((cached_wheel(stored, &requirement.source), true))
    }

    /// A requirement built from source: its wheel is built (or found in the
    /// built-wheel cache), then stored like a local wheel file.
    async fn prepare_build(
        &self,
        requirement: &PlannedRequirement,
        source: &crate::BuildSource,
    ) -> Result<(CachedWheel, bool), Error> {
        let Some(builds) = &self.builds else {
            return Err(Error::NoBuild {
                requirement: requirement.name.to_string(),
                origin: requirement.origin.clone(),
            });
        };
        let wheel = builds
            .build_wheel(
                &requirement.name,
                source,
                self.required_hashes(requirement),
                &requirement.origin,
            )
            .await?;
        self.store_built(requirement, wheel).await
    }

    /// A source distribution chosen on an index, built (or found built).
    async fn prepare_registry_source(
        &self,
        requirement: &PlannedRequirement,
        source: &SelectedSource,
    ) -> Result<(CachedWheel, bool), Error> {
        let Some(builds) = &self.builds else {
            return Err(Error::NoBuild {
                requirement: format!("{} @ {}", requirement.name, source.filename.version),
                origin: requirement.origin.clone(),
            });
        };
        let wheel = builds
            .build_registry_source(requirement, source, self.required_hashes(requirement))
            .await?;
        self.store_built(requirement, wheel).await
    }

    /// A built wheel, found in the store by its path or unzipped into it.
    async fn store_built(
        &self,
        requirement: &PlannedRequirement,
        wheel: std::path::PathBuf,
    ) -> Result<(CachedWheel, bool), Error> {
        let filename = crate::build::built_filename(&wheel, requirement, &self.options.tags)?;
        if let Some(found) = self
            .store
            .find(&WheelOrigin::Path(&wheel), &filename)
            .map_err(|err| read_wheel_error(err, requirement))?
        {
            return Ok((cached_wheel(found, &requirement.source), false));
        }
        let selected = SelectedWheel {
            filename,
            source: WheelSourceLocation::Path(wheel),
            hashes: Vec::new(),
            yanked: None,
            warnings: Vec::new(),
        };
        let stored = self.download(requirement, &selected).await?;
        Ok((cached_wheel(stored, &requirement.source), true))
    }

    /// The selected file, if the store already has it: by the pointer of its
    /// source (a find-links wheel, or an index file the pins did not find),
    /// or for a refreshed package only by the digest the index gives (then
    /// the pointer is updated to it).
    fn find_selected(
        &self,
        requirement: &PlannedRequirement,
        selected: &SelectedWheel,
    ) -> Result<Option<StoredWheel>, Error> {
        let origin = origin_of(selected, &requirement.source);
        let required = self.required_hashes(requirement);
        if !self.options.refresh.applies_to(&requirement.name) {
            return Ok(self
                .store
                .find(&origin, &selected.filename)
                .map_err(|err| read_wheel_error(err, requirement))?
                .filter(|found| allowed_by(found, required)));
        }
        let found = selected
            .hashes
            .iter()
            .filter_map(|sha256| self.store.get(&requirement.name, sha256))
            .find(|found| found.filename == selected.filename && allowed_by(found, required));
        if let Some(found) = &found {
            self.store
                .write_pointer(&origin, &found.filename, &found.sha256)?;
        }
        Ok(found)
    }

    /// The requirement's wheel in the store, found without the network: by
    /// the requirement's hashes when it has some (trusting no pointer), else by
    /// the pointer of its source, unless the package is refreshed. Registry
    /// requirements must be exact pins.
    fn lookup(&self, requirement: &PlannedRequirement) -> Result<Option<StoredWheel>, Error> {
        let hashes = self.required_hashes(requirement);
        let tags = &self.options.tags;
        let version = requirement.source.exact_version();
        if !hashes.is_empty() {
            // A hash-pinned requirement: its digests name the entries.
            return Ok(match &requirement.source {
                WheelSource::Registry { .. } if version.is_none() => None,
                _ => self
                    .store
                    .find_by_hashes(&requirement.name, version, hashes, tags),
            });
        }
        if self.options.refresh.applies_to(&requirement.name) {
            return Ok(None);
        }
        Ok(match &requirement.source {
            WheelSource::Registry { .. } => version.and_then(|version| {
                self.store
                    .find_pinned(&self.indexes, &requirement.name, version, tags)
            }),
            WheelSource::LocalWheel { path, filename, .. } => self
                .store
                .find(&WheelOrigin::Path(path), filename)
                .map_err(|err| read_wheel_error(err, requirement))?,
            WheelSource::RemoteWheel { url, filename } => {
                self.store.find(&WheelOrigin::Url(url), filename)?
            }
            WheelSource::Build(_) => None,
        })
    }

    /// For a reinstall: whether the entry still matches its manifest. A
    /// changed entry (e.g. edited through a hardlink) is removed.
    async fn still_valid(&self, wheel: &StoredWheel) -> Result<bool, Error> {
        let store = self.store.clone();
        let entry = wheel.clone();
        let status = tokio::task::spawn_blocking(move || -> Result<EntryStatus, Error> {
            let status = store.verify(&entry)?;
            if let EntryStatus::Corrupt { path, reason } = &status {
                debug!(path = %path.display(), reason, "The store entry was changed; unzipping it again");
                store.remove(&entry)?;
            }
            Ok(status)
        })
        .await
        .map_err(|err| Error::Runtime(std::io::Error::other(err)))??;
        Ok(status == EntryStatus::Valid)
    }

    /// The file to download for a requirement: chosen on the indexes for a
    /// registry requirement, given for a direct URL.
    async fn select(&self, requirement: &PlannedRequirement) -> Result<SelectedDist, Error> {
        let direct = |filename: &distribution_filename::WheelFilename, source| SelectedWheel {
            filename: filename.clone(),
            source,
            hashes: Vec::new(),
            yanked: None,
            warnings: Vec::new(),
        };
        match &requirement.source {
            WheelSource::Registry { specifiers } => {
                let selected = self
                    .client()
                    .await?
                    .select_dist(
                        &requirement.name,
                        specifiers,
                        &self.options.tags,
                        &self.options.python_version,
                        &self.policy,
                    )
                    .await
                    .map_err(|err| Error::Find {
                        name: requirement.name.to_string(),
                        origin: requirement.origin.clone(),
                        err: Box::new(err),
                    })?;
                for warning in selected.warnings() {
                    self.reporter.on_warning(warning);
                }
                Ok(selected)
            }
            WheelSource::LocalWheel { path, filename, .. } => Ok(SelectedDist::Wheel(direct(
                filename,
                WheelSourceLocation::Path(path.clone()),
            ))),
            WheelSource::RemoteWheel { url, filename } => Ok(SelectedDist::Wheel(direct(
                filename,
                WheelSourceLocation::Url {
                    url: url.clone(),
                    index: url.clone(),
                },
            ))),
            WheelSource::Build(_) => unreachable!("built wheels are prepared by prepare_build"),
        }
    }

    /// Download (or, for a local file, hash) the selected wheel, checking
    /// the required hashes, and publish it in the store.
    async fn download(
        &self,
        requirement: &PlannedRequirement,
        selected: &SelectedWheel,
    ) -> Result<StoredWheel, Error> {
        let download_dir = self.store.temp_dir()?;
        let downloaded = self
            .client()
            .await?
            .fetch_wheel(
                selected,
                download_dir.path(),
                self.required_hashes(requirement),
            )
            .await
            .map_err(|err| Error::Download {
                filename: selected.filename.to_string(),
                origin: requirement.origin.clone(),
                err: Box::new(err),
            })?;
        let store = self.store.clone();
        let selected = selected.clone();
        let origin_error = requirement.clone();
        let published = tokio::task::spawn_blocking(move || -> Result<_, Error> {
            let sha256 = match downloaded.sha256 {
                Some(sha256) => sha256,
                // A local wheel checked against no hash is read here.
                None => sha256_file(&downloaded.path)
                    .map_err(|err| read_io_error(err, &downloaded.path, &origin_error))?,
            };
            let origin = origin_of(&selected, &origin_error.source);
            let published =
                store.publish(&downloaded.path, &selected.filename, &sha256, &origin)?;
            drop(download_dir);
            Ok(published)
        })
        .await
        .map_err(|err| Error::Runtime(std::io::Error::other(err)))??;
        for warning in &published.warnings {
            debug!(wheel = %published.wheel.filename, %warning, "Unzip warning");
        }
        if !published.already_present {
            self.reporter.on_unzip_complete(&published.wheel.filename);
        }
        Ok(published.wheel)
    }
}

/// The wheel to install for a requirement, with the `direct_url.json` its
/// source calls for.
fn cached_wheel(stored: StoredWheel, source: &WheelSource) -> CachedWheel {
    CachedWheel {
        filename: stored.filename,
        path: stored.path,
        direct_url: match source {
            WheelSource::Build(build) => Some(build.direct_url().to_json()),
            _ => source
                .direct_url()
                .map(|url| DirectUrl::archive(url.as_str(), None).to_json()),
        },
    }
}

/// The SHA-256 of a file, read in blocks.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<HashDigest> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(HashDigest::from_bytes(
        HashAlgorithm::Sha256,
        &hasher.finalize(),
    ))
}

fn read_io_error(err: std::io::Error, path: &Path, requirement: &PlannedRequirement) -> Error {
    Error::ReadWheel {
        path: path.to_path_buf(),
        origin: requirement.origin.clone(),
        err,
    }
}

/// A local wheel whose metadata cannot be read is the user's to fix.
fn read_wheel_error(err: puffin_store::StoreError, requirement: &PlannedRequirement) -> Error {
    match err {
        puffin_store::StoreError::ReadSource { err, path } => {
            read_io_error(err, &path, requirement)
        }
        err => Error::from(err),
    }
}

/// Which pointer records where the selected file came from: a direct URL,
/// a local file, or a file listed by an index (or find-links page).
fn origin_of<'s>(selected: &'s SelectedWheel, source: &WheelSource) -> WheelOrigin<'s> {
    match &selected.source {
        WheelSourceLocation::Url { index, .. } if source.direct_url().is_some() => {
            WheelOrigin::Url(index)
        }
        WheelSourceLocation::Url { index, .. } => WheelOrigin::Index(index),
        WheelSourceLocation::Path(path) => WheelOrigin::Path(path),
    }
}

/// Whether an entry satisfies the required hashes (any, when none are
/// required): its archive digest must be one of them.
fn allowed_by(wheel: &StoredWheel, hashes: &[HashDigest]) -> bool {
    hashes.is_empty() || hashes.contains(&wheel.sha256)
}
