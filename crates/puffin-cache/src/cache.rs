use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fs_err as fs;
use tracing::debug;

/// The contents of `CACHEDIR.TAG`: the signature line of the [Cache Directory
/// Tagging Specification], then a comment.
///
/// [Cache Directory Tagging Specification]: https://bford.info/cachedir/
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by puffin.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// A bucket of the cache: one kind of entry, with a versioned directory name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheBucket {
    /// Unzipped wheels.
    Wheels,
    /// HTTP-cached index pages.
    Simple,
    /// Cached interpreter queries.
    Interpreter,
    /// Wheel archives being downloaded (temporary directories only).
    Downloads,
    /// Package metadata (`METADATA` files) the resolver fetched.
    Metadata,
    /// Wheels built from source distributions, local trees and git checkouts.
    BuiltWheels,
    /// Git repositories (bare databases) and their checkouts, keyed by commit.
    Git,
    /// Build environments and unpacked source distributions (temporary
    /// directories only).
    Builds,
    /// Facts about environments worth not computing again (the stamp of
    /// site-packages when no orphan was found in it).
    Environments,
}

impl CacheBucket {
    /// Every bucket, in the order `puffin clean` walks them.
    pub const ALL: [Self; 9] = [
        Self::Wheels,
        Self::Simple,
        Self::Interpreter,
        Self::Downloads,
        Self::Metadata,
        Self::BuiltWheels,
        Self::Git,
        Self::Builds,
        Self::Environments,
    ];

    /// The directory name of the bucket below the cache root.
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Wheels => "wheels-v1",
            Self::Simple => "simple-v0",
            Self::Interpreter => "interpreter-v0",
            Self::Downloads => "downloads-v0",
            Self::Metadata => "metadata-v0",
            Self::BuiltWheels => "built-wheels-v0",
            Self::Git => "git-v0",
            Self::Builds => "builds-v0",
            Self::Environments => "environments-v0",
        }
    }
}

/// The cache root and access to its buckets.
///
/// Cloning is cheap. A cache made with `--no-cache` lives in a temporary
/// directory that is removed when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    /// Keeps the temporary root of a `--no-cache` cache alive.
    temp_root: Option<Arc<tempfile::TempDir>>,
}

impl Cache {
    /// A cache rooted at `root`; nothing is created until it is used.
    pub fn from_path(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            temp_root: None,
        }
    }

    /// The cache the command line asks for, created (with its `CACHEDIR.TAG`)
    /// if missing.
    ///
    /// The location, first match wins:
    /// 1. `--no-cache`: a temporary directory, removed when the last clone of
    ///    the returned cache is dropped;
    /// 2. `cache_dir` (`--cache-dir`, which the CLI also fills from
    ///    `PUFFIN_CACHE_DIR`), made absolute against the working directory;
    /// 3. `$XDG_CACHE_HOME/puffin` if `XDG_CACHE_HOME` is set to an absolute path;
    /// 4. `$HOME/.cache/puffin`.
    pub fn from_settings(cache_dir: Option<PathBuf>, no_cache: bool) -> io::Result<Self> {
        Self::from_settings_with_env(cache_dir, no_cache, &|key| std::env::var_os(key))
    }

    /// [`Cache::from_settings`] with an injectable environment, for tests.
    pub fn from_settings_with_env(
        cache_dir: Option<PathBuf>,
        no_cache: bool,
        env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
    ) -> io::Result<Self> {
        let cache = if no_cache {
            let temp = tempfile::Builder::new().prefix("puffin-cache-").tempdir()?;
            Self {
                root: temp.path().to_path_buf(),
                temp_root: Some(Arc::new(temp)),
            }
        } else if let Some(dir) = cache_dir {
            // Absolute, so that messages name it unambiguously.
            Self::from_path(std::path::absolute(&dir)?)
        } else {
            Self::from_path(default_cache_dir(env)?)
        };
        cache.init()?;
        debug!(root = %cache.root.display(), "Using cache");
        Ok(cache)
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether this is a temporary cache (`--no-cache`).
    pub fn is_temporary(&self) -> bool {
        self.temp_root.is_some()
    }

    /// The directory of a bucket (not created).
    pub fn bucket(&self, bucket: CacheBucket) -> PathBuf {
        self.root.join(bucket.dir_name())
    }

    /// A new temporary directory inside `bucket` (so on the cache's filesystem:
    /// renaming it into place publishes an entry atomically). It is removed when
    /// dropped unless kept with [`tempfile::TempDir::keep`] or renamed away.
    ///
    /// Its name starts with `.tmp`, which no entry's name does, so `puffin clean`
    /// and readers never mistake it for an entry.
    pub fn temp_dir(&self, bucket: CacheBucket) -> io::Result<tempfile::TempDir> {
        let dir = self.bucket(bucket);
        self.init()?;
        fs::create_dir_all(&dir)?;
        tempfile::Builder::new().prefix(".tmp").tempdir_in(&dir)
    }

    /// Create the root and its `CACHEDIR.TAG` if they are missing.
    ///
    /// An existing root whose tag cannot be written (a read-only cache) is
    /// fine: what is in it can still be read, and what would have to be
    /// written fails where it is written, naming the path.
    pub fn init(&self) -> io::Result<()> {
        let tag = self.root.join("CACHEDIR.TAG");
        if tag.is_file() {
            return Ok(());
        }
        fs::create_dir_all(&self.root)?;
        // Another process may be writing it too; both write the same bytes.
        if let Err(err) = fs::write(&tag, CACHEDIR_TAG) {
            if !self.root.is_dir() {
                return Err(err);
            }
            debug!(%err, "The cache is not writable; reading it as it is");
        }
        Ok(())
    }
}

