//! Resolve Python requirements to one version of every project they need,
//! with the [PubGrub] algorithm (the `pubgrub` crate).
//!
//! - [`resolve`]: requirements ([`RootRequirement`]) and [`ResolverOptions`]
//!   (the marker environment, `--pre`, previous pins, constraints, the
//!   `--no-binary` / `--only-binary` policy) to a [`Resolution`], or
//!   [`ResolveError::NoSolution`] with the explanation in sentences;
//!   [`ResolverOptions::for_python_version`] / [`markers_for_python_version`]
//!   resolve for another Python version.
//! - [`MetadataProvider`]: where versions and metadata come from. Tests use
//!   projects held in memory; [`IndexProvider`] reads indexes and find-links
//!   locations through `puffin-client`, preferring PEP 658 metadata files,
//!   then range requests, else downloading the wheel into the wheel store,
//!   asks a [`SourceMetadata`] for versions that only have a source
//!   distribution, and fetches ahead of the solver.
//!
//! The library never prints: progress goes through [`ResolverReporter`].
//!
//! [PubGrub]: https://nex3.medium.com/pubgrub-2fb6470504f

mod candidates;
mod error;
mod index;
mod package;
mod provider;
mod python;
mod ranges;
mod report;
mod reporter;
mod resolution;
mod resolver;
mod source;

pub use error::ResolveError;
pub use index::IndexProvider;
pub use provider::{MetadataProvider, VersionInfo, VersionMap};
pub use python::markers_for_python_version;
pub use reporter::ResolverReporter;
pub use resolution::{RequiredBy, Resolution, ResolvedPackage};
pub use resolver::{ResolverOptions, RootRequirement, resolve};
pub use source::{SourceMetadata, SourceMetadataFuture, SourceMetadataResult};
