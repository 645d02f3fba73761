//! The HTTP client: TLS trust, timeouts, proxies and retries.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{debug, warn};

use crate::ClientError;

/// The read timeout when `PUFFIN_HTTP_TIMEOUT` is unset, in seconds.
pub const DEFAULT_HTTP_TIMEOUT_SECS: u64 = 30;

/// The largest index page read, decompressed, when
/// `PUFFIN_MAX_INDEX_PAGE_SIZE` is unset, in bytes (64 MiB).
pub const DEFAULT_MAX_INDEX_PAGE_SIZE: u64 = 64 * 1024 * 1024;

/// The largest index page to read: `PUFFIN_MAX_INDEX_PAGE_SIZE` (bytes) or
/// [`DEFAULT_MAX_INDEX_PAGE_SIZE`].
pub(crate) fn max_page_size(env: &dyn Fn(&str) -> Option<String>) -> u64 {
    env("PUFFIN_MAX_INDEX_PAGE_SIZE")
        .and_then(|value| match value.trim().parse::<u64>() {
            Ok(bytes) if bytes > 0 => Some(bytes),
            _ => {
                warn!(
                    value,
                    "Ignoring invalid `PUFFIN_MAX_INDEX_PAGE_SIZE`: expected bytes"
                );
                None
            }
        })
        .unwrap_or(DEFAULT_MAX_INDEX_PAGE_SIZE)
}

/// The connect timeout, in seconds.
const CONNECT_TIMEOUT_SECS: u64 = 10;

/// System CA bundles, by distribution; the first that exists is loaded.
const SYSTEM_CA_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch, Gentoo, Alpine
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // Fedora, RHEL 7+
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/ssl/cert.pem",                  // Alpine, macOS, BSDs
    "/usr/local/share/certs/ca-root-nss.crt", // FreeBSD
];

/// System CA directories, used when no bundle file exists.
const SYSTEM_CA_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// The timeouts: connect, and read (between two reads of a response), which
/// `PUFFIN_HTTP_TIMEOUT` (seconds) overrides.
pub(crate) fn read_timeout(env: &dyn Fn(&str) -> Option<String>) -> Duration {
    let secs = env("PUFFIN_HTTP_TIMEOUT")
        .and_then(|value| match value.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Some(secs),
            _ => {
                warn!(
                    value,
                    "Ignoring invalid `PUFFIN_HTTP_TIMEOUT`: expected seconds"
                );
                None
            }
        })
        .unwrap_or(DEFAULT_HTTP_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

/// The trusted roots: the system's CA store AND the certificates named by
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` (colon separated), so that users behind a
/// TLS-inspecting proxy can add its CA without losing the public ones (OpenSSL
/// would replace the system store instead). `extra_cert_files` are added too.
fn root_store(
    env: &dyn Fn(&str) -> Option<String>,
    extra_cert_files: &[PathBuf],
) -> Result<rustls::RootCertStore, ClientError> {
    let mut store = rustls::RootCertStore::empty();
    let mut add = |file: Option<&Path>, dir: Option<&Path>, what: &str| {
        let result = rustls_native_certs::load_certs_from_paths(file, dir);
        for err in &result.errors {
            warn!(%err, what, "Failed to load CA certificates");
        }
        let (added, ignored) = store.add_parsable_certificates(result.certs);
        debug!(what, added, ignored, file = ?file, dir = ?dir, "Loaded CA certificates");
        added
    };
    match SYSTEM_CA_FILES.iter().map(Path::new).find(|p| p.is_file()) {
        Some(file) => {
            add(Some(file), None, "system");
        }
        None => {
            for dir in SYSTEM_CA_DIRS.iter().map(Path::new).filter(|p| p.is_dir()) {
                add(None, Some(dir), "system");
            }
        }
    }
    if let Some(file) = env("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        let file = PathBuf::from(file);
        if file.is_file() {
            add(Some(&file), None, "SSL_CERT_FILE");
        } else {
            warn!(path = %file.display(), "Ignoring `SSL_CERT_FILE`: not a file");
        }
    }
    if let Some(dirs) = env("SSL_CERT_DIR") {
        for dir in dirs.split(':').filter(|d| !d.is_empty()).map(Path::new) {
            if dir.is_dir() {
                add(None, Some(dir), "SSL_CERT_DIR");
            }
        }
    }
    for file in extra_cert_files {
        let added = add(Some(file), None, "extra");
        if added == 0 {
            return Err(ClientError::ClientSetup(
                format!("No certificate found in `{}`", file.display()).into(),
            ));
        }
    }
    Ok(store)
}

/// Build the `reqwest` client. Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY` and `NO_PROXY` (reqwest reads them by default). TLS is rustls
/// with the `ring` provider, which builds with only a C compiler.
pub(crate) fn build_client(
    env: &dyn Fn(&str) -> Option<String>,
    extra_cert_files: &[PathBuf],
) -> Result<reqwest::Client, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ClientError::ClientSetup(Box::new(err)))?
        .with_root_certificates(root_store(env, extra_cert_files)?)
        .with_no_client_auth();
    reqwest::Client::builder()
        .user_agent(concat!("puffin/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
        .read_timeout(read_timeout(env))
        .pool_idle_timeout(Duration::from_secs(30))
        .dns_resolver(CachingResolver::default())
        .build()
        .map_err(|err| ClientError::ClientSetup(Box::new(err)))
}

/// A name lookup shared by every request to a host.
type Lookup = Arc<tokio::sync::OnceCell<Result<Vec<SocketAddr>, String>>>;

/// Resolves each host once per process, however many connections open to it.
///
/// The system resolver (`getaddrinfo`) blocks a thread per lookup. Fifty
/// concurrent downloads open up to fifty connections to the same host at
/// once, and the connection pool lets the ones it no longer needs finish in
/// the background; with a resolver that drops some of such a burst of queries,
/// those lookups hang in their threads for the resolver's timeout, and the
/// runtime waits for them at exit (measured: 10 s after a 1 s download). One
/// lookup per host avoids the burst. A failed lookup is forgotten, so a retry
/// asks again.
#[derive(Default)]
struct CachingResolver {
    lookups: Arc<Mutex<HashMap<String, Lookup>>>,
}

impl reqwest::dns::Resolve for CachingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let lookups = self.lookups.clone();
        let lookup = lookups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(host.clone())
            .or_default()
            .clone();
        Box::pin(async move {
            let result = lookup
                .get_or_init(|| {
                    let host = host.clone();
                    async move {
                        tokio::task::spawn_blocking(move || {
                            (host.as_str(), 0)
                                .to_socket_addrs()
                                .map(Iterator::collect::<Vec<_>>)
                                .map_err(|err| err.to_string())
                        })
                        .await
                        .unwrap_or_else(|err| Err(err.to_string()))
                    }
                })
                .await
                .clone();
            match result {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(err) => {
                    let mut lookups = lookups
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if lookups.get(&host).is_some_and(|l| Arc::ptr_eq(l, &lookup)) {
                        lookups.remove(&host);
                    }
                    Err(err.into())
                }
            }
        })
    }
}

