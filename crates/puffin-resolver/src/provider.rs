//! What the resolver asks of the outside world, as a trait, so that the
//! solver can be tested with projects held in memory and run against an
//! index with metadata fetched ahead of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use distribution_filename::PackageName;
use pep440_rs::{Version, VersionSpecifiers};
use puffin_package::Metadata;

use crate::ResolveError;

/// One version of a project, as the index lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// Whether every usable file of this version is yanked (PEP 592).
    pub yanked: bool,
    /// The `Requires-Python` of its files (the most permissive of them).
    pub requires_python: Option<VersionSpecifiers>,
    /// Why the version cannot be installed at all, e.g. it has no wheel for
    /// this platform; the resolver then does not choose it and says why.
    pub unusable: Option<String>,
    /// The hashes of every file of this version, `<algorithm>:<hex>`, for
    /// `--generate-hashes`.
    pub hashes: Vec<String>,
}

/// The versions of one project.
pub type VersionMap = BTreeMap<Version, VersionInfo>;

/// Where the resolver gets versions and metadata from.
///
/// The calls block: the solver is synchronous and runs on a thread of its
/// own. An implementation may fetch ahead (see [`MetadataProvider::prefetch`])
/// so that most calls are answered at once.
pub trait MetadataProvider: Send + Sync {
    /// The versions of `name`; empty when no index has the project.
    ///
    /// # Errors
    ///
    /// When the index cannot be read.
    fn versions(&self, name: &PackageName) -> Result<Arc<VersionMap>, ResolveError>;

    /// The core metadata of `name` at `version`, one of those [`Self::versions`] gave.
    ///
    /// # Errors
    ///
    /// When the metadata cannot be fetched or parsed.
    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<Metadata>, ResolveError>;

    /// A hint that `name` was just discovered and will probably be needed:
    /// an implementation may start fetching its versions and the metadata of
    /// its likely version. The default does nothing.
    fn prefetch(&self, _name: &PackageName) {}
}
