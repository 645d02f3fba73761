//! The Simple repository API: project pages as JSON ([PEP 691]) or HTML
//! ([PEP 503]), with `requires-python` ([PEP 503] data attribute, [PEP 691]
//! key), yanked files ([PEP 592]) and hashes, and whether a file's core
//! metadata is published beside it ([PEP 658] `data-dist-info-metadata`,
//! [PEP 714] `core-metadata` / `data-core-metadata`), which the resolver reads
//! instead of downloading the wheel.
//!
//! [PEP 503]: https://peps.python.org/pep-0503/
//! [PEP 658]: https://peps.python.org/pep-0658/
//! [PEP 714]: https://peps.python.org/pep-0714/
//! [PEP 691]: https://peps.python.org/pep-0691/
//! [PEP 592]: https://peps.python.org/pep-0592/

use std::collections::BTreeMap;
use std::io::Read;

use puffin_package::{HashAlgorithm, HashDigest};

use crate::FileHashes;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use url::Url;

/// The `Accept` header of project page requests: JSON first, HTML as fallback.
pub(crate) const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// The JSON content type of PEP 691.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// One file listed on a project page or a find-links page.
///
/// Kept small, since a page can list hundreds of thousands: text that never
/// grows is boxed, and hashes are [`FileHashes`] (a SHA-256 as its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFile {
    /// The filename (the last segment of the URL's path).
    pub filename: Box<str>,
    /// The absolute URL of the file, without its hash fragment.
    pub url: Url,
    /// Hashes the index gives, in algorithms puffin checks (others are
    /// dropped when the page is read).
    pub hashes: FileHashes,
    /// The `Requires-Python` specifiers, e.g. `>=3.8`, as given.
    pub requires_python: Option<Box<str>>,
    /// `Some(reason)` if the file is yanked (PEP 592); the reason may be empty.
    pub yanked: Option<Box<str>>,
    /// Whether the index serves the file's core metadata at `<url>.metadata`
    /// (PEP 658 / PEP 714).
    #[serde(default)]
    pub core_metadata: bool,
    /// The hashes of that metadata file, when the index gives them
    /// (`core-metadata: {"sha256": ...}`, `data-core-metadata="sha256=..."`);
    /// checked when it is fetched.
    #[serde(default)]
    pub core_metadata_hashes: FileHashes,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(default, rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Option<JsonYanked>,
    /// PEP 714's key: `true`, `false` or a dict of hashes.
    #[serde(default, rename = "core-metadata")]
    core_metadata: Option<serde_json::Value>,
    /// PEP 658's original key, still sent by some indexes.
    #[serde(default, rename = "dist-info-metadata")]
    dist_info_metadata: Option<serde_json::Value>,
}

/// Whether a `core-metadata` value advertises the file: anything but
/// `false` (a dict of hashes, or `true`).
fn advertised(value: Option<&serde_json::Value>) -> bool {
    value.is_some_and(|value| !matches!(value, serde_json::Value::Bool(false)))
}

/// The hashes of a `core-metadata` dict, in algorithms puffin checks.
fn json_metadata_hashes(value: Option<&serde_json::Value>) -> Vec<HashDigest> {
    let Some(serde_json::Value::Object(map)) = value else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(algorithm, digest)| parse_hash(algorithm, digest.as_str()?))
        .collect()
}

/// The hash of a `data-core-metadata="<algorithm>=<hex>"` value.
fn html_metadata_hashes(value: &str) -> Vec<HashDigest> {
    value
        .trim()
        .split_once('=')
        .and_then(|(algorithm, digest)| parse_hash(algorithm, digest))
        .into_iter()
        .collect()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonYanked {
    Flag(bool),
    Reason(String),
}

/// Parse a PEP 691 JSON project page as it is read; relative URLs are
/// resolved against `base`. Each file is converted as soon as it is read, so
/// that only the compact [`IndexFile`]s are kept, never the page's text nor
/// its JSON values.
pub(crate) fn parse_json(
    reader: impl Read,
    base: &Url,
) -> Result<Vec<IndexFile>, serde_json::Error> {
    let reader = std::io::BufReader::with_capacity(READ_BUFFER, reader);
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let files = PageSeed { base }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(files)
}

/// How much of a page is read at a time.
const READ_BUFFER: usize = 64 * 1024;

/// Deserializes a JSON page's `files` into [`IndexFile`]s, skipping every
/// other key.
struct PageSeed<'a> {
    base: &'a Url,
}

