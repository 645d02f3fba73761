use std::path::PathBuf;

use distribution_filename::PackageName;
use puffin_package::HashDigest;

/// An error from finding or downloading wheels and source distributions.
/// URLs in messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No index is configured and `--no-index` was not given.
    #[error(
        "No package index is configured. Set one with `--index-url <URL>`, the `PUFFIN_INDEX_URL` \
         environment variable or `index-url` in pip's configuration (`pip config set global.index-url <URL>`), \
         or install from local wheels with `--find-links <DIR> --no-index`"
    )]
    NoIndex,
    /// An index URL from some configuration layer is not a valid URL.
    #[error("Invalid index URL `{url}` (from {origin})")]
    InvalidIndexUrl {
        /// The URL as given, credentials removed.
        url: String,
        /// Where it came from.
        origin: String,
        /// Why it is invalid.
        #[source]
        err: url::ParseError,
    },
    /// A pip configuration file could not be read or parsed.
    #[error("Failed to read pip's configuration file `{}`", path.display())]
    PipConfig {
        /// The configuration file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A network option (`--trusted-host`, `--keyring-provider`) from some
    /// configuration layer is not valid.
    #[error("Invalid `{option}` value `{value}` (from {origin}): {problem}")]
    InvalidNetworkOption {
        /// The option, e.g. `trusted-host`.
        option: String,
        /// The value as given.
        value: String,
        /// Where it came from, e.g. "`PIP_TRUSTED_HOST`".
        origin: String,
        /// What is wrong and what is expected.
        problem: String,
    },
    /// The client certificate (`--client-cert`) could not be read.
    #[error("Failed to read the client certificate `{}`", path.display())]
    ClientCertificate {
        /// The PEM file.
        path: PathBuf,
        /// Why it could not be read or used.
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A CA bundle (`--cert`) could not be read, or holds no certificate.
    #[error("Failed to read the CA certificates of `{}`", path.display())]
    CaBundle {
        /// The PEM file.
        path: PathBuf,
        /// Why it could not be read or used.
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The HTTP client could not be built (TLS roots, options).
    #[error("Failed to set up the HTTP client")]
    ClientSetup(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The server's TLS certificate is not trusted.
    #[error(
        "The TLS certificate of `{url}` is not trusted. If a proxy inspects TLS traffic, add its CA certificate with `--cert <file.pem>` or `SSL_CERT_FILE=<file.pem>` (or `SSL_CERT_DIR`)"
    )]
    UntrustedCertificate {
        /// The URL, credentials removed.
        url: String,
        /// The TLS error.
        #[source]
        err: reqwest::Error,
    },
    /// A request failed after its retries.
    #[error("Request to `{url}` failed")]
    Request {
        /// The URL, credentials removed.
        url: String,
        /// The last error.
        #[source]
        err: reqwest::Error,
    },
    /// A server answered with an error status after the retries.
    #[error("`{url}` answered with HTTP status {status}{}", status_hint(*status))]
    Status {
        /// The URL, credentials removed.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// A project page could not be parsed.
    #[error("Failed to parse the index page `{url}`")]
    ParsePage {
        /// The URL, credentials removed.
        url: String,
        /// Why it could not be parsed.
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An index page is larger than the limit once decompressed.
    #[error(
        "The index page `{url}` is larger than {limit} bytes once decompressed; if the page is genuine, raise the limit with `PUFFIN_MAX_INDEX_PAGE_SIZE=<bytes>`"
    )]
    PageTooLarge {
        /// The URL, credentials removed.
        url: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// No index and no find-links location has the project.
    #[error("`{package}` was not found in {searched}")]
    PackageNotFound {
        /// The project.
        package: PackageName,
        /// Where it was looked for, e.g. "the index `http://...`".
        searched: String,
    },
    /// `--offline` and the project page is not in the cache.
    #[error(
        "The network is disabled (`--offline`) and `{package}` is neither in the cache nor in a local `--find-links` directory"
    )]
    Offline {
        /// The project.
        package: PackageName,
    },
    /// `--offline` and a file would have to be downloaded.
    #[error(
        "The network is disabled (`--offline`), so `{filename}` cannot be downloaded from `{url}`"
    )]
    OfflineDownload {
        /// The file name of the wheel or source distribution.
        filename: String,
        /// The file's URL, credentials removed.
        url: String,
    },
    /// No version matches the specifiers.
    #[error("No version of `{package}` matches `{specifiers}` in {searched}{available}")]
    NoMatchingVersion {
        /// The project.
        package: PackageName,
        /// The specifiers, e.g. `==1.0`.
        specifiers: String,
        /// Where it was looked for, e.g. "the index `http://...`", credentials
        /// redacted.
        searched: String,
        /// `" (available: 1.0, 1.1)"` or an empty string.
        available: String,
    },
    /// Versions match, but no file of them is usable: no wheel fits this
    /// environment and no source distribution may be built (see
    /// [`crate::FormatPolicy`]).
    #[error("No {} of `{package}{specifiers}` in {searched} fits this environment:\n{}", if *sources_allowed { "wheel or source distribution" } else { "wheel" }, reasons.join("\n"))]
    NoCompatibleWheel {
        /// The project.
        package: PackageName,
        /// The specifiers, e.g. `==1.0`.
        specifiers: String,
        /// Where it was looked for, e.g. "the index `http://...`", credentials
        /// redacted.
        searched: String,
        /// One line per version considered, e.g.
        /// `- 1.0: only a source distribution: building from source is not supported yet`.
        reasons: Vec<String>,
        /// Whether source distributions of the project were allowed (the
        /// message then speaks of both kinds of files).
        sources_allowed: bool,
    },
    /// A `--no-binary` or `--only-binary` value is not `:all:`, `:none:` or
    /// a list of package names.
    #[error(
        "Invalid `{option}` value `{value}`: {problem}; expected `:all:`, `:none:` or package names separated by commas"
    )]
    InvalidFormatOption {
        /// `--no-binary` or `--only-binary`.
        option: String,
        /// The value as given.
        value: String,
        /// What is wrong, e.g. "it contains an empty name".
        problem: String,
    },
    /// A downloaded file's hash is not the expected one.
    #[error(
        "Hash mismatch for `{filename}` (from `{url}`):\n  expected: {}\n  computed: {computed}\nIf you trust this file, use `--hash={sha256}` in the requirement instead",
        expected.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n            ")
    )]
    HashMismatch {
        /// The file name of the wheel or source distribution.
        filename: String,
        /// Where it came from, credentials removed (a URL or a path).
        url: String,
        /// The expected hashes that did not match.
        expected: Vec<HashDigest>,
        /// The computed hash in the algorithm of the first expected one.
        computed: HashDigest,
        /// The file's SHA-256, ready to paste as `--hash`.
        sha256: HashDigest,
    },
    /// Reading or writing a local file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Writing a downloaded file failed.
    #[error("Failed to write `{}`", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        err: std::io::Error,
    },
    /// The body of a download broke off.
    #[error("Failed to download `{url}`")]
    Download {
        /// The URL, credentials removed.
        url: String,
        /// The underlying error.
        #[source]
        err: reqwest::Error,
    },
}

/// What to do about an authentication status.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            " (credentials missing or refused: give them in the index URL, `https://user:password@host/simple/`, in `~/.netrc`, or through `--keyring-provider subprocess`)"
        }
        _ => "",
    }
}

/// Whether a request failed because the server's certificate is not trusted.
pub(crate) fn is_certificate_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(rustls::Error::InvalidCertificate(_)) = err.downcast_ref::<rustls::Error>() {
            return true;
        }
        // `io::Error::source` skips the error it wraps: look inside.
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && is_certificate_error(inner)
        {
            return true;
        }
        current = err.source();
    }
    false
}
