//! The errors and warnings of unzipping.

use std::io;
use std::path::PathBuf;

use install_wheel_rs::{ManifestError, RecordError};
use zip::result::ZipError;

use super::names::{EntryNameError, printable};

/// Something odd about a wheel that does not stop it from being unzipped.
/// The entry names are relative to the wheel root; the caller knows the wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnzipWarning {
    /// A file of the archive has no RECORD row.
    NotInRecord {
        /// The file, as a normalized archive path.
        entry: String,
    },
    /// A file's RECORD row has no hash.
    NoHashInRecord {
        /// The file, as a normalized archive path.
        entry: String,
    },
    /// Two paths differ only in case: the wheel cannot be installed on a
    /// case-insensitive filesystem.
    CaseConflict {
        /// The first path, normalized.
        first: String,
        /// The second path, normalized.
        second: String,
    },
    /// A file's RECORD row uses a hash algorithm other than SHA-256, which is
    /// not verified.
    UnverifiedHash {
        /// The file, as a normalized archive path.
        entry: String,
        /// The algorithm named in RECORD.
        algorithm: String,
    },
}

impl std::fmt::Display for UnzipWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotInRecord { entry } => write!(f, "`{entry}` is not listed in RECORD"),
            Self::NoHashInRecord { entry } => write!(f, "`{entry}` has no hash in RECORD"),
            Self::CaseConflict { first, second } => write!(
                f,
                "`{}` and `{}` differ only in case; the wheel cannot be installed on a case-insensitive filesystem",
                printable(first),
                printable(second)
            ),
            Self::UnverifiedHash { entry, algorithm } => write!(
                f,
                "`{entry}` has a {algorithm} hash in RECORD, which puffin does not verify"
            ),
        }
    }
}