impl<'de> DeserializeSeed<'de> for PageSeed<'_> {
    type Value = Vec<IndexFile>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_> {
    type Value = Vec<IndexFile>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a project page with `files`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut files = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "files" && files.is_none() {
                files = Some(map.next_value_seed(FilesSeed { base: self.base })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        files.ok_or_else(|| serde::de::Error::missing_field("files"))
    }
}

/// Deserializes a JSON page's `files` array, one file at a time.
struct FilesSeed<'a> {
    base: &'a Url,
}

impl<'de> DeserializeSeed<'de> for FilesSeed<'_> {
    type Value = Vec<IndexFile>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FilesSeed<'_> {
    type Value = Vec<IndexFile>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a list of files")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut files = Vec::new();
        while let Some(file) = seq.next_element::<JsonFile>()? {
            files.extend(json_file(file, self.base));
        }
        files.shrink_to_fit();
        Ok(files)
    }
}

/// One file of a JSON page, or `None` when its URL is not one.
fn json_file(file: JsonFile, base: &Url) -> Option<IndexFile> {
    let url = base.join(&file.url).ok()?;
    let (url, mut hashes) = split_hash_fragment(url);
    for (algorithm, digest) in file.hashes {
        if let Some(hash) = parse_hash(&algorithm, &digest)
            && !hashes.contains(&hash)
        {
            hashes.push(hash);
        }
    }
    let core_metadata =
        advertised(file.core_metadata.as_ref()) || advertised(file.dist_info_metadata.as_ref());
    let mut core_metadata_hashes = json_metadata_hashes(file.core_metadata.as_ref());
    if core_metadata_hashes.is_empty() {
        core_metadata_hashes = json_metadata_hashes(file.dist_info_metadata.as_ref());
    }
    Some(IndexFile {
        filename: file.filename.into(),
        url,
        hashes: hashes.into(),
        core_metadata,
        core_metadata_hashes: core_metadata_hashes.into(),
        requires_python: non_empty(file.requires_python),
        yanked: match file.yanked {
            None | Some(JsonYanked::Flag(false)) => None,
            Some(JsonYanked::Flag(true)) => Some("".into()),
            Some(JsonYanked::Reason(reason)) => Some(reason.into()),
        },
    })
}

/// Parse a PEP 503 HTML page (a project page or a find-links page): every
/// anchor with an `href` is a file. A `<base href>` changes the base URL.
/// Attribute values are HTML-decoded by the tokenizer (`&gt;=3.8` is `>=3.8`).
///
/// The page is tokenized as it is read, and memory stays proportional to the
/// links kept: the tokenizer's events are handled as they come
/// ([`LinkCollector`]), so that parse errors (one per NUL byte of a hostile
/// page) and text are never stored as tokens, and the page's text is never
/// held whole. A reader that fails ends the page there.
pub(crate) fn parse_html(reader: impl Read, base: &Url) -> Vec<IndexFile> {
    use html5gum::emitters::callback::CallbackEmitter;
    use html5gum::{IoReader, Tokenizer};

    let mut base = base.clone();
    let mut files = Vec::new();
    let emitter = CallbackEmitter::new(LinkCollector::default());
    let input = IoReader::new_with_buffer_size::<READ_BUFFER>(reader);
    for link in Tokenizer::new_with_emitter(input, emitter).map_while(Result::ok) {
        match link {
            Link::Base { href } => {
                if let Ok(url) = base.join(href.trim()) {
                    base = url;
                }
            }
            Link::Anchor {
                href,
                requires_python,
                yanked,
                core_metadata,
                core_metadata_hashes,
            } => {
                let Ok(url) = base.join(href.trim()) else {
                    continue;
                };
                let (url, hashes) = split_hash_fragment(url);
                let Some(filename) = filename_of(&url) else {
                    continue;
                };
                files.push(IndexFile {
                    filename: filename.into(),
                    url,
                    hashes: hashes.into(),
                    requires_python: non_empty(requires_python),
                    yanked: yanked.map(String::into_boxed_str),
                    core_metadata,
                    core_metadata_hashes: core_metadata_hashes.into(),
                });
            }
        }
    }
    files.shrink_to_fit();
    files
}

