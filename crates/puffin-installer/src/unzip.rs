//! Unzip a downloaded wheel into the cache: validated, in parallel, and
//! published atomically.
//!
//! 1. Every central directory entry is checked before anything is written:
//!    names (no absolute paths, `..`, backslashes or control characters),
//!    types (regular files and directories only), duplicates (also after
//!    normalization and ignoring case), compression (stored or deflate) and
//!    encryption. RECORD is located and parsed, and every row must name an
//!    entry of the archive.
//! 2. Directories are created in a temporary directory next to the target, on
//!    the same filesystem; files are then extracted in parallel (rayon), each
//!    task reading through its own cheap clone of the archive. For each file
//!    the local header is compared with the central directory, and CRC-32,
//!    size and SHA-256 are computed while writing and checked against the
//!    archive and RECORD.
//! 3. The [`WheelManifest`] is written into the temporary directory, which is
//!    renamed to the target. A directory rename is atomic, and fails when the
//!    target is a non-empty directory: if another process published first,
//!    its entry is used and ours discarded. A failed unzip removes the
//!    temporary directory, and nothing ever appears at the target half-written.

mod local_header;
mod names;
mod reader;
mod record;

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use distribution_filename::WheelFilename;
use fs_err as fs;
use install_wheel_rs::{
    ManifestError, ManifestFile, RecordError, WheelManifest, hash_file, read_record,
};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tracing::{debug, instrument, trace};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive, ZipReadOptions};

pub use names::EntryNameError;

use local_header::{CentralValues, LocalHeaderError, check_local_header};
use names::{EntryName, normalize_entry_name, printable};
use reader::SharedFile;
use record::{RecordIndex, find_record};

/// The prefix of the temporary directories created next to cache entries.
const TEMP_PREFIX: &str = ".tmp-unzip-";

/// The read buffer of each extraction task.
const BUFFER_SIZE: usize = 64 * 1024;

/// The file type bits of a unix mode.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// The result of [`unzip_wheel`].
#[derive(Debug, Clone)]
pub struct UnzipOutcome {
    /// The manifest of the entry now at the target.
    pub manifest: WheelManifest,
    /// Oddities that did not stop the unzip, such as files missing from
    /// RECORD. Empty when the entry was already in the cache before we started.
    pub warnings: Vec<UnzipWarning>,
    /// Whether the entry was published by someone else (before we started, or
    /// while we were unzipping); ours was then discarded.
    pub already_present: bool,
}

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
            Self::UnverifiedHash { entry, algorithm } => write!(
                f,
                "`{entry}` has a {algorithm} hash in RECORD, which puffin does not verify"
            ),
        }
    }
}

/// The state of a cache entry, from [`verify_entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStatus {
    /// Every file and directory of the manifest is there, as recorded.
    Valid,
    /// There is no entry (or no manifest, or one of another format version).
    Missing,
    /// The entry was changed after it was unzipped, e.g. edited through a
    /// hardlink from an environment.
    Corrupt {
        /// The first path found changed.
        path: PathBuf,
        /// What changed.
        reason: String,
    },
}

/// An error unzipping a wheel or checking a cache entry.
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
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
    /// Two entries differ only in case, and would be one file on a
    /// case-insensitive filesystem.
    #[error(
        "Refusing to unzip `{}`: `{}` and `{}` differ only in case, and would clash on a case-insensitive filesystem",
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

