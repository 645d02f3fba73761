//! A package index on 127.0.0.1 for tests: serves the wheels (and source
//! distributions) of a directory as a Simple repository (PEP 691 JSON or
//! PEP 503 HTML project pages), with the files under `/files/`, and can be
//! told to misbehave: 404 a project, answer 500 the first N times, advertise
//! a wrong hash (of a file or of its PEP 658 metadata file), require basic
//! auth, serve byte ranges of files or ignore them. It sends `ETag`s and answers
//! `If-None-Match` with 304, and logs every request so tests can assert what
//! was (not) fetched. The TLS variant uses a CA generated for the server,
//! whose PEM file [`IndexServer::ca_cert_path`] gives; it can require a client
//! certificate too ([`IndexServerOptions::client_auth`]).
//!
//! The server runs on its own tokio runtime, so it works from sync and async
//! tests alike, and stops when the [`IndexServer`] is dropped.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use data_encoding::{BASE64, HEXLOWER};
use distribution_filename::{PackageName, SourceDistFilename, WheelFilename};
use fs_err as fs;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};

/// How project pages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageFormat {
    /// PEP 691 JSON (`application/vnd.pypi.simple.v1+json`).
    #[default]
    Json,
    /// PEP 503 HTML.
    Html,
}

/// What the server serves and how it misbehaves.
#[derive(Debug, Clone, Default)]
pub struct IndexServerOptions {
    /// The directory whose `.whl`, `.tar.gz` and `.zip` files are served (read
    /// at each request, so files added later appear).
    pub wheels_dir: PathBuf,
    /// JSON or HTML project pages.
    pub format: PageFormat,
    /// `Requires-Python` per filename.
    pub requires_python: HashMap<String, String>,
    /// Yanked files: filename to reason (may be empty).
    pub yanked: HashMap<String, String>,
    /// Publish each wheel's core metadata at `/files/<wheel>.metadata` and
    /// advertise it on the pages (PEP 658 / PEP 714).
    pub core_metadata: bool,
    /// Projects (normalized names) whose page answers 404 even if files exist.
    pub not_found: Vec<String>,
    /// Request paths that answer 500 the first N times, e.g. `/simple/foo/` or `/files/foo-1.0-py3-none-any.whl`.
    pub fail_first: HashMap<String, usize>,
    /// Filenames whose advertised SHA-256 is wrong.
    pub wrong_hash: Vec<String>,
    /// The `Cache-Control` header of project pages, e.g. `max-age=600`
    /// (default: none, so every use revalidates).
    pub cache_control: Option<String>,
    /// Require this user name and password (HTTP basic auth) on every request.
    pub basic_auth: Option<(String, String)>,
    /// Serve HTTPS with a certificate for 127.0.0.1 issued by a generated CA.
    pub tls: bool,
    /// With `tls`: require a client certificate issued by a second generated
    /// CA (mutual TLS); [`IndexServer::client_cert_path`] is a PEM file with
    /// such a certificate and its key. A client without one fails the
    /// handshake.
    pub client_auth: bool,
    /// Bodies served as given at a path, e.g. a forged `/simple/foo/` page,
    /// instead of what the server would write.
    pub raw: HashMap<String, RawResponse>,
    /// Request paths whose body is cut off (half of it sent, with the
    /// `Content-Length` of the whole, then the connection closed) the first N
    /// times.
    pub truncate_first: HashMap<String, usize>,
    /// Answer `Range: bytes=...` requests for files with 206 and the bytes
    /// asked for. Off by default: the server then answers them as a server
    /// that ignores ranges does, with 200 and the whole file.
    pub ranges: bool,
    /// Wheel filenames whose metadata file's advertised SHA-256 is wrong
    /// (with [`Self::core_metadata`]; the others are advertised right).
    pub wrong_metadata_hash: Vec<String>,
}

/// A response body served as given, see [`IndexServerOptions::raw`].
#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    /// The body, sent as is (already compressed if `content_encoding` says so).
    pub body: Vec<u8>,
    /// The `Content-Type`, e.g. `text/html`.
    pub content_type: String,
    /// The `Content-Encoding`, e.g. `gzip`.
    pub content_encoding: Option<String>,
}

