//! Building wheels from source for a sync: git checkouts, the names of
//! projects that do not state them, and wheels, through `puffin-source`
//! (unpacking, git, the built-wheel cache) and `puffin-build` (PEP 517).
//! Build requirements are resolved with `puffin-resolver` and installed
//! into the build environment by a [`Sync`](crate::Sync) of their own.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use distribution_filename::{PackageName, SourceDistFilename};
use pep508_rs::Requirement;
use platform_tags::Tags;
use puffin_build::{BuildContext, BuildKind, Builder, ConfigSettings, InstallFuture, Isolation};
use puffin_cache::{Cache, CacheBucket};
use puffin_client::{
    DistLocation, FormatPolicy, IndexArgs, IndexLocations, RegistryClient, RegistryClientBuilder,
    SelectedSource,
};
use puffin_interpreter::{Interpreter, PythonEnvironment};
use puffin_package::{HashAlgorithm, HashDigest};
use puffin_source::{BuildKey, BuiltWheelCache, GitUrl};
use tracing::debug;
use url::Url;

use crate::{BuildSource, Error, GitSource, SyncOptions, SyncRequirement, SyncRequirements};

/// How sources are built.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Never build: a requirement that needs a build is an error.
    pub no_build: bool,
    /// pip's `--no-binary` values, in order, command line after files.
    pub no_binary: Vec<String>,
    /// pip's `--only-binary` values, in order, command line after files.
    pub only_binary: Vec<String>,
    /// Build in the target environment, installing nothing for the build.
    pub no_build_isolation: bool,
    /// `-C key=value` settings for the build backend.
    pub config_settings: Vec<String>,
    /// Constraints files for the build requirements.
    pub build_constraints: Vec<PathBuf>,
    /// How long one build hook may take.
    pub timeout: Option<std::time::Duration>,
}

/// The builds of one sync: shared by the naming of sources (git checkouts,
/// metadata) and the preparer (wheels). Also the resolver's
/// [`SourceMetadata`](puffin_resolver::SourceMetadata): the metadata of a
/// version that only has a source distribution, prepared by its backend.
pub struct Builds {
    cache: Cache,
    policy: FormatPolicy,
    settings: ConfigSettings,
    client: std::sync::OnceLock<RegistryClient>,
    /// Wheels built (not found in the cache) so far.
    built: std::sync::atomic::AtomicUsize,
    builder: Builder,
    context: SyncBuildContext,
    offline: bool,
    tags: Tags,
}

impl Builds {
    /// The builds of a sync of `environment` through `cache`, with the
    /// options of `sync` and of the requirements files (`files`: their index
    /// and binary options).
    pub fn new(
        environment: &PythonEnvironment,
        cache: &Cache,
        sync: &SyncOptions,
        files: &SyncRequirements,
        tags: Tags,
    ) -> Result<Self, Error> {
        let file_index = &files.index;
        let env = |key: &str| std::env::var(key).ok();
        let locations = IndexLocations::discover(
            &sync.index,
            file_index,
            &env,
            environment.interpreter().pip_default_index.as_deref(),
        )
        .map_err(|err| Error::IndexLocations(Box::new(err)))?;
        let options = sync.build.clone();
        let policy = format_policy(&options, files)?;
        let settings = parse_settings(&options.config_settings)?;
        let isolation = if options.no_build_isolation {
            Isolation::Shared(environment.clone())
        } else {
            Isolation::Isolated
        };
        let build_options = puffin_build::BuildOptions::new(cache.bucket(CacheBucket::Builds))
            .with_isolation(isolation)
            .with_config_settings(settings.clone())
            .with_timeout(options.timeout);
        let context = SyncBuildContext {
            interpreter: environment.interpreter().clone(),
            cache: cache.clone(),
            locations,
            cli_index: sync.index.clone(),
            file_index: file_index.clone(),
            offline: sync.offline,
            constraints: read_constraints(&options.build_constraints)?,
        };
        Ok(Self {
            cache: cache.clone(),
            policy,
            settings,
            client: std::sync::OnceLock::new(),
            built: std::sync::atomic::AtomicUsize::new(0),
            builder: Builder::new(build_options),
            context,
            offline: sync.offline,
            tags,
        })
    }

