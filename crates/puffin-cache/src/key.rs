use std::path::PathBuf;

use distribution_filename::PackageName;
use sha2::{Digest, Sha256};
use url::Url;

use crate::{Cache, CacheBucket};

/// The first 16 hex digits of the SHA-256 of `bytes`: short enough for paths,
/// long enough that two sources never collide in practice.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    data_encoding::HEXLOWER.encode(&hash[..8])
}

impl Cache {
    /// The cached project page of `package` on the index at `index_url`:
    /// `simple-v0/<digest of the index URL>/<normalized name>.json` (not created).
    pub fn simple_entry(&self, index_url: &Url, package: &PackageName) -> PathBuf {
        self.bucket(CacheBucket::Simple)
            .join(digest(index_url.as_str().trim_end_matches('/').as_bytes()))
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
    use super::*;

    #[test]
    fn index_key_ignores_a_trailing_slash() {
        let cache = Cache::from_path("/cache");
        let name = PackageName::new("foo").unwrap();
        let a = Url::parse("https://a.invalid/simple/").unwrap();
        let b = Url::parse("https://a.invalid/simple").unwrap();
        assert_eq!(cache.simple_entry(&a, &name), cache.simple_entry(&b, &name));
    }

    #[test]
    fn simple_entries_are_per_index_and_package() {
        let cache = Cache::from_path("/cache");
        let index = Url::parse("https://a.invalid/simple/").unwrap();
        let other = Url::parse("https://b.invalid/simple/").unwrap();
        let name = PackageName::new("Foo.Bar").unwrap();
        let entry = cache.simple_entry(&index, &name);
        assert!(entry.starts_with("/cache/simple-v0/"));
        assert!(entry.ends_with("foo-bar.json"));
        assert_ne!(entry, cache.simple_entry(&other, &name));
        let flat = cache.flat_index_entry(&index);
        assert!(flat.starts_with("/cache/simple-v0/flat/"));
    }
}