impl IndexServerOptions {
    /// Serve `wheels_dir` with JSON pages and no misbehaviour.
    pub fn new(wheels_dir: impl Into<PathBuf>) -> Self {
        Self {
            wheels_dir: wheels_dir.into(),
            ..Self::default()
        }
    }
}

impl RawResponse {
    /// A gzip-compressed HTML page: `prefix`, `count` copies of `fill`, then
    /// `suffix`, compressed as it is made, so that a page of gigabytes costs
    /// the test only its compressed size.
    ///
    /// # Panics
    ///
    /// If compressing fails (it writes to memory).
    pub fn gzip_html(prefix: &[u8], fill: &[u8], count: usize, suffix: &[u8]) -> Self {
        use std::io::Write;

        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(prefix).expect("compress");
        for _ in 0..count {
            encoder.write_all(fill).expect("compress");
        }
        encoder.write_all(suffix).expect("compress");
        Self {
            body: encoder.finish().expect("compress"),
            content_type: "text/html".to_string(),
            content_encoding: Some("gzip".to_string()),
        }
    }
}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The path, e.g. `/simple/foo/`.
    pub path: String,
    /// The `If-None-Match` header, if sent.
    pub if_none_match: Option<String>,
    /// Whether an `Authorization` header was sent.
    pub authorized: bool,
    /// The status answered.
    pub status: u16,
    /// The `Range` header, if sent.
    pub range: Option<String>,
}

impl std::fmt::Display for RecordedRequest {
    /// `GET /simple/foo/ 304 (If-None-Match)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GET {} {}", self.path, self.status)?;
        if self.if_none_match.is_some() {
            f.write_str(" (If-None-Match)")?;
        }
        if let Some(range) = &self.range {
            write!(f, " (Range: {range})")?;
        }
        Ok(())
    }
}

struct State {
    options: IndexServerOptions,
    base: String,
    log: Mutex<Vec<RecordedRequest>>,
    failures_left: Mutex<HashMap<String, usize>>,
    truncations_left: Mutex<HashMap<String, usize>>,
}

/// A running index server; stopped when dropped.
pub struct IndexServer {
    addr: SocketAddr,
    scheme: &'static str,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
    ca_cert: Option<TlsFiles>,
}

/// The PEM files of a TLS server, in a directory removed with the server.
struct TlsFiles {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    client: Option<PathBuf>,
}