/// A start tag that matters on an index page.
enum Link {
    /// `<base href>`.
    Base { href: String },
    /// `<a href>` with the PEP 503 data attributes.
    Anchor {
        href: String,
        requires_python: Option<String>,
        yanked: Option<String>,
        /// `data-core-metadata` or `data-dist-info-metadata`, not `false`.
        core_metadata: bool,
        /// The hash that attribute gives, if any.
        core_metadata_hashes: Vec<HashDigest>,
    },
}

/// The attributes of an index page's anchors that puffin reads.
const ATTRIBUTES: [&[u8]; 5] = [
    b"href",
    b"data-requires-python",
    b"data-yanked",
    b"data-core-metadata",
    b"data-dist-info-metadata",
];

/// Turns tokenizer events into [`Link`]s, keeping only the current tag's
/// name and its interesting attributes; text, comments and parse errors are
/// dropped as they come.
#[derive(Default)]
struct LinkCollector {
    tag: Vec<u8>,
    /// The index in [`ATTRIBUTES`] of the attribute being read, if kept.
    current: Option<usize>,
    values: [Option<Vec<u8>>; 5],
}

impl html5gum::emitters::callback::Callback<Link, ()> for LinkCollector {
    fn handle_event(
        &mut self,
        event: html5gum::emitters::callback::CallbackEvent<'_>,
        _span: html5gum::Span<()>,
    ) -> Option<Link> {
        use html5gum::emitters::callback::CallbackEvent;

        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.tag.clear();
                self.tag.extend_from_slice(name);
                self.current = None;
                self.values = Default::default();
            }
            CallbackEvent::AttributeName { name } => {
                // The first of duplicate attributes wins, as in browsers.
                self.current = ATTRIBUTES
                    .iter()
                    .position(|attribute| *attribute == name)
                    .filter(|index| self.values[*index].is_none());
                if let Some(index) = self.current {
                    self.values[index] = Some(Vec::new());
                }
            }
            CallbackEvent::AttributeValue { value } => {
                if let Some(index) = self.current
                    && let Some(kept) = &mut self.values[index]
                {
                    kept.extend_from_slice(value);
                }
            }
            CallbackEvent::CloseStartTag { .. } => return self.finish_tag(),
            _ => {}
        }
        None
    }
}

impl LinkCollector {
    fn finish_tag(&mut self) -> Option<Link> {
        let [href, requires_python, yanked, core, dist_info] = std::mem::take(&mut self.values)
            .map(|value| value.map(|value| String::from_utf8_lossy(&value).into_owned()));
        let values: Vec<String> = [core, dist_info].into_iter().flatten().collect();
        let core_metadata = values.iter().any(|value| value.trim() != "false");
        let core_metadata_hashes = values
            .iter()
            .map(|value| html_metadata_hashes(value))
            .find(|hashes| !hashes.is_empty())
            .unwrap_or_default();
        self.current = None;
        match self.tag.as_slice() {
            b"base" => Some(Link::Base { href: href? }),
            b"a" => Some(Link::Anchor {
                href: href?,
                requires_python,
                yanked,
                core_metadata,
                core_metadata_hashes,
            }),
            _ => None,
        }
    }
}

/// A `Requires-Python` value, unless blank.
fn non_empty(value: Option<String>) -> Option<Box<str>> {
    value
        .filter(|value| !value.trim().is_empty())
        .map(String::into_boxed_str)
}

