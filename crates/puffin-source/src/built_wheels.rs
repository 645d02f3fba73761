//! The cache of wheels built from source: `built-wheels-v0/`.

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::WheelFilename;
use fs_err as fs;
use platform_tags::{Tags, best_wheel};
use tracing::{debug, instrument};

use crate::error::Error;
use crate::git::{GitCheckout, GitUrl};

/// What a built wheel was built from: the source's identity, which names
/// its cache entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BuildKey {
    /// A source archive (sdist), by the SHA-256 of its bytes.
    Archive {
        /// The lowercase hexadecimal SHA-256 of the archive.
        sha256: String,
    },
    /// A local source tree, by its path and [`fingerprint`](crate::fingerprint).
    Local {
        /// The tree's absolute path (the caller makes it canonical).
        path: PathBuf,
        /// The tree's fingerprint.
        fingerprint: String,
    },
    /// A git checkout.
    Git {
        /// The canonical repository URL, without credentials ([`GitUrl::canonical`]).
        repository: String,
        /// The full commit hash.
        commit: String,
        /// The subdirectory of the checkout holding the project.
        subdirectory: Option<String>,
    },
}

impl BuildKey {
    /// The key of the local source tree `dir`: its canonical path and its
    /// [`fingerprint`](crate::fingerprint()).
    pub fn local(dir: &Path) -> Result<Self, Error> {
        let path = fs::canonicalize(dir).map_err(|err| Error::Fingerprint {
            dir: dir.to_path_buf(),
            err,
        })?;
        let fingerprint = crate::fingerprint(&path)?;
        Ok(Self::Local { path, fingerprint })
    }

    /// The key of a git checkout of `url`.
    pub fn git(url: &GitUrl, checkout: &GitCheckout) -> Self {
        Self::Git {
            repository: url.canonical(),
            commit: checkout.commit.clone(),
            subdirectory: url.subdirectory().map(str::to_string),
        }
    }

    /// The directory of the kind of source: `archive`, `local` or `git`.
    fn kind(&self) -> &'static str {
        match self {
            Self::Archive { .. } => "archive",
            Self::Local { .. } => "local",
            Self::Git { .. } => "git",
        }
    }

    /// The bytes that are digested into the entry name: every field, each
    /// followed by a NUL (which no field holds), so that no two keys share
    /// them.
    fn identity(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut field = |value: &[u8]| {
            bytes.extend_from_slice(value);
            bytes.push(0);
        };
        field(self.kind().as_bytes());
        match self {
            Self::Archive { sha256 } => field(sha256.to_ascii_lowercase().as_bytes()),
            Self::Local { path, fingerprint } => {
                field(path.as_os_str().as_encoded_bytes());
                field(fingerprint.as_bytes());
            }
            Self::Git {
                repository,
                commit,
                subdirectory,
            } => {
                field(repository.as_bytes());
                field(commit.to_ascii_lowercase().as_bytes());
                match subdirectory {
                    Some(subdirectory) => field(format!("+{subdirectory}").as_bytes()),
                    None => field(b"-"),
                }
            }
        }
        bytes
    }
}

/// The cache of built wheels, rooted at the cache's `built-wheels-v0` bucket.
///
/// An entry is `<root>/<kind>/<digest>/`, where kind is `archive`, `local`
/// or `git` and the digest covers the [`BuildKey`], whether the wheel is an
/// editable one ([PEP 660]), and the caller's digest of the config settings.
/// It holds the wheels built for that key, under their own file names
/// (several may coexist, for different tags); names starting with `.` are
/// temporary files, and files not named like wheels are ignored. A name a
/// backend chose never selects the directory: only the key does.
///
/// [PEP 660]: https://peps.python.org/pep-0660/
#[derive(Debug, Clone)]
pub struct BuiltWheelCache {
    root: PathBuf,
}