impl std::fmt::Debug for IndexServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexServer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl IndexServer {
    /// Start a server on an ephemeral port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If the port cannot be bound or the TLS certificates cannot be made.
    pub fn start(options: IndexServerOptions) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("start the server runtime");
        // Bound here, not in the runtime: `block_on` would panic inside an async test.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the server's address");
        let (scheme, tls, ca_cert) = if options.tls {
            let (acceptor, files) = tls_acceptor(options.client_auth);
            ("https", Some(acceptor), Some(files))
        } else {
            ("http", None, None)
        };
        let state = Arc::new(State {
            failures_left: Mutex::new(options.fail_first.clone()),
            truncations_left: Mutex::new(options.truncate_first.clone()),
            options,
            base: format!("{scheme}://{addr}"),
            log: Mutex::new(Vec::new()),
        });
        let server_state = state.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = server_state.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(&state, &request)) }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    if let Some(acceptor) = tls {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    } else {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                });
            }
        });
        Self {
            addr,
            scheme,
            state,
            runtime: Some(runtime),
            ca_cert,
        }
    }

    /// The index URL, e.g. `http://127.0.0.1:41234/simple/`.
    pub fn url(&self) -> String {
        format!("{}://{}/simple/", self.scheme, self.addr)
    }

    /// The server's root URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The URL of a flat HTML page linking every file (for `--find-links`).
    pub fn find_links_url(&self) -> String {
        format!("{}://{}/links.html", self.scheme, self.addr)
    }

    /// The PEM file of the CA that issued the TLS server's certificate.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca_cert.as_ref().map(|files| files.ca.as_path())
    }

    /// With [`IndexServerOptions::client_auth`]: a PEM file holding a client
    /// certificate the server accepts, followed by its private key (the
    /// form pip's `--client-cert` takes).
    pub fn client_cert_path(&self) -> Option<&Path> {
        self.ca_cert.as_ref()?.client.as_deref()
    }

    /// Every request so far, e.g. `GET /simple/foo/ 200`.
    pub fn requests(&self) -> Vec<String> {
        self.request_log().iter().map(ToString::to_string).collect()
    }

    /// Every request so far, with details.
    pub fn request_log(&self) -> Vec<RecordedRequest> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many requests were made for `path`.
    pub fn count(&self, path: &str) -> usize {
        self.request_log().iter().filter(|r| r.path == path).count()
    }

    /// Forget the requests so far.
    pub fn clear_requests(&self) {
        self.state.log.lock().unwrap().clear();
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A file of the served directory.
struct ServedFile {
    filename: String,
    project: PackageName,
    sha256: String,
}

fn served_files(dir: &Path) -> Vec<ServedFile> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<ServedFile> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let filename = entry.file_name().into_string().ok()?;
            let project = if let Ok(wheel) = WheelFilename::from_str(&filename) {
                wheel.name
            } else {
                SourceDistFilename::from_str(&filename).ok()?.name
            };
            let bytes = fs::read(entry.path()).ok()?;
            Some(ServedFile {
                filename,
                project,
                sha256: HEXLOWER.encode(&Sha256::digest(&bytes)),
            })
        })
        .collect();
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    files
}

fn handle(state: &State, request: &Request<Incoming>) -> Response<ServedBody> {
    let path = request.uri().path().to_string();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(ToString::to_string)
    };
    let if_none_match = header("if-none-match");
    let authorization = header("authorization");
    let range = header("range");
    let response = respond(
        state,
        &path,
        if_none_match.as_deref(),
        authorization.as_deref(),
    );
    let response = match range.as_deref() {
        Some(range) if state.options.ranges && path.starts_with("/files/") => {
            partial(response, range)
        }
        _ => response,
    };
    let response = truncate(state, &path, response);
    state.log.lock().unwrap().push(RecordedRequest {
        path,
        if_none_match,
        authorized: authorization.is_some(),
        status: response.status().as_u16(),
        range,
    });
    response
}