/// Unzip `wheel_path` (a `.whl` archive) and publish it at `target`, a
/// directory path inside the cache (e.g. from the cache's wheel entry key).
///
/// The archive is validated as the module documentation describes, extracted
/// in parallel into a temporary directory created in `target`'s parent (the
/// same filesystem), and renamed into place with its [`WheelManifest`]. If
/// `target` already holds a valid entry, or another process publishes one
/// while we unzip, that entry is returned with `already_present` set. On any
/// error nothing is left behind: no temporary directory and nothing at
/// `target`.
#[instrument(skip_all, fields(wheel = %filename))]
pub fn unzip_wheel(
    wheel_path: &Path,
    filename: &WheelFilename,
    target: &Path,
) -> Result<UnzipOutcome, UnzipError> {
    if let Some(manifest) = read_manifest(target)? {
        debug!(target = %target.display(), "Wheel already unzipped");
        return Ok(UnzipOutcome {
            manifest,
            warnings: Vec::new(),
            already_present: true,
        });
    }

    let write_err = |err| UnzipError::Write {
        wheel: wheel_path.to_path_buf(),
        err,
    };
    let parent = target
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(write_err)?;
    // Removed on drop unless published: every early return below cleans up.
    let temp_dir = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(parent)
        .map_err(|err| write_err(with_path(err, parent)))?;

    let (manifest, warnings) = extract(wheel_path, filename, temp_dir.path())?;
    manifest
        .write(temp_dir.path())
        .map_err(|err| UnzipError::Manifest {
            entry: target.to_path_buf(),
            err,
        })?;
    // Temporary directories are private (0o700); the entry should not be.
    set_dir_permissions(temp_dir.path()).map_err(write_err)?;

    match fs::rename(temp_dir.path(), target) {
        Ok(()) => {
            let _ = temp_dir.keep();
            debug!(target = %target.display(), files = manifest.files.len(), "Published unzipped wheel");
            Ok(UnzipOutcome {
                manifest,
                warnings,
                already_present: false,
            })
        }
        Err(err) => {
            // The rename fails on a non-empty directory: if another process
            // published the same wheel meanwhile, its entry is as good as ours.
            if let Some(existing) = read_manifest(target)? {
                debug!(target = %target.display(), "Another process published the wheel first");
                return Ok(UnzipOutcome {
                    manifest: existing,
                    warnings,
                    already_present: true,
                });
            }
            if matches!(
                err.kind(),
                io::ErrorKind::DirectoryNotEmpty | io::ErrorKind::AlreadyExists
            ) {
                return Err(UnzipError::Occupied {
                    target: target.to_path_buf(),
                });
            }
            Err(UnzipError::Publish {
                target: target.to_path_buf(),
                err,
            })
        }
    }
}

/// Check an existing cache entry against its manifest: every directory exists,
/// and every file exists with the recorded size, executable bit and SHA-256.
///
/// Used by `--reinstall` to detect a poisoned entry, e.g. a file edited in an
/// environment through a hardlink into the cache. Files are hashed in
/// parallel; the first changed path in manifest order is reported.
pub fn verify_entry(entry: &Path) -> Result<EntryStatus, UnzipError> {
    let manifest = match WheelManifest::read(entry) {
        Ok(Some(manifest)) => manifest,
        Ok(None) => return Ok(EntryStatus::Missing),
        Err(ManifestError::Corrupt { path, err }) => {
            return Ok(EntryStatus::Corrupt {
                path,
                reason: format!("the manifest is not valid: {err}"),
            });
        }
        Err(err) => {
            return Err(UnzipError::Manifest {
                entry: entry.to_path_buf(),
                err,
            });
        }
    };
    let verify_err = |err| UnzipError::Verify {
        entry: entry.to_path_buf(),
        err,
    };

    for dir in &manifest.dirs {
        let path = entry.join(dir);
        let reason = match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => continue,
            Ok(_) => "is not a directory".to_string(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => "is missing".to_string(),
            Err(err) => return Err(verify_err(err)),
        };
        return Ok(EntryStatus::Corrupt { path, reason });
    }

    let results: Vec<Option<String>> = manifest
        .files
        .par_iter()
        .map(|file| verify_file(&entry.join(&file.path), file))
        .collect::<Result<_, _>>()
        .map_err(verify_err)?;
    for (file, reason) in manifest.files.iter().zip(results) {
        if let Some(reason) = reason {
            return Ok(EntryStatus::Corrupt {
                path: entry.join(&file.path),
                reason,
            });
        }
    }
    Ok(EntryStatus::Valid)
}

