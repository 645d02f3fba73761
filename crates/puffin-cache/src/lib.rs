//! The puffin cache: where it lives, its versioned buckets, locking between
//! processes, and the keys under which unzipped wheels are stored.
//!
//! Layout below the root (each bucket versioned so a format change never reads
//! an old entry):
//!
//! - `wheels-v0/`: unzipped wheels, one directory per wheel, published by an
//!   atomic rename from a temporary directory inside the cache
//!   ([`Cache::temp_dir`]); keyed by [`Cache::wheel_entry`] as
//!   `wheels-v0/{index|url|path}/<digest of the source>/<wheel stem>`;
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
pub use key::{WheelSource, digest};
pub use lock::CacheLock;
