use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use distribution_filename::PackageName;
use fs_err as fs;
use futures::StreamExt;
use pep440_rs::{Version, VersionSpecifiers};
use platform_tags::Tags;
use puffin_cache::Cache;
use puffin_package::HashDigest;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use tokio::io::AsyncWriteExt;
use tracing::{debug, instrument, warn};
use url::Url;

use crate::auth::{CredentialStore, redact};
use crate::hashes::{self, Computed, Hasher};
use crate::http::{self, HttpClients, RetryPolicy};
use crate::http_cache::{self, CachedEntry, CachedPage, Refresh};
use crate::keyring::{self, Keyring};
use crate::select::{self, CandidateGroup, CandidateLocation, Candidates};
use crate::simple::{self, IndexFile};
use crate::streamed;
use crate::{
    ClientError, DistLocation, FileHashes, FlatIndexLocation, FormatPolicy, IndexLocations,
    ProjectFile, Reporter, SelectedDist, SelectedSource, SelectedWheel,
};

/// How many downloads the caller should run at once (e.g. with
/// `futures::stream::buffer_unordered`): enough to hide latency, few enough
/// not to be throttled by a server. Each one holds a parsed project page,
/// which for projects with thousands of releases is megabytes: on the
/// jupyter-pandas set, 50 at once peaked at 175 MiB and 16 at 98 MiB, with no
/// slower download.
pub const DEFAULT_CONCURRENT_DOWNLOADS: usize = 16;

/// The buffer of a download's file writes.
const WRITE_BUFFER: usize = 256 * 1024;

/// A wheel file on disk, from [`RegistryClient::fetch_wheel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedWheel {
    /// The file: in the destination directory, or a local find-links wheel
    /// where it is.
    pub path: PathBuf,
    /// Its SHA-256, when it was computed (always for a download; for a
    /// local wheel only when hashes were checked).
    pub sha256: Option<HashDigest>,
}

/// A downloaded (or local) file, from [`RegistryClient::fetch_source`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedFile {
    /// The file: in the destination directory, or a local find-links file
    /// where it is.
    pub path: PathBuf,
    /// Its SHA-256, always computed.
    pub sha256: HashDigest,
}

/// What a fetch needs to know of a selected wheel or source distribution.
struct FileToFetch<'a> {
    /// The file name, e.g. `foo-1.0.tar.gz`.
    filename: String,
    /// The index's hashes.
    hashes: &'a [HashDigest],
}

/// Reads an environment variable.
type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// Builds a [`RegistryClient`].
///
/// ```no_run
/// # use puffin_cache::Cache;
/// # use puffin_client::{IndexLocations, RegistryClientBuilder};
/// # fn f(locations: IndexLocations) -> Result<(), puffin_client::ClientError> {
/// let client = RegistryClientBuilder::new(Cache::from_path("/tmp/cache"))
///     .index_locations(locations)
///     .offline(false)
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct RegistryClientBuilder {
    cache: Cache,
    locations: IndexLocations,
    offline: bool,
    refresh: Refresh,
    retry: RetryPolicy,
    extra_cert_files: Vec<PathBuf>,
    reporter: Option<Arc<dyn Reporter>>,
    env: EnvLookup,
}

impl RegistryClientBuilder {
    /// A builder with no index, no find-links, online, 3 retries.
    pub fn new(cache: Cache) -> Self {
        Self {
            cache,
            locations: IndexLocations::find_links_only(Vec::new()),
            offline: false,
            refresh: Refresh::None,
            retry: RetryPolicy {
                retries: 3,
                base: Duration::from_millis(250),
            },
            extra_cert_files: Vec::new(),
            reporter: None,
            env: Box::new(|key| std::env::var(key).ok()),
        }
    }

    /// Where to look for distributions.
    pub fn index_locations(mut self, locations: IndexLocations) -> Self {
        self.locations = locations;
        self
    }

    /// `--offline`: use only cached index pages and local find-links directories.
    pub fn offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    /// Which cached index pages to revalidate before use, however fresh
    /// (ignored offline).
    pub fn refresh(mut self, refresh: Refresh) -> Self {
        self.refresh = refresh;
        self
    }

    /// How many times to repeat a request after a connection error, a
    /// timeout, or HTTP 5xx/429 (default 3), and the first wait (doubled each
    /// time, default 250 ms).
    pub fn retries(mut self, retries: u32, first_backoff: Duration) -> Self {
        self.retry = RetryPolicy {
            retries,
            base: first_backoff,
        };
        self
    }

