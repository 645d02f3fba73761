use std::path::PathBuf;

/// An error from the cache: every variant names the path involved.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The cache root or its tag could not be created.
    #[error("Failed to create the cache at `{}`", path.display())]
    Init {
        /// The cache root.
        path: PathBuf,
        /// The underlying error.
        #[source]
        err: std::io::Error,
    },
    /// The lock file could not be opened or locked.
    #[error("Failed to lock the cache at `{}`", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        err: std::io::Error,
    },
    /// Reading or removing part of the cache failed during `puffin clean`.
    #[error("Failed to clean the cache at `{}`", path.display())]
    Clean {
        /// The path that could not be read or removed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        err: std::io::Error,
    },
}