/// Remove the temporary directories left next to cache entries by unzips that
/// were killed, if their last modification is older than `older_than`.
/// `dir` is the directory holding the entries (the targets' parent). Returns
/// how many were removed. A missing `dir` is not an error.
///
/// An unzip in progress keeps its directory fresh only while it creates
/// top-level entries, so `older_than` should be generous (minutes, not
/// seconds).
pub fn clean_stale_temp_dirs(dir: &Path, older_than: Duration) -> Result<usize, UnzipError> {
    let clean_err = |err| UnzipError::Clean {
        dir: dir.to_path_buf(),
        err,
    };
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(clean_err(err)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(clean_err)?;
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            // Published or removed by its owner meanwhile.
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(clean_err(err)),
        };
        let age = metadata
            .modified()
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .unwrap_or_default();
        if !metadata.is_dir() || age < older_than {
            continue;
        }
        match fs::remove_dir_all(entry.path()) {
            Ok(()) => removed += 1,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(clean_err(err)),
        }
    }
    Ok(removed)
}

/// Read a manifest, mapping errors to [`UnzipError::Manifest`].
fn read_manifest(entry: &Path) -> Result<Option<WheelManifest>, UnzipError> {
    WheelManifest::read(entry).map_err(|err| UnzipError::Manifest {
        entry: entry.to_path_buf(),
        err,
    })
}

/// Compare one file with its manifest row; `Some(reason)` if it changed.
fn verify_file(path: &Path, file: &ManifestFile) -> io::Result<Option<String>> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(Some("is missing".to_string()));
        }
        Err(err) => return Err(err),
    };
    if !metadata.is_file() {
        return Ok(Some("is not a regular file".to_string()));
    }
    if metadata.len() != file.size {
        return Ok(Some(format!(
            "has {} bytes, but the manifest says {}",
            metadata.len(),
            file.size
        )));
    }
    if cfg!(unix) && is_executable(&metadata) != file.executable {
        return Ok(Some(if file.executable {
            "is not executable, but the manifest says it is".to_string()
        } else {
            "is executable, but the manifest says it is not".to_string()
        }));
    }
    let (sha256, _) = hash_file(path)?;
    if sha256 != file.sha256 {
        return Ok(Some(format!(
            "has the hash sha256={sha256}, but the manifest says sha256={}",
            file.sha256
        )));
    }
    Ok(None)
}

/// One regular file to extract.
#[derive(Debug)]
struct FileEntry {
    /// The index in the archive.
    index: usize,
    /// The name as stored in the archive, for messages.
    name: String,
    /// The normalized path.
    path: String,
    executable: bool,
}

/// What the central directory says, after the checks that need no data.
#[derive(Debug)]
struct Plan {
    files: Vec<FileEntry>,
    /// Every directory, explicit or implied by a path, parents first.
    dirs: Vec<String>,
}

/// Validate, extract and hash the archive into `root`; the manifest is
/// returned, not written.
fn extract(
    wheel: &Path,
    filename: &WheelFilename,
    root: &Path,
) -> Result<(WheelManifest, Vec<UnzipWarning>), UnzipError> {
    let file = fs::File::open(wheel).map_err(|err| UnzipError::Open {
        wheel: wheel.to_path_buf(),
        err,
    })?;
    let reader = SharedFile::new(file).map_err(|err| UnzipError::Open {
        wheel: wheel.to_path_buf(),
        err,
    })?;
    let archive = ZipArchive::new(reader.clone()).map_err(|err| UnzipError::Archive {
        wheel: wheel.to_path_buf(),
        err,
    })?;
    let plan = plan(wheel, &archive, reader.clone())?;

    let record_path = find_record(
        wheel,
        filename,
        plan.files.iter().map(|file| file.path.as_str()),
    )?;
    let record_entry = plan
        .files
        .iter()
        .find(|file| file.path == record_path)
        .expect("RECORD is one of the files");
    let mut record_bytes = Vec::new();
    let mut task = ExtractTask::new(wheel, &archive, &reader);
    task.copy(record_entry, &mut record_bytes)?;
    let rows = read_record(record_bytes.as_slice()).map_err(|err| UnzipError::InvalidRecord {
        wheel: wheel.to_path_buf(),
        record: record_path.to_string(),
        err,
    })?;
    let record = RecordIndex::new(record_path, rows);
    record.check_all_present(
        wheel,
        &plan.files.iter().map(|file| file.path.as_str()).collect(),
        &plan.dirs.iter().map(String::as_str).collect(),
    )?;

    for dir in &plan.dirs {
        fs::create_dir(root.join(dir)).map_err(|err| UnzipError::Write {
            wheel: wheel.to_path_buf(),
            err,
        })?;
    }

    let extracted: Vec<(ManifestFile, Option<UnzipWarning>)> = plan
        .files
        .par_iter()
        .map_init(
            || ExtractTask::new(wheel, &archive, &reader),
            |task, file| task.extract(file, root, &record),
        )
        .collect::<Result<_, _>>()?;
    let (files, warnings): (Vec<_>, Vec<_>) = extracted.into_iter().unzip();
    let manifest = WheelManifest::new(filename.to_string(), plan.dirs, files);
    Ok((manifest, warnings.into_iter().flatten().collect()))
}