fn respond(
    state: &State,
    path: &str,
    if_none_match: Option<&str>,
    authorization: Option<&str>,
) -> Response<Full<Bytes>> {
    let options = &state.options;
    if let Some((user, password)) = &options.basic_auth {
        let expected = format!(
            "Basic {}",
            BASE64.encode(format!("{user}:{password}").as_bytes())
        );
        if authorization != Some(expected.as_str()) {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header("www-authenticate", "Basic realm=\"test\"")
                .body(Full::new(Bytes::new()))
                .unwrap();
        }
    }
    {
        let mut failures = state.failures_left.lock().unwrap();
        if let Some(left) = failures.get_mut(path)
            && *left > 0
        {
            *left -= 1;
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    if let Some(raw) = options.raw.get(path) {
        let mut builder = Response::builder().header("content-type", &raw.content_type);
        if let Some(encoding) = &raw.content_encoding {
            builder = builder.header("content-encoding", encoding);
        }
        return builder
            .body(Full::new(Bytes::from(raw.body.clone())))
            .unwrap();
    }
    if let Some(filename) = path.strip_prefix("/files/") {
        if options.core_metadata
            && let Some(wheel) = filename.strip_suffix(".metadata")
        {
            return match wheel_metadata(&options.wheels_dir.join(wheel)) {
                Some(bytes) if !wheel.contains('/') => Response::builder()
                    .header("content-type", "application/octet-stream")
                    .body(Full::new(Bytes::from(bytes)))
                    .unwrap(),
                _ => status(StatusCode::NOT_FOUND),
            };
        }
        let file = options.wheels_dir.join(filename);
        return match fs::read(&file) {
            Ok(bytes) if !filename.contains('/') => Response::builder()
                .header("content-type", "application/octet-stream")
                .body(Full::new(Bytes::from(bytes)))
                .unwrap(),
            _ => status(StatusCode::NOT_FOUND),
        };
    }
    let files = served_files(&options.wheels_dir);
    if path == "/links.html" {
        let body = html_page(state, &files.iter().collect::<Vec<_>>());
        return page(
            body,
            "text/html",
            if_none_match,
            options.cache_control.as_deref(),
        );
    }
    if path == "/simple/" {
        let mut projects: Vec<&str> = files.iter().map(|f| f.project.as_str()).collect();
        projects.dedup();
        let body = match options.format {
            PageFormat::Json => serde_json::json!({
                "meta": {"api-version": "1.0"},
                "projects": projects.iter().map(|p| serde_json::json!({"name": p})).collect::<Vec<_>>(),
            })
            .to_string(),
            PageFormat::Html => {
                let links: String = projects
                    .iter()
                    .map(|p| format!("<a href=\"{p}/\">{p}</a>\n"))
                    .collect();
                format!("<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
            }
        };
        return page(body, content_type(options.format), if_none_match, None);
    }
    let Some(name) = path
        .strip_prefix("/simple/")
        .and_then(|rest| rest.strip_suffix('/'))
    else {
        return status(StatusCode::NOT_FOUND);
    };
    let Ok(name) = PackageName::new(name) else {
        return status(StatusCode::NOT_FOUND);
    };
    if options.not_found.iter().any(|n| n == name.as_str()) {
        return status(StatusCode::NOT_FOUND);
    }
    let project_files: Vec<&ServedFile> = files.iter().filter(|f| f.project == name).collect();
    if project_files.is_empty() {
        return status(StatusCode::NOT_FOUND);
    }
    let body = match options.format {
        PageFormat::Json => json_page(state, &name, &project_files),
        PageFormat::Html => html_page(state, &project_files),
    };
    page(
        body,
        content_type(options.format),
        if_none_match,
        options.cache_control.as_deref(),
    )
}

/// The part of a successful response that `Range: bytes=<a>-<b>`,
/// `bytes=<a>-` or `bytes=-<n>` asks for: 206 with `Content-Range`, or 416
/// when the range is outside the body (one range only; others are ignored).
fn partial(response: Response<Full<Bytes>>, range: &str) -> Response<Full<Bytes>> {
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = body_bytes(body).unwrap_or_default();
    let len = bytes.len() as u64;
    let Some(spec) = range
        .trim()
        .strip_prefix("bytes=")
        .filter(|s| !s.contains(','))
    else {
        return Response::from_parts(parts, Full::new(bytes));
    };
    let span = match spec.split_once('-') {
        Some(("", suffix)) => suffix
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0 && len > 0)
            .map(|n| (len.saturating_sub(n), len - 1)),
        Some((start, "")) => start
            .parse::<u64>()
            .ok()
            .filter(|s| *s < len)
            .map(|s| (s, len - 1)),
        Some((start, end)) => match (start.parse::<u64>(), end.parse::<u64>()) {
            (Ok(start), Ok(end)) if start <= end && start < len => Some((start, end.min(len - 1))),
            _ => None,
        },
        None => None,
    };
    let Some((start, end)) = span else {
        return Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header("content-range", format!("bytes */{len}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
    };
    parts.status = StatusCode::PARTIAL_CONTENT;
    parts.headers.insert(
        hyper::header::CONTENT_RANGE,
        hyper::header::HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")).unwrap(),
    );
    parts.headers.remove(hyper::header::CONTENT_LENGTH);
    let slice = bytes.slice(usize::try_from(start).unwrap()..=usize::try_from(end).unwrap());
    Response::from_parts(parts, Full::new(slice))
}

/// A response body: whole, or cut off (see [`truncate`]).
enum ServedBody {
    Whole(Full<Bytes>),
    /// The first part of a body, with no size hint, so that hyper sends the
    /// `Content-Length` of the whole and closes the connection early.
    CutOff(Option<Bytes>),
}

impl hyper::body::Body for ServedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Self::Whole(full) => std::pin::Pin::new(full).poll_frame(cx),
            Self::CutOff(part) => {
                std::task::Poll::Ready(part.take().map(|bytes| Ok(hyper::body::Frame::data(bytes))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Whole(full) => full.is_end_stream(),
            Self::CutOff(part) => part.is_none(),
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Self::Whole(full) => full.size_hint(),
            Self::CutOff(_) => hyper::body::SizeHint::default(),
        }
    }
}

/// Cut the body of `response` in half the first N times `path` is asked
/// for: the `Content-Length` of the whole body is sent with half of it, so
/// the connection closes before the body is complete.
fn truncate(state: &State, path: &str, response: Response<Full<Bytes>>) -> Response<ServedBody> {
    let mut left = state.truncations_left.lock().unwrap();
    let Some(left) = left.get_mut(path).filter(|left| **left > 0) else {
        return response.map(ServedBody::Whole);
    };
    *left -= 1;
    let (mut parts, body) = response.into_parts();
    let bytes = body_bytes(body).unwrap_or_default();
    parts.headers.insert(
        hyper::header::CONTENT_LENGTH,
        hyper::header::HeaderValue::from(bytes.len()),
    );
    let part = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, ServedBody::CutOff(Some(part)))
}

/// The bytes of a full body (it is ready at once).
fn body_bytes(body: Full<Bytes>) -> Option<Bytes> {
    use http_body_util::BodyExt;
    let mut future = std::pin::pin!(body.collect());
    let waker = std::task::Waker::noop();
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker))
    {
        std::task::Poll::Ready(Ok(collected)) => Some(collected.to_bytes()),
        _ => None,
    }
}

/// The `<name>-<version>.dist-info/METADATA` of a wheel file.
fn wheel_metadata(wheel: &Path) -> Option<Vec<u8>> {
    use std::io::Read;

    let file = fs::File::open(wheel).ok()?;
    let mut archive = zip::ZipArchive::new(file).ok()?;
    let name = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|name| {
            name.split('/').count() == 2
                && name.ends_with("/METADATA")
                && name.contains(".dist-info/")
        })?
        .to_string();
    let mut bytes = Vec::new();
    archive.by_name(&name).ok()?.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

fn content_type(format: PageFormat) -> &'static str {
    match format {
        PageFormat::Json => "application/vnd.pypi.simple.v1+json",
        PageFormat::Html => "text/html",
    }
}

