//! The metadata of an installed or downloadable Python distribution.
//!
//! - [`Metadata`]: the fields puffin needs from a [core metadata] file
//!   (`METADATA` in a wheel's `.dist-info`, `PKG-INFO` in a source distribution):
//!   name, version, dependencies, `Requires-Python` and extras.
//! - [`DirectUrl`]: the [PEP 610] `direct_url.json` that records where a
//!   distribution installed from a URL or a local path came from.
//! - [`HashDigest`]: an archive hash (`sha256:<hex>`) as a type.
//!
//! [core metadata]: https://packaging.python.org/en/latest/specifications/core-metadata/
//! [PEP 610]: https://packaging.python.org/en/latest/specifications/direct-url-data-structure/

mod direct_url;
mod error;
mod hash;
mod metadata;

pub use direct_url::{ArchiveInfo, DirInfo, DirectUrl, DirectUrlInfo, VcsInfo};
pub use error::MetadataError;
pub use hash::{HashAlgorithm, HashDigest};
pub use metadata::{Metadata, pep508_panic_guard};
