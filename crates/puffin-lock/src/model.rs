//! The `pylock.toml` format as serde types, in the specification's key
//! order (so that a written lock is stable and diffs well). Unknown keys
//! (`[tool]`, `attestation-identities`, `upload-time`, ...) are accepted and
//! ignored when reading.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PyLock {
    /// The format's version: `1.0`.
    pub lock_version: String,
    /// Markers of which at least one must hold for the lock to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// The Python versions the lock supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    /// The extras the lock supports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<String>,
    /// The dependency groups the lock supports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_groups: Vec<String>,
    /// The groups installed when none is asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_groups: Vec<String>,
    /// The tool that wrote the lock.
    pub created_by: String,
    /// The locked packages.
    #[serde(default)]
    pub packages: Vec<LockPackage>,
    /// The 1-based line of each package's `[[packages]]` header, when the
    /// lock was read from a file with them (for messages); not written.
    #[serde(skip)]
    pub package_lines: Vec<usize>,
}

/// One package version of a lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LockPackage {
    /// The name (normalized when written).
    pub name: String,
    /// The version; absent for a source tree whose version is dynamic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When the package is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// The package's `Requires-Python`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
    /// The index the files come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// A git (or other VCS) checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcs: Option<LockVcs>,
    /// A local source tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<LockDirectory>,
    /// A source tree in an archive (not a wheel or sdist of an index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<LockFile>,
    /// The source distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdist: Option<LockFile>,
    /// The wheels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wheels: Vec<LockFile>,
}

/// A file of a package: a wheel, an sdist or an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LockFile {
    /// The file's name (defaults to the last segment of `url` or `path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where to download it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where it is on disk, relative to the lock's directory or absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Its size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its digests by algorithm name (`sha256 = "<hex>"`).
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    /// The project's directory inside an archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
}

/// A VCS checkout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LockVcs {
    /// The VCS: `git` (the only one puffin installs).
    #[serde(rename = "type")]
    pub kind: String,
    /// The repository's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The repository's path on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The revision that was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_revision: Option<String>,
    /// The commit.
    pub commit_id: String,
    /// The project's directory inside the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
}

/// A local source tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LockDirectory {
    /// The directory, relative to the lock's directory or absolute.
    pub path: String,
    /// Whether it is installed in editable mode.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub editable: bool,
    /// The project's directory inside the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
}

impl PyLock {
    /// The lock as TOML text.
    ///
    /// # Errors
    ///
    /// When a value cannot be written as TOML (never for a lock built from
    /// strings and numbers).
    pub fn to_toml(&self) -> Result<String, crate::LockError> {
        toml::to_string(self).map_err(|err| crate::LockError::Write(Box::new(err)))
    }
}