/// `$XDG_CACHE_HOME/puffin`, else `$HOME/.cache/puffin`.
fn default_cache_dir(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> io::Result<PathBuf> {
    // The XDG base directory specification says relative paths are invalid and
    // must be ignored.
    if let Some(xdg) = env("XDG_CACHE_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Ok(xdg.join("puffin"));
    }
    if let Some(home) = env("HOME").map(PathBuf::from)
        && home.is_absolute()
    {
        return Ok(home.join(".cache").join("puffin"));
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        "Could not find a cache directory: set `--cache-dir`, `PUFFIN_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME`",
    ))
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    fn env_of(pairs: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.as_os_str().to_owned()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn cache_dir_flag_wins_and_is_tagged() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("XDG_CACHE_HOME", Path::new("/nonexistent"))]);
        let cache = Cache::from_settings_with_env(Some(dir.path().join("c")), false, &env).unwrap();
        assert_eq!(cache.root(), dir.path().join("c"));
        let tag = fs::read_to_string(cache.root().join("CACHEDIR.TAG")).unwrap();
        assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"));
        assert!(!cache.is_temporary());
    }

    #[test]
    fn xdg_then_home() {
        let dir = tempfile::tempdir().unwrap();
        let xdg = dir.path().join("xdg");
        let home = dir.path().join("home");
        let env = env_of(&[("XDG_CACHE_HOME", &xdg), ("HOME", &home)]);
        let cache = Cache::from_settings_with_env(None, false, &env).unwrap();
        assert_eq!(cache.root(), xdg.join("puffin"));

        // A relative XDG_CACHE_HOME is ignored, as the XDG specification says.
        let env = env_of(&[("XDG_CACHE_HOME", Path::new("relative")), ("HOME", &home)]);
        let cache = Cache::from_settings_with_env(None, false, &env).unwrap();
        assert_eq!(cache.root(), home.join(".cache").join("puffin"));

        let env = env_of(&[]);
        assert!(Cache::from_settings_with_env(None, false, &env).is_err());
    }

    #[test]
    fn no_cache_is_removed_with_the_last_clone() {
        let cache = Cache::from_settings(None, true).unwrap();
        assert!(cache.is_temporary());
        let root = cache.root().to_path_buf();
        assert!(root.join("CACHEDIR.TAG").is_file());
        let clone = cache.clone();
        drop(cache);
        assert!(root.is_dir());
        drop(clone);
        assert!(!root.exists());
    }

    #[test]
    fn temp_dirs_live_inside_their_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path().join("cache"));
        let temp = cache.temp_dir(CacheBucket::Wheels).unwrap();
        assert_eq!(
            temp.path().parent().unwrap(),
            cache.bucket(CacheBucket::Wheels)
        );
        assert!(
            temp.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp")
        );
        assert!(cache.root().join("CACHEDIR.TAG").is_file());
        let path = temp.path().to_path_buf();
        drop(temp);
        assert!(!path.exists());
    }
}
