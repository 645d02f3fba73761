//! The puffin cache: where it lives, its versioned buckets, locking between
//! processes, and the keys of cached index pages.
//!
//! Layout below the root (each bucket versioned so a format change never reads
//! an old entry):
//!
//! - `wheels-v1/`: the wheel store (the `puffin-store` crate owns its layout:
//!   unzipped wheels keyed by the SHA-256 of their archive, in one directory
//!   per package);
//! - `simple-v0/`: HTTP-cached index pages ([`Cache::simple_entry`]);
//! - `interpreter-v0/`: cached interpreter queries;
//! - `CACHEDIR.TAG`: marks the directory as a cache for backup tools;
//! - `.lock`: the file locked shared by installs and exclusively by `puffin clean`.

mod cache;
mod clean;
mod error;
mod key;
mod lock;

pub use cache::{Cache, CacheBucket};
pub use clean::CleanSummary;
pub use error::CacheError;
pub use key::digest;
pub use lock::CacheLock;
