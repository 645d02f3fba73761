//! [`WheelStore`]: the one owner of the wheel store's entries and pointers.

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::{PackageName, WheelFilename};
use fs_err as fs;
use install_wheel_rs::WheelManifest;
use pep440_rs::Version;
use platform_tags::Tags;
use puffin_cache::{Cache, CacheBucket};
use puffin_package::{HashAlgorithm, HashDigest};
use puffin_unzip::{EntryStatus, UnzipError, UnzipWarning};
use tracing::debug;
use url::Url;

use crate::{StoreError, WheelOrigin};

/// The directory of pointers below a package's directory.
const POINTERS_DIR: &str = "pointers";
/// The store's temporary area below its root.
pub(crate) const TEMP_DIR: &str = ".tmp";

/// A published entry of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWheel {
    /// The wheel's filename.
    pub filename: WheelFilename,
    /// The SHA-256 of the archive the entry was unzipped from.
    pub sha256: HashDigest,
    /// The entry directory: the unzipped wheel and its manifest.
    pub path: PathBuf,
}

/// What [`WheelStore::publish`] did.
#[derive(Debug)]
pub struct Published {
    /// The entry now in the store.
    pub wheel: StoredWheel,
    /// Oddities of the archive that did not stop the unzip; empty when the
    /// entry was already there.
    pub warnings: Vec<UnzipWarning>,
    /// Whether the entry was already in the store (the archive was not unzipped).
    pub already_present: bool,
}

/// The content-addressed store of unzipped wheels (see the crate docs for the
/// layout). Cloning is cheap.
#[derive(Debug, Clone)]
pub struct WheelStore {
    root: PathBuf,
}

