use std::io;
use std::path::PathBuf;

/// Why a virtual environment could not be created.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The target exists, is not empty, and `clear` was not asked for.
    #[error("`{}` already exists and is not empty; pass `--clear` to replace it", path.display())]
    AlreadyExists {
        /// The target directory.
        path: PathBuf,
    },

    /// The target is a file (or another non-directory).
    #[error("`{}` exists and is not a directory", path.display())]
    NotADirectory {
        /// The target path.
        path: PathBuf,
    },

    /// `clear` was asked for a non-empty directory that is not a virtual
    /// environment: removing it could destroy unrelated files.
    #[error(
        "Refusing to clear `{}`: it is not a virtual environment (it has no `pyvenv.cfg`, `bin/python` or `bin/activate`); remove it yourself or choose another path",
        path.display()
    )]
    ClearNotAVirtualEnv {
        /// The target directory.
        path: PathBuf,
    },

    /// A file system operation failed (the cause names the file).
    #[error("Failed to create the virtual environment at `{}`", path.display())]
    Io {
        /// The target directory.
        path: PathBuf,
        /// The I/O error, naming the file it failed on.
        #[source]
        err: io::Error,
    },
}
