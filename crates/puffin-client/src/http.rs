//! The HTTP clients: TLS trust (the system's, `SSL_CERT_FILE`, `--cert`),
//! the client certificate, trusted hosts, timeouts, proxies and retries.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fs_err as fs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tracing::{debug, warn};
use url::Url;

use crate::auth::redact;
use crate::{ClientError, NetworkSettings, TrustedHost};

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
/// would replace the system store instead). `extra_cert_files` (`--cert`) are
/// added too, and each must hold at least one certificate.
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
    };
    match SYSTEM_CA_FILES.iter().map(Path::new).find(|p| p.is_file()) {
        Some(file) => add(Some(file), None, "system"),
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
        let (added, ignored) = store.add_parsable_certificates(read_ca_bundle(file)?);
        debug!(added, ignored, file = %file.display(), "Loaded CA certificates (`--cert`)");
    }
    Ok(store)
}

/// The certificates of a PEM bundle given with `--cert`: an unreadable file,
/// or one without a certificate, is an error rather than a silent no-op.
fn read_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let error = |err: Box<dyn std::error::Error + Send + Sync>| ClientError::CaBundle {
        path: path.to_path_buf(),
        err,
    };
    let bytes = fs::read(path).map_err(|err| error(Box::new(err)))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| error(Box::new(err)))?;
    if certs.is_empty() {
        return Err(error("no PEM `CERTIFICATE` block in the file".into()));
    }
    Ok(certs)
}

/// A client certificate and its private key, from one PEM file (pip's
/// `--client-cert`).
struct ClientIdentity {
    path: PathBuf,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ClientIdentity {
    fn read(path: &Path) -> Result<Self, ClientError> {
        let bytes = fs::read(path).map_err(|err| client_cert_error(path, Box::new(err)))?;
        let certs = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| client_cert_error(path, Box::new(err)))?;
        if certs.is_empty() {
            return Err(client_cert_error(
                path,
                "no PEM `CERTIFICATE` block in the file".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|err| {
            client_cert_error(
                path,
                format!("no usable PEM private key in the file ({err})").into(),
            )
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            certs,
            key,
        })
    }
}

fn client_cert_error(path: &Path, err: Box<dyn std::error::Error + Send + Sync>) -> ClientError {
    ClientError::ClientCertificate {
        path: path.to_path_buf(),
        err,
    }
}

/// The HTTP clients of a registry client: one that checks every
/// certificate, and, when hosts are trusted (`--trusted-host`), one for
/// requests to them, which skips the check for those host names only.
#[derive(Clone)]
pub(crate) struct HttpClients {
    verified: reqwest::Client,
    trusted: Option<reqwest::Client>,
    trusted_hosts: Arc<[TrustedHost]>,
}

impl HttpClients {
    /// The client for a request to `url`.
    pub(crate) fn for_url(&self, url: &Url) -> &reqwest::Client {
        match &self.trusted {
            Some(trusted) if self.trusted_hosts.iter().any(|host| host.matches(url)) => trusted,
            _ => &self.verified,
        }
    }
}

/// Build the clients. Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY` and `NO_PROXY` (and their lowercase forms), which reqwest
/// reads by default; nothing here turns that off. TLS is rustls with the
/// `ring` provider, which builds with only a C compiler.
pub(crate) fn build_clients(
    env: &dyn Fn(&str) -> Option<String>,
    extra_cert_files: &[PathBuf],
    network: &NetworkSettings,
) -> Result<HttpClients, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert_files: Vec<PathBuf> = extra_cert_files
        .iter()
        .chain(&network.certs)
        .cloned()
        .collect();
    let roots = Arc::new(root_store(env, &cert_files)?);
    let identity = network
        .client_cert
        .as_deref()
        .map(ClientIdentity::read)
        .transpose()?;
    let verified = tls_config(&provider, identity.as_ref(), |builder| {
        Ok(builder.with_root_certificates(roots.clone()))
    })?;
    let verified = build_client(env, verified, reqwest::redirect::Policy::default())?;
    let trusted_hosts: Arc<[TrustedHost]> = network.trusted_hosts.clone().into();
    let trusted = if trusted_hosts.is_empty() {
        None
    } else {
        let verifier = Arc::new(TrustedHostVerifier::new(
            roots,
            &provider,
            trusted_hosts.clone(),
        ));
        let tls = tls_config(&provider, identity.as_ref(), |builder| {
            Ok(builder
                .dangerous()
                .with_custom_certificate_verifier(verifier))
        })?;
        Some(build_client(
            env,
            tls,
            trusted_redirects(trusted_hosts.clone()),
        )?)
    };
    Ok(HttpClients {
        verified,
        trusted,
        trusted_hosts,
    })
}

/// The stage of rustls' builder that chooses how servers are verified.
type WantsVerifier = rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>;

/// The stage of rustls' builder that chooses the client certificate.
type WantsClientCert = rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>;

/// A TLS configuration: safe protocol versions, the server verification
/// `verify` chooses, and the client certificate if there is one.
fn tls_config(
    provider: &Arc<rustls::crypto::CryptoProvider>,
    identity: Option<&ClientIdentity>,
    verify: impl FnOnce(WantsVerifier) -> Result<WantsClientCert, ClientError>,
) -> Result<rustls::ClientConfig, ClientError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| ClientError::ClientSetup(Box::new(err)))?;
    let builder = verify(builder)?;
    match identity {
        None => Ok(builder.with_no_client_auth()),
        Some(identity) => builder
            .with_client_auth_cert(identity.certs.clone(), identity.key.clone_key())
            .map_err(|err| client_cert_error(&identity.path, Box::new(err))),
    }
}

