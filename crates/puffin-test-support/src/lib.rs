//! Test support shared by the workspace's tests: a builder for small, real
//! wheels (as `.whl` archives or as unzipped directories), and a byte-level
//! zip writer for forging malformed archives, and a package index server on
//! 127.0.0.1 ([`IndexServer`]), and Python projects built by an in-tree
//! test backend ([`ProjectBuilder`]).
//!
//! Tests build their own fixtures; nothing is downloaded.

mod project;
mod raw_zip;
mod server;
mod wheel;

pub use project::{PROJECT_BACKEND, ProjectBuilder};
pub use raw_zip::{METHOD_DEFLATED, METHOD_STORED, RawEntry, RawZip};
pub use server::{IndexServer, IndexServerOptions, PageFormat, RawResponse, RecordedRequest};
pub use wheel::{WheelBuilder, write_zip};