    /// Fetch a `git+` URL and check out the commit its revision names.
    pub(crate) fn git_checkout(&self, url: &Url, origin: &str) -> Result<GitSource, Error> {
        let git = GitUrl::parse(url.as_str()).map_err(|err| Error::Source {
            origin: origin.to_string(),
            err: Box::new(err.into()),
        })?;
        let checkout =
            puffin_source::fetch(&self.cache.bucket(CacheBucket::Git), &git, self.offline)
                .map_err(|err| Error::Source {
                    origin: origin.to_string(),
                    err: Box::new(err),
                })?;
        Ok(GitSource {
            url: git,
            commit: checkout.commit,
            checkout: checkout.path,
        })
    }

    /// The name of a project that does not state it statically, from the
    /// metadata its build backend prepares.
    pub(crate) fn metadata_name(
        &self,
        source: &BuildSource,
        origin: &str,
    ) -> Result<PackageName, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        runtime.block_on(async {
            let tree = match source {
                BuildSource::Directory { path, .. } => path.clone(),
                BuildSource::Git(git) => git.project_root(),
                BuildSource::Archive { url, .. } => {
                    return Err(Error::NotBuildable {
                        requirement: format!(
                            "{} (a source archive must be named `<name>-<version>.tar.gz` or `.zip`)",
                            puffin_redact::redact_text(url.as_str())
                        ),
                        origin: origin.to_string(),
                    });
                }
            };
            let out = self
                .built_wheels()
                .temp_dir()
                .map_err(|err| Error::Source {
                    origin: origin.to_string(),
                    err: Box::new(err),
                })?;
            let display = display_source(None, source);
            let metadata = self
                .builder
                .metadata(&self.context, &tree, out.path(), &display)
                .await
                .map_err(|err| Error::Build(Box::new(err)))?;
            let parsed = puffin_package::Metadata::parse(&metadata.metadata).map_err(|err| {
                Error::BuiltWheel {
                    path: metadata.dist_info.clone(),
                    origin: origin.to_string(),
                    reason: err.to_string(),
                }
            })?;
            Ok(parsed.name)
        })
    }

    /// How many wheels were built (not found in the cache) so far.
    pub(crate) fn built(&self) -> usize {
        self.built.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Which packages may use wheels, and which may be built.
    pub fn policy(&self) -> &FormatPolicy {
        &self.policy
    }

    /// The built wheel of a source distribution chosen on an index: found
    /// in the built-wheel cache by the digest the index gives (no download),
    /// else downloaded (its hashes checked), unpacked and built.
    pub(crate) async fn build_registry_source(
        &self,
        requirement: &crate::PlannedRequirement,
        source: &SelectedSource,
        required: &[HashDigest],
    ) -> Result<PathBuf, Error> {
        let origin = &requirement.origin;
        let settings = self.settings.digest();
        let cache = self.built_wheels();
        let listed = source.hashes.iter().filter(|hash| {
            hash.algorithm() == HashAlgorithm::Sha256
                && (required.is_empty() || required.contains(hash))
        });
        for sha256 in listed {
            let key = BuildKey::Archive {
                sha256: sha256.digest().to_string(),
            };
            if let Some(wheel) = cache.find(&key, false, &settings, &self.tags) {
                debug!(wheel = %wheel.display(), "Found the wheel built from the index's source distribution");
                return Ok(wheel);
            }
        }
        let display = format!("{} @ {}", requirement.name, source.filename.version);
        let download = self
            .cache
            .temp_dir(CacheBucket::Builds)
            .map_err(Error::Runtime)?;
        let archive = self
            .client()?
            .fetch_source(source, download.path(), required)
            .await
            .map_err(|err| Error::Download {
                filename: source.filename.to_string(),
                origin: origin.clone(),
                err: Box::new(err),
            })?;
        let key = BuildKey::Archive {
            sha256: archive.sha256.digest().to_string(),
        };
        self.build_archive(&archive.path, key, &display, origin)
            .await
    }

    /// Build the archive at `path` (unpacked into a temporary directory)
    /// unless the cache has its wheel; publish it under `key`.
    async fn build_archive(
        &self,
        path: &Path,
        key: BuildKey,
        display: &str,
        origin: &str,
    ) -> Result<PathBuf, Error> {
        let settings = self.settings.digest();
        let cache = self.built_wheels();
        if let Some(wheel) = cache.find(&key, false, &settings, &self.tags) {
            return Ok(wheel);
        }
        let tree = self.unpack(path, origin).await?;
        let out = cache.temp_dir().map_err(|err| source_error(err, origin))?;
        let wheel = self
            .builder
            .build(
                &self.context,
                tree.path(),
                BuildKind::Wheel,
                out.path(),
                display,
            )
            .await
            .map_err(|err| Error::Build(Box::new(err)))?;
        self.built
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        cache
            .publish(&key, false, &settings, &wheel)
            .map_err(|err| source_error(err, origin))
    }

    /// The client for downloading source archives, built on first use.
    fn client(&self) -> Result<&RegistryClient, Error> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = RegistryClientBuilder::new(self.cache.clone())
            .index_locations(self.context.locations.clone())
            .offline(self.offline)
            .build()
            .map_err(|err| Error::Client(Box::new(err)))?;
        let _ = self.client.set(client);
        Ok(self.client.get().expect("set just above"))
    }

    fn built_wheels(&self) -> BuiltWheelCache {
        BuiltWheelCache::new(self.cache.bucket(CacheBucket::BuiltWheels))
    }

    /// The built wheel of a source: found in the built-wheel cache (keyed by
    /// the archive's hash, the tree's fingerprint or the commit, plus the
    /// config settings), else built and published there.
    pub(crate) async fn build_wheel(
        &self,
        name: &PackageName,
        source: &BuildSource,
        required: &[HashDigest],
        origin: &str,
    ) -> Result<PathBuf, Error> {
        if !self.policy.allows_source(name) {
            return Err(Error::NoBuild {
                requirement: display_source(Some(name), source),
                origin: origin.to_string(),
            });
        }
        let display = display_source(Some(name), source);
        let (tree, key) = match source {
            BuildSource::Archive { url, filename } => {
                let download = self
                    .cache
                    .temp_dir(CacheBucket::Builds)
                    .map_err(Error::Runtime)?;
                let archive = self
                    .archive_file(url, filename.as_ref(), download.path(), required, origin)
                    .await?;
                let key = BuildKey::Archive {
                    sha256: archive.sha256.digest().to_string(),
                };
                return self
                    .build_archive(&archive.path, key, &display, origin)
                    .await;
            }
            BuildSource::Directory { path, .. } => (
                path.clone(),
                BuildKey::local(path).map_err(|err| source_error(err, origin))?,
            ),
            BuildSource::Git(git) => (git.project_root(), git_key(git)),
        };
        let editable = source.is_editable();
        let settings = self.settings.digest();
        let cache = self.built_wheels();
        if let Some(wheel) = cache.find(&key, editable, &settings, &self.tags) {
            debug!(wheel = %wheel.display(), "Found a built wheel");
            return Ok(wheel);
        }
        let out = cache.temp_dir().map_err(|err| source_error(err, origin))?;
        let kind = if editable {
            BuildKind::Editable
        } else {
            BuildKind::Wheel
        };
        let wheel = self
            .builder
            .build(&self.context, &tree, kind, out.path(), &display)
            .await
            .map_err(|err| Error::Build(Box::new(err)))?;
        self.built
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        cache
            .publish(&key, editable, &settings, &wheel)
            .map_err(|err| source_error(err, origin))
    }

    /// A source archive on the local disk, hashed (and checked against
    /// `required`), or downloaded into `dir`.
    async fn archive_file(
        &self,
        url: &Url,
        filename: Option<&SourceDistFilename>,
        dir: &Path,
        required: &[HashDigest],
        origin: &str,
    ) -> Result<puffin_client::DownloadedFile, Error> {
        let location = match url.to_file_path() {
            Ok(path) if url.scheme() == "file" => DistLocation::Path(path),
            _ => DistLocation::Url {
                url: url.clone(),
                index: url.clone(),
            },
        };
        let Some(filename) = filename else {
            return Err(Error::NotBuildable {
                requirement: format!(
                    "{} (a source archive must be named `<name>-<version>.tar.gz` or `.zip`)",
                    puffin_redact::redact_text(url.as_str())
                ),
                origin: origin.to_string(),
            });
        };
        let source = SelectedSource {
            filename: filename.clone(),
            source: location,
            hashes: Vec::new(),
            yanked: None,
            warnings: Vec::new(),
        };
        self.client()?
            .fetch_source(&source, dir, required)
            .await
            .map_err(|err| Error::Download {
                filename: filename.to_string(),
                origin: origin.to_string(),
                err: Box::new(err),
            })
    }

    /// Unpack a source archive into a temporary directory of `builds-v0`.
    async fn unpack(&self, archive: &Path, origin: &str) -> Result<SourceTree, Error> {
        let dir = self
            .cache
            .temp_dir(CacheBucket::Builds)
            .map_err(Error::Runtime)?;
        let dest = dir.path().to_path_buf();
        let archive = archive.to_path_buf();
        let root =
            tokio::task::spawn_blocking(move || puffin_source::unpack_archive(&archive, &dest))
                .await
                .map_err(|err| Error::Runtime(std::io::Error::other(err)))?
                .map_err(|err| source_error(err, origin))?;
        Ok(SourceTree { _dir: dir, root })
    }
}

