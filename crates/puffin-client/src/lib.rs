//! Find wheels and source distributions on package indexes and
//! `--find-links` locations, and download them.
//!
//! - [`IndexLocations::discover`]: which indexes to use, from the command line,
//!   the requirements file, `PUFFIN_*` variables, pip's own environment and
//!   configuration files, or the default index of the interpreter's pip.
//! - [`RegistryClient`] (built by [`RegistryClientBuilder`]): the Simple
//!   repository API in JSON (PEP 691) and HTML (PEP 503), HTTP-cached in the
//!   cache's `simple-v0/` bucket, with credentials (index URLs, `.netrc`, and
//!   the `keyring` command after a 401), retries, proxies (`HTTPS_PROXY`,
//!   `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) and TLS trust of the system store
//!   plus `SSL_CERT_FILE` and `--cert`, a client certificate, and hosts whose
//!   certificates are not checked ([`NetworkSettings`]); [`RegistryClient::select_dist`]
//!   chooses the file for a requirement as pip does (a wheel, or a source
//!   distribution as the [`FormatPolicy`] allows), [`RegistryClient::select_wheel`]
//!   a wheel only, and [`RegistryClient::fetch_wheel`] /
//!   [`RegistryClient::fetch_source`] stream them to disk while checking their
//!   hashes.
//! - [`RegistryClient::project_files`]: every file of a project on the
//!   indexes and find-links locations, for a resolver;
//!   [`RegistryClient::fetch_core_metadata`] (PEP 658, hash-checked) and
//!   [`RegistryClient::fetch_metadata_by_range`] (HTTP range requests) read a
//!   wheel's `METADATA` without downloading it.
//! - [`FormatPolicy`]: pip's `--no-binary` / `--only-binary` (and `--no-build`).
//! - [`check_require_hashes`]: pip's `--require-hashes` rule.
//!
//! The library never prints: progress goes through [`Reporter`], warnings are
//! returned in [`SelectedWheel::warnings`] and [`SelectedSource::warnings`].

mod auth;
mod error;
mod file_hashes;
mod format_policy;
mod hashes;
mod http;
mod http_cache;
mod index_locations;
mod keyring;
mod network;
mod registry_client;
mod remote_zip;
mod reporter;
mod select;
mod simple;
mod streamed;

pub use error::ClientError;
pub use file_hashes::FileHashes;
pub use format_policy::FormatPolicy;
pub use hashes::check_require_hashes;
pub use http::{DEFAULT_HTTP_TIMEOUT_SECS, DEFAULT_MAX_INDEX_PAGE_SIZE};
pub use http_cache::{MAX_FRESHNESS_SECS, Refresh};
pub use index_locations::{
    FlatIndexLocation, IndexArgs, IndexLocations, IndexOrigin, pip_config_files,
};
pub use network::{KeyringProvider, NetworkArgs, NetworkSettings, TrustedHost};
pub use registry_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, DownloadedFile, DownloadedWheel, RegistryClient,
    RegistryClientBuilder,
};
pub use remote_zip::RangeMetadata;
pub use reporter::Reporter;
pub use select::{
    DistLocation, ProjectFile, SelectedDist, SelectedSource, SelectedWheel, WheelSourceLocation,
};
pub use simple::IndexFile;
