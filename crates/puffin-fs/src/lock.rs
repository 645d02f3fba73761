use std::fs::TryLockError;
use std::io;
use std::path::{Path, PathBuf};

use fs_err as fs;
use tracing::debug;

/// How a [`LockedFile`] is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Any number of holders at once.
    Shared,
    /// One holder, and no shared holders.
    Exclusive,
}

/// An advisory lock (`flock`) on a file, created if missing, released when
/// dropped (or by the OS when the process dies).
#[derive(Debug)]
pub struct LockedFile {
    file: fs::File,
    mode: LockMode,
}

impl LockedFile {
    /// Lock `path` in `mode`; if another process holds a conflicting lock,
    /// call `on_wait` once, then block until it is released.
    pub fn acquire(path: &Path, mode: LockMode, on_wait: impl FnOnce()) -> io::Result<Self> {
        if let Some(locked) = Self::try_acquire(path, mode)? {
            return Ok(locked);
        }
        on_wait();
        debug!(path = %path.display(), ?mode, "Waiting for a lock");
        let file = open(path)?;
        let result = match mode {
            LockMode::Shared => file.file().lock_shared(),
            LockMode::Exclusive => file.file().lock(),
        };
        result.map_err(|err| lock_error(path, err))?;
        Ok(Self { file, mode })
    }

    /// Lock `path` in `mode` only if that needs no waiting: `Ok(None)` if
    /// another process holds a conflicting lock.
    pub fn try_acquire(path: &Path, mode: LockMode) -> io::Result<Option<Self>> {
        let file = open(path)?;
        let attempt = match mode {
            LockMode::Shared => file.file().try_lock_shared(),
            LockMode::Exclusive => file.file().try_lock(),
        };
        match attempt {
            Ok(()) => Ok(Some(Self { file, mode })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(err)) => Err(lock_error(path, err)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// How the lock is held.
    pub fn mode(&self) -> LockMode {
        self.mode
    }
}

impl Drop for LockedFile {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first is explicit.
        if let Err(err) = self.file.file().unlock() {
            debug!(path = %self.file.path().display(), %err, "Failed to unlock");
        }
    }
}

/// Open (or create) the lock file. An existing one that cannot be opened
/// for writing (a read-only cache or filesystem) is opened for reading:
/// `flock` needs no write access, so readers of a read-only cache still
/// exclude a writer that can write it.
fn open(path: &Path) -> io::Result<fs::File> {
    let writable = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path);
    match writable {
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied
            ) =>
        {
            fs::File::open(path).map_err(|_| err)
        }
        result => result,
    }
}

fn lock_error(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("Failed to lock `{}`: {err}", PathBuf::from(path).display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_locks_coexist_and_exclude_the_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let first = LockedFile::try_acquire(&path, LockMode::Shared).unwrap();
        let second = LockedFile::try_acquire(&path, LockMode::Shared).unwrap();
        assert!(first.is_some() && second.is_some());
        assert!(
            LockedFile::try_acquire(&path, LockMode::Exclusive)
                .unwrap()
                .is_none()
        );
        drop((first, second));
        let exclusive = LockedFile::try_acquire(&path, LockMode::Exclusive).unwrap();
        assert_eq!(exclusive.unwrap().mode(), LockMode::Exclusive);
    }
}
