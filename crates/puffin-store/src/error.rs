use std::io;
use std::path::PathBuf;

/// An error of the wheel store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Unzipping an archive into the store failed.
    #[error(transparent)]
    Unzip(#[from] puffin_unzip::UnzipError),
    /// A pointer record could not be written.
    #[error("Failed to record `{}` in the wheel store", path.display())]
    WritePointer {
        /// The pointer.
        path: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// A local wheel's metadata (for its pointer key) could not be read.
    #[error("Failed to read `{}`", path.display())]
    ReadSource {
        /// The wheel file.
        path: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// A temporary directory of the store could not be created.
    #[error("Failed to create a temporary directory in `{}`", dir.display())]
    TempDir {
        /// The store's temporary area.
        dir: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// An entry could not be removed.
    #[error("Failed to remove the store entry `{}`", path.display())]
    Remove {
        /// The entry.
        path: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// The sweep of leftovers failed.
    #[error("Failed to remove leftovers of interrupted runs from `{}`", path.display())]
    Sweep {
        /// What could not be read or removed.
        path: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
}
