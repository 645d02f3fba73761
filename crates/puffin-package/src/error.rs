/// A core metadata file or a `direct_url.json` that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// A required field is absent.
    #[error("The metadata has no `{0}` field")]
    MissingField(&'static str),
    /// The `Name` field is not a valid project name.
    #[error("Invalid `Name` in the metadata")]
    InvalidName(#[source] distribution_filename::InvalidNameError),
    /// The `Version` field is not a PEP 440 version.
    #[error("Invalid `Version: {value}` in the metadata")]
    InvalidVersion {
        /// The field value.
        value: String,
        /// Why it is invalid.
        #[source]
        err: pep440_rs::VersionParseError,
    },
    /// A `Requires-Dist` field is not a PEP 508 requirement.
    #[error("Invalid `Requires-Dist: {value}` on line {line} of the metadata")]
    InvalidRequirement {
        /// The 1-based line of the field.
        line: usize,
        /// The field value.
        value: String,
        /// Why it is invalid.
        #[source]
        err: Box<pep508_rs::Pep508Error>,
    },
    /// A `Requires-Dist` field that is not a PEP 508 requirement, found
    /// before handing it to the PEP 508 parser.
    #[error("Invalid `Requires-Dist: {value}` on line {line} of the metadata: {reason}")]
    InvalidRequirementText {
        /// The 1-based line of the field.
        line: usize,
        /// The field value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// The `Requires-Python` field is not a PEP 440 specifier set.
    #[error("Invalid `Requires-Python: {value}` on line {line} of the metadata")]
    InvalidRequiresPython {
        /// The 1-based line of the field.
        line: usize,
        /// The field value.
        value: String,
        /// Why it is invalid.
        #[source]
        err: pep440_rs::VersionSpecifiersParseError,
    },
    /// The `Metadata-Version` is not one this parser knows (1.0 to 2.x).
    #[error("Unsupported `Metadata-Version: {0}`: puffin reads core metadata versions 1.0 to 2.4")]
    UnsupportedMetadataVersion(String),
    /// A `direct_url.json` is not valid PEP 610 JSON.
    #[error("Invalid `direct_url.json`")]
    InvalidDirectUrl(#[source] serde_json::Error),
    /// A hash names an algorithm puffin does not check.
    #[error("Unsupported hash algorithm `{0}`: use sha256, sha384 or sha512")]
    UnsupportedHash(String),
    /// A hash is not `<algorithm>:<hex digest>` with a digest of the right length.
    #[error(
        "Invalid hash `{0}`: expected `<algorithm>:<hex digest>`, e.g. `sha256:` and 64 hex digits"
    )]
    InvalidHash(String),
}
