//! The puffin cache: where it lives, its versioned buckets, locking between
//! processes, and the keys under which unzipped wheels are stored.
//!
//! Layout below the root (each bucket versioned so a format change never reads
//! an old entry):
//!
//! - `wheels-v0/`: unzipped wheels, one directory per wheel, published by an
//!   atomic rename from a temporary directory inside the cache;
//! - `simple-v0/`: HTTP-cached index pages;
//! - `interpreter-v0/`: cached interpreter queries;
//! - `CACHEDIR.TAG`: marks the directory as a cache for backup tools.

use std::path::{Path, PathBuf};

/// A bucket of the cache: one kind of entry, with a versioned directory name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheBucket {
    /// Unzipped wheels.
    Wheels,
    /// HTTP-cached index pages.
    Simple,
    /// Cached interpreter queries.
    Interpreter,
}

impl CacheBucket {
    /// The directory name of the bucket below the cache root.
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Wheels => "wheels-v0",
            Self::Simple => "simple-v0",
            Self::Interpreter => "interpreter-v0",
        }
    }
}

/// The cache root and access to its buckets.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root`; nothing is created until it is used.
    pub fn from_path(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a bucket (not created).
    pub fn bucket(&self, bucket: CacheBucket) -> PathBuf {
        self.root.join(bucket.dir_name())
    }
}
