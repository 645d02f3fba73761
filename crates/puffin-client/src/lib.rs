//! Find wheels on package indexes and `--find-links` locations, and download them.
//!
//! - [`IndexLocations::discover`]: which indexes to use, from the command line,
//!   the requirements file, `PUFFIN_*` variables, pip's own environment and
//!   configuration files, or the default index of the interpreter's pip.
//! - [`RegistryClient`] (built by [`RegistryClientBuilder`]): the Simple
//!   repository API in JSON (PEP 691) and HTML (PEP 503), HTTP-cached in the
//!   cache's `simple-v0/` bucket, with credentials, retries, proxies and TLS
//!   trust of the system store plus `SSL_CERT_FILE`; [`RegistryClient::select_wheel`]
//!   chooses the wheel for a requirement and [`RegistryClient::download_wheel`]
//!   streams it to disk while checking its hashes.
//! - [`check_require_hashes`]: pip's `--require-hashes` rule.
//!
//! The library never prints: progress goes through [`Reporter`], warnings are
//! returned in [`SelectedWheel::warnings`].

mod auth;
mod error;
mod hashes;
mod http;
mod http_cache;
mod index_locations;
mod registry_client;
mod reporter;
mod select;
mod simple;

pub use error::ClientError;
pub use hashes::check_require_hashes;
pub use http::{DEFAULT_HTTP_TIMEOUT_SECS, DEFAULT_MAX_INDEX_PAGE_SIZE};
pub use http_cache::{MAX_FRESHNESS_SECS, Refresh};
pub use index_locations::{
    FlatIndexLocation, IndexArgs, IndexLocations, IndexOrigin, pip_config_files,
};
pub use registry_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, DownloadedWheel, RegistryClient, RegistryClientBuilder,
};
pub use reporter::Reporter;
pub use select::{SelectedWheel, WheelSourceLocation};
pub use simple::IndexFile;