    /// PEM files of CA certificates to trust in addition to the system store,
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` and the index locations'
    /// [`crate::NetworkSettings::certs`].
    pub fn extra_root_certificates(mut self, files: Vec<PathBuf>) -> Self {
        self.extra_cert_files = files;
        self
    }

    /// Receive download progress.
    pub fn reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// Read `PUFFIN_HTTP_TIMEOUT`, `PUFFIN_MAX_INDEX_PAGE_SIZE`, `SSL_CERT_FILE`, `SSL_CERT_DIR`, `NETRC`,
    /// `HOME` and `PATH` (where the `keyring` command is looked up) from
    /// `env` instead of the process environment (for tests). Proxies are
    /// always read from the process environment, by reqwest.
    pub fn env(mut self, env: impl Fn(&str) -> Option<String> + 'static) -> Self {
        self.env = Box::new(env);
        self
    }

    /// Build the client: the HTTP clients with their TLS roots, client
    /// certificate and trusted hosts (from [`IndexLocations::network`]), and
    /// the credentials of the index URLs (removed from the URLs, kept per host).
    pub fn build(mut self) -> Result<RegistryClient, ClientError> {
        let credentials = CredentialStore::new(&*self.env);
        if let Some(url) = &mut self.locations.index_url {
            credentials.take_from_url(url);
        }
        for url in &mut self.locations.extra_index_urls {
            credentials.take_from_url(url);
        }
        for link in &mut self.locations.find_links {
            if let FlatIndexLocation::Url(url) = link {
                credentials.take_from_url(url);
            }
        }
        let network = &self.locations.network;
        let http = http::build_clients(&*self.env, &self.extra_cert_files, network)?;
        let keyring = Keyring::new(network.keyring_provider, &*self.env).map(Arc::new);
        let flat = self
            .locations
            .find_links
            .iter()
            .map(|_| tokio::sync::OnceCell::new())
            .collect();
        Ok(RegistryClient {
            flat,
            max_page_size: http::max_page_size(&*self.env),
            http,
            keyring,
            insecure_warned: Arc::default(),
            cache: self.cache,
            locations: self.locations,
            offline: self.offline,
            refresh: self.refresh,
            retry: self.retry,
            credentials,
            reporter: self.reporter,
        })
    }
}

/// Finds wheels on indexes and find-links locations, and downloads them.
/// Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct RegistryClient {
    http: HttpClients,
    /// The `keyring` command, with `--keyring-provider subprocess`.
    keyring: Option<Arc<Keyring>>,
    /// The hosts already warned about for plain `http`.
    insecure_warned: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    cache: Cache,
    locations: IndexLocations,
    offline: bool,
    refresh: Refresh,
    retry: RetryPolicy,
    credentials: CredentialStore,
    reporter: Option<Arc<dyn Reporter>>,
    /// The largest index page read, decompressed, in bytes.
    max_page_size: u64,
    /// Each find-links location's files by project, read once per client
    /// (one entry per `locations.find_links`, in order).
    flat: Arc<[tokio::sync::OnceCell<FlatListing>]>,
}

/// The files of one find-links location (a directory or a page), by project.
#[derive(Debug)]
struct FlatListing {
    location: CandidateLocation,
    files: std::collections::HashMap<PackageName, Vec<IndexFile>>,
    /// Offline, and the page is not in the cache.
    not_cached: bool,
}

impl FlatListing {
    fn new(location: CandidateLocation, files: Vec<IndexFile>, not_cached: bool) -> Self {
        let mut by_project: std::collections::HashMap<PackageName, Vec<IndexFile>> =
            std::collections::HashMap::new();
        for file in files {
            if let Some(name) = file_project_name(&file.filename) {
                by_project.entry(name).or_default().push(file);
            }
        }
        Self {
            location,
            files: by_project,
            not_cached,
        }
    }
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("locations", &self.locations.to_string())
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

/// The outcome of fetching a page.
enum Page {
    Found(Vec<IndexFile>),
    /// HTTP 404 or 410.
    NotFound,
    /// Offline and not in the cache.
    NotCached,
}

impl RegistryClient {
    /// Where this client looks (credentials removed from the URLs).
    pub fn index_locations(&self) -> &IndexLocations {
        &self.locations
    }

    /// The cache this client stores index pages in.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Whether the network is disabled.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// The files of `package` on the index at `index` (its project page
    /// `<index>/<normalized name>/`), or `None` if the index does not have
    /// the project. In offline mode, a page that is not cached is `None`.
    pub async fn project_page(
        &self,
        index: &Url,
        package: &PackageName,
    ) -> Result<Option<Vec<IndexFile>>, ClientError> {
        let url = project_url(index, package);
        let refresh = self.refresh.applies_to(package);
        match self
            .fetch_page(&url, &self.cache.simple_entry(index, package), refresh)
            .await?
        {
            Page::Found(files) => Ok(Some(files)),
            Page::NotFound | Page::NotCached => Ok(None),
        }
    }

    /// The core metadata file that the index publishes beside `file` at
    /// `<url>.metadata` (PEP 658 / PEP 714; see [`IndexFile::core_metadata`]),
    /// checked against [`IndexFile::core_metadata_hashes`] when the index
    /// gives them (a mismatch is [`ClientError::HashMismatch`] naming the
    /// `.metadata` file).
    pub async fn fetch_core_metadata(&self, file: &IndexFile) -> Result<Vec<u8>, ClientError> {
        let mut url = file.url.clone();
        url.set_path(&format!("{}.metadata", file.url.path()));
        if self.offline {
            return Err(ClientError::OfflineDownload {
                filename: format!("{}.metadata", file.filename),
                url: redact(&url),
            });
        }
        let response = self.get(&url, HeaderMap::new()).await?;
        if !response.status().is_success() {
            return Err(ClientError::Status {
                url: redact(&url),
                status: response.status().as_u16(),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|err| ClientError::Download {
                url: redact(&url),
                err: err.without_url(),
            })?;
        let expected = file.core_metadata_hashes.to_vec();
        if !expected.is_empty() {
            let mut hasher = Hasher::for_expected(&expected);
            hasher.update(&body);
            hashes::check(
                &format!("{}.metadata", file.filename),
                &redact(&url),
                &hasher.finish(),
                &expected,
                &[],
            )?;
        }
        Ok(body.to_vec())
    }

    /// Choose the wheel for a requirement: the newest version `specifiers`
    /// allow (usually an exact `==` pin) that has a wheel compatible with
    /// `tags` and whose `Requires-Python` admits `python_version`; among that
    /// version's wheels, the best tag, then the highest build tag.
    ///
    /// This is [`Self::select_dist`] for a caller that cannot build: source
    /// distributions are never chosen, and a version that has only one is
    /// explained as such.
    #[instrument(skip_all, fields(package = %package, specifiers = %specifiers))]
    pub async fn select_wheel(
        &self,
        package: &PackageName,
        specifiers: &VersionSpecifiers,
        tags: &Tags,
        python_version: &Version,
    ) -> Result<SelectedWheel, ClientError> {
        let policy = FormatPolicy::wheels_required();
        let candidates = self.candidates(package).await?;
        match select::select(
            package,
            specifiers,
            tags,
            python_version,
            &policy,
            &candidates,
        )? {
            SelectedDist::Wheel(wheel) => {
                debug!(wheel = %wheel.filename, "Selected");
                Ok(wheel)
            }
            SelectedDist::Source(_) => unreachable!("the policy forbids sources"),
        }
    }

    /// Choose the file for a requirement as pip does: the newest version
    /// `specifiers` allow that has a usable file, a wheel compatible with
    /// `tags` if `policy` allows wheels of the project, else a source
    /// distribution (`.tar.gz`, then `.zip`) if it allows sources; files whose
    /// `Requires-Python` excludes `python_version` are skipped, and so are
    /// yanked files unless `specifiers` is an exact `==` pin (PEP 592).
    /// Within a version a compatible wheel beats the source distribution, but
    /// a newer version with only a source distribution beats an older one with
    /// a wheel.
    ///
    /// The project's files come from the first index that has the project
    /// (extra indexes first, see [`IndexLocations::indexes`]), merged with
    /// every find-links location. If nothing fits, the error lists what exists
    /// and why none fits, naming the option that forbids a kind of file.
    #[instrument(skip_all, fields(package = %package, specifiers = %specifiers))]
    pub async fn select_dist(
        &self,
        package: &PackageName,
        specifiers: &VersionSpecifiers,
        tags: &Tags,
        python_version: &Version,
        policy: &FormatPolicy,
    ) -> Result<SelectedDist, ClientError> {
        let candidates = self.candidates(package).await?;
        let selected = select::select(
            package,
            specifiers,
            tags,
            python_version,
            policy,
            &candidates,
        )?;
        debug!(file = %selected.filename(), "Selected");
        Ok(selected)
    }

    /// Download `wheel` into `dest_dir` (best inside the cache, for an atomic
    /// rename later), streaming it to disk while hashing it, and return the
    /// file's path. The index's hash and `required_hashes` (the requirement's
    /// `--hash` values, one of which must match) are checked; on a mismatch
    /// nothing is left in `dest_dir`. A wheel in a local find-links directory
    /// is not copied: its own path is returned, after the hash check.
    #[instrument(skip_all, fields(wheel = %wheel.filename))]
    pub async fn download_wheel(
        &self,
        wheel: &SelectedWheel,
        dest_dir: &Path,
        required_hashes: &[HashDigest],
    ) -> Result<PathBuf, ClientError> {
        self.fetch_wheel(wheel, dest_dir, required_hashes)
            .await
            .map(|downloaded| downloaded.path)
    }

    /// [`Self::download_wheel`], also returning the SHA-256 computed while the
    /// file streamed to disk (or while a local wheel was checked), so that the
    /// caller does not read the file again to record it.
    pub async fn fetch_wheel(
        &self,
        wheel: &SelectedWheel,
        dest_dir: &Path,
        required_hashes: &[HashDigest],
    ) -> Result<DownloadedWheel, ClientError> {
        let file = FileToFetch {
            filename: wheel.filename.to_string(),
            hashes: &wheel.hashes,
        };
        match &wheel.source {
            DistLocation::Path(path) => {
                let sha256 = if required_hashes.is_empty() && wheel.hashes.is_empty() {
                    None
                } else {
                    Some(hash_local(&file, path, required_hashes).await?)
                };
                Ok(DownloadedWheel {
                    path: path.clone(),
                    sha256,
                })
            }
            DistLocation::Url { url, .. } => {
                let downloaded = self.download(&file, url, dest_dir, required_hashes).await?;
                Ok(DownloadedWheel {
                    path: downloaded.path,
                    sha256: Some(downloaded.sha256),
                })
            }
        }
    }

    /// Fetch a source distribution as [`Self::fetch_wheel`] fetches a wheel:
    /// streamed into `dest_dir` while hashed (with the same retries,
    /// credentials and `--offline` refusal), the index's hash and
    /// `required_hashes` checked. A source distribution in a local find-links
    /// directory is not copied: its own path is returned. Its SHA-256 is
    /// always computed, for the caller's build cache.
    #[instrument(skip_all, fields(sdist = %source.filename))]
    pub async fn fetch_source(
        &self,
        source: &SelectedSource,
        dest_dir: &Path,
        required_hashes: &[HashDigest],
    ) -> Result<DownloadedFile, ClientError> {
        let file = FileToFetch {
            filename: source.filename.to_string(),
            hashes: &source.hashes,
        };
        match &source.source {
            DistLocation::Path(path) => Ok(DownloadedFile {
                path: path.clone(),
                sha256: hash_local(&file, path, required_hashes).await?,
            }),
            DistLocation::Url { url, .. } => {
                self.download(&file, url, dest_dir, required_hashes).await
            }
        }
    }

    /// Download a file into `dest_dir`, repeating a download that broke off.
    async fn download(
        &self,
        file: &FileToFetch<'_>,
        url: &Url,
        dest_dir: &Path,
        required_hashes: &[HashDigest],
    ) -> Result<DownloadedFile, ClientError> {
        if self.offline {
            return Err(ClientError::OfflineDownload {
                filename: file.filename.clone(),
                url: redact(url),
            });
        }
        let mut attempt = 0;
        loop {
            match self
                .download_once(file, url, dest_dir, required_hashes)
                .await
            {
                Err(ClientError::Download { err, .. })
                    if attempt < self.retry.retries && RetryPolicy::is_retryable_error(&err) =>
                {
                    debug!(%err, attempt, "Download broke off, retrying");
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One download: the body streamed into a temporary file of `dest_dir`
    /// while hashed, checked, then renamed to its file name.
    async fn download_once(
        &self,
        file: &FileToFetch<'_>,
        url: &Url,
        dest_dir: &Path,
        required_hashes: &[HashDigest],
    ) -> Result<DownloadedFile, ClientError> {
        let filename = &file.filename;
        let response = self.get(url, HeaderMap::new()).await?;
        if !response.status().is_success() {
            return Err(ClientError::Status {
                url: redact(url),
                status: response.status().as_u16(),
            });
        }
        let progress = self.reporter.as_ref().map(|reporter| {
            let id = reporter.on_download_start(filename, response.content_length());
            ProgressGuard {
                reporter: reporter.clone(),
                id,
            }
        });
        fs::create_dir_all(dest_dir)?;
        let dest = dest_dir.join(filename);
        let temp = tempfile::Builder::new()
            .prefix(".tmp")
            .tempfile_in(dest_dir)
            .map_err(|err| ClientError::Write {
                path: dest.clone(),
                err,
            })?;
        let hasher = Hasher::for_expected(file.hashes.iter().chain(required_hashes));
        let (computed, temp_path) =
            write_body(response, url, temp, &dest, hasher, progress.as_ref()).await?;
        hashes::check(
            filename,
            &redact(url),
            &computed,
            file.hashes,
            required_hashes,
        )?;
        temp_path.persist(&dest).map_err(|err| ClientError::Write {
            path: dest.clone(),
            err: err.error,
        })?;
        debug!(path = %dest.display(), "Downloaded");
        Ok(DownloadedFile {
            path: dest,
            sha256: computed.sha256,
        })
    }

    /// Every file of `package`: from the first index that has it, and from
    /// every find-links location; with where they were looked for.
    async fn candidates(&self, package: &PackageName) -> Result<Candidates, ClientError> {
        let (candidates, not_cached) = self.gather(package).await?;
        let has_project = candidates.iter().any(|(_, file)| {
            file_project_name(&file.filename).is_some_and(|name| &name == package)
        });
        if !has_project {
            if self.offline && not_cached {
                return Err(ClientError::Offline {
                    package: package.clone(),
                });
            }
            return Err(ClientError::PackageNotFound {
                package: package.clone(),
                searched: candidates.searched(),
            });
        }
        Ok(candidates)
    }

    /// The files of `package` that [`Self::select_dist`] chooses among: from
    /// the first index that has the project (extra indexes first), and from
    /// every find-links location (directories and pages), each with where it
    /// is. Empty when no location has the project.
    ///
    /// # Errors
    ///
    /// When a page cannot be read, or offline (`ClientError::Offline`) when
    /// a page is not cached and no local file is the project's.
    pub async fn project_files(
        &self,
        package: &PackageName,
    ) -> Result<Vec<ProjectFile>, ClientError> {
        let (candidates, not_cached) = self.gather(package).await?;
        let files: Vec<ProjectFile> = candidates
            .groups
            .into_iter()
            .flat_map(|group| {
                let location = group.location;
                group
                    .files
                    .into_iter()
                    .filter(|file| {
                        file_project_name(&file.filename).is_some_and(|name| &name == package)
                    })
                    .map(move |file| ProjectFile {
                        location: location.of(&file),
                        file,
                    })
            })
            .collect();
        if files.is_empty() && self.offline && not_cached {
            return Err(ClientError::Offline {
                package: package.clone(),
            });
        }
        Ok(files)
    }

    /// The files of every location, and whether a page was missing from the
    /// cache while offline.
    async fn gather(&self, package: &PackageName) -> Result<(Candidates, bool), ClientError> {
        let mut candidates = Candidates::default();
        let refresh = self.refresh.applies_to(package);
        let mut not_cached = self
            .index_candidates(package, refresh, &mut candidates)
            .await?;
        not_cached |= self.find_links_candidates(package, &mut candidates).await?;
        Ok((candidates, not_cached))
    }

    /// Add the files of the first index that has `package`; returns whether
    /// a page was missing from the cache while offline.
    async fn index_candidates(
        &self,
        package: &PackageName,
        refresh: bool,
        candidates: &mut Candidates,
    ) -> Result<bool, ClientError> {
        let mut not_cached = false;
        for index in self.locations.indexes() {
            let url = project_url(index, package);
            let page = self
                .fetch_page(&url, &self.cache.simple_entry(index, package), refresh)
                .await?;
            if matches!(page, Page::NotCached) {
                not_cached = true;
                continue;
            }
            // Listed even if none of its files turns out to be the project's.
            candidates
                .searched
                .push(format!("the index `{}`", redact(index)));
            if let Page::Found(files) = page {
                debug!(index = %redact(index), files = files.len(), "Found the project");
                candidates.groups.push(CandidateGroup {
                    location: CandidateLocation::Listed(index.clone()),
                    files,
                });
                break;
            }
        }
        Ok(not_cached)
    }

    /// Add `package`'s files of every find-links location; returns whether
    /// a page was missing from the cache while offline. Each location is
    /// read once per client (a directory listed, a page fetched), however
    /// many packages are looked up in it; any `--refresh` revalidates the
    /// pages on that first read.
    async fn find_links_candidates(
        &self,
        package: &PackageName,
        candidates: &mut Candidates,
    ) -> Result<bool, ClientError> {
        let mut not_cached = false;
        for (link, listing) in self.locations.find_links.iter().zip(self.flat.iter()) {
            let listing = listing.get_or_try_init(|| self.read_flat(link)).await?;
            if let Some(files) = listing.files.get(package) {
                candidates.groups.push(CandidateGroup {
                    location: listing.location.clone(),
                    files: files.clone(),
                });
            }
            not_cached |= listing.not_cached;
            candidates.searched.push(match link {
                FlatIndexLocation::Path(dir) => format!("`{}`", dir.display()),
                FlatIndexLocation::Url(page) => format!("`{}`", redact(page)),
            });
        }
        Ok(not_cached)
    }

    /// Read one find-links location: list a directory, or fetch a page.
    async fn read_flat(&self, link: &FlatIndexLocation) -> Result<FlatListing, ClientError> {
        let page = match link {
            FlatIndexLocation::Path(dir) => {
                return Ok(FlatListing::new(
                    CandidateLocation::Directory,
                    find_links_dir(dir)?,
                    false,
                ));
            }
            FlatIndexLocation::Url(page) => page,
        };
        let refresh = !matches!(self.refresh, Refresh::None);
        Ok(
            match self
                .fetch_page(page, &self.cache.flat_index_entry(page), refresh)
                .await?
            {
                Page::Found(files) => {
                    FlatListing::new(CandidateLocation::Listed(page.clone()), files, false)
                }
                Page::NotFound => {
                    FlatListing::new(CandidateLocation::Listed(page.clone()), Vec::new(), false)
                }
                Page::NotCached => {
                    FlatListing::new(CandidateLocation::Listed(page.clone()), Vec::new(), true)
                }
            },
        )
    }

    /// Fetch a page through the HTTP cache; with `refresh`, a fresh cached
    /// page is revalidated all the same. A cached page's files are read only
    /// when it is used (fresh, offline, or after a `304`).
    async fn fetch_page(
        &self,
        url: &Url,
        cache_path: &Path,
        refresh: bool,
    ) -> Result<Page, ClientError> {
        let mut cached = CachedEntry::open(cache_path);
        if self.offline {
            return Ok(match cached {
                Some(entry) => read_cached(entry)
                    .await
                    .map_or(Page::NotCached, Page::Found),
                None => Page::NotCached,
            });
        }
        if let Some(entry) = cached.take_if(|entry| entry.page.is_fresh() && !refresh) {
            debug!(url = %redact(url), "Fresh in the cache");
            if let Some(files) = read_cached(entry).await {
                return Ok(Page::Found(files));
            }
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(simple::ACCEPT));
        if let Some(entry) = &cached {
            let page = &entry.page;
            if let Some(etag) = page
                .etag
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(IF_NONE_MATCH, etag);
            }
            if let Some(date) = page
                .last_modified
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                headers.insert(IF_MODIFIED_SINCE, date);
            }
        }
        let mut attempt = 0;
        loop {
            match self
                .fetch_page_once(url, headers.clone(), &mut cached, cache_path)
                .await
            {
                Err(ClientError::Request { err, .. })
                    if attempt < self.retry.retries && RetryPolicy::is_retryable_error(&err) =>
                {
                    debug!(url = %redact(url), %err, attempt, "Index page broke off, retrying");
                    tokio::time::sleep(self.retry.backoff(attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One request for a page (the GET itself retries connection errors and
    /// 5xx answers), its body parsed as it arrives, up to
    /// [`Self::max_page_size`] bytes, and cached. A `304` uses (and takes)
    /// the `cached` entry.
    async fn fetch_page_once(
        &self,
        url: &Url,
        headers: HeaderMap,
        cached: &mut Option<CachedEntry>,
        cache_path: &Path,
    ) -> Result<Page, ClientError> {
        let response = self.get(url, headers).await?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED
            && let Some(entry) = cached.take()
        {
            debug!(url = %redact(url), "Not modified");
            let headers = response.headers().clone();
            let path = cache_path.to_path_buf();
            let entry = blocking(move || entry.revalidated(&headers, &path)).await?;
            if let Some(files) = read_cached(entry).await {
                return Ok(Page::Found(files));
            }
            // The cached files could not be read: fetch the page unconditionally.
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_static(simple::ACCEPT));
            return Box::pin(self.fetch_page_once(url, headers, &mut None, cache_path)).await;
        }
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            return Ok(Page::NotFound);
        }
        if !status.is_success() {
            return Err(ClientError::Status {
                url: redact(url),
                status: status.as_u16(),
            });
        }
        let files = self.parse_and_cache(response, url, cache_path).await?;
        Ok(Page::Found(files))
    }

    /// Parse a page's body as it arrives (JSON or HTML, by its content
    /// type), then cache the files unless the response says `no-store`.
    async fn parse_and_cache(
        &self,
        response: reqwest::Response,
        url: &Url,
        cache_path: &Path,
    ) -> Result<Vec<IndexFile>, ClientError> {
        let base = response.url().clone();
        let headers = response.headers().clone();
        let is_json = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with(simple::JSON_CONTENT_TYPE));
        let parsed = streamed::parse_body(response, url, self.max_page_size, move |reader| {
            if is_json {
                simple::parse_json(reader, &base)
            } else {
                Ok(simple::parse_html(reader, &base))
            }
        })
        .await?;
        let files = parsed.map_err(|err| ClientError::ParsePage {
            url: redact(url),
            err: Box::new(err),
        })?;
        if http_cache::freshness(&headers).no_store {
            return Ok(files);
        }
        let path = cache_path.to_path_buf();
        blocking(move || {
            let page = CachedPage::new(&headers, files.len());
            if let Err(err) = page.write(&files, &path) {
                debug!(path = %path.display(), %err, "Failed to cache an index page");
            }
            files
        })
        .await
    }

    /// A GET with credentials and retries. After a 401, when the password
    /// for the URL is not known, the keyring is asked (if enabled) and the
    /// request repeated with what it has, as pip's `handle_401` does.
    pub(crate) async fn get(
        &self,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<reqwest::Response, ClientError> {
        self.warn_if_insecure(url);
        let response = self.send(url, &headers).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(keyring) = &self.keyring else {
            return Ok(response);
        };
        let known = self.credentials.for_url(url);
        if known.as_ref().is_some_and(|c| c.password.is_some()) {
            return Ok(response);
        }
        let index = keyring::index_for(url, self.locations.indexes());
        let username = known.as_ref().map(|c| c.username.as_str());
        let Some(found) = keyring.credentials(url, index, username).await else {
            return Ok(response);
        };
        drop(response);
        self.credentials.remember(url, found);
        let response = self.send(url, &headers).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            warn!(url = %redact(url), "401: the keyring's credentials were refused");
        }
        Ok(response)
    }

    /// Warn once per host about a page or file fetched over plain `http`
    /// from a host that is neither local nor trusted (pip refuses such
    /// indexes; puffin uses them, but says so).
    fn warn_if_insecure(&self, url: &Url) {
        if self.locations.network.is_secure(url) {
            return;
        }
        let host = url.host_str().unwrap_or_default().to_string();
        let first = self
            .insecure_warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(host.clone());
        if first {
            warn!(
                url = %redact(url),
                "Fetching over plain http, which anyone on the network can read and change: use https, or mark the host as trusted with `--trusted-host {host}`"
            );
        }
    }

    /// One GET, with the known credentials, repeated on connection errors,
    /// timeouts and 5xx/429 answers.
    async fn send(&self, url: &Url, headers: &HeaderMap) -> Result<reqwest::Response, ClientError> {
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .for_url(url)
                .get(url.clone())
                .headers(headers.clone());
            if let Some(credentials) = self.credentials.for_url(url) {
                request = request.basic_auth(credentials.username, credentials.password);
            }
            match request.send().await {
                Ok(response)
                    if attempt < self.retry.retries
                        && RetryPolicy::is_retryable_status(response.status()) =>
                {
                    debug!(url = %redact(url), status = %response.status(), attempt, "Retrying");
                }
                Ok(response) => return Ok(response),
                Err(err)
                    if attempt < self.retry.retries && RetryPolicy::is_retryable_error(&err) =>
                {
                    debug!(url = %redact(url), err = %err.without_url(), attempt, "Retrying");
                }
                Err(err) if crate::error::is_certificate_error(&err) => {
                    return Err(ClientError::UntrustedCertificate {
                        url: redact(url),
                        err: err.without_url(),
                    });
                }
                Err(err) => {
                    return Err(ClientError::Request {
                        url: redact(url),
                        err: err.without_url(),
                    });
                }
            }
            tokio::time::sleep(self.retry.backoff(attempt)).await;
            attempt += 1;
        }
    }
}

/// Calls `on_download_complete` however the download ends.
struct ProgressGuard {
    reporter: Arc<dyn Reporter>,
    id: usize,
}

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        self.reporter.on_download_complete(self.id);
    }
}

/// `<index>/<normalized name>/`.
fn project_url(index: &Url, package: &PackageName) -> Url {
    let mut url = index.clone();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    // A normalized name is `[a-z0-9-]+`: joining it cannot escape the index.
    url.join(&format!("{package}/")).unwrap_or(url)
}

/// Run `work` (file I/O, parsing) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ClientError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ClientError::Io(std::io::Error::other(err)))
}

/// The files of a cached page, read off the async threads; `None` when the
/// file is damaged.
async fn read_cached(entry: CachedEntry) -> Option<Vec<IndexFile>> {
    blocking(move || entry.files()).await.ok().flatten()
}

/// The project name of a wheel or source distribution filename.
fn file_project_name(filename: &str) -> Option<PackageName> {
    use std::str::FromStr;
    if let Ok(wheel) = distribution_filename::WheelFilename::from_str(filename) {
        return Some(wheel.name);
    }
    distribution_filename::SourceDistFilename::from_str(filename)
        .ok()
        .map(|sdist| sdist.name)
}

/// The wheels and source distributions in a find-links directory (a missing
/// directory has none).
fn find_links_dir(dir: &Path) -> Result<Vec<IndexFile>, ClientError> {
    if !dir.is_dir() {
        debug!(dir = %dir.display(), "Find-links directory does not exist");
        return Ok(Vec::new());
    }
    let dir = std::path::absolute(dir)?;
    let mut candidates = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let entry = entry?;
        let Ok(filename) = entry.file_name().into_string() else {
            continue;
        };
        if file_project_name(&filename).is_none() {
            continue;
        }
        let path = entry.path();
        let Ok(url) = Url::from_file_path(&path) else {
            continue;
        };
        candidates.push(IndexFile {
            filename: filename.into(),
            url,
            hashes: FileHashes::default(),
            requires_python: None,
            yanked: None,
            core_metadata: false,
            core_metadata_hashes: FileHashes::default(),
        });
    }
    Ok(candidates)
}

/// Stream a response body into `temp` while hashing it; returns the digests
/// and the temporary file, closed and not yet renamed to `dest`.
async fn write_body(
    response: reqwest::Response,
    url: &Url,
    temp: tempfile::NamedTempFile,
    dest: &Path,
    mut hasher: Hasher,
    progress: Option<&ProgressGuard>,
) -> Result<(Computed, tempfile::TempPath), ClientError> {
    let write_err = |err| ClientError::Write {
        path: dest.to_path_buf(),
        err,
    };
    let (file, temp_path) = temp.into_parts();
    let mut writer =
        tokio::io::BufWriter::with_capacity(WRITE_BUFFER, tokio::fs::File::from_std(file));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| ClientError::Download {
            url: redact(url),
            err: err.without_url(),
        })?;
        hasher.update(&chunk);
        writer.write_all(&chunk).await.map_err(write_err)?;
        if let Some(progress) = progress {
            progress
                .reporter
                .on_download_progress(progress.id, chunk.len() as u64);
        }
    }
    writer.flush().await.map_err(write_err)?;
    drop(writer);
    Ok((hasher.finish(), temp_path))
}

/// Hash a local file (off the async threads) and check it against the
/// index's hashes and `required_hashes`; returns its SHA-256.
async fn hash_local(
    file: &FileToFetch<'_>,
    path: &Path,
    required_hashes: &[HashDigest],
) -> Result<HashDigest, ClientError> {
    let expected: Vec<HashDigest> = file.hashes.iter().chain(required_hashes).cloned().collect();
    let path_owned = path.to_path_buf();
    let computed = tokio::task::spawn_blocking(move || hash_file(&path_owned, &expected))
        .await
        .map_err(|err| ClientError::Io(std::io::Error::other(err)))??;
    hashes::check(
        &file.filename,
        &path.display().to_string(),
        &computed,
        file.hashes,
        required_hashes,
    )?;
    Ok(computed.sha256)
}

/// Hash a local file for the algorithms of `expected`.
fn hash_file(path: &Path, expected: &[HashDigest]) -> Result<Computed, ClientError> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Hasher::for_expected(expected);
    let mut buffer = vec![0; 1024 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_urls() {
        let name = PackageName::new("Foo_Bar").unwrap();
        let index = Url::parse("http://127.0.0.1:1/simple").unwrap();
        assert_eq!(
            project_url(&index, &name).as_str(),
            "http://127.0.0.1:1/simple/foo-bar/"
        );
        let index = Url::parse("http://127.0.0.1:1/simple/").unwrap();
        assert_eq!(
            project_url(&index, &name).as_str(),
            "http://127.0.0.1:1/simple/foo-bar/"
        );
    }
}
