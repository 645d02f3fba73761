use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use distribution_filename::{PackageName, WheelFilename};
use sha2::{Digest, Sha256};
use url::Url;

use crate::{Cache, CacheBucket};

/// Where a wheel came from, which decides its cache key: the same filename from
/// two indexes, a direct URL or a local file never share an entry (two indexes
/// may serve different files under one name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WheelSource<'a> {
    /// A wheel listed by the index at this URL (the index's base URL, not the file's).
    Index(&'a Url),
    /// A wheel downloaded from this URL directly (a find-links page, a direct reference).
    Url(&'a Url),
    /// A wheel file on disk, keyed by its path and modification time so that a
    /// rebuilt file gets a new entry.
    Path {
        /// The wheel file (absolute, so that the key does not depend on the working directory).
        path: &'a Path,
        /// The file's modification time.
        mtime: SystemTime,
    },
}

impl WheelSource<'_> {
    /// The directory name of the source's kind: `index`, `url` or `path`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Index(_) => "index",
            Self::Url(_) => "url",
            Self::Path { .. } => "path",
        }
    }

    /// The short digest naming this source's directory.
    pub fn digest(&self) -> String {
        match self {
            Self::Index(url) => digest(url.as_str().trim_end_matches('/').as_bytes()),
            Self::Url(url) => digest(url.as_str().as_bytes()),
            Self::Path { path, mtime } => {
                let nanos = mtime
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                let mut key = path.as_os_str().as_encoded_bytes().to_vec();
                key.push(0);
                key.extend_from_slice(nanos.to_string().as_bytes());
                digest(&key)
            }
        }
    }
}

/// The first 16 hex digits of the SHA-256 of `bytes`: short enough for paths,
/// long enough that two sources never collide in practice.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    data_encoding::HEXLOWER.encode(&hash[..8])
}

impl Cache {
    /// The entry of an unzipped wheel:
    /// `wheels-v0/{index|url|path}/<digest of the source>/<wheel stem>` (not created).
    ///
    /// The stem is the canonical one ([`WheelFilename::stem`]), so its name part is
    /// the escaped normalized name, which `puffin clean <package>` matches.
    pub fn wheel_entry(&self, source: &WheelSource<'_>, filename: &WheelFilename) -> PathBuf {
        self.bucket(CacheBucket::Wheels)
            .join(source.kind())
            .join(source.digest())
            .join(filename.stem())
    }

    /// The cached project page of `package` on the index at `index_url`:
    /// `simple-v0/<digest of the index URL>/<normalized name>.json` (not created).
    pub fn simple_entry(&self, index_url: &Url, package: &PackageName) -> PathBuf {
        self.bucket(CacheBucket::Simple)
            .join(WheelSource::Index(index_url).digest())
            .join(format!("{package}.json"))
    }

    /// The cached copy of a find-links page at `url`:
    /// `simple-v0/flat/<digest of the URL>.json` (not created).
    pub fn flat_index_entry(&self, url: &Url) -> PathBuf {
        self.bucket(CacheBucket::Simple)
            .join("flat")
            .join(format!("{}.json", digest(url.as_str().as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sources_never_share_an_entry() {
        let cache = Cache::from_path("/cache");
        let wheel: WheelFilename = "Foo_Bar-1.0-py3-none-any.whl".parse().unwrap();
        let index_a = Url::parse("https://a.invalid/simple/").unwrap();
        let index_b = Url::parse("https://b.invalid/simple/").unwrap();
        let file = Url::parse("https://a.invalid/files/foo_bar-1.0-py3-none-any.whl").unwrap();
        let path = Path::new("/wheels/foo_bar-1.0-py3-none-any.whl");
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t1 = t0 + Duration::from_nanos(1);
        let entries = [
            cache.wheel_entry(&WheelSource::Index(&index_a), &wheel),
            cache.wheel_entry(&WheelSource::Index(&index_b), &wheel),
            cache.wheel_entry(&WheelSource::Url(&file), &wheel),
            cache.wheel_entry(&WheelSource::Path { path, mtime: t0 }, &wheel),
            cache.wheel_entry(&WheelSource::Path { path, mtime: t1 }, &wheel),
        ];
        for (i, a) in entries.iter().enumerate() {
            for b in &entries[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let entry = &entries[0];
        assert!(entry.starts_with("/cache/wheels-v0/index/"));
        assert_eq!(
            entry.file_name().unwrap(),
            "foo_bar-1.0-py3-none-any",
            "the stem is canonical"
        );
        assert_eq!(
            entry.parent().unwrap().file_name().unwrap().len(),
            16,
            "a 16 hex digit digest"
        );
    }

    #[test]
    fn index_key_ignores_a_trailing_slash() {
        let a = Url::parse("https://a.invalid/simple/").unwrap();
        let b = Url::parse("https://a.invalid/simple").unwrap();
        assert_eq!(
            WheelSource::Index(&a).digest(),
            WheelSource::Index(&b).digest()
        );
    }

    #[test]
    fn simple_entries_are_per_index_and_package() {
        let cache = Cache::from_path("/cache");
        let index = Url::parse("https://a.invalid/simple/").unwrap();
        let name = PackageName::new("Foo.Bar").unwrap();
        let entry = cache.simple_entry(&index, &name);
        assert!(entry.starts_with("/cache/simple-v0/"));
        assert!(entry.ends_with("foo-bar.json"));
        let flat = cache.flat_index_entry(&index);
        assert!(flat.starts_with("/cache/simple-v0/flat/"));
    }
}