/// Check every central directory entry and decide what to create.
fn plan(
    wheel: &Path,
    archive: &ZipArchive<SharedFile>,
    reader: SharedFile,
) -> Result<Plan, UnzipError> {
    if archive.has_duplicate_names() {
        return Err(UnzipError::DuplicateEntry {
            wheel: wheel.to_path_buf(),
            entry: first_duplicate_name(archive, reader)
                .unwrap_or_else(|| "(unknown name)".to_string()),
        });
    }

    let mut files = Vec::new();
    let mut explicit_dirs = Vec::new();
    let mut seen_files: HashSet<String> = HashSet::new();
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|err| UnzipError::Archive {
                wheel: wheel.to_path_buf(),
                err,
            })?;
        let name = entry
            .name()
            .map_err(|err| UnzipError::Archive {
                wheel: wheel.to_path_buf(),
                err,
            })?
            .into_owned();
        let EntryName { path, is_dir } =
            normalize_entry_name(&name).map_err(|reason| UnzipError::InvalidName {
                wheel: wheel.to_path_buf(),
                entry: name.clone(),
                reason,
            })?;
        if entry.encrypted() {
            return Err(UnzipError::Encrypted {
                wheel: wheel.to_path_buf(),
                entry: name,
            });
        }
        let mode = entry.unix_mode();
        let kind = mode.map_or(0, |mode| mode & S_IFMT);
        match kind {
            S_IFLNK => {
                return Err(UnzipError::Symlink {
                    wheel: wheel.to_path_buf(),
                    entry: name,
                });
            }
            0 | S_IFREG | S_IFDIR => {}
            _ => {
                return Err(UnzipError::SpecialFile {
                    wheel: wheel.to_path_buf(),
                    entry: name,
                    mode: mode.unwrap_or_default(),
                });
            }
        }

        if is_dir || kind == S_IFDIR {
            // Listing a directory twice is harmless.
            explicit_dirs.push(path);
            continue;
        }
        if !matches!(
            entry.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return Err(UnzipError::UnsupportedCompression {
                wheel: wheel.to_path_buf(),
                entry: name,
                method: describe_method(entry.compression()),
            });
        }
        if !seen_files.insert(path.clone()) {
            return Err(UnzipError::DuplicateEntry {
                wheel: wheel.to_path_buf(),
                entry: path,
            });
        }
        files.push(FileEntry {
            index,
            name,
            path,
            executable: mode.is_some_and(|mode| mode & 0o111 != 0),
        });
    }

    let dirs = all_dirs(&files, explicit_dirs);
    let dir_set: HashSet<&str> = dirs.iter().map(String::as_str).collect();
    if let Some(file) = files
        .iter()
        .find(|file| dir_set.contains(file.path.as_str()))
    {
        return Err(UnzipError::FileDirectoryConflict {
            wheel: wheel.to_path_buf(),
            entry: file.path.clone(),
        });
    }
    check_case(wheel, &files, &dirs)?;
    Ok(Plan { files, dirs })
}

/// Refuse two paths (files or directories, explicit or implied) that differ
/// only in case: on a case-insensitive filesystem they would be one.
fn check_case(wheel: &Path, files: &[FileEntry], dirs: &[String]) -> Result<(), UnzipError> {
    let mut folded: HashMap<String, &str> = HashMap::with_capacity(files.len() + dirs.len());
    let paths = dirs
        .iter()
        .map(String::as_str)
        .chain(files.iter().map(|file| file.path.as_str()));
    for path in paths {
        // Files and directories are each unique and disjoint by now, so any
        // collision is one of case.
        if let Some(first) = folded.insert(path.to_lowercase(), path) {
            return Err(UnzipError::CaseConflict {
                wheel: wheel.to_path_buf(),
                first: first.to_string(),
                second: path.to_string(),
            });
        }
    }
    Ok(())
}