/// An unpacked source archive, removed when dropped.
struct SourceTree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl SourceTree {
    fn path(&self) -> &Path {
        &self.root
    }
}

/// A `puffin-source` error of the requirement written at `origin`.
fn source_error(err: puffin_source::Error, origin: &str) -> Error {
    Error::Source {
        origin: origin.to_string(),
        err: Box::new(err),
    }
}

/// The built-wheel cache key of a git checkout.
fn git_key(git: &GitSource) -> BuildKey {
    BuildKey::Git {
        repository: git.url.canonical(),
        commit: git.commit.clone(),
        subdirectory: git.url.subdirectory().map(str::to_string),
    }
}

/// The policy of which packages may use wheels and which may be built:
/// the files' `--no-binary`/`--only-binary`, then the command line's.
pub(crate) fn format_policy(
    options: &BuildOptions,
    files: &SyncRequirements,
) -> Result<FormatPolicy, Error> {
    let no_binary: Vec<String> = files
        .no_binary
        .iter()
        .chain(&options.no_binary)
        .cloned()
        .collect();
    let only_binary: Vec<String> = files
        .only_binary
        .iter()
        .chain(&options.only_binary)
        .cloned()
        .collect();
    FormatPolicy::from_pip_args(&no_binary, &only_binary, options.no_build)
        .map_err(|err| Error::Client(Box::new(err)))
}

