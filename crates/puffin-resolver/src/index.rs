//! Versions and metadata from package indexes, fetched ahead of the solver.
//!
//! A project's versions come from the first index that has it (extra
//! indexes first, as for `pip-sync`). A version's metadata is read from, in
//! order:
//!
//! 1. the metadata cache (`metadata-v0/<name>/<sha256>.metadata`, keyed by
//!    the wheel's SHA-256, so a file that changed is never confused);
//! 2. the wheel store, if the wheel was unzipped there before;
//! 3. the core metadata file that the index publishes beside the wheel
//!    ([PEP 658] / [PEP 714]);
//! 4. the wheel itself, downloaded and unzipped into the wheel store, where
//!    the install that follows finds it.
//!
//! Every fetch runs once (later callers wait for the first), at most
//! [`DEFAULT_CONCURRENT_DOWNLOADS`] at a time. When the solver discovers a
//! project, its page and the metadata of its likely version (the newest final
//! release, or the previous pin) are fetched in the background, and so on for
//! that version's dependencies, so that the solver rarely waits.
//!
//! [PEP 658]: https://peps.python.org/pep-0658/
//! [PEP 714]: https://peps.python.org/pep-0714/

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use distribution_filename::{PackageName, SourceDistFilename, WheelFilename};
use fs_err as fs;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::MarkerEnvironment;
use platform_tags::{TagPriority, Tags};
use puffin_cache::CacheBucket;
use puffin_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, IndexFile, RegistryClient, SelectedWheel, WheelSourceLocation,
};
use puffin_package::{HashAlgorithm, HashDigest, Metadata};
use puffin_store::{WheelOrigin, WheelStore};
use tokio::runtime::Handle;
use tokio::sync::{OnceCell, Semaphore};
use tracing::{debug, warn};
use url::Url;

use crate::provider::{MetadataProvider, VersionInfo, VersionMap};
use crate::{Resolution, ResolveError, ResolverOptions, ResolverReporter, RootRequirement};

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
    reporter: Option<Arc<dyn ResolverReporter>>,
    projects: Mutex<HashMap<PackageName, Shared<Arc<Project>>>>,
    metadata: MetadataCells,
    prefetched: Mutex<HashSet<PackageName>>,
}

/// A project page, read.
struct Project {
    versions: Arc<VersionMap>,
    /// The wheel whose metadata stands for each usable version.
    wheels: BTreeMap<Version, (IndexFile, WheelFilename)>,
    /// The index that listed it.
    index: Url,
}

