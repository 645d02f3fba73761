use std::path::PathBuf;
use std::sync::Arc;

use distribution_filename::PackageName;
use pep440_rs::Version;

/// Everything that can go wrong while resolving.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The requirements cannot all be satisfied; `report` explains why, in
    /// sentences.
    #[error("No solution found when resolving dependencies:\n{report}")]
    NoSolution {
        /// PubGrub's derivation, one sentence a line.
        report: String,
    },
    /// A requirement that puffin cannot resolve yet (a URL).
    #[error("`{requirement}` is not supported by the resolver: {reason}")]
    Unsupported {
        /// The requirement as written.
        requirement: String,
        /// What is missing.
        reason: &'static str,
    },
    /// A project's index page could not be read.
    #[error("Failed to read the versions of `{package}`")]
    Versions {
        /// The project.
        package: PackageName,
        /// What failed.
        #[source]
        err: Box<puffin_client::ClientError>,
    },
    /// A wheel or its metadata file could not be fetched.
    #[error("Failed to fetch the metadata of `{filename}`")]
    Fetch {
        /// The file.
        filename: String,
        /// What failed.
        #[source]
        err: Box<puffin_client::ClientError>,
    },
    /// A metadata file does not parse.
    #[error("Failed to parse the metadata of `{filename}`")]
    Metadata {
        /// The wheel (or its `.metadata` file).
        filename: String,
        /// What failed.
        #[source]
        err: Box<puffin_package::MetadataError>,
    },
    /// A metadata file names another project or version than its file.
    #[error("The metadata of `{filename}` is for {name} {version}")]
    MetadataMismatch {
        /// The wheel.
        filename: String,
        /// The name in the metadata.
        name: PackageName,
        /// The version in the metadata.
        version: Version,
    },
    /// The wheel store failed.
    #[error("Failed to put `{filename}` into the wheel store")]
    Store {
        /// The wheel.
        filename: String,
        /// What failed.
        #[source]
        err: Box<puffin_store::StoreError>,
    },
    /// Reading or writing a file failed.
    #[error("Failed to access `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        err: std::io::Error,
    },
    /// Building a source distribution for its metadata failed.
    #[error("Failed to read the metadata of the source distribution `{filename}`")]
    SourceMetadata {
        /// The source distribution.
        filename: String,
        /// What failed.
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },
    /// [`crate::IndexProvider::resolve`] was given options whose format
    /// policy is not the provider's (build it with
    /// [`crate::IndexProvider::from_options`]).
    #[error(
        "The resolver options' `--no-binary`/`--only-binary` policy is not the index provider's"
    )]
    FormatPolicyMismatch,
    /// A version that the provider listed has no metadata.
    #[error("No metadata for {package} {version}")]
    MissingMetadata {
        /// The project.
        package: PackageName,
        /// The version.
        version: Version,
    },
    /// A background task failed.
    #[error("A resolver task failed")]
    Join(#[source] tokio::task::JoinError),
    /// An error shared between the waiters of one fetch.
    #[error(transparent)]
    Shared(Arc<ResolveError>),
}
