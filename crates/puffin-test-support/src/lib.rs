//! Test support shared by the workspace's tests: a builder for small, real
//! wheels (as `.whl` archives or as unzipped directories).
//!
//! Tests build their own fixtures; nothing is downloaded.

mod wheel;

pub use wheel::{WheelBuilder, write_zip};
