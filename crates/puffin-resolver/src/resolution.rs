//! The result of a resolution.

use std::collections::{BTreeMap, BTreeSet};

use distribution_filename::PackageName;
use pep440_rs::Version;

/// One version of every project needed, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// The chosen projects, sorted by name.
    pub packages: BTreeMap<PackageName, ResolvedPackage>,
}

/// A chosen project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    /// The version.
    pub version: Version,
    /// The extras that were asked for (normalized).
    pub extras: BTreeSet<String>,
    /// What required it: input files or other projects.
    pub required_by: BTreeSet<RequiredBy>,
    /// The hashes of every file of this version, `<algorithm>:<hex>`, as the
    /// index gives them.
    pub hashes: Vec<String>,
}

impl ResolvedPackage {
    pub(crate) fn new(version: Version, hashes: Vec<String>) -> Self {
        Self {
            version,
            extras: BTreeSet::new(),
            required_by: BTreeSet::new(),
            hashes,
        }
    }
}

/// Why a project is in a resolution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequiredBy {
    /// A requirement given to the resolver, by its source (e.g. `-r requirements.in`).
    Source(String),
    /// A dependency of another chosen project.
    Project(PackageName),
}