/// One `reqwest` client over `tls`.
fn build_client(
    env: &dyn Fn(&str) -> Option<String>,
    tls: rustls::ClientConfig,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .user_agent(concat!("puffin/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
        .read_timeout(read_timeout(env))
        .pool_idle_timeout(Duration::from_secs(30))
        .redirect(redirects)
        .dns_resolver(CachingResolver::default())
        .build()
        .map_err(|err| ClientError::ClientSetup(Box::new(err)))
}

/// How many redirects a request follows, as reqwest's default policy.
const MAX_REDIRECTS: usize = 10;

/// Redirects of the client for trusted hosts. Its verifier skips the
/// certificate check by host name; a redirect to a host of that name on a
/// port that is not trusted would skip it too, so it is refused. Redirects
/// to other hosts are followed, and their certificates checked.
fn trusted_redirects(hosts: Arc<[TrustedHost]>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let url = attempt.url();
        let host = url
            .host_str()
            .map(|h| h.trim_matches(['[', ']']).to_string());
        let named = hosts.iter().any(|h| h.matches_host(host.as_deref()));
        let trusted = hosts.iter().any(|h| h.matches(url));
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if named && !trusted && url.scheme() == "https" {
            let message = format!(
                "redirected to `{}`, whose port is not a trusted host's",
                redact(url)
            );
            attempt.error(message)
        } else {
            attempt.follow()
        }
    })
}

/// Checks certificates as webpki does, except for the trusted host names,
/// whose certificates are accepted unchecked (pip's `--trusted-host`). The
/// handshake signatures are still verified, with the certificate's key.
#[derive(Debug)]
struct TrustedHostVerifier {
    /// `None` when there is no root certificate at all: then every host that
    /// is not trusted fails.
    webpki: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
    hosts: Arc<[TrustedHost]>,
}

impl TrustedHostVerifier {
    fn new(
        roots: Arc<rustls::RootCertStore>,
        provider: &Arc<rustls::crypto::CryptoProvider>,
        hosts: Arc<[TrustedHost]>,
    ) -> Self {
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|err| debug!(%err, "No certificate verification besides trusted hosts"))
                .ok();
        Self {
            webpki,
            algorithms: provider.signature_verification_algorithms,
            hosts,
        }
    }
}

impl rustls::client::danger::ServerCertVerifier for TrustedHostVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::pki_types::ServerName;
        let host = match server_name {
            ServerName::DnsName(name) => Some(name.as_ref().to_string()),
            ServerName::IpAddress(ip) => Some(std::net::IpAddr::from(*ip).to_string()),
            _ => None,
        };
        if self.hosts.iter().any(|h| h.matches_host(host.as_deref())) {
            debug!(host, "Not checking the certificate of a trusted host");
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        match &self.webpki {
            Some(webpki) => webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
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
        fs::write(&file, "nothing here\n").unwrap();
        let err = root_store(&|_| None, std::slice::from_ref(&file)).unwrap_err();
        assert!(matches!(err, ClientError::CaBundle { path, .. } if path == file));
        let missing = dir.path().join("missing.pem");
        assert!(root_store(&|_| None, &[missing]).is_err());
    }
}