/// The percent-decoded last segment of a URL's path.
pub(crate) fn filename_of(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.next_back()?;
    if segment.is_empty() {
        return None;
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = segment.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Split `#sha256=<hex>` off a URL: the URL without its fragment, and the
/// hash if the fragment is one in an algorithm puffin checks.
///
/// The URL returned is a clone, whose text is allocated at its exact
/// length: a joined URL keeps the room its fragment and the joining took,
/// about a hundred bytes a file on a page of hundreds of thousands.
fn split_hash_fragment(mut url: Url) -> (Url, Vec<HashDigest>) {
    let mut hashes = Vec::new();
    if let Some(fragment) = url.fragment() {
        if let Some((algorithm, digest)) = fragment.split_once('=')
            && let Some(hash) = parse_hash(algorithm, digest)
        {
            hashes = vec![hash];
        }
        url.set_fragment(None);
    }
    #[allow(clippy::redundant_clone)] // The clone drops the spare capacity.
    let url = url.clone();
    (url, hashes)
}

/// An index's hash, or `None` for an algorithm puffin does not check (`md5`,
/// `sha1`, ...) or a malformed digest: the file is then checked against the
/// hashes that remain, as pip ignores algorithms it does not know.
fn parse_hash(algorithm: &str, digest: &str) -> Option<HashDigest> {
    let algorithm: HashAlgorithm = algorithm.parse().ok()?;
    HashDigest::new(algorithm, digest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per file, for snapshots (hashes in pip's form). Unknown
    /// algorithms and malformed digests are dropped.
    fn lines(files: &[IndexFile]) -> String {
        files
            .iter()
            .map(|f| {
                format!(
                    "{} {} hashes={:?} requires_python={:?} yanked={:?}",
                    f.filename,
                    f.url,
                    f.hashes
                        .iter()
                        .map(|hash| hash.to_string())
                        .collect::<Vec<_>>(),
                    f.requires_python,
                    f.yanked
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn base() -> Url {
        Url::parse("http://127.0.0.1:1/simple/foo/").unwrap()
    }

    #[test]
    fn parses_json_pages() {
        let body = br#"{
          "meta": {"api-version": "1.1"},
          "name": "foo",
          "files": [
            {"filename": "foo-1.0-py3-none-any.whl", "url": "../../files/foo-1.0-py3-none-any.whl",
             "hashes": {"sha256": "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB", "md5": "00"}, "requires-python": ">=3.8", "yanked": false,
             "core-metadata": {"sha256": "def"}},
            {"filename": "foo-0.9.tar.gz", "url": "https://files.invalid/foo-0.9.tar.gz#sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "hashes": {}, "yanked": "broken build"},
            {"filename": "foo-0.8.tar.gz", "url": "foo-0.8.tar.gz", "hashes": {"sha256": "abc"}, "yanked": true,
             "requires-python": ""}
          ]
        }"#;
        let files = parse_json(&body[..], &base()).unwrap();
        insta::assert_snapshot!(lines(&files));
    }

    #[test]
    fn parses_html_pages() {
        let body = br#"<!DOCTYPE html>
<html><body><h1>Links for foo</h1>
<a href="../../files/foo-1.0-py3-none-any.whl#sha256=ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=def">foo-1.0-py3-none-any.whl</a><br/>
<a href="https://files.invalid/foo%2B-0.9.tar.gz" data-yanked="">foo-0.9.tar.gz</a>
<a href="foo-0.8.tar.gz#md5=00" data-yanked="reason &amp; more">foo-0.8.tar.gz</a>
<a name="no-href">x</a>
</body></html>"#;
        let files = parse_html(&body[..], &base());
        insta::assert_snapshot!(lines(&files));
    }

    /// A page of NUL bytes cost about 110 bytes of memory per byte: the
    /// tokenizer kept one error token per NUL. Links around NULs still parse.
    #[test]
    fn nul_bytes_are_not_kept() {
        let mut body = b"<a href='foo-1.0-py3-none-any.whl'>x</a>".to_vec();
        body.extend(std::iter::repeat_n(0u8, 1_000_000));
        body.extend(b"<a href=\"foo-2.0-py3-none-any.whl\" data-yanked>\0</a>\0<a href='\0'>");
        let files = parse_html(&body[..], &base());
        let names: Vec<&str> = files.iter().map(|f| &*f.filename).collect();
        assert_eq!(
            names[..2],
            ["foo-1.0-py3-none-any.whl", "foo-2.0-py3-none-any.whl"]
        );
        assert_eq!(files[1].yanked.as_deref(), Some(""));
    }

    /// PEP 658 and PEP 714 spellings advertise a metadata file; `false` does not.
    #[test]
    fn core_metadata_is_kept() {
        let json = br#"{"files": [
            {"filename": "a-1.0-py3-none-any.whl", "url": "a", "core-metadata": {"sha256": "ab"}},
            {"filename": "b-1.0-py3-none-any.whl", "url": "b", "dist-info-metadata": true},
            {"filename": "c-1.0-py3-none-any.whl", "url": "c", "core-metadata": false},
            {"filename": "d-1.0-py3-none-any.whl", "url": "d"}
        ]}"#;
        let flags: Vec<bool> = parse_json(&json[..], &base())
            .unwrap()
            .iter()
            .map(|f| f.core_metadata)
            .collect();
        assert_eq!(flags, [true, true, false, false]);
        let html = br#"<a href="a" data-core-metadata="sha256=ab">a</a>
<a href="b" data-dist-info-metadata>b</a>
<a href="c" data-core-metadata="false">c</a>
<a href="d">d</a>"#;
        let flags: Vec<bool> = parse_html(&html[..], &base())
            .iter()
            .map(|f| f.core_metadata)
            .collect();
        assert_eq!(flags, [true, true, false, false]);
    }

    /// The metadata file's hash is kept from either spelling, JSON or HTML.
    #[test]
    fn core_metadata_hashes_are_kept() {
        let digest = "ab".repeat(32);
        let json = format!(
            r#"{{"files": [
            {{"filename": "a-1.0-py3-none-any.whl", "url": "a", "core-metadata": {{"sha256": "{digest}"}}}},
            {{"filename": "b-1.0-py3-none-any.whl", "url": "b", "dist-info-metadata": {{"sha256": "{digest}", "md5": "00"}}}},
            {{"filename": "c-1.0-py3-none-any.whl", "url": "c", "core-metadata": true}}
        ]}}"#
        );
        let html = format!(
            r#"<a href="a" data-core-metadata="sha256={digest}">a</a>
<a href="b" data-dist-info-metadata="sha256={digest}">b</a>
<a href="c" data-core-metadata="true">c</a>"#
        );
        let expected = format!("sha256:{digest}");
        for files in [
            parse_json(json.as_bytes(), &base()).unwrap(),
            parse_html(html.as_bytes(), &base()),
        ] {
            let hashes: Vec<Vec<String>> = files
                .iter()
                .map(|f| {
                    f.core_metadata_hashes
                        .iter()
                        .map(|hash| hash.to_string())
                        .collect()
                })
                .collect();
            assert_eq!(
                hashes,
                [vec![expected.clone()], vec![expected.clone()], vec![]]
            );
        }
    }

    #[test]
    fn html_base_tag_changes_the_base() {
        let body = br#"<html><head><base href="http://127.0.0.1:2/other/"></head>
<a href="foo-1.0-py3-none-any.whl">x</a></html>"#;
        let files = parse_html(&body[..], &base());
        assert_eq!(
            files[0].url.as_str(),
            "http://127.0.0.1:2/other/foo-1.0-py3-none-any.whl"
        );
    }

    proptest::proptest! {
        // Pages of up to megabytes: few cases, a debug build parses slowly.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

        /// Hostile pages (NUL-heavy, unclosed tags, long runs) never panic,
        /// with a link after the junk or without.
        #[test]
        fn hostile_pages_never_panic(
            junk in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(vec![0u8; 4096]),
                    proptest::strategy::Just(b"<a href=".to_vec()),
                    proptest::strategy::Just(b"<!--".to_vec()),
                    proptest::strategy::Just(b"\0<\0a\0>".to_vec()),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..64),
                ],
                0..32,
            ),
            repeat in 1usize..512,
        ) {
            let mut body: Vec<u8> = junk.concat().repeat(repeat.min(8));
            let _ = parse_html(&body[..], &base());
            let _ = parse_json(&body[..], &base());
            body.extend(b"\"'>--></script></a><a href=\"foo-1.0-py3-none-any.whl\">x</a>");
            let _ = parse_html(&body[..], &base());
        }

        /// A page of megabytes of NUL bytes parses (to nothing) without
        /// keeping an error per byte.
        #[test]
        fn huge_nul_pages_parse(megabytes in 1usize..4) {
            let body = vec![0u8; megabytes * 1024 * 1024];
            proptest::prop_assert!(parse_html(&body[..], &base()).is_empty());
        }
    }
}
