//! Resolve Python requirements to one version of every project they need,
//! with the [PubGrub] algorithm (the `pubgrub` crate).
//!
//! - [`resolve`]: requirements ([`RootRequirement`]) and [`ResolverOptions`]
//!   (the marker environment, `--pre`, previous pins) to a [`Resolution`], or
//!   [`ResolveError::NoSolution`] with the explanation in sentences.
//! - [`MetadataProvider`]: where versions and metadata come from. Tests use
//!   projects held in memory; [`IndexProvider`] reads an index through
//!   `puffin-client`, preferring PEP 658 metadata files, else downloading the
//!   wheel into the wheel store, and fetches ahead of the solver.
//!
//! The library never prints: progress goes through [`ResolverReporter`].
//!
//! [PubGrub]: https://nex3.medium.com/pubgrub-2fb6470504f

mod error;
mod index;
mod package;
mod provider;
mod ranges;
mod report;
mod reporter;
mod resolution;
mod resolver;

pub use error::ResolveError;
pub use index::IndexProvider;
pub use provider::{MetadataProvider, VersionInfo, VersionMap};
pub use reporter::ResolverReporter;
pub use resolution::{RequiredBy, Resolution, ResolvedPackage};
pub use resolver::{ResolverOptions, RootRequirement, resolve};
