//! Unzip a downloaded wheel into a directory of the wheel store: validated,
//! in parallel, and published atomically.
//!
//! 1. Every central directory entry is checked before anything is written:
//!    names (no absolute paths, `..`, backslashes or control characters),
//!    types (regular files and directories only), duplicates (also after
//!    normalization), a path that is both a file and a directory, compression
//!    (stored or deflate) and encryption. Paths that differ only in case are
//!    a warning: they work where the filesystem tells them apart, and fail
//!    with a clear error where it does not. RECORD is located and parsed, and
//!    every row must name an entry of the archive.
//! 2. Directories are created in a temporary directory next to the target, on
//!    the same filesystem; files are then extracted in parallel (rayon), each
//!    task reading through its own cheap clone of the archive (positional
//!    reads on one shared descriptor, no reopening). Files are created with
//!    `create_new`, so nothing is ever written twice. For each file
//!    the local header is compared with the central directory, and CRC-32,
//!    size and SHA-256 are computed while writing and checked against the
//!    archive and RECORD.
//! 3. The [`WheelManifest`] is written into the temporary directory, which is
//!    renamed to the target. A directory rename is atomic, and fails when the
//!    target is a non-empty directory: if another process published first,
//!    its entry is used and ours discarded. A failed unzip removes the
//!    temporary directory, and nothing ever appears at the target half-written.

mod error;
mod extract;
mod local_header;
mod names;
mod reader;
mod record;
mod verify;

use std::io;
use std::path::Path;
use std::time::Duration;

use distribution_filename::WheelFilename;
use fs_err as fs;
use install_wheel_rs::WheelManifest;
use tracing::{debug, instrument};

pub use error::{UnzipError, UnzipWarning};
pub use names::EntryNameError;
pub use verify::{EntryStatus, verify_entry};

/// The prefix of the temporary directories created next to cache entries.
const TEMP_PREFIX: &str = ".tmp-unzip-";

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
pub fn unzip_wheel(
    wheel_path: &Path,
    filename: &WheelFilename,
    target: &Path,
) -> Result<UnzipOutcome, UnzipError> {
    let parent = target
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    unzip_wheel_via(wheel_path, filename, target, parent)
}

/// [`unzip_wheel`], with the temporary directory created in `temp_parent`
/// instead of next to `target`. `temp_parent` must be on `target`'s
/// filesystem, so that publishing is a rename; a store keeps all its
/// temporary directories in one place so that one sweep finds them.
#[instrument(skip_all, fields(wheel = %filename))]
pub fn unzip_wheel_via(
    wheel_path: &Path,
    filename: &WheelFilename,
    target: &Path,
    temp_parent: &Path,
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
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(write_err)?;
    }
    fs::create_dir_all(temp_parent).map_err(write_err)?;
    // Removed on drop unless published: every early return below cleans up.
    let temp_dir = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempdir_in(temp_parent)
        .map_err(write_err)?;

    let (manifest, warnings) = extract::extract_into(wheel_path, filename, temp_dir.path())?;
    // A wheel that no install would accept is refused here, once, instead of
    // being cached and refused by every later install.
    install_wheel_rs::check_unpacked_wheel(temp_dir.path(), &manifest, filename).map_err(
        |err| UnzipError::InvalidWheel {
            wheel: wheel_path.to_path_buf(),
            err: Box::new(err),
        },
    )?;
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

#[cfg(unix)]
fn set_dir_permissions(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_dir_permissions(_path: &Path) -> io::Result<()> {
    Ok(())
}