/// Retries: `retries` more attempts after the first, on connection errors,
/// timeouts, HTTP 5xx and 429, waiting `base`, 2×`base`, 4×`base`...
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub(crate) retries: u32,
    pub(crate) base: Duration,
}

impl RetryPolicy {
    pub(crate) fn backoff(self, attempt: u32) -> Duration {
        self.base * 2u32.saturating_pow(attempt)
    }

    /// Whether a failed attempt is worth repeating. A body that broke off
    /// (`Content-Length` larger than what arrived) is a body error, or a
    /// decode error when the body passes through the gzip decoder; a corrupt
    /// compressed body is retried too, which costs at most `retries` requests.
    pub(crate) fn is_retryable_error(err: &reqwest::Error) -> bool {
        err.is_connect() || err.is_timeout() || err.is_request() || err.is_body() || err.is_decode()
    }

    /// Whether a status is worth repeating.
    pub(crate) fn is_retryable_status(status: reqwest::StatusCode) -> bool {
        status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_from_env() {
        assert_eq!(read_timeout(&|_| None), Duration::from_secs(30));
        assert_eq!(
            read_timeout(&|k| (k == "PUFFIN_HTTP_TIMEOUT").then(|| "5".to_string())),
            Duration::from_secs(5)
        );
        assert_eq!(
            read_timeout(&|k| (k == "PUFFIN_HTTP_TIMEOUT").then(|| "soon".to_string())),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn backoff_doubles() {
        let policy = RetryPolicy {
            retries: 3,
            base: Duration::from_millis(100),
        };
        assert_eq!(policy.backoff(0), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(400));
    }

    #[test]
    fn extra_cert_file_without_certificates_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("empty.pem");
        fs_err::write(&file, "nothing here\n").unwrap();
        assert!(root_store(&|_| None, &[file]).is_err());
    }
}
