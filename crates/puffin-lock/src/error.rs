//! What can go wrong with a lock file; every variant names the file, and
//! those about one package name it too.

use std::path::PathBuf;

/// A lock file that cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The file cannot be read.
    #[error("Failed to read the lock file `{path}`")]
    Read {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        err: std::io::Error,
    },
    /// The file is not TOML of the lock's shape.
    #[error("`{path}` is not a valid PEP 751 lock file")]
    Parse {
        /// The lock file.
        path: PathBuf,
        /// The TOML error (with its line and column).
        #[source]
        err: Box<toml::de::Error>,
    },
    /// A `lock-version` this reader does not know.
    #[error(
        "`{path}` has `lock-version = \"{version}\"`; puffin reads lock version 1.x: upgrade puffin"
    )]
    Version {
        /// The lock file.
        path: PathBuf,
        /// The version it says.
        version: String,
    },
    /// A value of the lock (a marker, a version, a URL) is invalid.
    #[error("`{path}`: {what} of {place} is invalid: `{value}`")]
    Invalid {
        /// The lock file.
        path: PathBuf,
        /// Which field, e.g. `the marker`.
        what: &'static str,
        /// Where: `package `name`` or `the lock`.
        place: String,
        /// The value.
        value: String,
    },
    /// The lock does not support the environment.
    #[error("`{path}` does not support this environment: {reason}")]
    Unsupported {
        /// The lock file.
        path: PathBuf,
        /// Why, e.g. which `requires-python` excludes which version.
        reason: String,
    },
    /// A package has nothing this environment can install.
    #[error("`{path}`: package `{name}` has {reason}")]
    NothingToInstall {
        /// The lock file.
        path: PathBuf,
        /// The package.
        name: String,
        /// What it lacks, e.g. `no wheel for this platform and no sdist`.
        reason: String,
    },
    /// The lock cannot be written as TOML.
    #[error("Failed to write the lock as TOML")]
    Write(#[source] Box<toml::ser::Error>),
}