fn advertised_hash(state: &State, file: &ServedFile) -> String {
    if state.options.wrong_hash.contains(&file.filename) {
        HEXLOWER.encode(&Sha256::digest(b"not the file"))
    } else {
        file.sha256.clone()
    }
}

/// The advertised SHA-256 of a wheel's metadata file, with
/// [`IndexServerOptions::core_metadata`] (wrong for the wheels of
/// [`IndexServerOptions::wrong_metadata_hash`]).
fn metadata_hash(state: &State, file: &ServedFile) -> Option<String> {
    if !state.options.core_metadata || !file.filename.ends_with(".whl") {
        return None;
    }
    if state.options.wrong_metadata_hash.contains(&file.filename) {
        return Some(HEXLOWER.encode(&Sha256::digest(b"not the metadata")));
    }
    let metadata = wheel_metadata(&state.options.wheels_dir.join(&file.filename))?;
    Some(HEXLOWER.encode(&Sha256::digest(&metadata)))
}

fn json_page(state: &State, name: &PackageName, files: &[&ServedFile]) -> String {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|file| {
            let mut entry = serde_json::json!({
                "filename": file.filename,
                // Relative to the page, as an index may write it.
                "url": format!("../../files/{}", file.filename),
                "hashes": {"sha256": advertised_hash(state, file)},
            });
            if let Some(requires) = state.options.requires_python.get(&file.filename) {
                entry["requires-python"] = requires.clone().into();
            }
            if let Some(hash) = metadata_hash(state, file) {
                entry["core-metadata"] = serde_json::json!({"sha256": hash});
            }
            if let Some(reason) = state.options.yanked.get(&file.filename) {
                entry["yanked"] = if reason.is_empty() {
                    true.into()
                } else {
                    reason.clone().into()
                };
            }
            entry
        })
        .collect();
    serde_json::json!({
        "meta": {"api-version": "1.0"},
        "name": name.as_str(),
        "files": files,
    })
    .to_string()
}

fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(state: &State, files: &[&ServedFile]) -> String {
    let mut body = String::from("<!DOCTYPE html>\n<html><body>\n");
    for file in files {
        let mut attributes = String::new();
        if let Some(requires) = state.options.requires_python.get(&file.filename) {
            attributes.push_str(&format!(
                " data-requires-python=\"{}\"",
                html_escape(requires)
            ));
        }
        if let Some(reason) = state.options.yanked.get(&file.filename) {
            attributes.push_str(&format!(" data-yanked=\"{}\"", html_escape(reason)));
        }
        if let Some(hash) = metadata_hash(state, file) {
            attributes.push_str(&format!(" data-dist-info-metadata=\"sha256={hash}\""));
        }
        body.push_str(&format!(
            "<a href=\"{}/files/{}#sha256={}\"{attributes}>{}</a><br/>\n",
            state.base,
            file.filename,
            advertised_hash(state, file),
            file.filename
        ));
    }
    body.push_str("</body></html>\n");
    body
}

fn page(
    body: String,
    content_type: &str,
    if_none_match: Option<&str>,
    cache_control: Option<&str>,
) -> Response<Full<Bytes>> {
    let etag = format!(
        "\"{}\"",
        &HEXLOWER.encode(&Sha256::digest(body.as_bytes()))[..16]
    );
    let mut builder = Response::builder().header("etag", &etag);
    if let Some(cache_control) = cache_control {
        builder = builder.header("cache-control", cache_control);
    }
    if if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag)) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Full::new(Bytes::new()))
            .unwrap();
    }
    builder
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A CA and a key pair, able to issue certificates.
fn generate_ca(name: &str) -> (rcgen::Certificate, rcgen::Issuer<'static, rcgen::KeyPair>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };

    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert, Issuer::new(params, key))
}

/// A CA, a certificate for 127.0.0.1 and localhost issued by it, the
/// acceptor serving that certificate, and the PEM files: the CA's, and with
/// `client_auth` a client certificate and key issued by a second CA, which
/// the acceptor then requires.
fn tls_acceptor(client_auth: bool) -> (tokio_rustls::TlsAcceptor, TlsFiles) {
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    let (ca_cert, issuer) = generate_ca("puffin test CA");
    let leaf_key = KeyPair::generate().expect("server key");
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
    leaf_params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("server certificate");

    let dir = tempfile::tempdir().expect("a directory for the PEM files");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("TLS versions");
    let (builder, client) = if client_auth {
        let (verifier, path) = client_verifier(dir.path(), provider);
        (builder.with_client_cert_verifier(verifier), Some(path))
    } else {
        (builder.with_no_client_auth(), None)
    };
    let config = builder
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .expect("server TLS config");

    let ca = dir.path().join("ca.pem");
    fs::write(&ca, ca_cert.pem()).expect("write the CA file");
    let files = TlsFiles {
        _dir: dir,
        ca,
        client,
    };
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), files)
}

/// A verifier requiring client certificates of a generated CA, and the PEM
/// file (in `dir`) of such a certificate followed by its key.
fn client_verifier(
    dir: &Path,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> (Arc<dyn rustls::server::danger::ClientCertVerifier>, PathBuf) {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair};

    let (client_ca, client_issuer) = generate_ca("puffin test client CA");
    let client_key = KeyPair::generate().expect("client key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("client params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "puffin test client");
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params
        .signed_by(&client_key, &client_issuer)
        .expect("client certificate");
    let path = dir.join("client.pem");
    fs::write(
        &path,
        format!("{}{}", client_cert.pem(), client_key.serialize_pem()),
    )
    .expect("write the client certificate");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.der().clone()).expect("the client CA");
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("a client verifier");
    (verifier, path)
}