impl IndexProvider {
    /// A provider reading through `client`, unzipping downloaded wheels into
    /// the store of the client's cache, choosing wheels for `tags` and
    /// evaluating markers (for fetching ahead) in `markers`.
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
                reporter: None,
                projects: Mutex::default(),
                metadata: Mutex::default(),
                prefetched: Mutex::default(),
            }),
        }
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

    /// Resolve on a blocking thread, with this provider.
    ///
    /// # Errors
    ///
    /// See [`crate::resolve`].
    pub async fn resolve(
        &self,
        requirements: Vec<RootRequirement>,
        options: ResolverOptions,
    ) -> Result<Resolution, ResolveError> {
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
        let _permit = self.permits.acquire().await.expect("never closed");
        for index in self.client.index_locations().indexes() {
            let page = self.client.project_page(index, name).await.map_err(|err| {
                ResolveError::Versions {
                    package: name.clone(),
                    err: Box::new(err),
                }
            })?;
            if let Some(files) = page {
                debug!(package = %name, files = files.len(), "Read the project page");
                if let Some(reporter) = &self.reporter {
                    reporter.on_project(name);
                }
                return Ok(Arc::new(read_project(name, files, &self.tags, index)));
            }
        }
        Ok(Arc::new(Project {
            versions: Arc::default(),
            wheels: BTreeMap::new(),
            index: Url::parse("file:///").expect("a valid URL"),
        }))
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
        let (file, wheel) =
            project
                .wheels
                .get(version)
                .ok_or_else(|| ResolveError::MissingMetadata {
                    package: name.clone(),
                    version: version.clone(),
                })?;
        let sha256 = sha256_of(file);
        let bytes = match self.cached(name, wheel, sha256.as_ref()) {
            Some(bytes) => bytes,
            None if file.core_metadata => self.fetch_core_metadata(name, file, sha256).await?,
            None => self.download_wheel(&project, file, wheel).await?,
        };
        let metadata = parse_metadata(&bytes, wheel)?;
        if let Some(reporter) = &self.reporter {
            reporter.on_metadata(name, version);
        }
        self.prefetch_dependencies(&metadata);
        Ok(Arc::new(metadata))
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

    async fn fetch_core_metadata(
        &self,
        name: &PackageName,
        file: &IndexFile,
        sha256: Option<HashDigest>,
    ) -> Result<Vec<u8>, ResolveError> {
        let bytes = {
            let _permit = self.permits.acquire().await.expect("never closed");
            self.client
                .fetch_core_metadata(file)
                .await
                .map_err(|err| ResolveError::Fetch {
                    filename: format!("{}.metadata", file.filename),
                    err: Box::new(err),
                })?
        };
        debug!(file = %file.filename, "Metadata from the index's metadata file");
        if let Some(sha256) = sha256
            && let Err(err) = write_cache(&self.cache_path(name, &sha256), &bytes)
        {
            warn!(%err, "Could not cache metadata");
        }
        Ok(bytes)
    }

    /// Download the wheel and unzip it into the wheel store; its metadata
    /// is read from the published entry.
    async fn download_wheel(
        &self,
        project: &Project,
        file: &IndexFile,
        wheel: &WheelFilename,
    ) -> Result<Vec<u8>, ResolveError> {
        let store_err = |err| ResolveError::Store {
            filename: file.filename.clone(),
            err: Box::new(err),
        };
        let selected = SelectedWheel {
            filename: wheel.clone(),
            source: WheelSourceLocation::Url {
                url: file.url.clone(),
                index: project.index.clone(),
            },
            hashes: file.hashes.clone(),
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
                    filename: file.filename.clone(),
                    err: Box::new(err),
                })?
        };
        let sha256 = downloaded
            .sha256
            .ok_or_else(|| ResolveError::MissingMetadata {
                package: wheel.name.clone(),
                version: wheel.version.clone(),
            })?;
        let store = self.store.clone();
        let (wheel, index) = (wheel.clone(), project.index.clone());
        let entry = tokio::task::spawn_blocking(move || {
            store
                .publish(
                    &downloaded.path,
                    &wheel,
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
    /// background, once.
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
            if let Some(version) = likely_version(&project.versions, preferred) {
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
/// if listed, else the newest usable final release, else the newest usable.
fn likely_version(versions: &VersionMap, preferred: Option<&Version>) -> Option<Version> {
    if let Some(preferred) = preferred
        && versions.contains_key(preferred)
    {
        return Some(preferred.clone());
    }
    let usable = |info: &VersionInfo| !info.yanked && info.unusable.is_none();
    versions
        .iter()
        .rev()
        .find(|(version, info)| usable(info) && !version.any_prerelease())
        .or_else(|| versions.iter().rev().find(|(_, info)| usable(info)))
        .map(|(version, _)| version.clone())
}

/// What one version's files amount to while a page is read.
#[derive(Default)]
struct VersionFiles {
    hashes: Vec<String>,
    /// The best wheel: not yanked first, then the best tag.
    best: Option<((bool, TagPriority), IndexFile, WheelFilename)>,
    sdist: bool,
}

/// Group a project page's files by version: the hashes of every file, and
/// the best compatible wheel, which stands for the version.
fn read_project(name: &PackageName, files: Vec<IndexFile>, tags: &Tags, index: &Url) -> Project {
    let mut by_version: BTreeMap<Version, VersionFiles> = BTreeMap::new();
    for file in files {
        if let Ok(wheel) = WheelFilename::from_str(&file.filename) {
            if wheel.name != *name {
                continue;
            }
            let entry = by_version.entry(wheel.version.clone()).or_default();
            entry
                .hashes
                .extend(file.hashes.iter().map(ToString::to_string));
            if let Some(priority) = tags.compatibility(&wheel) {
                let rank = (file.yanked.is_none(), priority);
                if entry.best.as_ref().is_none_or(|(best, ..)| rank > *best) {
                    entry.best = Some((rank, file, wheel));
                }
            }
        } else if let Ok(sdist) = SourceDistFilename::from_str(&file.filename)
            && sdist.name == *name
        {
            let entry = by_version.entry(sdist.version.clone()).or_default();
            entry
                .hashes
                .extend(file.hashes.iter().map(ToString::to_string));
            entry.sdist = true;
        }
    }
    let mut versions = VersionMap::new();
    let mut wheels = BTreeMap::new();
    for (version, mut files) in by_version {
        files.hashes.sort();
        files.hashes.dedup();
        let mut info = VersionInfo {
            hashes: files.hashes,
            ..VersionInfo::default()
        };
        match files.best {
            Some((_, file, wheel)) => {
                info.yanked = file.yanked.is_some();
                info.requires_python = file
                    .requires_python
                    .as_deref()
                    .and_then(|value| VersionSpecifiers::from_str(value).ok());
                wheels.insert(version.clone(), (file, wheel));
            }
            None if files.sdist => {
                info.unusable = Some(
                    "it has only a source distribution, and puffin cannot build one yet"
                        .to_string(),
                );
            }
            None => info.unusable = Some("it has no wheel for this platform".to_string()),
        }
        versions.insert(version, info);
    }
    Project {
        versions: Arc::new(versions),
        wheels,
        index: index.clone(),
    }
}

fn sha256_of(file: &IndexFile) -> Option<HashDigest> {
    file.hashes
        .iter()
        .find(|hash| hash.algorithm() == HashAlgorithm::Sha256)
        .cloned()
}

/// Parse metadata and check that it is the wheel's.
fn parse_metadata(bytes: &[u8], wheel: &WheelFilename) -> Result<Metadata, ResolveError> {
    let metadata = Metadata::parse(bytes).map_err(|err| ResolveError::Metadata {
        filename: wheel.to_string(),
        err: Box::new(err),
    })?;
    if metadata.name != wheel.name || metadata.version != wheel.version {
        return Err(ResolveError::MetadataMismatch {
            filename: wheel.to_string(),
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

/// Write a cache file whole: a temporary file in its directory, renamed.
fn write_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("a cache file has a directory");
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}
