use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::MetadataError;

/// The [PEP 610] `direct_url.json` of a distribution installed from a URL or a
/// local path rather than from an index: the URL plus exactly one of
/// `archive_info`, `dir_info` or `vcs_info`.
///
/// [PEP 610]: https://packaging.python.org/en/latest/specifications/direct-url-data-structure/
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectUrl {
    /// The URL the distribution came from (`file://` for local paths).
    pub url: String,
    /// The directory inside the archive or repository holding the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdirectory: Option<String>,
    /// What kind of location the URL is.
    #[serde(flatten)]
    pub info: DirectUrlInfo,
}

/// The kind of location a [`DirectUrl`] points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DirectUrlInfo {
    /// A wheel or source archive (`archive_info`).
    #[serde(rename = "archive_info")]
    Archive(ArchiveInfo),
    /// A local directory (`dir_info`).
    #[serde(rename = "dir_info")]
    Dir(DirInfo),
    /// A version control repository (`vcs_info`).
    #[serde(rename = "vcs_info")]
    Vcs(VcsInfo),
}

/// `archive_info`: the archive's hashes, if known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    /// The deprecated single hash, `<algorithm>=<hex digest>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Hashes by algorithm name, e.g. `{"sha256": "<hex digest>"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
}

/// `dir_info`: a local directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirInfo {
    /// Whether the distribution is installed in editable mode (absent means false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub editable: Option<bool>,
}

/// `vcs_info`: a version control checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VcsInfo {
    /// The tool, e.g. `git`.
    pub vcs: String,
    /// The revision the user asked for (branch, tag, ...), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_revision: Option<String>,
    /// The exact commit that was installed.
    pub commit_id: String,
}

impl DirectUrl {
    /// A `direct_url.json` for an archive (a wheel or an sdist) at `url`.
    /// Credentials in the URL are removed (PEP 610: they MUST NOT be
    /// recorded), except the `${VAR}` form, see [`puffin_redact::remove_credentials`].
    ///
    /// `hash` may be written `sha256=<hex>` (PEP 610) or `sha256:<hex>` (as in
    /// requirements files); it fills both `hash` and `hashes`.
    pub fn archive(url: &str, hash: Option<String>) -> Self {
        let info = match hash {
            None => ArchiveInfo::default(),
            Some(hash) => {
                let (algorithm, digest) = hash
                    .split_once(['=', ':'])
                    .unwrap_or(("sha256", hash.as_str()));
                ArchiveInfo {
                    hash: Some(format!("{algorithm}={digest}")),
                    hashes: Some(BTreeMap::from([(
                        algorithm.to_string(),
                        digest.to_string(),
                    )])),
                }
            }
        };
        Self {
            url: puffin_redact::remove_credentials(url).into_owned(),
            subdirectory: None,
            info: DirectUrlInfo::Archive(info),
        }
    }

    /// A `direct_url.json` for a local directory at `url` (credentials
    /// removed as for [`DirectUrl::archive`]).
    pub fn directory(url: &str, editable: bool) -> Self {
        Self {
            url: puffin_redact::remove_credentials(url).into_owned(),
            subdirectory: None,
            info: DirectUrlInfo::Dir(DirInfo {
                editable: editable.then_some(true),
            }),
        }
    }

    /// The compact JSON to write to `.dist-info/direct_url.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a DirectUrl always serializes")
    }

    /// Read a `direct_url.json`.
    pub fn from_json(json: &str) -> Result<Self, MetadataError> {
        serde_json::from_str(json).map_err(MetadataError::InvalidDirectUrl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_json() {
        let url = DirectUrl::archive(
            "file:///tmp/foo-1.0-py3-none-any.whl",
            Some("sha256:abc".into()),
        );
        insta::assert_snapshot!(url.to_json(), @r#"{"url":"file:///tmp/foo-1.0-py3-none-any.whl","archive_info":{"hash":"sha256=abc","hashes":{"sha256":"abc"}}}"#);
        assert_eq!(DirectUrl::from_json(&url.to_json()).unwrap(), url);
        let url = DirectUrl::archive("http://127.0.0.1/foo.whl", None);
        insta::assert_snapshot!(url.to_json(), @r#"{"url":"http://127.0.0.1/foo.whl","archive_info":{}}"#);
    }

    /// `foo @ http://user:pw@host/...whl` wrote the password into
    /// `direct_url.json` (a world-readable file).
    #[test]
    fn credentials_are_not_recorded() {
        let url = DirectUrl::archive(
            "http://user:s3cret@127.0.0.1/foo-1.0-py3-none-any.whl",
            None,
        );
        assert_eq!(url.url, "http://127.0.0.1/foo-1.0-py3-none-any.whl");
        assert!(!url.to_json().contains("s3cret"));
        let url = DirectUrl::archive("https://${TOKEN}@127.0.0.1/foo.whl", None);
        assert_eq!(url.url, "https://${TOKEN}@127.0.0.1/foo.whl");
    }

    #[test]
    fn reads_pep_610_examples() {
        let vcs = DirectUrl::from_json(
            r#"{"url": "https://127.0.0.1/repo.git", "vcs_info": {"vcs": "git", "requested_revision": "main", "commit_id": "7ca8f4b"}, "subdirectory": "pkg"}"#,
        )
        .unwrap();
        assert_eq!(vcs.subdirectory.as_deref(), Some("pkg"));
        assert!(matches!(&vcs.info, DirectUrlInfo::Vcs(info) if info.commit_id == "7ca8f4b"));
        let dir =
            DirectUrl::from_json(r#"{"url": "file:///src/app", "dir_info": {"editable": true}}"#)
                .unwrap();
        assert_eq!(dir, DirectUrl::directory("file:///src/app", true));
        let err = DirectUrl::from_json(r#"{"url": "file:///src/app"}"#).unwrap_err();
        insta::assert_snapshot!(std::error::Error::source(&err).unwrap(), @"no variant of enum DirectUrlInfo found in flattened data at line 1 column 26");
    }
}
