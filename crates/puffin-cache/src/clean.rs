use std::io;
use std::path::Path;

use distribution_filename::PackageName;
use fs_err as fs;
use tracing::debug;

use crate::{Cache, CacheBucket, CacheError};

/// What `puffin clean` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanSummary {
    /// Cache entries removed: wheel entries and index pages when cleaning
    /// packages, the top-level buckets when cleaning everything.
    pub entries_removed: u64,
    /// Files (and symlinks) removed.
    pub files_removed: u64,
    /// Directories removed.
    pub dirs_removed: u64,
    /// Bytes of the removed files (their apparent size).
    pub bytes_removed: u64,
}

impl Cache {
    /// Remove everything (when `packages` is empty) or every entry of the given
    /// packages: their unzipped wheels from every source and their cached index
    /// pages. Takes the exclusive lock first, waiting for running installs.
    pub fn clean(&self, packages: &[PackageName]) -> Result<CleanSummary, CacheError> {
        self.clean_with(packages, || {})
    }

    /// [`Cache::clean`], calling `on_wait` once if another process holds the lock.
    pub fn clean_with(
        &self,
        packages: &[PackageName],
        on_wait: impl FnOnce(),
    ) -> Result<CleanSummary, CacheError> {
        let mut summary = CleanSummary::default();
        if !self.root().is_dir() {
            return Ok(summary);
        }
        let _lock = self.lock_exclusive_with(on_wait)?;
        if packages.is_empty() {
            self.clean_all(&mut summary)?;
        } else {
            self.clean_packages(packages, &mut summary)?;
        }
        debug!(?summary, "Cleaned the cache");
        Ok(summary)
    }

    /// Everything below the root but the lock file (which the exclusive lock is
    /// held on: removing it would let another process lock a new file) and
    /// `CACHEDIR.TAG`.
    fn clean_all(&self, summary: &mut CleanSummary) -> Result<(), CacheError> {
        for child in read_dir(self.root())? {
            let name = child.file_name();
            if name == ".lock" || name == "CACHEDIR.TAG" {
                continue;
            }
            remove_counting(&child.path(), summary)?;
            summary.entries_removed += 1;
        }
        Ok(())
    }

    fn clean_packages(
        &self,
        packages: &[PackageName],
        summary: &mut CleanSummary,
    ) -> Result<(), CacheError> {
        // The wheel store keeps each package's entries and pointers in one
        // directory named by the normalized name: `wheels-v1/<name>/`.
        let wheels = self.bucket(CacheBucket::Wheels);
        for package in packages {
            let dir = wheels.join(package.as_str());
            if dir.is_dir() {
                remove_counting(&dir, summary)?;
                summary.entries_removed += 1;
            }
        }
        // `simple-v0/{digest}/{name}.json`.
        let simple = self.bucket(CacheBucket::Simple);
        for index in read_dir_if_exists(&simple)? {
            if !index.path().is_dir() {
                continue;
            }
            for package in packages {
                let page = index.path().join(format!("{package}.json"));
                if page.is_file() {
                    remove_counting(&page, summary)?;
                    summary.entries_removed += 1;
                }
            }
        }
        Ok(())
    }
}

fn read_dir(path: &Path) -> Result<Vec<fs::DirEntry>, CacheError> {
    let clean_err = |err| CacheError::Clean {
        path: path.to_path_buf(),
        err,
    };
    let mut entries = fs::read_dir(path)
        .map_err(clean_err)?
        .collect::<io::Result<Vec<_>>>()
        .map_err(clean_err)?;
    entries.sort_by_key(fs::DirEntry::file_name);
    Ok(entries)
}

fn read_dir_if_exists(path: &Path) -> Result<Vec<fs::DirEntry>, CacheError> {
    if path.is_dir() {
        read_dir(path)
    } else {
        Ok(Vec::new())
    }
}

