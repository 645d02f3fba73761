//! An exclusive lock on an environment for the whole of a sync, so that two
//! puffin processes never change one environment at once.

use std::fs::TryLockError;
use std::io;
use std::path::{Path, PathBuf};

use fs_err as fs;

/// The name of the lock file at the environment's root.
pub const LOCK_FILENAME: &str = ".lock";

/// Held while a process changes an environment; released on drop.
#[derive(Debug)]
pub struct EnvironmentLock {
    _file: fs::File,
    path: PathBuf,
}

impl EnvironmentLock {
    /// Take the exclusive lock on the environment at `root` (`<root>/.lock`),
    /// calling `on_wait` once if another process holds it, then waiting.
    pub fn acquire(root: &Path, on_wait: impl FnOnce(&Path)) -> io::Result<Self> {
        let path = root.join(LOCK_FILENAME);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.file().try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                on_wait(&path);
                file.file().lock().map_err(|err| {
                    io::Error::new(
                        err.kind(),
                        format!("Failed to lock `{}`: {err}", path.display()),
                    )
                })?;
            }
            Err(TryLockError::Error(err)) => {
                return Err(io::Error::new(
                    err.kind(),
                    format!("Failed to lock `{}`: {err}", path.display()),
                ));
            }
        }
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Remove what a killed run left in a site-packages directory: temporary
/// `.dist-info` builds, moved-away `.dist-info` directories of interrupted
/// uninstalls and temporary files of interrupted overwrites. Call only while
/// holding the [`EnvironmentLock`]. Returns how many leftovers were removed.
pub fn clean_leftovers(site_packages: &Path) -> io::Result<usize> {
    let entries = match fs::read_dir(site_packages) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(".tmp-puffin-") || name.starts_with(".puffin-tmp-")) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
        removed += 1;
    }
    Ok(removed)
}
