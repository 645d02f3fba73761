//! The crate's one error type, [`Error`], with [`LinkError`] for the linker.

use std::io;
use std::path::PathBuf;

use crate::{LinkMode, ManifestError, RecordError, TransactionError};

/// Everything that can go wrong installing or uninstalling one wheel.
///
/// Every variant names the paths involved. I/O errors that are not about
/// linking come from `fs_err`, whose messages name their path.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cache manifest of the unzipped wheel could not be read or built.
    #[error("Failed to read the file list of the unzipped wheel `{wheel_dir}`")]
    Manifest {
        /// The unzipped wheel directory.
        wheel_dir: PathBuf,
        /// The underlying error.
        #[source]
        err: ManifestError,
    },
    /// The manifest lists a path that is absolute or leaves the wheel (`..`).
    #[error(
        "The unzipped wheel `{wheel_dir}` lists the unsafe path `{path}`; run `puffin clean` to remove the cache entry"
    )]
    UnsafePath {
        /// The unzipped wheel directory.
        wheel_dir: PathBuf,
        /// The path as listed.
        path: String,
    },
    /// The wheel has no `.dist-info` directory at its root.
    #[error(
        "The wheel `{filename}` has no `.dist-info` directory at its root `{wheel_dir}`: expected `{expected}`"
    )]
    MissingDistInfo {
        /// The wheel filename.
        filename: String,
        /// The unzipped wheel directory.
        wheel_dir: PathBuf,
        /// The directory name the filename calls for.
        expected: String,
    },
    /// The wheel has more than one `.dist-info` directory at its root.
    #[error(
        "The wheel `{filename}` has several `.dist-info` directories at its root `{wheel_dir}` ({}): a wheel has exactly one, `{expected}`",
        .found.join(", ")
    )]
    MultipleDistInfo {
        /// The wheel filename.
        filename: String,
        /// The unzipped wheel directory.
        wheel_dir: PathBuf,
        /// The `.dist-info` directories found.
        found: Vec<String>,
        /// The directory name the filename calls for.
        expected: String,
    },
    /// The `.dist-info` directory names another project or version.
    #[error(
        "The `.dist-info` directory `{path}` does not match the wheel filename `{filename}`: expected `{expected}`"
    )]
    DistInfoMismatch {
        /// The wheel filename.
        filename: String,
        /// The `.dist-info` directory found.
        path: PathBuf,
        /// The directory name the filename calls for.
        expected: String,
    },
    /// A top-level `.data` directory names another project or version.
    #[error(
        "The `.data` directory `{path}` does not match the wheel filename `{filename}`: expected `{expected}`"
    )]
    DataDirMismatch {
        /// The wheel filename.
        filename: String,
        /// The `.data` directory found.
        path: PathBuf,
        /// The directory name the filename calls for.
        expected: String,
    },
    /// A file every wheel must have (`WHEEL`, `METADATA`) is missing.
    #[error("The wheel is missing `{path}`")]
    MissingDistInfoFile {
        /// The expected path.
        path: PathBuf,
    },
    /// `WHEEL` or `METADATA` is malformed.
    #[error("Invalid `{path}`: {reason}")]
    InvalidDistInfoFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The wheel's `Wheel-Version` has a major version newer than 1 ([PEP
    /// 427]: "a wheel installer should refuse to install a wheel of a major
    /// version it does not support"). Older `0.x` wheels are accepted, as pip
    /// and uv do.
    ///
    /// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#installing-a-wheel-distribution-1-0-py32-none-any-whl
    #[error(
        "`{path}` declares Wheel-Version {version}, but puffin installs only wheels up to version 1.x: use another build of the package"
    )]
    UnsupportedWheelVersion {
        /// The `WHEEL` file.
        path: PathBuf,
        /// The declared version.
        version: String,
    },
    /// METADATA's `Name` or `Version` differs from the wheel filename.
    #[error(
        "The {field} `{found}` in `{path}` does not match the wheel filename `{filename}`: expected `{expected}`"
    )]
    MetadataMismatch {
        /// The METADATA file.
        path: PathBuf,
        /// The wheel filename.
        filename: String,
        /// `Name` or `Version`.
        field: &'static str,
        /// The value in METADATA.
        found: String,
        /// The value in the filename.
        expected: String,
    },
    /// The `.data` directory holds something other than the five known
    /// subdirectories.
    #[error(
        "`{path}` is not a known `.data` directory: a wheel's `.data` directory may only contain `purelib`, `platlib`, `scripts`, `headers` and `data`"
    )]
    UnknownDataDirectory {
        /// The unknown entry.
        path: PathBuf,
    },
    /// An `entry_points.txt` entry cannot become a launcher.
    #[error("Invalid entry point `{name}` in `{path}`: {reason}")]
    InvalidEntryPoint {
        /// The `entry_points.txt` file.
        path: PathBuf,
        /// The entry point's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `.data/scripts` file cannot be installed under its name, e.g. one
    /// that would replace the environment's Python interpreter.
    #[error("Invalid script `{path}`: {reason}")]
    InvalidScript {
        /// The script in the unzipped wheel.
        path: PathBuf,
        /// What is wrong with its name.
        reason: String,
    },
    /// A scheme directory of the environment lies outside its prefix, so an
    /// install would write outside the environment.
    #[error(
        "The install scheme's `{name}` directory `{path}` is outside the environment `{prefix}`: puffin never installs files outside the environment"
    )]
    SchemeOutsidePrefix {
        /// The `sysconfig` name of the directory, e.g. `include`.
        name: &'static str,
        /// The directory.
        path: PathBuf,
        /// The environment's root.
        prefix: PathBuf,
    },
    /// The wheel's RECORD lists no file at all ([PEP 427]: installation must
    /// fail when RECORD does not match the archive).
    ///
    /// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory
    #[error("`{path}` is empty: a wheel's RECORD lists every file of the wheel")]
    EmptyRecord {
        /// The RECORD file.
        path: PathBuf,
    },
    /// A file of the wheel has no row in its RECORD ([PEP 427]: "every file
    /// except RECORD, which cannot contain a hash of itself, must include its
    /// hash").
    ///
    /// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory
    #[error(
        "`{file}` is not listed in `{record}`: a wheel's RECORD lists every file of the wheel, so this one cannot be trusted"
    )]
    NotInRecord {
        /// The file, relative to the wheel root.
        file: String,
        /// The RECORD file.
        record: PathBuf,
    },
    /// A file of the wheel would replace a file that makes the environment
    /// work: its interpreter, an activation script or `pyvenv.cfg`.
    #[error("`{path}` would replace `{target}`: {reason}")]
    ReservedPath {
        /// The file in the unzipped wheel.
        path: PathBuf,
        /// Where it would be installed (relative to the wheel's `.data/data`
        /// or `.data/scripts` directory when no environment is known).
        target: PathBuf,
        /// Why the name is reserved.
        reason: String,
    },
    /// Linking, copying or writing a file failed.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The transaction's journal failed, or the work was cancelled.
    #[error(transparent)]
    Transaction(#[from] TransactionError),
    /// The installed distribution has no RECORD, so its files are unknown.
    #[error(
        "`{path}` is missing: puffin cannot tell which files belong to this package. Remove its `.dist-info` directory by hand and reinstall it"
    )]
    MissingRecord {
        /// The expected RECORD path.
        path: PathBuf,
    },
    /// The installed RECORD is not valid CSV of three columns.
    #[error("Failed to read `{path}`")]
    InvalidRecord {
        /// The RECORD file.
        path: PathBuf,
        /// The parse error.
        #[source]
        err: RecordError,
    },
    /// The `.dist-info` to uninstall is not directly inside purelib or platlib.
    #[error("`{path}` is not a `.dist-info` directory directly inside `{purelib}` or `{platlib}`")]
    DistInfoOutsideScheme {
        /// The `.dist-info` directory.
        path: PathBuf,
        /// The environment's purelib.
        purelib: PathBuf,
        /// The environment's platlib.
        platlib: PathBuf,
    },
    /// Any other I/O error; `fs_err` names the path in the message.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Error {
    /// Whether the work stopped because it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Transaction(TransactionError::Cancelled))
    }
}

/// A file could not be linked, copied or written into the environment.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Cloning, hardlinking or copying one file failed with an error that is
    /// not a missing capability (or one no fallback could get around).
    #[error("Failed to {mode} `{from}` to `{to}`")]
    Link {
        /// The mode that failed.
        mode: LinkMode,
        /// The file in the cache.
        from: PathBuf,
        /// The file in the environment.
        to: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
    /// A file the installer writes itself (a script, RECORD, INSTALLER, ...)
    /// could not be written.
    #[error("Failed to write `{path}`")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
    /// A directory of the wheel could not be created in the environment.
    #[error("Failed to create the directory `{path}`")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
    /// After a later file could not be linked, removing the files already
    /// linked (to install the wheel by copy instead) failed.
    #[error("Failed to remove `{path}` (linked from `{from}`) to copy the wheel instead")]
    Undo {
        /// The linked file in the environment.
        path: PathBuf,
        /// The file in the cache.
        from: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
}
