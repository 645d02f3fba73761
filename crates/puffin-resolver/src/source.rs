//! The metadata of versions that have only a source distribution: the
//! resolver cannot build (that is `puffin-build`'s job, driven by
//! `puffin-installer`, which depends on this crate), so it asks a
//! [`SourceMetadata`] given to [`IndexProvider::with_source_metadata`].
//!
//! [`IndexProvider::with_source_metadata`]: crate::IndexProvider::with_source_metadata

use std::future::Future;
use std::pin::Pin;

use distribution_filename::PackageName;
use pep440_rs::Version;
use puffin_client::SelectedSource;

/// What a [`SourceMetadata`] call gives: the core metadata file's bytes
/// (`METADATA` of the `.dist-info` that `prepare_metadata_for_build_wheel`
/// wrote, or of the built wheel), or why it could not be had.
pub type SourceMetadataResult = Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;

/// The future of a [`SourceMetadata::metadata`] call.
pub type SourceMetadataFuture<'a> = Pin<Box<dyn Future<Output = SourceMetadataResult> + Send + 'a>>;

/// Reads the core metadata of a source distribution, e.g. by unpacking it
/// and running the build backend's `prepare_metadata_for_build_wheel` hook.
///
/// The provider calls it once per source distribution and caches the
/// result in `metadata-v0/` by the archive's SHA-256 when the index gives
/// one, so an implementation need not cache what it returns. Calls may
/// come from several tasks at once.
pub trait SourceMetadata: Send + Sync {
    /// The `METADATA` bytes of `name` `version`, built from `sdist` (where it
    /// is and the hashes the index gives, to check on download).
    fn metadata<'a>(
        &'a self,
        name: &'a PackageName,
        version: &'a Version,
        sdist: &'a SelectedSource,
    ) -> SourceMetadataFuture<'a>;
}
