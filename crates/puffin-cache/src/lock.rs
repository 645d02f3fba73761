use std::path::PathBuf;

use puffin_fs::{LockMode, LockedFile};

use crate::{Cache, CacheError};

/// A held lock on the cache, released when dropped.
///
/// Installs hold it shared, so that any number of them run at once;
/// `puffin clean` holds it exclusively, so that it never removes an entry
/// another process is reading or publishing. The lock is advisory (`flock`),
/// taken on `<root>/.lock`, and released by the OS if the process dies.
#[derive(Debug)]
pub struct CacheLock {
    lock: LockedFile,
}

impl CacheLock {
    /// Whether this is the exclusive lock.
    pub fn is_exclusive(&self) -> bool {
        self.lock.mode() == LockMode::Exclusive
    }
}

impl Cache {
    /// The lock file, `<root>/.lock`.
    pub fn lock_path(&self) -> PathBuf {
        self.root().join(".lock")
    }

    /// Take the shared lock (installs), waiting as long as needed.
    pub fn lock_shared(&self) -> Result<CacheLock, CacheError> {
        self.lock_shared_with(|| {})
    }

    /// Take the exclusive lock (`puffin clean`), waiting as long as needed.
    pub fn lock_exclusive(&self) -> Result<CacheLock, CacheError> {
        self.lock_exclusive_with(|| {})
    }

    /// Take the shared lock; if another process holds it exclusively, call
    /// `on_wait` once (for the CLI to print "Waiting for another puffin process
    /// to release the cache lock") and then block until it is released.
    pub fn lock_shared_with(&self, on_wait: impl FnOnce()) -> Result<CacheLock, CacheError> {
        self.lock(LockMode::Shared, on_wait)
    }

    /// Take the exclusive lock; if another process holds it, call `on_wait`
    /// once and then block until it is released.
    pub fn lock_exclusive_with(&self, on_wait: impl FnOnce()) -> Result<CacheLock, CacheError> {
        self.lock(LockMode::Exclusive, on_wait)
    }

    /// Take the lock only if that needs no waiting: `Ok(None)` if another
    /// process holds it in a conflicting mode.
    pub fn try_lock(&self, exclusive: bool) -> Result<Option<CacheLock>, CacheError> {
        self.init_for_lock()?;
        let mode = if exclusive {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        };
        let path = self.lock_path();
        LockedFile::try_acquire(&path, mode)
            .map(|lock| lock.map(|lock| CacheLock { lock }))
            .map_err(|err| CacheError::Lock { path, err })
    }

    fn lock(&self, mode: LockMode, on_wait: impl FnOnce()) -> Result<CacheLock, CacheError> {
        self.init_for_lock()?;
        let path = self.lock_path();
        LockedFile::acquire(&path, mode, on_wait)
            .map(|lock| CacheLock { lock })
            .map_err(|err| CacheError::Lock { path, err })
    }

    fn init_for_lock(&self) -> Result<(), CacheError> {
        self.init().map_err(|err| CacheError::Init {
            path: self.root().to_path_buf(),
            err,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn shared_locks_coexist_and_exclude_the_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path());
        let a = cache.lock_shared().unwrap();
        let b = cache.lock_shared().unwrap();
        assert!(!a.is_exclusive());
        // Each lock opens its own file description, so they conflict like two processes.
        assert!(cache.try_lock(true).unwrap().is_none());
        drop(a);
        assert!(cache.try_lock(true).unwrap().is_none());
        drop(b);
        let exclusive = cache.try_lock(true).unwrap().unwrap();
        assert!(exclusive.is_exclusive());
        assert!(cache.try_lock(false).unwrap().is_none());
    }

    #[test]
    fn waiting_is_reported_once_then_the_lock_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path());
        let held = cache.lock_shared().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let cache = cache.clone();
            std::thread::spawn(move || {
                let waited = Cell::new(false);
                let lock = cache
                    .lock_exclusive_with(|| {
                        waited.set(true);
                        tx.send(()).unwrap();
                    })
                    .unwrap();
                assert!(lock.is_exclusive());
                waited.get()
            })
        };
        // The waiter tells us it is waiting; only then do we release.
        rx.recv().unwrap();
        drop(held);
        assert!(waiter.join().unwrap());
        // Not waiting: `on_wait` is not called.
        let called = Cell::new(false);
        let _lock = cache.lock_shared_with(|| called.set(true)).unwrap();
        assert!(!called.get());
    }
}
