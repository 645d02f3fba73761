//! Everything around a build from source: obtaining a source tree on disk,
//! and caching the wheels built from it. The build itself (PEP 517) is
//! another crate's job; this one never runs a build backend.
//!
//! - [`unpack_archive`]: unpack a source distribution (`.tar.gz`, `.tgz`,
//!   `.tar`, `.zip`) with every entry checked (no absolute paths, no `..`,
//!   no links out of the tree, no writes through links, no devices or FIFOs,
//!   only the executable bit kept), returning the source tree's root;
//! - [`GitUrl`], [`fetch`] / [`fetch_with`] and [`GitCheckout`]: `git+` URLs
//!   in pip's forms, checked out with the system's `git` into the cache's
//!   `git-v0` bucket (one bare database per repository, one checkout per
//!   commit, published by a rename);
//! - [`fingerprint`]: what a build of a local source tree is keyed by;
//! - [`BuiltWheelCache`] and [`BuildKey`]: the `built-wheels-v0` bucket,
//!   wheels keyed by their source (archive hash, local path and fingerprint,
//!   or git commit), regular or editable, and the config settings.

mod archive;
mod built_wheels;
mod error;
mod fingerprint;
mod git;

pub use archive::unpack_archive;
pub use built_wheels::{BuildKey, BuiltWheelCache};
pub use error::{ArchiveError, EntryError, Error, GitError, GitUrlError};
pub use fingerprint::{fingerprint, newest_modification};
pub use git::{GitCheckout, GitOptions, GitUrl, fetch, fetch_with};