/// The explicit directories and every parent of every entry, parents first
/// and otherwise in the order of a sorted directory walk.
fn all_dirs(files: &[FileEntry], explicit: Vec<String>) -> Vec<String> {
    let mut dirs: HashSet<String> = HashSet::new();
    let mut add_parents = |path: &str| {
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            end += slash;
            dirs.insert(path[..end].to_string());
            end += 1;
        }
    };
    for file in files {
        add_parents(&file.path);
    }
    for dir in &explicit {
        add_parents(dir);
    }
    dirs.extend(explicit);
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    // Component-wise order: `a`, `a/b`, `a-b`, as a sorted walk lists them.
    dirs.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    dirs
}

/// A method's number and name, e.g. `12 (Bzip2)`.
// The number of a method the crate cannot decompress is only available from
// the deprecated `Unsupported` variant.
#[allow(deprecated)]
fn describe_method(method: CompressionMethod) -> String {
    match method {
        CompressionMethod::Unsupported(number) => match CompressionMethod::name_from_u16(number) {
            "Unknown" => format!("{number} (unknown)"),
            name => format!("{number} ({name})"),
        },
        method => method.to_string(),
    }
}

/// The number of a supported compression method ([APPNOTE.TXT] 4.4.5).
///
/// [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
fn method_number(method: CompressionMethod) -> u16 {
    match method {
        CompressionMethod::Deflated => 8,
        // Stored; the plan refused everything else.
        _ => 0,
    }
}

/// The zip crate collapses duplicate names in its index, so find one by
/// walking the central directory records ([APPNOTE.TXT] 4.3.12) ourselves.
///
/// [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
fn first_duplicate_name(archive: &ZipArchive<SharedFile>, reader: SharedFile) -> Option<String> {
    let mut reader = io::BufReader::new(reader);
    io::Seek::seek(
        &mut reader,
        io::SeekFrom::Start(archive.offset() + archive.central_directory_start()),
    )
    .ok()?;
    let mut seen = HashSet::new();
    loop {
        let mut fixed = [0u8; 46];
        reader.read_exact(&mut fixed).ok()?;
        if fixed[..4] != 0x0201_4b50u32.to_le_bytes() {
            return None;
        }
        let len = |at: usize| usize::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
        let mut name = vec![0u8; len(28)];
        reader.read_exact(&mut name).ok()?;
        let skip = i64::try_from(len(30) + len(32)).ok()?;
        io::Seek::seek_relative(&mut reader, skip).ok()?;
        if !seen.insert(name.clone()) {
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
    }
}

/// The per-task state of the parallel extraction: an archive and a reader of
/// its own, and a buffer.
struct ExtractTask<'a> {
    wheel: &'a Path,
    archive: ZipArchive<SharedFile>,
    reader: SharedFile,
    buffer: Vec<u8>,
}

/// What [`ExtractTask::copy`] measured.
struct Copied {
    size: u64,
    sha256: String,
}

impl<'a> ExtractTask<'a> {
    fn new(wheel: &'a Path, archive: &ZipArchive<SharedFile>, reader: &SharedFile) -> Self {
        Self {
            wheel,
            archive: archive.clone(),
            reader: reader.clone(),
            buffer: vec![0; BUFFER_SIZE],
        }
    }

    /// Extract one file below `root` and check it against RECORD.
    fn extract(
        &mut self,
        file: &FileEntry,
        root: &Path,
        record: &RecordIndex,
    ) -> Result<(ManifestFile, Option<UnzipWarning>), UnzipError> {
        let path = root.join(&file.path);
        trace!(entry = %file.path, "Unzipping");
        let mut writer = create_file(&path, file.executable).map_err(|err| UnzipError::Write {
            wheel: self.wheel.to_path_buf(),
            err,
        })?;
        let copied = self.copy(file, &mut writer)?;
        let warning = record.check_file(self.wheel, &file.path, &copied.sha256, copied.size)?;
        Ok((
            ManifestFile {
                path: file.path.clone(),
                size: copied.size,
                executable: file.executable,
                sha256: copied.sha256,
            },
            warning,
        ))
    }

