//! Finding an already unzipped wheel for a pinned requirement without asking
//! the index: a warm sync must not touch the network.

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::{PackageName, WheelFilename};
use fs_err as fs;
use install_wheel_rs::{MANIFEST_FILENAME, WheelManifest};
use pep440_rs::Version;
use platform_tags::Tags;
use puffin_cache::{Cache, WheelSource};
use url::Url;

/// The file inside a cache entry that records the SHA-256 (hex) of the archive
/// it was unzipped from, so that `--hash` requirements can be checked against a
/// warm cache.
pub const ARCHIVE_HASH_FILENAME: &str = ".puffin-archive-sha256";

/// A cache entry found for a pin.
#[derive(Debug, Clone)]
pub struct CachedEntry {
    /// The wheel filename of the entry.
    pub filename: WheelFilename,
    /// The entry directory.
    pub path: PathBuf,
    /// The index the wheel came from.
    pub index: Url,
}

/// The best compatible unzipped wheel of `name==version` in the cache, looking
/// at the indexes in order (the first index that has one wins, as for network
/// lookups). Entries without a manifest (never fully published) are ignored.
pub fn find_cached_wheel(
    cache: &Cache,
    indexes: &[Url],
    name: &PackageName,
    version: &Version,
    tags: &Tags,
) -> Option<CachedEntry> {
    let prefix = format!("{}-", name.as_dist_info_name());
    for index in indexes {
        let probe = WheelFilename::from_str(&format!("{prefix}{version}-py3-none-any.whl")).ok()?;
        let dir = cache
            .wheel_entry(&WheelSource::Index(index), &probe)
            .parent()
            .map(Path::to_path_buf)?;
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let candidates: Vec<(WheelFilename, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file_name = entry.file_name();
                let stem = file_name.to_str()?;
                if !stem.starts_with(&prefix) {
                    return None;
                }
                let filename = WheelFilename::from_str(&format!("{stem}.whl")).ok()?;
                (filename.name == *name && filename.version == *version)
                    .then(|| (filename, entry.path()))
            })
            .filter(|(_, path)| path.join(MANIFEST_FILENAME).is_file())
            .collect();
        if let Some((filename, path)) = platform_tags::best_wheel(
            tags,
            candidates.iter().map(|(filename, path)| (filename, path)),
        ) {
            return Some(CachedEntry {
                filename: filename.clone(),
                path: path.clone(),
                index: index.clone(),
            });
        }
    }
    None
}

/// Record the archive's SHA-256 (hex) in a published entry, atomically.
pub fn write_archive_hash(entry: &Path, sha256_hex: &str) -> io::Result<()> {
    let target = entry.join(ARCHIVE_HASH_FILENAME);
    if target.is_file() {
        return Ok(());
    }
    let temp = entry.join(format!(
        "{ARCHIVE_HASH_FILENAME}.{}.tmp",
        std::process::id()
    ));
    fs::write(&temp, sha256_hex)?;
    fs::rename(&temp, &target)
}

/// The archive SHA-256 (hex) recorded in an entry, if any.
pub fn read_archive_hash(entry: &Path) -> Option<String> {
    fs::read_to_string(entry.join(ARCHIVE_HASH_FILENAME))
        .ok()
        .map(|hash| hash.trim().to_string())
}

/// Read an entry's manifest, for callers that only have the path.
pub fn entry_manifest(entry: &Path) -> Option<WheelManifest> {
    WheelManifest::read(entry).ok().flatten()
}
