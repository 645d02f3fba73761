//! The one sweep of the store's leftovers.

use std::io;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_cache::Cache;

use crate::store::TEMP_DIR;
use crate::{StoreError, WheelStore};

/// The wheels bucket of the layout before the store was content-addressed:
/// entries keyed by source, with the archive hash in a file inside the
/// entry. It is never read; the sweep removes it.
const LEGACY_BUCKET: &str = "wheels-v0";

/// What [`WheelStore::sweep`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Temporary directories and files of interrupted runs.
    pub leftovers: usize,
    /// The old layout's bucket, if there was one (its entries would have to be
    /// downloaded again anyway: they are keyed differently).
    pub legacy_bucket: Option<PathBuf>,
}

impl WheelStore {
    /// Remove what killed runs left in the temporary area, and the bucket of
    /// the old layout. Call only with the cache's exclusive lock held: then no
    /// other process has work in progress there.
    pub fn sweep(&self, cache: &Cache) -> Result<SweepReport, StoreError> {
        let mut report = SweepReport::default();
        let temp = self.root().join(TEMP_DIR);
        let entries = match fs::read_dir(&temp) {
            Ok(entries) => entries
                .collect::<Result<Vec<_>, _>>()
                .map_err(sweep_err(&temp))?,
            Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(sweep_err(&temp)(err)),
        };
        for entry in entries {
            remove_any(&entry.path())?;
            report.leftovers += 1;
        }
        let legacy = cache.root().join(LEGACY_BUCKET);
        if fs::symlink_metadata(&legacy).is_ok() {
            remove_any(&legacy)?;
            report.legacy_bucket = Some(legacy);
        }
        Ok(report)
    }
}

fn sweep_err(path: &Path) -> impl Fn(io::Error) -> StoreError + '_ {
    move |err| StoreError::Sweep {
        path: path.to_path_buf(),
        err,
    }
}

/// Remove a file or a directory tree; one already gone is fine.
fn remove_any(path: &Path) -> Result<(), StoreError> {
    let result = match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(err) => Err(err),
    };
    match result {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(sweep_err(path)(err)),
        _ => Ok(()),
    }
}