    /// Check the local header, then copy the entry's data into `writer`,
    /// checking its CRC-32 and size against the central directory.
    fn copy(&mut self, file: &FileEntry, writer: &mut impl Write) -> Result<Copied, UnzipError> {
        let wheel = self.wheel;
        let entry = self
            .archive
            .by_index_data(file.index)
            .map_err(|err| UnzipError::Archive {
                wheel: wheel.to_path_buf(),
                err,
            })?;
        let expected_crc = entry.crc32();
        let expected_size = entry.size();
        let central = CentralValues {
            name: entry.name_raw(),
            method: method_number(entry.compression()),
            encrypted: entry.encrypted(),
            crc: expected_crc,
            compressed_size: entry.compressed_size(),
            uncompressed_size: expected_size,
        };
        check_local_header(&mut self.reader, entry.header_start(), &central).map_err(|err| {
            match err {
                LocalHeaderError::Io(err) => UnzipError::ReadEntry {
                    wheel: wheel.to_path_buf(),
                    entry: file.name.clone(),
                    err,
                },
                LocalHeaderError::Signature(signature) => UnzipError::MissingLocalHeader {
                    wheel: wheel.to_path_buf(),
                    entry: file.name.clone(),
                    offset: entry.header_start(),
                    signature,
                },
                LocalHeaderError::Mismatch(mismatch) => UnzipError::HeaderMismatch {
                    wheel: wheel.to_path_buf(),
                    entry: file.name.clone(),
                    field: mismatch.field,
                    local: mismatch.local,
                    central: mismatch.central,
                },
            }
        })?;

        let read_err = |err: io::Error| UnzipError::ReadEntry {
            wheel: wheel.to_path_buf(),
            entry: file.name.clone(),
            err,
        };
        // We compute the CRC-32 ourselves, to say which values differ.
        let mut data = self
            .archive
            .by_index_with_options(file.index, ZipReadOptions::new().ignore_crc32(true))
            .map_err(|err| read_err(err.into()))?;
        let mut crc = crc32fast::Hasher::new();
        let mut sha256 = Sha256::new();
        let mut size = 0u64;
        loop {
            let read = match data.read(&mut self.buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(read_err(err)),
            };
            let chunk = &self.buffer[..read];
            crc.update(chunk);
            sha256.update(chunk);
            writer.write_all(chunk).map_err(|err| UnzipError::Write {
                wheel: wheel.to_path_buf(),
                err,
            })?;
            size += read as u64;
        }
        if size != expected_size {
            return Err(UnzipError::SizeMismatch {
                wheel: wheel.to_path_buf(),
                entry: file.name.clone(),
                expected: expected_size,
                actual: size,
            });
        }
        let actual_crc = crc.finalize();
        if actual_crc != expected_crc {
            return Err(UnzipError::CrcMismatch {
                wheel: wheel.to_path_buf(),
                entry: file.name.clone(),
                expected: expected_crc,
                actual: actual_crc,
            });
        }
        Ok(Copied {
            size,
            sha256: BASE64URL_NOPAD.encode(&sha256.finalize()),
        })
    }
}

/// Create a new file (never overwriting: a clash means two entries resolved to
/// one path, e.g. on a case-insensitive filesystem).
fn create_file(path: &Path, executable: bool) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    options.open(path)
}

#[cfg(unix)]
fn set_dir_permissions(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_dir_permissions(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &std::fs::Metadata) -> bool {
    false
}

/// `tempfile` errors do not name the directory.
fn with_path(err: io::Error, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!(
            "failed to create a temporary directory in `{}`: {err}",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> FileEntry {
        FileEntry {
            index: 0,
            name: path.to_string(),
            path: path.to_string(),
            executable: false,
        }
    }

    #[test]
    fn dirs_are_complete_and_parents_first() {
        let files = [file("a/b/c.py"), file("a-b/d.py"), file("top.py")];
        let dirs = all_dirs(&files, vec!["e/f".to_string(), "a".to_string()]);
        assert_eq!(dirs, ["a", "a/b", "a-b", "e", "e/f"]);
    }
}