/// `<name> @ <path or URL>`, as build errors name a build.
fn display_source(name: Option<&PackageName>, source: &BuildSource) -> String {
    let location = match source {
        BuildSource::Directory { path, .. } => path.display().to_string(),
        BuildSource::Archive { url, .. } => puffin_redact::redact_text(url.as_str()).into_owned(),
        BuildSource::Git(git) => format!(
            "git+{}@{}",
            puffin_redact::redact_text(git.url.repository().as_str()),
            git.commit
        ),
    };
    match name {
        Some(name) => format!("{name} @ {location}"),
        None => location,
    }
}

/// `-C key=value` values as the backend's config settings.
fn parse_settings(values: &[String]) -> Result<ConfigSettings, Error> {
    let mut settings = ConfigSettings::default();
    for value in values {
        let entry = puffin_build::ConfigSettingEntry::from_str(value).map_err(|err| {
            Error::InvalidConfigSetting {
                value: value.clone(),
                reason: err.to_string(),
            }
        })?;
        settings.insert(entry.key, entry.value);
    }
    Ok(settings)
}

/// The requirements of `--build-constraints` files.
fn read_constraints(files: &[PathBuf]) -> Result<Vec<SyncRequirement>, Error> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let cwd = std::env::current_dir().map_err(Error::Runtime)?;
    let (read, _) = SyncRequirements::read(files, &cwd)?;
    Ok(read.requirements)
}

/// Installs build requirements: resolved on the indexes of the sync, then
/// synced into the build environment from the wheel store.
struct SyncBuildContext {
    interpreter: Interpreter,
    cache: Cache,
    locations: IndexLocations,
    cli_index: IndexArgs,
    file_index: IndexArgs,
    offline: bool,
    constraints: Vec<SyncRequirement>,
}

impl BuildContext for SyncBuildContext {
    fn interpreter(&self) -> &Interpreter {
        &self.interpreter
    }