/// An error unzipping a wheel or checking a cache entry.
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
    /// The unzipped wheel is not one an install would accept (its
    /// `.dist-info`, WHEEL, METADATA, entry points or `.data` directory).
    #[error("The wheel `{}` is invalid", wheel.display())]
    InvalidWheel {
        /// The wheel archive.
        wheel: PathBuf,
        /// What is wrong.
        #[source]
        err: Box<install_wheel_rs::Error>,
    },
    /// The wheel file could not be opened.
    #[error("Failed to open the wheel `{}`", wheel.display())]
    Open {
        /// The wheel.
        wheel: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// The archive's central directory could not be read.
    #[error("`{}` is not a valid zip archive", wheel.display())]
    Archive {
        /// The wheel.
        wheel: PathBuf,
        /// The zip error.
        #[source]
        err: ZipError,
    },
    /// An entry name could escape the target or is otherwise unusable.
    #[error(
        "Refusing to unzip `{}`: the entry name `{}` {reason}",
        wheel.display(),
        printable(entry)
    )]
    InvalidName {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name as stored in the archive.
        entry: String,
        /// What is wrong with it.
        reason: EntryNameError,
    },
    /// An entry is a symbolic link.
    #[error(
        "Refusing to unzip `{}`: `{}` is a symbolic link; wheels may only contain regular files and directories",
        wheel.display(),
        printable(entry)
    )]
    Symlink {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
    },
    /// An entry is a device, FIFO or socket.
    #[error(
        "Refusing to unzip `{}`: `{}` is neither a regular file nor a directory (unix mode {mode:#o})",
        wheel.display(),
        printable(entry)
    )]
    SpecialFile {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
        /// The unix mode from the external attributes.
        mode: u32,
    },
    /// Two entries have the same name (after normalization).
    #[error(
        "Refusing to unzip `{}`: it contains `{}` more than once",
        wheel.display(),
        printable(entry)
    )]
    DuplicateEntry {
        /// The wheel.
        wheel: PathBuf,
        /// The normalized entry name.
        entry: String,
    },
    /// Two entries differ only in case, and the cache is on a case-insensitive
    /// filesystem, where they are one path.
    #[error(
        "Cannot unzip `{}`: `{}` and `{}` differ only in case, and the cache is on a case-insensitive filesystem",
        wheel.display(),
        printable(first),
        printable(second)
    )]
    CaseConflict {
        /// The wheel.
        wheel: PathBuf,
        /// The first of the two names.
        first: String,
        /// The second of the two names.
        second: String,
    },
    /// A path is both a file and a directory (or a file's parent).
    #[error(
        "Refusing to unzip `{}`: `{}` is both a file and a directory",
        wheel.display(),
        printable(entry)
    )]
    FileDirectoryConflict {
        /// The wheel.
        wheel: PathBuf,
        /// The normalized path.
        entry: String,
    },
    /// An entry uses a compression method other than stored or deflate.
    #[error(
        "Refusing to unzip `{}`: `{}` uses the compression method {method}; wheels may only use stored or deflate",
        wheel.display(),
        printable(entry)
    )]
    UnsupportedCompression {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
        /// The method, by name and number.
        method: String,
    },
    /// An entry is encrypted.
    #[error(
        "Refusing to unzip `{}`: `{}` is encrypted",
        wheel.display(),
        printable(entry)
    )]
    Encrypted {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
    },
    /// An entry's local file header disagrees with the central directory.
    #[error(
        "Refusing to unzip `{}`: the local file header of `{}` does not match the central directory: {field} is {local} in the local header but {central} in the central directory",
        wheel.display(),
        printable(entry)
    )]
    HeaderMismatch {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name (from the central directory).
        entry: String,
        /// The field that differs.
        field: &'static str,
        /// The local header's value.
        local: String,
        /// The central directory's value.
        central: String,
    },
    /// There is no local file header where the central directory points.
    #[error(
        "`{}` is corrupt: there is no local file header for `{}` at offset {offset} (found {signature:#010x})",
        wheel.display(),
        printable(entry)
    )]
    MissingLocalHeader {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
        /// Where the central directory says the header is.
        offset: u64,
        /// The four bytes found there.
        signature: u32,
    },
    /// An entry's data does not have the CRC-32 the archive declares.
    #[error(
        "`{}` is corrupt: the data of `{}` has the CRC-32 {actual:#010x}, but the archive declares {expected:#010x}",
        wheel.display(),
        printable(entry)
    )]
    CrcMismatch {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
        /// The declared CRC-32.
        expected: u32,
        /// The CRC-32 of the data.
        actual: u32,
    },
    /// An entry's data does not have the size the archive declares.
    #[error(
        "`{}` is corrupt: the data of `{}` has {actual} bytes, but the archive declares {expected}",
        wheel.display(),
        printable(entry)
    )]
    SizeMismatch {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
        /// The declared size.
        expected: u64,
        /// The size of the data.
        actual: u64,
    },
    /// An entry's data could not be read or decompressed.
    #[error("Failed to read `{}` from `{}`", printable(entry), wheel.display())]
    ReadEntry {
        /// The wheel.
        wheel: PathBuf,
        /// The entry name.
        entry: String,
        /// The I/O or decompression error.
        #[source]
        err: io::Error,
    },
    /// The wheel has no `.dist-info/RECORD`.
    #[error("`{}` is not a valid wheel: it has no RECORD (expected `{expected}`)", wheel.display())]
    MissingRecord {
        /// The wheel.
        wheel: PathBuf,
        /// The RECORD path the wheel's name calls for.
        expected: String,
    },
    /// The wheel has several `.dist-info/RECORD`s and none is named like it.
    #[error(
        "`{}` is not a valid wheel: it has several RECORD files ({})",
        wheel.display(),
        records.join(", ")
    )]
    AmbiguousRecord {
        /// The wheel.
        wheel: PathBuf,
        /// Every RECORD path found.
        records: Vec<String>,
    },
    /// RECORD is not valid CSV of the expected shape.
    #[error("`{}` is not a valid wheel: `{record}` is invalid", wheel.display())]
    InvalidRecord {
        /// The wheel.
        wheel: PathBuf,
        /// The RECORD path inside the wheel.
        record: String,
        /// The parse error.
        #[source]
        err: RecordError,
    },
    /// A file's SHA-256 differs from its RECORD row.
    #[error(
        "`{}` does not match its RECORD: `{}` has the hash sha256={actual}, but RECORD says sha256={expected}",
        wheel.display(),
        printable(entry)
    )]
    RecordHashMismatch {
        /// The wheel.
        wheel: PathBuf,
        /// The normalized file path.
        entry: String,
        /// The digest from RECORD.
        expected: String,
        /// The digest of the file.
        actual: String,
    },
    /// A file's size differs from its RECORD row.
    #[error(
        "`{}` does not match its RECORD: `{}` has {actual} bytes, but RECORD says {expected}",
        wheel.display(),
        printable(entry)
    )]
    RecordSizeMismatch {
        /// The wheel.
        wheel: PathBuf,
        /// The normalized file path.
        entry: String,
        /// The size from RECORD.
        expected: u64,
        /// The size of the file.
        actual: u64,
    },
    /// RECORD lists a file that the archive does not contain.
    #[error(
        "`{}` does not match its RECORD: RECORD lists `{}`, which is not in the archive",
        wheel.display(),
        printable(entry)
    )]
    MissingFromArchive {
        /// The wheel.
        wheel: PathBuf,
        /// The path as written in RECORD.
        entry: String,
    },
    /// Writing the unzipped files failed (the source names the path).
    #[error("Failed to unzip `{}`", wheel.display())]
    Write {
        /// The wheel.
        wheel: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// The unzipped wheel could not be renamed into place.
    #[error("Failed to move the unzipped wheel into the cache at `{}`", target.display())]
    Publish {
        /// The cache entry.
        target: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// The target exists but is not a valid cache entry.
    #[error(
        "The cache entry `{}` exists but has no valid manifest; run `puffin clean` to remove it",
        target.display()
    )]
    Occupied {
        /// The cache entry.
        target: PathBuf,
    },
    /// A cache entry's manifest could not be read or written.
    #[error("Failed to access the manifest of the cache entry `{}`", entry.display())]
    Manifest {
        /// The cache entry.
        entry: PathBuf,
        /// The manifest error.
        #[source]
        err: ManifestError,
    },
    /// Checking a cache entry failed (the source names the path).
    #[error("Failed to verify the cache entry `{}`", entry.display())]
    Verify {
        /// The cache entry.
        entry: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// Removing stale temporary directories failed (the source names the path).
    #[error("Failed to remove stale temporary directories from `{}`", dir.display())]
    Clean {
        /// The directory scanned.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
}
