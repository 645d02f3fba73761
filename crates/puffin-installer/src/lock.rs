//! An exclusive lock on an environment for the whole of a sync, so that two
//! puffin processes never change one environment at once.

use std::io;
use std::path::Path;

use fs_err as fs;
use install_wheel_rs::{Layout, Recovery, read_record, uninstall_wheel};
use puffin_fs::{LockMode, LockedFile};
use tracing::debug;

use crate::Error;

/// The name of the lock file at the environment's root.
pub const LOCK_FILENAME: &str = ".lock";

/// Held while a process changes an environment; released on drop.
#[derive(Debug)]
pub struct EnvironmentLock {
    lock: LockedFile,
}

impl EnvironmentLock {
    /// Take the exclusive lock on the environment at `root` (`<root>/.lock`),
    /// calling `on_wait` once if another process holds it, then waiting.
    pub fn acquire(root: &Path, on_wait: impl FnOnce(&Path)) -> io::Result<Self> {
        let path = root.join(LOCK_FILENAME);
        let lock = LockedFile::acquire(&path, LockMode::Exclusive, || on_wait(&path))?;
        Ok(Self { lock })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.lock.path()
    }
}

/// Finish what a killed run left in the environment `layout`: roll back (or,
/// if it had committed, clean up) an unfinished transaction, then
/// [`clean_leftovers`] in purelib and platlib. Call only while holding the
/// [`EnvironmentLock`], before changing anything. Returns what was
/// recovered, for the caller to tell the user.
pub fn recover_environment(layout: &Layout) -> Result<Option<Recovery>, Error> {
    let scheme = &layout.scheme;
    let recovery = install_wheel_rs::recover(layout).map_err(|err| Error::Transaction {
        path: scheme.purelib.clone(),
        err: Box::new(err),
    })?;
    let mut dirs = vec![&scheme.purelib];
    if scheme.platlib != scheme.purelib {
        dirs.push(&scheme.platlib);
    }
    for dir in dirs {
        let removed = clean_leftovers(layout, dir).map_err(|err| Error::Environment {
            path: dir.clone(),
            err,
        })?;
        if removed > 0 {
            debug!(removed, dir = %dir.display(), "Removed leftovers of an interrupted run");
        }
    }
    Ok(recovery)
}

/// Remove what a killed run left in a site-packages directory of `layout`:
/// temporary `.dist-info` builds and temporary files of interrupted
/// overwrites are removed; an interrupted uninstall (its `.dist-info` moved
/// aside, some files still there) is finished from the moved RECORD, so that
/// no file is left that no RECORD lists. Call only while holding the
/// [`EnvironmentLock`]. Returns how many leftovers were removed.
pub fn clean_leftovers(layout: &Layout, site_packages: &Path) -> io::Result<usize> {
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
        if name.starts_with(UNINSTALL_PREFIX) && finish_uninstall(layout, site_packages, &path) {
            removed += 1;
            continue;
        }
        let result = if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match result {
            Ok(()) => removed += 1,
            // A failed `finish_uninstall` may have moved it again; the new
            // name is cleaned next time.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
    }
    Ok(removed)
}

/// The prefix `uninstall_wheel` gives a `.dist-info` it moves aside.
const UNINSTALL_PREFIX: &str = ".tmp-puffin-uninstall-";

/// Finish the uninstall whose `.dist-info` was moved aside to `moved`:
/// remove the files its RECORD lists, confined as `uninstall_wheel` confines
/// them. Not when the original `.dist-info` exists again (its files would be
/// the live ones) or the RECORD is gone (the uninstall was removing the moved
/// directory itself). Returns whether it was done.
fn finish_uninstall(layout: &Layout, site_packages: &Path, moved: &Path) -> bool {
    let Ok(record) = fs::read(moved.join("RECORD")) else {
        return false;
    };
    let Ok(rows) = read_record(record.as_slice()) else {
        return false;
    };
    // RECORD's own row names the original `.dist-info`.
    let original = rows.iter().find_map(|row| {
        row.path
            .strip_suffix("/RECORD")
            .filter(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
    });
    if original.is_none_or(|original| site_packages.join(original).exists()) {
        return false;
    }
    match uninstall_wheel(layout, moved) {
        Ok(_) => true,
        Err(err) => {
            debug!(moved = %moved.display(), %err, "Failed to finish an interrupted uninstall");
            false
        }
    }
}
