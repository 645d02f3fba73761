//! HTTP caching of index pages in `simple-v0/`: the parsed file list with the
//! validators (`ETag`, `Last-Modified`) and freshness (`Cache-Control:
//! max-age`, at most [`MAX_FRESHNESS_SECS`]) of the response. A fresh page is
//! used without a request; a stale one is revalidated with `If-None-Match` /
//! `If-Modified-Since`, and a `304` reuses it. Written atomically (a
//! temporary file in the same directory, renamed into place).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use distribution_filename::PackageName;
use fs_err as fs;
use reqwest::header::{AGE, CACHE_CONTROL, ETAG, HeaderMap, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::IndexFile;

/// The longest a cached index page is used without asking the server,
/// whatever `max-age` the server sent: a day-long `max-age` hid new releases
/// for a day. `--refresh` asks the server at once.
pub const MAX_FRESHNESS_SECS: u64 = 10 * 60;

/// Which cached index pages to revalidate with the server before use,
/// however fresh they are (`--refresh`, `--refresh-package`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Refresh {
    /// Use fresh pages as they are.
    #[default]
    None,
    /// Revalidate every page.
    All,
    /// Revalidate the pages of these packages (and the find-links pages
    /// looked at for them).
    Packages(BTreeSet<PackageName>),
}

impl Refresh {
    /// Whether `package`'s pages are revalidated.
    pub fn applies_to(&self, package: &PackageName) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Packages(packages) => packages.contains(package),
        }
    }
}

/// A cached page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedPage {
    /// The `ETag` of the response.
    pub(crate) etag: Option<String>,
    /// The `Last-Modified` of the response.
    pub(crate) last_modified: Option<String>,
    /// When the response was received (or last revalidated), in seconds since the epoch.
    pub(crate) fetched_at: u64,
    /// How long the page is fresh after `fetched_at`, in seconds (0 without
    /// `max-age`, at most [`MAX_FRESHNESS_SECS`]).
    pub(crate) max_age: u64,
    /// `no-cache`: always revalidate.
    pub(crate) no_cache: bool,
    /// The files on the page.
    pub(crate) files: Vec<IndexFile>,
}

/// What `Cache-Control` allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Freshness {
    pub(crate) max_age: u64,
    pub(crate) no_cache: bool,
    pub(crate) no_store: bool,
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Read `Cache-Control` (and `Age`, which is subtracted from `max-age`); the
/// freshness is capped at [`MAX_FRESHNESS_SECS`].
pub(crate) fn freshness(headers: &HeaderMap) -> Freshness {
    let mut freshness = Freshness::default();
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (name, argument) = directive.split_once('=').unwrap_or((directive, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "max-age" => {
                    freshness.max_age = argument.trim().trim_matches('"').parse().unwrap_or(0);
                }
                "no-cache" => freshness.no_cache = true,
                "no-store" => freshness.no_store = true,
                _ => {}
            }
        }
    }
    let age: u64 = headers
        .get(AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    freshness.max_age = freshness
        .max_age
        .saturating_sub(age)
        .min(MAX_FRESHNESS_SECS);
    freshness
}

impl CachedPage {
    /// A page for a new response.
    pub(crate) fn new(headers: &HeaderMap, files: Vec<IndexFile>) -> Self {
        let header = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(ToString::to_string)
        };
        let freshness = freshness(headers);
        Self {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
            fetched_at: now(),
            max_age: freshness.max_age,
            no_cache: freshness.no_cache,
            files,
        }
    }

    /// Whether the page can be used without asking the server. The cap also
    /// applies to pages cached before it existed.
    pub(crate) fn is_fresh(&self) -> bool {
        let max_age = self.max_age.min(MAX_FRESHNESS_SECS);
        !self.no_cache && now() < self.fetched_at.saturating_add(max_age)
    }

    /// After a `304 Not Modified`: the new freshness, and new validators if sent.
    pub(crate) fn revalidated(mut self, headers: &HeaderMap) -> Self {
        let fresh = Self::new(headers, Vec::new());
        self.fetched_at = fresh.fetched_at;
        self.max_age = fresh.max_age;
        self.no_cache = fresh.no_cache;
        if fresh.etag.is_some() {
            self.etag = fresh.etag;
        }
        if fresh.last_modified.is_some() {
            self.last_modified = fresh.last_modified;
        }
        self
    }

    /// Read a cached page; a missing or unreadable one (an older format) is `None`.
    pub(crate) fn read(path: &Path) -> Option<Self> {
        let bytes = fs::read(path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(page) => Some(page),
            Err(err) => {
                debug!(path = %path.display(), %err, "Ignoring unreadable cached page");
                None
            }
        }
    }

    /// Write the page atomically.
    pub(crate) fn write(&self, path: &Path) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let mut temp = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir)?;
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        temp.write_all(&bytes)?;
        temp.persist(path).map_err(|err| err.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn reads_cache_control() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=600, public"),
        );
        headers.insert(AGE, HeaderValue::from_static("100"));
        assert_eq!(
            freshness(&headers),
            Freshness {
                max_age: 500,
                no_cache: false,
                no_store: false
            }
        );
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store"),
        );
        let f = freshness(&headers);
        assert!(f.no_cache && f.no_store);
    }

    /// Issue 14, item 8: a page was cached for whatever `max-age` the server
    /// sent, a year included.
    #[test]
    fn freshness_is_capped() {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=31536000"));
        assert_eq!(freshness(&headers).max_age, MAX_FRESHNESS_SECS);
        let page = CachedPage::new(&headers, Vec::new());
        assert!(page.is_fresh());
        // Cached 11 minutes ago with a year of `max-age` (an older cache).
        let old = CachedPage {
            fetched_at: now() - 11 * 60,
            max_age: 31_536_000,
            ..page
        };
        assert!(!old.is_fresh());
    }

    #[test]
    fn freshness_and_revalidation() {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=600"));
        headers.insert(ETAG, HeaderValue::from_static("\"v1\""));
        let page = CachedPage::new(&headers, Vec::new());
        assert!(page.is_fresh());
        let stale = CachedPage {
            fetched_at: 0,
            ..page
        };
        assert!(!stale.is_fresh());
        let revalidated = stale.revalidated(&HeaderMap::new());
        assert_eq!(revalidated.etag.as_deref(), Some("\"v1\""));
        assert!(!revalidated.is_fresh(), "no max-age in the 304");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a").join("page.json");
        revalidated.write(&path).unwrap();
        assert_eq!(
            CachedPage::read(&path).unwrap().etag.as_deref(),
            Some("\"v1\"")
        );
        fs::write(&path, "garbage").unwrap();
        assert!(CachedPage::read(&path).is_none());
    }
}