    fn install<'a>(
        &'a self,
        requirements: &'a [Requirement],
        venv: &'a PythonEnvironment,
    ) -> InstallFuture<'a> {
        Box::pin(async move {
            let pins = self.resolve(requirements, venv).await?;
            let cache = self.cache.clone();
            let venv = venv.clone();
            let options = SyncOptions {
                offline: self.offline,
                index: self.cli_index.clone(),
                ..SyncOptions::default()
            };
            let (sender, receiver) = tokio::sync::oneshot::channel();
            // A sync runs its own runtime: on a thread of its own.
            std::thread::spawn(move || {
                let result = crate::Sync::new(&venv, &cache)
                    .with_options(options)
                    .run(&pins)
                    .map(|_| ());
                let _ = sender.send(result);
            });
            let result: Result<(), Error> = receiver
                .await
                .map_err(|err| Error::Runtime(std::io::Error::other(err)))?;
            result.map_err(|err| Box::new(err) as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

impl SyncBuildContext {
    /// Resolve build requirements for the build environment: pins.
    async fn resolve(
        &self,
        requirements: &[Requirement],
        venv: &PythonEnvironment,
    ) -> Result<SyncRequirements, Box<dyn std::error::Error + Send + Sync>> {
        let interpreter = venv.interpreter();
        let platform = platform_tags::Platform::current()?;
        let tags = interpreter.tags(&platform)?;
        let client = RegistryClientBuilder::new(self.cache.clone())
            .index_locations(self.locations.clone())
            .offline(self.offline)
            .build()?;
        let markers = interpreter.markers.clone();
        let roots: Vec<puffin_resolver::RootRequirement> = requirements
            .iter()
            .map(|requirement| puffin_resolver::RootRequirement {
                requirement: requirement.clone(),
                source: "build-system.requires".to_string(),
            })
            .collect();
        let mut options = puffin_resolver::ResolverOptions::new(markers.clone());
        options.constraints = self
            .constraints
            .iter()
            .map(|constraint| puffin_resolver::RootRequirement {
                requirement: constraint.requirement.clone(),
                source: format!("-c {}", constraint.origin),
            })
            .collect();
        let resolution = puffin_resolver::IndexProvider::new(Arc::new(client), tags, markers)
            .resolve(roots, options)
            .await?;
        let requirements = resolution
            .packages
            .iter()
            .map(|(name, package)| {
                Ok(SyncRequirement {
                    requirement: Requirement::from_str(&format!("{name}=={}", package.version))?,
                    hashes: Vec::new(),
                    origin: "build requirements".to_string(),
                    build: None,
                })
            })
            .collect::<Result<Vec<_>, Box<dyn std::error::Error + Send + Sync>>>()?;
        Ok(SyncRequirements {
            requirements,
            index: self.file_index.clone(),
            ..SyncRequirements::default()
        })
    }
}

/// The filename of a built wheel, checked: a valid wheel filename, for the
/// requirement's project, with tags the environment supports.
pub(crate) fn built_filename(
    wheel: &Path,
    requirement: &crate::PlannedRequirement,
    tags: &Tags,
) -> Result<distribution_filename::WheelFilename, Error> {
    let invalid = |reason: String| Error::BuiltWheel {
        path: wheel.to_path_buf(),
        origin: requirement.origin.clone(),
        reason,
    };
    let name = wheel
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let filename: distribution_filename::WheelFilename =
        name.parse().map_err(|err| invalid(format!("{err}")))?;
    if filename.name != requirement.name {
        return Err(invalid(format!(
            "the build made a wheel for `{}`, not `{}`",
            filename.name, requirement.name
        )));
    }
    if !tags.is_compatible(&filename) {
        return Err(invalid(
            "the build made a wheel whose tags this environment does not support".to_string(),
        ));
    }
    Ok(filename)
}

impl puffin_resolver::SourceMetadata for Builds {
    fn metadata<'a>(
        &'a self,
        name: &'a PackageName,
        version: &'a pep440_rs::Version,
        sdist: &'a SelectedSource,
    ) -> puffin_resolver::SourceMetadataFuture<'a> {
        Box::pin(async move {
            let origin = format!("the resolution of {name}");
            let display = format!("{name} @ {version}");
            let download = self
                .cache
                .temp_dir(CacheBucket::Builds)
                .map_err(Error::Runtime)?;
            let archive = self
                .client()?
                .fetch_source(sdist, download.path(), &[])
                .await
                .map_err(|err| Error::Client(Box::new(err)))?;
            let tree = self.unpack(&archive.path, &origin).await?;
            let cache = self.built_wheels();
            let out = cache.temp_dir().map_err(|err| source_error(err, &origin))?;
            let metadata = self
                .builder
                .metadata(&self.context, tree.path(), out.path(), &display)
                .await
                .map_err(|err| Error::Build(Box::new(err)))?;
            // A backend without a metadata hook built the wheel: keep it.
            if let Some(wheel) = &metadata.wheel {
                let key = BuildKey::Archive {
                    sha256: archive.sha256.digest().to_string(),
                };
                let settings = self.settings.digest();
                if let Err(err) = cache.publish(&key, false, &settings, wheel) {
                    debug!(%err, "Could not keep the wheel built for its metadata");
                }
            }
            Ok(metadata.metadata)
        })
    }
}