/// Remove a file or a whole tree, counting what goes. Symlinks are removed,
/// never followed.
fn remove_counting(path: &Path, summary: &mut CleanSummary) -> Result<(), CacheError> {
    let clean_err = |err| CacheError::Clean {
        path: path.to_path_buf(),
        err,
    };
    let metadata = fs::symlink_metadata(path).map_err(clean_err)?;
    if metadata.is_dir() {
        for child in read_dir(path)? {
            remove_counting(&child.path(), summary)?;
        }
        fs::remove_dir(path).map_err(clean_err)?;
        summary.dirs_removed += 1;
    } else {
        fs::remove_file(path).map_err(clean_err)?;
        summary.files_removed += 1;
        summary.bytes_removed += metadata.len();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn populate(cache: &Cache) -> Vec<std::path::PathBuf> {
        let index = Url::parse("https://a.invalid/simple/").unwrap();
        let mut entries = Vec::new();
        // The wheel store's layout: `wheels-v1/<name>/<archive digest>/`.
        for (name, digest) in [
            ("foo-bar", "a".repeat(64)),
            ("foo-bar", "b".repeat(64)),
            ("foo", "c".repeat(64)),
            ("foo-bar-baz", "d".repeat(64)),
        ] {
            let entry = cache.bucket(CacheBucket::Wheels).join(name).join(digest);
            fs::create_dir_all(entry.join("pkg")).unwrap();
            fs::write(entry.join("pkg").join("__init__.py"), "x = 1\n").unwrap();
            entries.push(entry);
        }
        for name in ["foo-bar", "foo"] {
            let page = cache.simple_entry(&index, &PackageName::new(name).unwrap());
            fs::create_dir_all(page.parent().unwrap()).unwrap();
            fs::write(&page, "{}").unwrap();
        }
        entries
    }

    #[test]
    fn cleans_one_package_from_every_bucket() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path());
        let entries = populate(&cache);
        let index = Url::parse("https://a.invalid/simple/").unwrap();
        let temp = cache.temp_dir(CacheBucket::Wheels).unwrap();

        let summary = cache
            .clean(&[PackageName::new("Foo.Bar").unwrap()])
            .unwrap();
        assert_eq!(
            summary.entries_removed, 2,
            "the package's store directory (two wheels) and one page"
        );
        assert_eq!(summary.files_removed, 3);
        assert_eq!(summary.bytes_removed, 2 * 6 + 2);
        assert!(!entries[0].exists());
        assert!(!entries[1].exists());
        assert!(entries[2].exists(), "`foo` is another package");
        assert!(entries[3].exists(), "`foo_bar_baz` is another package");
        assert!(
            !cache
                .simple_entry(&index, &PackageName::new("foo-bar").unwrap())
                .exists()
        );
        assert!(
            cache
                .simple_entry(&index, &PackageName::new("foo").unwrap())
                .exists()
        );
        assert!(
            temp.path().exists(),
            "temporary directories are not entries"
        );
    }

    #[test]
    fn cleans_everything_but_the_lock_and_tag() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path().join("cache"));
        populate(&cache);
        let summary = cache.clean(&[]).unwrap();
        assert_eq!(summary.entries_removed, 2, "the wheels and simple buckets");
        assert_eq!(summary.files_removed, 6);
        let mut left: Vec<_> = fs::read_dir(cache.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".lock", "CACHEDIR.TAG"]);
    }

    #[test]
    fn cleaning_a_missing_cache_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path().join("missing"));
        assert_eq!(cache.clean(&[]).unwrap(), CleanSummary::default());
        assert!(!cache.root().exists());
    }

    #[test]
    fn clean_waits_for_installs() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(dir.path());
        populate(&cache);
        let install = cache.lock_shared().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let cleaner = {
            let cache = cache.clone();
            std::thread::spawn(move || cache.clean_with(&[], || tx.send(()).unwrap()))
        };
        rx.recv().unwrap();
        drop(install);
        assert_eq!(cleaner.join().unwrap().unwrap().entries_removed, 2);
    }
}
