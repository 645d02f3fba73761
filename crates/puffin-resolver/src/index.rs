//! Versions and metadata from package indexes and find-links locations,
//! fetched ahead of the solver.
//!
//! A project's files come from the client's candidate gathering
//! ([`RegistryClient::project_files`]: the first index that has it, extra
//! indexes first, plus every `--find-links` directory and page, as for
//! `pip-sync`). A version is a candidate if it has a wheel compatible with
//! the tags that the [`FormatPolicy`] allows, else a source distribution that
//! it allows (`.tar.gz` before `.zip`) and a [`SourceMetadata`] to read it
//! with. A wheel's metadata is read from, in order:
//!
//! 1. the metadata cache (`metadata-v0/<name>/<sha256>.metadata`, keyed by
//!    the file's SHA-256, so a file that changed is never confused);
//! 2. the wheel store, if the wheel was unzipped there before;
//! 3. the wheel itself when it is a local find-links file;
//! 4. the core metadata file that the index publishes beside the wheel
//!    ([PEP 658] / [PEP 714]), checked against its advertised hash;
//! 5. the wheel's `METADATA` entry, read with HTTP range requests;
//! 6. the wheel itself, downloaded and unzipped into the wheel store, where
//!    the install that follows finds it (when the server ignores ranges or
//!    the archive is odd).
//!
//! A source distribution's metadata comes from the metadata cache (by the
//! archive's SHA-256, when the index gives it), else from the
//! [`SourceMetadata`], whose answer is cached.
//!
//! Every fetch runs once (later callers wait for the first), at most
//! [`DEFAULT_CONCURRENT_DOWNLOADS`] at a time. When the solver discovers a
//! project, its page and the metadata of its likely version (the newest final
//! release, or the previous pin) are fetched in the background, and so on for
//! that version's dependencies, so that the solver rarely waits. Source
//! distributions are not built ahead: a build is only started for a version
//! the solver asks about.
//!
//! [PEP 658]: https://peps.python.org/pep-0658/
//! [PEP 714]: https://peps.python.org/pep-0714/

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use distribution_filename::{PackageName, WheelFilename};
use fs_err as fs;
use pep440_rs::Version;
use pep508_rs::MarkerEnvironment;
use platform_tags::Tags;
use puffin_cache::CacheBucket;
use puffin_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, DistLocation, FormatPolicy, IndexFile, RangeMetadata,
    RegistryClient, SelectedSource, SelectedWheel,
};
use puffin_package::{HashAlgorithm, HashDigest, Metadata};
use puffin_store::{WheelOrigin, WheelStore};
use tokio::runtime::Handle;
use tokio::sync::{OnceCell, Semaphore};
use tracing::{debug, warn};
use version_ranges::Ranges;

use crate::candidates::{Dist, Project, Rules, WheelFile};
use crate::provider::{MetadataProvider, VersionInfo, VersionMap};
use crate::{
    Resolution, ResolveError, ResolverOptions, ResolverReporter, RootRequirement, SourceMetadata,
};

/// A fetch shared by everyone who asks for the same thing.
type Shared<T> = Arc<OnceCell<Result<T, Arc<ResolveError>>>>;

/// The metadata fetches, by project and version.
type MetadataCells = Mutex<HashMap<(PackageName, Version), Shared<Arc<Metadata>>>>;

/// A [`MetadataProvider`] that reads package indexes. Cloning is cheap.
#[derive(Clone)]
pub struct IndexProvider {
    inner: Arc<Inner>,
}

struct Inner {
    client: Arc<RegistryClient>,
    store: WheelStore,
    metadata_dir: PathBuf,
    tags: Tags,
    markers: MarkerEnvironment,
    handle: Handle,
    permits: Semaphore,
    preferences: BTreeMap<PackageName, Version>,
    /// The versions that constraints allow, for fetching ahead.
    limits: crate::report::Limits,
    policy: FormatPolicy,
    source_metadata: Option<Arc<dyn SourceMetadata>>,
    reporter: Option<Arc<dyn ResolverReporter>>,
    projects: Mutex<HashMap<PackageName, Shared<Arc<Project>>>>,
    metadata: MetadataCells,
    prefetched: Mutex<HashSet<PackageName>>,
    /// The origins (`scheme://host:port`) that ignore range requests.
    no_ranges: Mutex<HashSet<String>>,
}

