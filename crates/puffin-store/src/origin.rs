//! Where an archive came from, and the pointer directory that records it.

use std::path::Path;

use puffin_cache::digest;
use url::Url;

use crate::StoreError;

/// Where an archive came from: decides which pointer maps it to its digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WheelOrigin<'a> {
    /// Listed by the index (or find-links page) at this URL: the index's base
    /// URL, not the file's, so that a warm pin is found by index and filename.
    Index(&'a Url),
    /// Downloaded from this URL directly (`name @ https://...`).
    Url(&'a Url),
    /// A wheel file on disk. Its pointer is keyed by the path, size,
    /// modification and change times and inode, so a file rewritten in place
    /// (even with its old modification time restored) gets a new pointer.
    Path(&'a Path),
}

impl WheelOrigin<'_> {
    /// The pointer directory name: `<kind>-<16 hex digits of the source key>`.
    pub(crate) fn pointer_dir_name(&self) -> Result<String, StoreError> {
        Ok(match self {
            Self::Index(url) => format!(
                "index-{}",
                digest(url.as_str().trim_end_matches('/').as_bytes())
            ),
            Self::Url(url) => format!("url-{}", digest(url.as_str().as_bytes())),
            Self::Path(path) => format!("path-{}", digest(&path_key(path)?)),
        })
    }
}

/// The bytes a local file's pointer is keyed by.
fn path_key(path: &Path) -> Result<Vec<u8>, StoreError> {
    let metadata = fs_err::metadata(path).map_err(|err| StoreError::ReadSource {
        path: path.to_path_buf(),
        err,
    })?;
    let mut key = path.as_os_str().as_encoded_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&metadata_key(&metadata));
    Ok(key)
}

#[cfg(unix)]
fn metadata_key(metadata: &std::fs::Metadata) -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{} {}.{} {}.{} {} {}",
        metadata.size(),
        metadata.mtime(),
        metadata.mtime_nsec(),
        metadata.ctime(),
        metadata.ctime_nsec(),
        metadata.dev(),
        metadata.ino()
    )
    .into_bytes()
}

#[cfg(not(unix))]
fn metadata_key(metadata: &std::fs::Metadata) -> Vec<u8> {
    let nanos = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|duration| duration.as_nanos())
        .unwrap_or_default();
    format!("{} {nanos}", metadata.len()).into_bytes()
}
