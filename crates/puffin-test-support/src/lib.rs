//! Test support shared by the workspace's tests: a builder for small, real
//! wheels (as `.whl` archives or as unzipped directories), and a byte-level
//! zip writer for forging malformed archives.
//!
//! Tests build their own fixtures; nothing is downloaded.

mod raw_zip;
mod wheel;

pub use raw_zip::{METHOD_DEFLATED, METHOD_STORED, RawEntry, RawZip};
pub use wheel::{WheelBuilder, write_zip};