impl IndexProvider {
    /// A provider reading through `client`, unzipping downloaded wheels into
    /// the store of the client's cache, choosing wheels for `tags` and
    /// evaluating markers (for fetching ahead) in `markers`; wheels and
    /// sources allowed, no source builds.
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime.
    pub fn new(client: Arc<RegistryClient>, tags: Tags, markers: MarkerEnvironment) -> Self {
        let cache = client.cache().clone();
        Self {
            inner: Arc::new(Inner {
                store: WheelStore::new(&cache),
                metadata_dir: cache.bucket(CacheBucket::Metadata),
                client,
                tags,
                markers,
                handle: Handle::current(),
                permits: Semaphore::new(DEFAULT_CONCURRENT_DOWNLOADS),
                preferences: BTreeMap::new(),
                limits: crate::report::Limits::new(),
                policy: FormatPolicy::default(),
                source_metadata: None,
                reporter: None,
                projects: Mutex::default(),
                metadata: Mutex::default(),
                prefetched: Mutex::default(),
                no_ranges: Mutex::default(),
            }),
        }
    }

    /// A provider for `options`: its markers, preferences and format
    /// policy, and its constraints (so that versions they exclude are not
    /// fetched ahead).
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime.
    pub fn from_options(
        client: Arc<RegistryClient>,
        tags: Tags,
        options: &ResolverOptions,
    ) -> Self {
        let mut provider = Self::new(client, tags, options.markers.clone())
            .with_preferences(options.preferences.clone())
            .with_format_policy(options.format_policy.clone());
        // A URL constraint is refused by the resolution itself.
        if let Ok(limits) = crate::resolver::limits(&options.constraints, &options.markers)
            && let Some(inner) = Arc::get_mut(&mut provider.inner)
        {
            inner.limits = limits;
        }
        provider
    }

    /// Report fetches to `reporter`. Call before any resolution.
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn ResolverReporter>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.reporter = Some(reporter);
        }
        self
    }

    /// Fetch these versions ahead, rather than the newest (the previous
    /// pins). Call before any resolution.
    #[must_use]
    pub fn with_preferences(mut self, preferences: BTreeMap<PackageName, Version>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.preferences = preferences;
        }
        self
    }

    /// Which files may be used (see [`ResolverOptions::format_policy`], which
    /// must be the same). Call before any resolution.
    #[must_use]
    pub fn with_format_policy(mut self, policy: FormatPolicy) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.policy = policy;
        }
        self
    }

    /// Read the metadata of versions that have only a source distribution
    /// (that the policy allows) with `source_metadata`; without one, such
    /// versions are not candidates, and an explanation says why. Call before
    /// any resolution.
    #[must_use]
    pub fn with_source_metadata(mut self, source_metadata: Arc<dyn SourceMetadata>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.source_metadata = Some(source_metadata);
        }
        self
    }

    /// Resolve on a blocking thread, with this provider.
    ///
    /// # Errors
    ///
    /// See [`crate::resolve`]; [`ResolveError::FormatPolicyMismatch`] when
    /// `options.format_policy` is not the provider's.
    pub async fn resolve(
        &self,
        requirements: Vec<RootRequirement>,
        options: ResolverOptions,
    ) -> Result<Resolution, ResolveError> {
        if options.format_policy != self.inner.policy {
            return Err(ResolveError::FormatPolicyMismatch);
        }
        let provider = self.clone();
        tokio::task::spawn_blocking(move || crate::resolve(&requirements, &options, &provider))
            .await
            .map_err(ResolveError::Join)?
    }
}

impl MetadataProvider for IndexProvider {
    fn versions(&self, name: &PackageName) -> Result<Arc<VersionMap>, ResolveError> {
        let project = self.inner.handle.block_on(self.inner.project(name))?;
        Ok(project.versions.clone())
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<Metadata>, ResolveError> {
        self.inner
            .handle
            .block_on(self.inner.clone().metadata(name, version))
    }

    fn prefetch(&self, name: &PackageName) {
        self.inner.prefetch(name);
    }
}

impl Inner {
    async fn project(&self, name: &PackageName) -> Result<Arc<Project>, ResolveError> {
        let cell = self
            .projects
            .lock()
            .expect("not poisoned")
            .entry(name.clone())
            .or_default()
            .clone();
        cell.get_or_init(|| async { self.fetch_project(name).await.map_err(Arc::new) })
            .await
            .clone()
            .map_err(ResolveError::Shared)
    }

