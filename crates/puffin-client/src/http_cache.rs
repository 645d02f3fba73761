//! HTTP caching of index pages in `simple-v0/`: the parsed file list with the
//! validators (`ETag`, `Last-Modified`) and freshness (`Cache-Control:
//! max-age`, at most [`MAX_FRESHNESS_SECS`]) of the response. A fresh page is
//! used without a request; a stale one is revalidated with `If-None-Match` /
//! `If-Modified-Since`, and a `304` reuses it. Written atomically (a
//! temporary file in the same directory, renamed into place).
//!
//! A cache file is JSON lines: first the response's [`CachedPage`], then one
//! [`IndexFile`] a line. Pages of hundreds of thousands of files are written
//! and read a line at a time, and the files are read only when the page is
//! used, so neither the file's text nor a second copy of the list is ever
//! held in memory.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
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

/// The version of the cache file's layout, in its first line: a file of
/// another layout (the single JSON object of earlier versions) is not read,
/// and the page is fetched again.
const FORMAT: u32 = 2;

/// The longest first line read from a cache file: an older layout keeps the
/// whole page on one line, which is never read into memory to find out.
const MAX_HEADER_LINE: u64 = 64 * 1024;

/// The first line of a cached page: how the response may be reused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedPage {
    /// The cache file's layout, [`FORMAT`].
    format: u32,
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
    /// How many files follow, one JSON line each: fewer lines is a damaged
    /// file.
    files: usize,
}

/// A cache file whose first line was read: the files are read only when
/// they are used ([`CachedEntry::files`]), so that revalidating a stale page
/// that then changed never holds the old and the new file list at once.
#[derive(Debug)]
pub(crate) struct CachedEntry {
    /// The first line.
    pub(crate) page: CachedPage,
    /// The file, positioned after the first line.
    reader: BufReader<fs::File>,
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
    /// The first line for a new response with `files` files.
    pub(crate) fn new(headers: &HeaderMap, files: usize) -> Self {
        let header = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(ToString::to_string)
        };
        let freshness = freshness(headers);
        Self {
            format: FORMAT,
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
        let fresh = Self::new(headers, self.files);
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

    /// Write the page atomically: this line, then one line per file,
    /// serialized as they are written (never the whole page in memory).
    pub(crate) fn write(&self, files: &[IndexFile], path: &Path) -> std::io::Result<()> {
        debug_assert_eq!(files.len(), self.files);
        write_atomically(path, |writer| {
            self.write_line(writer)?;
            for file in files {
                serde_json::to_writer(&mut *writer, file).map_err(std::io::Error::other)?;
                writer.write_all(b"\n")?;
            }
            Ok(())
        })
    }

    fn write_line(&self, writer: &mut impl Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *writer, self).map_err(std::io::Error::other)?;
        writer.write_all(b"\n")
    }
}

impl CachedEntry {
    /// Open a cached page and read its first line; a missing file, or one of
    /// another layout, is `None`.
    pub(crate) fn open(path: &Path) -> Option<Self> {
        let mut reader = BufReader::with_capacity(READ_BUFFER, fs::File::open(path).ok()?);
        let mut line = Vec::new();
        (&mut reader)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .ok()?;
        match serde_json::from_slice::<CachedPage>(&line) {
            Ok(page) if page.format == FORMAT && line.ends_with(b"\n") => {
                Some(Self { page, reader })
            }
            Ok(_) => None,
            Err(err) => {
                debug!(path = %path.display(), %err, "Ignoring unreadable cached page");
                None
            }
        }
    }

    /// Read the files, one line at a time; `None` if the file is damaged
    /// (then the page is fetched again).
    pub(crate) fn files(mut self) -> Option<Vec<IndexFile>> {
        let mut files = Vec::with_capacity(self.page.files);
        let mut line = Vec::new();
        loop {
            line.clear();
            if self.reader.read_until(b'\n', &mut line).ok()? == 0 {
                break;
            }
            match serde_json::from_slice::<IndexFile>(&line) {
                Ok(file) => files.push(file),
                Err(err) => {
                    debug!(%err, "Ignoring a damaged cached page");
                    return None;
                }
            }
        }
        (files.len() == self.page.files).then_some(files)
    }