impl WheelStore {
    /// The store in the cache's wheels bucket (nothing is created yet).
    pub fn new(cache: &Cache) -> Self {
        Self {
            root: cache.bucket(CacheBucket::Wheels),
        }
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a package's entries and pointers.
    fn package_dir(&self, name: &PackageName) -> PathBuf {
        self.root.join(name.as_str())
    }

    /// The entry of the archive with this SHA-256 (it may not exist).
    fn entry_path(&self, name: &PackageName, sha256: &HashDigest) -> PathBuf {
        self.package_dir(name).join(sha256.digest())
    }

    /// The published entry of `name` unzipped from the archive `sha256`, if any.
    /// Only SHA-256 digests can name an entry.
    pub fn get(&self, name: &PackageName, sha256: &HashDigest) -> Option<StoredWheel> {
        if sha256.algorithm() != HashAlgorithm::Sha256 {
            return None;
        }
        let path = self.entry_path(name, sha256);
        let manifest = WheelManifest::read(&path).ok().flatten()?;
        let filename = WheelFilename::from_str(&manifest.filename).ok()?;
        (filename.name == *name).then(|| StoredWheel {
            filename,
            sha256: sha256.clone(),
            path,
        })
    }

    /// The best entry, for `tags`, among the archives a requirement's hashes
    /// name: a hash-pinned requirement needs neither the network nor a pointer.
    /// With `version`, only entries of that version count.
    pub fn find_by_hashes(
        &self,
        name: &PackageName,
        version: Option<&Version>,
        hashes: &[HashDigest],
        tags: &Tags,
    ) -> Option<StoredWheel> {
        let found: Vec<StoredWheel> = hashes
            .iter()
            .filter_map(|hash| self.get(name, hash))
            .filter(|wheel| version.is_none_or(|version| wheel.filename.version == *version))
            .collect();
        let (_, wheel) =
            platform_tags::best_wheel(tags, found.iter().map(|wheel| (&wheel.filename, wheel)))?;
        Some(wheel.clone())
    }

    /// The best entry for `tags` of `name==version` that one of `indexes`
    /// served, looking at the indexes in order (the first with one wins, as
    /// for network lookups): a warm pin without the network.
    pub fn find_pinned(
        &self,
        indexes: &[Url],
        name: &PackageName,
        version: &Version,
        tags: &Tags,
    ) -> Option<StoredWheel> {
        let prefix = format!("{}-{version}-", name.as_dist_info_name());
        for index in indexes {
            let Ok(dir) = self.pointer_dir(name, &WheelOrigin::Index(index)) else {
                continue;
            };
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            let candidates: Vec<WheelFilename> = entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let stem = entry.file_name().into_string().ok()?;
                    if !stem.starts_with(&prefix) {
                        return None;
                    }
                    let filename = WheelFilename::from_str(&format!("{stem}.whl")).ok()?;
                    (filename.name == *name && filename.version == *version).then_some(filename)
                })
                .collect();
            let mut ranked: Vec<&WheelFilename> = candidates.iter().collect();
            // Best first; a pointer whose entry is gone falls through to the next.
            while let Some((best, ())) =
                platform_tags::best_wheel(tags, ranked.iter().map(|filename| (*filename, ())))
            {
                if let Some(wheel) = self.follow(&dir, best) {
                    return Some(wheel);
                }
                ranked.retain(|filename| *filename != best);
            }
        }
        None
    }

    /// The entry the pointer of `origin` and `filename` names, if the pointer
    /// and its entry exist.
    pub fn find(
        &self,
        origin: &WheelOrigin<'_>,
        filename: &WheelFilename,
    ) -> Result<Option<StoredWheel>, StoreError> {
        let dir = self.pointer_dir(&filename.name, origin)?;
        Ok(self.follow(&dir, filename))
    }

    /// Read the pointer `dir/<stem>` and return its entry, if published.
    fn follow(&self, dir: &Path, filename: &WheelFilename) -> Option<StoredWheel> {
        let text = puffin_fs::read_small_to_string(&dir.join(filename.stem()), 128).ok()?;
        let sha256 = HashDigest::new(HashAlgorithm::Sha256, text.trim()).ok()?;
        let path = self.entry_path(&filename.name, &sha256);
        path.join(install_wheel_rs::MANIFEST_FILENAME)
            .is_file()
            .then(|| StoredWheel {
                filename: filename.clone(),
                sha256,
                path,
            })
    }

    fn pointer_dir(
        &self,
        name: &PackageName,
        origin: &WheelOrigin<'_>,
    ) -> Result<PathBuf, StoreError> {
        Ok(self
            .package_dir(name)
            .join(POINTERS_DIR)
            .join(origin.pointer_dir_name()?))
    }

    /// A new temporary directory in the store's temporary area (on the store's
    /// filesystem), e.g. to download an archive into. Removed when dropped.
    pub fn temp_dir(&self) -> Result<tempfile::TempDir, StoreError> {
        let dir = self.root.join(TEMP_DIR);
        let temp_err = |err| StoreError::TempDir {
            dir: dir.clone(),
            err,
        };
        fs::create_dir_all(&dir).map_err(temp_err)?;
        tempfile::Builder::new()
            .prefix("download-")
            .tempdir_in(&dir)
            .map_err(temp_err)
    }

    /// Unzip the archive at `archive`, whose SHA-256 the caller computed while
    /// reading it, into its entry (unless that entry is already published),
    /// then point `origin` at it, replacing what the pointer said before.
    ///
    /// The entry is validated and written whole in the temporary area, then
    /// published by one rename ([`puffin_unzip::unzip_wheel_via`]).
    ///
    /// An entry directory without a valid manifest is what a killed `puffin
    /// clean` leaves (it removes the manifest, which sorts first, then the
    /// files). As entries are only ever published whole, it is nobody's work
    /// in progress: it is moved aside and the archive published again.
    pub fn publish(
        &self,
        archive: &Path,
        filename: &WheelFilename,
        sha256: &HashDigest,
        origin: &WheelOrigin<'_>,
    ) -> Result<Published, StoreError> {
        let entry = self.entry_path(&filename.name, sha256);
        let temp = self.root.join(TEMP_DIR);
        let unzip = || puffin_unzip::unzip_wheel_via(archive, filename, &entry, &temp);
        let outcome = match unzip() {
            Err(UnzipError::Occupied { .. } | UnzipError::Manifest { .. }) => {
                debug!(entry = %entry.display(), "Replacing a half-removed store entry");
                self.remove_dir(&entry)?;
                unzip()?
            }
            result => result?,
        };
        self.write_pointer(origin, filename, sha256)?;
        Ok(Published {
            wheel: StoredWheel {
                filename: filename.clone(),
                sha256: sha256.clone(),
                path: entry,
            },
            warnings: outcome.warnings,
            already_present: outcome.already_present,
        })
    }

    /// Point `origin`'s pointer for `filename` at `sha256`, atomically: the
    /// new record is written in the temporary area and renamed over the old.
    pub fn write_pointer(
        &self,
        origin: &WheelOrigin<'_>,
        filename: &WheelFilename,
        sha256: &HashDigest,
    ) -> Result<(), StoreError> {
        let path = self
            .pointer_dir(&filename.name, origin)?
            .join(filename.stem());
        let write_err = |err| StoreError::WritePointer {
            path: path.clone(),
            err,
        };
        if puffin_fs::read_small_to_string(&path, 128)
            .is_ok_and(|text| text.trim() == sha256.digest())
        {
            return Ok(());
        }
        let temp_dir = self.root.join(TEMP_DIR);
        fs::create_dir_all(&temp_dir).map_err(write_err)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(write_err)?;
        }
        let mut temp = tempfile::Builder::new()
            .prefix("pointer-")
            .tempfile_in(&temp_dir)
            .map_err(write_err)?;
        io::Write::write_all(&mut temp, format!("{}\n", sha256.digest()).as_bytes())
            .map_err(write_err)?;
        temp.persist(&path).map_err(|err| write_err(err.error))?;
        debug!(pointer = %path.display(), %sha256, "Recorded the archive's digest");
        Ok(())
    }

    /// Check an entry against its manifest (see [`puffin_unzip::verify_entry`]).
    pub fn verify(&self, wheel: &StoredWheel) -> Result<EntryStatus, StoreError> {
        Ok(puffin_unzip::verify_entry(&wheel.path)?)
    }

    /// Remove an entry: it is first renamed into the temporary area, so no
    /// reader ever sees it half removed. Its pointers then lead nowhere and are
    /// replaced on the next publish.
    pub fn remove(&self, wheel: &StoredWheel) -> Result<(), StoreError> {
        self.remove_dir(&wheel.path)
    }

    /// Move the entry directory `path` into the temporary area and remove it
    /// there; a missing one is fine.
    fn remove_dir(&self, path: &Path) -> Result<(), StoreError> {
        let remove_err = |err| StoreError::Remove {
            path: path.to_path_buf(),
            err,
        };
        let temp_dir = self.root.join(TEMP_DIR);
        fs::create_dir_all(&temp_dir).map_err(remove_err)?;
        let aside = tempfile::Builder::new()
            .prefix("removed-")
            .tempdir_in(&temp_dir)
            .map_err(remove_err)?;
        let target = aside.path().join("entry");
        match fs::rename(path, &target) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(remove_err(err)),
        }
        aside.close().map_err(remove_err)
    }
}
