//! The manifest stored beside every unzipped wheel in the cache.
//!
//! Unzipping writes it once; installing reads it instead of walking the tree,
//! and `--reinstall` can verify the entry against it.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use data_encoding::BASE64URL_NOPAD;
use fs_err as fs;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name of the manifest file inside an unzipped wheel directory. It is not
/// part of the wheel and is never installed.
pub const MANIFEST_FILENAME: &str = ".puffin-manifest.json";

/// The current manifest format; a manifest of another version is ignored.
const MANIFEST_VERSION: u32 = 1;

/// What an install needs to know about an unzipped wheel without walking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WheelManifest {
    /// The format version; a manifest of another version is ignored.
    pub version: u32,
    /// The wheel's filename, e.g. `six-1.16.0-py2.py3-none-any.whl`.
    pub filename: String,
    /// Every directory, relative, `/`-separated, parents before children.
    pub dirs: Vec<String>,
    /// Every regular file, relative, `/`-separated, in archive order.
    pub files: Vec<ManifestFile>,
}

/// One regular file of an unzipped wheel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The path relative to the wheel root, `/`-separated.
    pub path: String,
    /// The size in bytes.
    pub size: u64,
    /// Whether any executable bit is set.
    pub executable: bool,
    /// The SHA-256 digest in RECORD form: URL-safe base64 without padding.
    pub sha256: String,
}

/// An error reading, writing or building a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The manifest could not be read or written.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The manifest is not valid JSON of the expected shape.
    #[error("The cache manifest `{path}` is corrupt; run `puffin clean` to remove the entry")]
    Corrupt {
        /// The manifest path.
        path: PathBuf,
        /// The JSON error.
        #[source]
        err: serde_json::Error,
    },
    /// A directory entry is neither a regular file nor a directory.
    #[error("`{0}` is neither a regular file nor a directory")]
    UnsupportedFileType(PathBuf),
}

impl WheelManifest {
    /// A new manifest with the current format version.
    pub fn new(filename: String, dirs: Vec<String>, files: Vec<ManifestFile>) -> Self {
        Self {
            version: MANIFEST_VERSION,
            filename,
            dirs,
            files,
        }
    }

    /// Read the manifest of an unzipped wheel, `None` if there is none or it has
    /// another format version.
    pub fn read(wheel_dir: &Path) -> Result<Option<Self>, ManifestError> {
        let path = wheel_dir.join(MANIFEST_FILENAME);
        let bytes = match puffin_fs::read_small(&path, 16 * 1024) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let manifest: Self =
            serde_json::from_slice(&bytes).map_err(|err| ManifestError::Corrupt { path, err })?;
        Ok((manifest.version == MANIFEST_VERSION).then_some(manifest))
    }

    /// Write the manifest into an unzipped wheel directory.
    pub fn write(&self, wheel_dir: &Path) -> Result<(), ManifestError> {
        let json = serde_json::to_vec(self).map_err(io::Error::other)?;
        fs::write(wheel_dir.join(MANIFEST_FILENAME), json)?;
        Ok(())
    }

    /// Build a manifest by walking an unzipped wheel directory and hashing every
    /// file: for directories that were not unzipped by puffin.
    pub fn scan(wheel_dir: &Path, filename: String) -> Result<Self, ManifestError> {
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        scan_dir(wheel_dir, "", &mut dirs, &mut files)?;
        Ok(Self::new(filename, dirs, files))
    }
}

fn scan_dir(
    dir: &Path,
    prefix: &str,
    dirs: &mut Vec<String>,
    files: &mut Vec<ManifestFile>,
) -> Result<(), ManifestError> {
    let mut entries = fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && name == MANIFEST_FILENAME {
            continue;
        }
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            dirs.push(relative.clone());
            scan_dir(&entry.path(), &relative, dirs, files)?;
        } else if file_type.is_file() {
            let metadata = entry.metadata()?;
            let (sha256, size) = hash_file(&entry.path())?;
            debug_assert_eq!(size, metadata.len());
            files.push(ManifestFile {
                path: relative,
                size,
                executable: puffin_fs::is_executable(&metadata),
                sha256,
            });
        } else {
            return Err(ManifestError::UnsupportedFileType(entry.path()));
        }
    }
    Ok(())
}

/// Hash a file as RECORD does: SHA-256, URL-safe base64 without padding. Returns
/// the digest and the number of bytes read.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok((BASE64URL_NOPAD.encode(&hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_write_read_round_trip() {
        let dir = std::env::temp_dir().join(format!("puffin-manifest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("pkg/sub")).unwrap();
        fs::write(dir.join("pkg/__init__.py"), b"").unwrap();
        fs::write(dir.join("pkg/sub/data.txt"), b"hello").unwrap();
        let manifest = WheelManifest::scan(&dir, "pkg-1.0-py3-none-any.whl".into()).unwrap();
        assert_eq!(manifest.dirs, ["pkg", "pkg/sub"]);
        assert_eq!(manifest.files.len(), 2);
        assert_eq!(manifest.files[1].size, 5);
        // sha256("hello"), URL-safe base64 without padding.
        assert_eq!(
            manifest.files[1].sha256,
            "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"
        );
        manifest.write(&dir).unwrap();
        assert_eq!(WheelManifest::read(&dir).unwrap(), Some(manifest.clone()));
        // The manifest itself is never listed.
        let rescanned = WheelManifest::scan(&dir, manifest.filename.clone()).unwrap();
        assert_eq!(rescanned, manifest);
        fs::remove_dir_all(&dir).unwrap();
    }
}