impl BuiltWheelCache {
    /// The cache rooted at `root` (`cache.bucket(CacheBucket::BuiltWheels)`);
    /// nothing is created until a wheel is published.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entry directory for a key, the kind of wheel (regular or
    /// editable) and a digest of the config settings (not created).
    pub fn entry_dir(&self, key: &BuildKey, editable: bool, settings: &str) -> PathBuf {
        let mut identity = key.identity();
        identity.extend_from_slice(if editable { b"editable\0" } else { b"wheel\0" });
        identity.extend_from_slice(settings.as_bytes());
        identity.push(0);
        self.root
            .join(key.kind())
            .join(puffin_cache::digest(&identity))
    }

    /// The path of the best wheel in the entry that `tags` accept (by
    /// [`best_wheel`]: the highest tag priority, then the build tag), `None`
    /// if the entry is missing or holds no compatible wheel.
    pub fn find(
        &self,
        key: &BuildKey,
        editable: bool,
        settings: &str,
        tags: &Tags,
    ) -> Option<PathBuf> {
        let dir = self.entry_dir(key, editable, settings);
        let wheels: Vec<(WheelFilename, PathBuf)> = fs::read_dir(&dir)
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                if name.starts_with('.') || !entry.file_type().ok()?.is_file() {
                    return None;
                }
                let filename = WheelFilename::from_str(&name).ok()?;
                Some((filename, entry.path()))
            })
            .collect();
        let (_, path) = best_wheel(tags, wheels.iter().map(|(name, path)| (name, path)))?;
        debug!(wheel = %path.display(), "Found a built wheel");
        Some(path.clone())
    }

    /// Move the freshly built `wheel` into the entry and return its final
    /// path, `<entry>/<wheel's file name>`.
    ///
    /// The file name must be a valid wheel file name. The wheel is renamed
    /// into place (copied to a temporary name in the entry first if it is on
    /// another filesystem), so readers see the whole file or none; a wheel of
    /// the same name already there (a concurrent build of the same source) is
    /// replaced, which is not an error.
    #[instrument(skip_all, fields(wheel = %wheel.display()))]
    pub fn publish(
        &self,
        key: &BuildKey,
        editable: bool,
        settings: &str,
        wheel: &Path,
    ) -> Result<PathBuf, Error> {
        let name = wheel
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        WheelFilename::from_str(name).map_err(|err| Error::InvalidWheelFilename {
            wheel: wheel.to_path_buf(),
            err,
        })?;
        let dir = self.entry_dir(key, editable, settings);
        let error = |path: &Path, err| Error::BuiltWheelCache {
            action: "publish a wheel in",
            path: path.to_path_buf(),
            err,
        };
        fs::create_dir_all(&dir).map_err(|err| error(&dir, err))?;
        let target = dir.join(name);
        #[allow(clippy::disallowed_methods)] // EXDEV is handled below; errors are wrapped.
        let renamed = std::fs::rename(wheel, &target);
        match renamed {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::CrossesDevices => {
                let temp = puffin_fs::temp_sibling(&target, ".tmp-");
                fs::copy(wheel, &temp).map_err(|err| error(&temp, err))?;
                if let Err(err) = fs::rename(&temp, &target) {
                    let _ = fs::remove_file(&temp);
                    return Err(error(&target, err));
                }
                let _ = fs::remove_file(wheel);
            }
            Err(err) => {
                let err =
                    io::Error::new(err.kind(), format!("{err}: renaming `{}`", wheel.display()));
                return Err(error(&target, err));
            }
        }
        debug!(target = %target.display(), "Published a built wheel");
        Ok(target)
    }

    /// A new temporary directory in the cache's root (so on its filesystem,
    /// for [`BuiltWheelCache::publish`] to rename from), for a build to write
    /// its wheel into. Removed when dropped.
    pub fn temp_dir(&self) -> Result<tempfile::TempDir, Error> {
        let error = |err| Error::BuiltWheelCache {
            action: "create",
            path: self.root.clone(),
            err,
        };
        fs::create_dir_all(&self.root).map_err(error)?;
        tempfile::Builder::new()
            .prefix(".tmp")
            .tempdir_in(&self.root)
            .map_err(error)
    }
}
