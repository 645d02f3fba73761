//! What PubGrub solves for: projects, plus virtual packages for extras, the
//! Python version and the root.

use std::fmt;

use distribution_filename::PackageName;

/// A PubGrub package.
///
/// An extra is its own package: `foo[bar]` at version `v` depends on `foo`
/// at exactly `v` and on the requirements that the extra adds, so that one
/// version of `foo` serves both (the approach of uv and Poetry).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum PubGrubPackage {
    /// The requirements given to the resolver.
    Root,
    /// The target Python: one version, the one resolved for. A project whose
    /// `Requires-Python` excludes it depends on a Python that is not there.
    Python,
    /// A project (PEP 503 normalized name).
    Project(PackageName),
    /// A project's extra.
    Extra(PackageName, String),
}

impl PubGrubPackage {
    /// The project, for projects and extras.
    pub(crate) fn name(&self) -> Option<&PackageName> {
        match self {
            Self::Project(name) | Self::Extra(name, _) => Some(name),
            Self::Root | Self::Python => None,
        }
    }
}

impl fmt::Display for PubGrubPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the requirements"),
            Self::Python => f.write_str("Python"),
            Self::Project(name) => write!(f, "{name}"),
            Self::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}
