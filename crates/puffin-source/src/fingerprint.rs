//! The fingerprint of a local source tree: what a cached build of it is keyed by.

use std::path::Path;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use tracing::{debug, instrument};
use walkdir::{DirEntry, WalkDir};

use crate::error::Error;

/// The build configuration files whose contents are fingerprinted.
const CONFIG_FILES: [&str; 3] = ["pyproject.toml", "setup.py", "setup.cfg"];

/// Directories skipped at any depth: version control, bytecode, test
/// runners' environments, and setuptools' `.eggs`.
const SKIPPED_ANYWHERE: [&str; 8] = [
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".tox",
    ".nox",
    ".eggs",
    ".venv",
];

/// Directories skipped at the top of the tree only: where build backends
/// write their output (a package may have a `build` subpackage).
const SKIPPED_AT_TOP: [&str; 2] = ["build", "dist"];

/// The fingerprint of the local source tree `dir`: the hexadecimal SHA-256
/// of, in this order,
///
/// 1. for each of `pyproject.toml`, `setup.py` and `setup.cfg` at the top of
///    `dir`, in this order: its name and whether it exists, and if it does, its
///    length and contents;
/// 2. the relative paths of all files (and symbolic links) in the tree, in
///    sorted order, so that adding, removing or renaming a file changes it;
/// 3. the newest modification time (seconds and nanoseconds since the Unix
///    epoch) of those files (the links themselves, not their targets).
///
/// Not walked (so what a build writes into the tree does not change the
/// fingerprint): directories named `.git`, `.hg`, `.svn`, `__pycache__`,
/// `.tox`, `.nox`, `.eggs`, `.venv` or ending in `.egg-info` at any depth;
/// `build` and `dist` at the top of `dir`; any directory holding a
/// `pyvenv.cfg` (a virtual environment) or a `CACHEDIR.TAG` (a cache, such
/// as puffin's own when it lives inside the project). Directories' own
/// modification times are not used, since creating `build/` changes its
/// parent's.
#[instrument(skip_all, fields(dir = %dir.display()))]
pub fn fingerprint(dir: &Path) -> Result<String, Error> {
    let error = |err: std::io::Error| Error::Fingerprint {
        dir: dir.to_path_buf(),
        err,
    };
    let mut hasher = Sha256::new();
    for name in CONFIG_FILES {
        let path = dir.join(name);
        hasher.update(name.as_bytes());
        match fs_err::read(&path) {
            Ok(contents) => {
                hasher.update([1]);
                hasher.update((contents.len() as u64).to_le_bytes());
                hasher.update(&contents);
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => hasher.update([0]),
            Err(err) => return Err(error(err)),
        }
    }
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in walk(dir) {
        let entry = entry.map_err(|err| error(walk_error(err)))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        hasher.update(relative.as_os_str().as_encoded_bytes());
        hasher.update([0]);
        let metadata = entry.metadata().map_err(|err| error(walk_error(err)))?;
        let modified = metadata.modified().map_err(|err| {
            std::io::Error::new(err.kind(), format!("{err}: `{}`", entry.path().display()))
        });
        newest = newest.max(modified.map_err(error)?);
    }
    let since_epoch = newest
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.update(since_epoch.as_secs().to_le_bytes());
    hasher.update(since_epoch.subsec_nanos().to_le_bytes());
    let fingerprint = data_encoding::HEXLOWER.encode(&hasher.finalize());
    debug!(%fingerprint, "Fingerprinted source tree");
    Ok(fingerprint)
}

/// The newest modification time of the files [`fingerprint`] covers (the
/// Unix epoch for a tree without any): a project installed before it is
/// unchanged since.
pub fn newest_modification(dir: &Path) -> Result<SystemTime, Error> {
    let error = |err: std::io::Error| Error::Fingerprint {
        dir: dir.to_path_buf(),
        err,
    };
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in walk(dir) {
        let entry = entry.map_err(|err| error(walk_error(err)))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let metadata = entry.metadata().map_err(|err| error(walk_error(err)))?;
        newest = newest.max(metadata.modified().map_err(error)?);
    }
    Ok(newest)
}

/// The entries of the tree, sorted, without the skipped directories.
fn walk(dir: &Path) -> impl Iterator<Item = walkdir::Result<DirEntry>> {
    WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !is_skipped(entry))
}

/// Whether the walk skips this entry (only directories are skipped).
fn is_skipped(entry: &DirEntry) -> bool {
    if !entry.file_type().is_dir() || entry.depth() == 0 {
        return false;
    }
    let name = entry.file_name().to_string_lossy();
    SKIPPED_ANYWHERE.contains(&name.as_ref())
        || name.ends_with(".egg-info")
        || (entry.depth() == 1 && SKIPPED_AT_TOP.contains(&name.as_ref()))
        || entry.path().join("pyvenv.cfg").exists()
        || entry.path().join("CACHEDIR.TAG").exists()
}

/// A walk error as an I/O error that names its path.
fn walk_error(err: walkdir::Error) -> std::io::Error {
    let path = err.path().map(Path::to_path_buf);
    let io = err.into_io_error();
    let kind = io
        .as_ref()
        .map_or(std::io::ErrorKind::Other, std::io::Error::kind);
    let message = match (io, path) {
        (Some(io), Some(path)) => format!("{io}: `{}`", path.display()),
        (Some(io), None) => io.to_string(),
        (None, Some(path)) => format!("a symbolic link loop at `{}`", path.display()),
        (None, None) => "a symbolic link loop".to_string(),
    };
    std::io::Error::new(kind, message)
}