    /// After a `304 Not Modified`: write the new first line to `path` before
    /// the same file lines, copied as they are; the entry reads them from the
    /// new file. When the new file cannot be written, the old one is read.
    pub(crate) fn revalidated(self, headers: &HeaderMap, path: &Path) -> Self {
        let page = self.page.revalidated(headers);
        let mut reader = self.reader;
        let written = write_atomically(path, |writer| {
            page.write_line(writer)?;
            std::io::copy(&mut reader, writer)?;
            Ok(())
        });
        if let Err(err) = &written {
            debug!(path = %path.display(), %err, "Failed to cache an index page");
        }
        match Self::open(path) {
            Some(entry) if written.is_ok() => entry,
            _ => Self { page, reader },
        }
    }
}

/// How much of a cache file is read or written at a time.
const READ_BUFFER: usize = 64 * 1024;

/// Write a file through `write`, into a temporary file of the same directory
/// renamed to `path` once complete.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut tempfile::NamedTempFile>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir)?;
    let mut writer = BufWriter::with_capacity(READ_BUFFER, &mut temp);
    write(&mut writer)?;
    writer.flush()?;
    drop(writer);
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::FileHashes;

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
        let page = CachedPage::new(&headers, 0);
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
        let page = CachedPage::new(&headers, 0);
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
        revalidated.write(&[], &path).unwrap();
        assert_eq!(
            CachedEntry::open(&path).unwrap().page.etag.as_deref(),
            Some("\"v1\"")
        );
        fs::write(&path, "garbage").unwrap();
        assert!(CachedEntry::open(&path).is_none());
    }

    fn index_file(name: &str) -> IndexFile {
        IndexFile {
            filename: name.into(),
            url: url::Url::parse("http://127.0.0.1:1/files/")
                .unwrap()
                .join(name)
                .unwrap(),
            hashes: FileHashes::new([
                "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                    .parse()
                    .unwrap(),
            ]),
            requires_python: Some(">=3.8".into()),
            yanked: Some("two\nlines".into()),
            core_metadata: true,
            core_metadata_hashes: FileHashes::default(),
        }
    }

    /// The files are written a line each and read back only when asked;
    /// after a `304` the new first line is written before the same lines.
    #[test]
    fn files_round_trip_and_survive_revalidation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.json");
        let files = vec![
            index_file("a-1.0-py3-none-any.whl"),
            index_file("a-1.0.tar.gz"),
        ];
        let mut headers = HeaderMap::new();
        headers.insert(ETAG, HeaderValue::from_static("\"v1\""));
        CachedPage::new(&headers, files.len())
            .write(&files, &path)
            .unwrap();
        let entry = CachedEntry::open(&path).unwrap();
        assert!(!entry.page.is_fresh());
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        headers.insert(ETAG, HeaderValue::from_static("\"v2\""));
        let entry = entry.revalidated(&headers, &path);
        assert!(entry.page.is_fresh());
        assert_eq!(entry.files().unwrap(), files);
        let entry = CachedEntry::open(&path).unwrap();
        assert_eq!(entry.page.etag.as_deref(), Some("\"v2\""));
        assert_eq!(entry.files().unwrap(), files);
    }

    /// A cut-off file, a damaged line, or the single JSON object of the
    /// previous layout is not used.
    #[test]
    fn damaged_and_older_files_are_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.json");
        let files = vec![
            index_file("a-1.0-py3-none-any.whl"),
            index_file("a-2.0-py3-none-any.whl"),
        ];
        CachedPage::new(&HeaderMap::new(), 2)
            .write(&files, &path)
            .unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let cut = &text[..text.trim_end().rfind('\n').unwrap() + 1];
        fs::write(&path, cut).unwrap();
        assert!(CachedEntry::open(&path).unwrap().files().is_none());
        fs::write(&path, format!("{cut}{{\"filename\": 1}}\n")).unwrap();
        assert!(CachedEntry::open(&path).unwrap().files().is_none());
        let older = r#"{"etag":null,"last_modified":null,"fetched_at":0,"max_age":0,"no_cache":false,"files":[]}"#;
        fs::write(&path, older).unwrap();
        assert!(CachedEntry::open(&path).is_none());
    }
}
