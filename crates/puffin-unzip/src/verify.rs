//! Checking a published cache entry against its manifest.

use std::io;
use std::path::{Path, PathBuf};

use fs_err as fs;
use install_wheel_rs::{ManifestError, ManifestFile, WheelManifest, hash_file};
use rayon::prelude::*;

use super::UnzipError;

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
    if cfg!(unix) && puffin_fs::is_executable(&metadata) != file.executable {
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