    async fn fetch_project(&self, name: &PackageName) -> Result<Arc<Project>, ResolveError> {
        let files = {
            let _permit = self.permits.acquire().await.expect("never closed");
            self.client
                .project_files(name)
                .await
                .map_err(|err| ResolveError::Versions {
                    package: name.clone(),
                    err: Box::new(err),
                })?
        };
        debug!(package = %name, files = files.len(), "Read the project's files");
        if !files.is_empty()
            && let Some(reporter) = &self.reporter
        {
            reporter.on_project(name);
        }
        let rules = Rules {
            tags: &self.tags,
            policy: &self.policy,
            can_build: self.source_metadata.is_some(),
        };
        Ok(Arc::new(rules.read_project(name, files)))
    }

    async fn metadata(
        self: Arc<Self>,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<Metadata>, ResolveError> {
        let cell = self
            .metadata
            .lock()
            .expect("not poisoned")
            .entry((name.clone(), version.clone()))
            .or_default()
            .clone();
        let metadata = cell
            .get_or_init(|| async { self.fetch_metadata(name, version).await.map_err(Arc::new) })
            .await
            .clone()
            .map_err(ResolveError::Shared)?;
        Ok(metadata)
    }

    /// The metadata of one version, from the first source that has it (see
    /// the module documentation).
    async fn fetch_metadata(
        self: &Arc<Self>,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<Metadata>, ResolveError> {
        let project = self.project(name).await?;
        let dist = project
            .dists
            .get(version)
            .ok_or_else(|| ResolveError::MissingMetadata {
                package: name.clone(),
                version: version.clone(),
            })?;
        let (bytes, filename) = match dist {
            Dist::Wheel(wheel) => (
                self.wheel_metadata(name, wheel).await?,
                wheel.filename.to_string(),
            ),
            Dist::Source(source) => (
                self.source_metadata(name, version, source).await?,
                source.filename.to_string(),
            ),
        };
        let metadata = parse_metadata(&bytes, &filename, name, version)?;
        if let Some(reporter) = &self.reporter {
            reporter.on_metadata(name, version);
        }
        self.prefetch_dependencies(&metadata);
        Ok(Arc::new(metadata))
    }

    /// A wheel's metadata: cached, local, the PEP 658 file, a range read,
    /// or the whole wheel.
    async fn wheel_metadata(
        &self,
        name: &PackageName,
        wheel: &WheelFile,
    ) -> Result<Vec<u8>, ResolveError> {
        let sha256 = sha256_of(&wheel.file.hashes.to_vec());
        if let Some(bytes) = self.cached(name, &wheel.filename, sha256.as_ref()) {
            return Ok(bytes);
        }
        if let DistLocation::Path(path) = &wheel.location {
            let path = path.clone();
            return tokio::task::spawn_blocking(move || read_wheel_metadata(&path))
                .await
                .map_err(ResolveError::Join)?;
        }
        let bytes = if wheel.file.core_metadata {
            self.fetch_core_metadata(&wheel.file).await?
        } else {
            match self.fetch_by_range(&wheel.file).await? {
                Some(bytes) => bytes,
                None => return self.download_wheel(wheel).await,
            }
        };
        if let Some(sha256) = sha256 {
            self.write_cache(name, &sha256, &bytes);
        }
        Ok(bytes)
    }

    async fn fetch_core_metadata(&self, file: &IndexFile) -> Result<Vec<u8>, ResolveError> {
        let _permit = self.permits.acquire().await.expect("never closed");
        let bytes =
            self.client
                .fetch_core_metadata(file)
                .await
                .map_err(|err| ResolveError::Fetch {
                    filename: format!("{}.metadata", file.filename),
                    err: Box::new(err),
                })?;
        debug!(file = %file.filename, "Metadata from the index's metadata file");
        Ok(bytes)
    }

    /// The wheel's `METADATA` by range requests, unless its server is known
    /// to ignore them; `None` when the whole wheel must be downloaded.
    async fn fetch_by_range(&self, file: &IndexFile) -> Result<Option<Vec<u8>>, ResolveError> {
        let origin = file.url.origin().ascii_serialization();
        if self
            .no_ranges
            .lock()
            .expect("not poisoned")
            .contains(&origin)
        {
            return Ok(None);
        }
        let _permit = self.permits.acquire().await.expect("never closed");
        let found = self
            .client
            .fetch_metadata_by_range(file)
            .await
            .map_err(|err| ResolveError::Fetch {
                filename: file.filename.to_string(),
                err: Box::new(err),
            })?;
        match found {
            RangeMetadata::Metadata(bytes) => {
                debug!(file = %file.filename, "Metadata by range requests");
                Ok(Some(bytes))
            }
            RangeMetadata::NoRanges => {
                debug!(%origin, "The server ignores range requests");
                self.no_ranges.lock().expect("not poisoned").insert(origin);
                Ok(None)
            }
            RangeMetadata::Unreadable => Ok(None),
        }
    }

    /// A source distribution's metadata: cached by its SHA-256, else from
    /// the [`SourceMetadata`] (and then cached).
    async fn source_metadata(
        &self,
        name: &PackageName,
        version: &Version,
        source: &SelectedSource,
    ) -> Result<Vec<u8>, ResolveError> {
        let sha256 = sha256_of(&source.hashes);
        if let Some(sha256) = &sha256
            && let Ok(bytes) = fs::read(self.cache_path(name, sha256))
        {
            debug!(sdist = %source.filename, "Metadata from the metadata cache");
            return Ok(bytes);
        }
        let Some(builder) = &self.source_metadata else {
            return Err(ResolveError::MissingMetadata {
                package: name.clone(),
                version: version.clone(),
            });
        };
        let bytes = builder
            .metadata(name, version, source)
            .await
            .map_err(|err| ResolveError::SourceMetadata {
                filename: source.filename.to_string(),
                err,
            })?;
        debug!(sdist = %source.filename, "Metadata from the source distribution");
        if let Some(sha256) = sha256 {
            self.write_cache(name, &sha256, &bytes);
        }
        Ok(bytes)
    }

    /// Metadata already on disk: in the metadata cache or the wheel store.
    fn cached(
        &self,
        name: &PackageName,
        wheel: &WheelFilename,
        sha256: Option<&HashDigest>,
    ) -> Option<Vec<u8>> {
        let sha256 = sha256?;
        if let Ok(bytes) = fs::read(self.cache_path(name, sha256)) {
            return Some(bytes);
        }
        let stored = self.store.get(name, sha256)?;
        debug!(wheel = %wheel, "Metadata from the wheel store");
        read_entry_metadata(&stored.path).ok()
    }

    fn cache_path(&self, name: &PackageName, sha256: &HashDigest) -> PathBuf {
        self.metadata_dir
            .join(name.as_str())
            .join(format!("{}.metadata", sha256.digest()))
    }

    /// Cache metadata; a failure only costs a fetch later.
    fn write_cache(&self, name: &PackageName, sha256: &HashDigest, bytes: &[u8]) {
        if let Err(err) = write_cache(&self.cache_path(name, sha256), bytes) {
            warn!(%err, "Could not cache metadata");
        }
    }

    /// Download the wheel and unzip it into the wheel store; its metadata
    /// is read from the published entry.
    async fn download_wheel(&self, wheel: &WheelFile) -> Result<Vec<u8>, ResolveError> {
        let file = &wheel.file;
        let store_err = |err| ResolveError::Store {
            filename: file.filename.to_string(),
            err: Box::new(err),
        };
        let DistLocation::Url { index, .. } = &wheel.location else {
            unreachable!("local wheels are read in place");
        };
        let selected = SelectedWheel {
            filename: wheel.filename.clone(),
            source: wheel.location.clone(),
            hashes: file.hashes.to_vec(),
            yanked: None,
            warnings: Vec::new(),
        };
        let temp = self.store.temp_dir().map_err(store_err)?;
        let downloaded = {
            let _permit = self.permits.acquire().await.expect("never closed");
            self.client
                .fetch_wheel(&selected, temp.path(), &[])
                .await
                .map_err(|err| ResolveError::Fetch {
                    filename: file.filename.to_string(),
                    err: Box::new(err),
                })?
        };
        let sha256 = downloaded
            .sha256
            .ok_or_else(|| ResolveError::MissingMetadata {
                package: wheel.filename.name.clone(),
                version: wheel.filename.version.clone(),
            })?;
        let store = self.store.clone();
        let (filename, index) = (wheel.filename.clone(), index.clone());
        let entry = tokio::task::spawn_blocking(move || {
            store
                .publish(
                    &downloaded.path,
                    &filename,
                    &sha256,
                    &WheelOrigin::Index(&index),
                )
                .map(|published| published.wheel.path)
        })
        .await
        .map_err(ResolveError::Join)?
        .map_err(store_err)?;
        debug!(file = %file.filename, "Metadata from the downloaded wheel");
        read_entry_metadata(&entry)
    }

    /// Fetch `name`'s page and the metadata of its likely version in the
    /// background, once (not for a version that would need a build).
    fn prefetch(self: &Arc<Self>, name: &PackageName) {
        if !self
            .prefetched
            .lock()
            .expect("not poisoned")
            .insert(name.clone())
        {
            return;
        }
        let inner = self.clone();
        let name = name.clone();
        self.handle.spawn(async move {
            let Ok(project) = inner.project(&name).await else {
                return;
            };
            let preferred = inner.preferences.get(&name);
            let limit = inner.limits.get(&name).map(|limit| &limit.range);
            if let Some(version) = likely_version(&project.versions, preferred, limit)
                && matches!(project.dists.get(&version), Some(Dist::Wheel(_)))
            {
                let _ = inner.clone().metadata(&name, &version).await;
            }
        });
    }

    /// Prefetch the projects that a version needs in the target environment.
    fn prefetch_dependencies(self: &Arc<Self>, metadata: &Metadata) {
        for requirement in &metadata.requires_dist {
            if requirement.marker.evaluate(&self.markers, &[])
                && let Ok(name) = PackageName::new(requirement.name.as_ref())
            {
                self.prefetch(&name);
            }
        }
    }
}

/// The version that the solver will most likely choose: the preferred one
/// if listed, else the newest usable final release, else the newest usable;
/// within `limit` (the constraints), if any.
fn likely_version(
    versions: &VersionMap,
    preferred: Option<&Version>,
    limit: Option<&Ranges<Version>>,
) -> Option<Version> {
    let allowed = |version: &Version| limit.is_none_or(|range| range.contains(version));
    if let Some(preferred) = preferred
        && versions.contains_key(preferred)
        && allowed(preferred)
    {
        return Some(preferred.clone());
    }
    let usable = |version: &Version, info: &VersionInfo| {
        !info.yanked && info.unusable.is_none() && allowed(version)
    };
    versions
        .iter()
        .rev()
        .find(|(version, info)| usable(version, info) && !version.any_prerelease())
        .or_else(|| {
            versions
                .iter()
                .rev()
                .find(|(version, info)| usable(version, info))
        })
        .map(|(version, _)| version.clone())
}

fn sha256_of(hashes: &[HashDigest]) -> Option<HashDigest> {
    hashes
        .iter()
        .find(|hash| hash.algorithm() == HashAlgorithm::Sha256)
        .cloned()
}

/// Parse metadata and check that it is the file's project and version.
fn parse_metadata(
    bytes: &[u8],
    filename: &str,
    name: &PackageName,
    version: &Version,
) -> Result<Metadata, ResolveError> {
    let metadata = Metadata::parse(bytes).map_err(|err| ResolveError::Metadata {
        filename: filename.to_string(),
        err: Box::new(err),
    })?;
    if metadata.name != *name || metadata.version != *version {
        return Err(ResolveError::MetadataMismatch {
            filename: filename.to_string(),
            name: metadata.name,
            version: metadata.version,
        });
    }
    Ok(metadata)
}

/// The `METADATA` of the `.dist-info` directory of an unzipped wheel.
fn read_entry_metadata(entry: &Path) -> Result<Vec<u8>, ResolveError> {
    let io_err = |err| ResolveError::Io {
        path: entry.to_path_buf(),
        err,
    };
    for dir in fs::read_dir(entry).map_err(io_err)? {
        let dir = dir.map_err(io_err)?.path();
        if dir.extension().is_some_and(|ext| ext == "dist-info") {
            let path = dir.join("METADATA");
            return fs::read(&path).map_err(|err| ResolveError::Io { path, err });
        }
    }
    Err(io_err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "no .dist-info directory",
    )))
}

/// The `<name>.dist-info/METADATA` entry of a local wheel file (a
/// find-links wheel, read where it is).
fn read_wheel_metadata(path: &Path) -> Result<Vec<u8>, ResolveError> {
    use std::io::Read;

    let zip_err = |err: zip::result::ZipError| ResolveError::Io {
        path: path.to_path_buf(),
        err: std::io::Error::other(err),
    };
    let file = fs::File::open(path).map_err(|err| ResolveError::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|name| {
            name.strip_suffix(".dist-info/METADATA")
                .is_some_and(|dir| !dir.is_empty() && !dir.contains('/'))
        })
        .map(|name| name.to_string())
        .collect();
    let [name] = names.as_slice() else {
        return Err(zip_err(zip::result::ZipError::FileNotFound));
    };
    let entry = archive.by_name(name).map_err(zip_err)?;
    let mut bytes = Vec::new();
    entry
        .take(crate::candidates::MAX_LOCAL_METADATA)
        .read_to_end(&mut bytes)
        .map_err(|err| ResolveError::Io {
            path: path.to_path_buf(),
            err,
        })?;
    Ok(bytes)
}

/// Write a cache file whole: a temporary file in its directory, renamed.
fn write_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("a cache file has a directory");
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}
