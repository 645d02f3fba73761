//! Choosing one wheel among a project's files: the newest version that the
//! specifiers allow (pre-releases only when a specifier names one or nothing
//! else matches, PEP 440), skipping yanked files unless pinned with `==`
//! (PEP 592), and among that version's wheels the best for the tags
//! (highest [`TagPriority`], then highest build tag) whose `Requires-Python`
//! admits the interpreter.
//!
//! [`TagPriority`]: platform_tags::TagPriority

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use distribution_filename::{PackageName, SourceDistFilename, WheelFilename};
use pep440_rs::{Operator, Version, VersionSpecifiers};
use platform_tags::Tags;
use puffin_package::HashDigest;
use url::Url;

use crate::{ClientError, IndexFile};

/// Where a selected wheel is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WheelSourceLocation {
    /// On an index, or on a find-links page (`index` is then the page's URL).
    Url {
        /// The file's URL (credentials are added per request, never stored here).
        url: Url,
        /// The index (or find-links page) that listed it.
        index: Url,
    },
    /// A file in a local find-links directory.
    Path(PathBuf),
}

/// The wheel chosen for a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedWheel {
    /// The parsed filename.
    pub filename: WheelFilename,
    /// Where it is.
    pub source: WheelSourceLocation,
    /// Hashes the index gives; checked on download.
    pub hashes: Vec<HashDigest>,
    /// `Some(reason)` if the file is yanked (only selected for an exact `==` pin).
    pub yanked: Option<String>,
    /// Messages for a person, e.g. about a yanked file.
    pub warnings: Vec<String>,
}

/// A project's files, and where they were looked for (named in errors,
/// credentials redacted).
#[derive(Debug, Clone, Default)]
pub(crate) struct Candidates {
    pub(crate) files: Vec<Candidate>,
    /// E.g. ``the index `http://127.0.0.1:1/simple/` ``, ``` `./wheels` ```.
    pub(crate) searched: Vec<String>,
}

impl Candidates {
    /// The places searched, for a message: `the index `...`, `./wheels``.
    pub(crate) fn searched(&self) -> String {
        if self.searched.is_empty() {
            "no location (no index and no `--find-links`)".to_string()
        } else {
            self.searched.join(", ")
        }
    }
}

/// A file and where it was found.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) file: IndexFile,
    pub(crate) location: CandidateLocation,
}

#[derive(Debug, Clone)]
pub(crate) enum CandidateLocation {
    /// Listed on the index (or find-links page) with this URL.
    Listed(Url),
    /// A file in a find-links directory.
    Path(PathBuf),
}

enum Kind {
    Wheel(WheelFilename),
    SourceDist,
}

struct Parsed {
    candidate: Candidate,
    kind: Kind,
}

/// Choose the wheel, or explain why none fits.
pub(crate) fn select(
    package: &PackageName,
    specifiers: &VersionSpecifiers,
    tags: &Tags,
    python_version: &Version,
    candidates: Candidates,
) -> Result<SelectedWheel, ClientError> {
    let searched = candidates.searched();
    let mut by_version: BTreeMap<Version, Vec<Parsed>> = BTreeMap::new();
    for candidate in candidates.files {
        let (name, version, kind) =
            if let Ok(wheel) = WheelFilename::from_str(&candidate.file.filename) {
                (
                    wheel.name.clone(),
                    wheel.version.clone(),
                    Kind::Wheel(wheel),
                )
            } else if let Ok(sdist) = SourceDistFilename::from_str(&candidate.file.filename) {
                (sdist.name, sdist.version, Kind::SourceDist)
            } else {
                continue;
            };
        if &name != package {
            continue;
        }
        by_version
            .entry(version)
            .or_default()
            .push(Parsed { candidate, kind });
    }

    let specifiers_text = specifiers.to_string();
    let exact_pin = specifiers.iter().count() == 1
        && specifiers
            .iter()
            .all(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual));
    let names_prerelease = specifiers.iter().any(|s| s.version().any_prerelease());
    let matching: Vec<&Version> = by_version
        .keys()
        .rev()
        .filter(|v| specifiers.contains(v))
        .collect();
    let finals: Vec<&Version> = matching
        .iter()
        .copied()
        .filter(|v| !v.any_prerelease())
        .collect();
    let allowed = if names_prerelease || finals.is_empty() {
        matching
    } else {
        finals
    };

    if allowed.is_empty() {
        let mut available: Vec<String> = by_version
            .keys()
            .rev()
            .take(10)
            .map(ToString::to_string)
            .collect();
        if by_version.len() > 10 {
            available.push("...".to_string());
        }
        return Err(ClientError::NoMatchingVersion {
            package: package.clone(),
            specifiers: specifiers_text,
            searched,
            available: if available.is_empty() {
                " (no files found)".to_string()
            } else {
                format!(" (available: {})", available.join(", "))
            },
        });
    }

    let mut reasons = Vec::new();
    for version in allowed {
        let files = &by_version[version];
        match best_of_version(files, exact_pin, tags, python_version) {
            Ok(parsed) => {
                let Kind::Wheel(filename) = &parsed.kind else {
                    unreachable!("only wheels are selected")
                };
                let file = &parsed.candidate.file;
                let mut warnings = Vec::new();
                if let Some(reason) = &file.yanked {
                    warnings.push(if reason.is_empty() {
                        format!("`{package}=={version}` is yanked")
                    } else {
                        format!("`{package}=={version}` is yanked (reason: {reason})")
                    });
                }
                let source = match &parsed.candidate.location {
                    CandidateLocation::Listed(index) => WheelSourceLocation::Url {
                        url: file.url.clone(),
                        index: index.clone(),
                    },
                    CandidateLocation::Path(path) => WheelSourceLocation::Path(path.clone()),
                };
                return Ok(SelectedWheel {
                    filename: filename.clone(),
                    source,
                    hashes: file.hashes.clone(),
                    yanked: file.yanked.clone(),
                    warnings,
                });
            }
            Err(reason) => {
                if reasons.len() < 5 {
                    reasons.push(format!("- {version}: {reason}"));
                }
            }
        }
    }
    Err(ClientError::NoCompatibleWheel {
        package: package.clone(),
        specifiers: specifiers_text,
        searched,
        reasons,
    })
}

/// The best wheel of one version, or why there is none.
fn best_of_version<'a>(
    files: &'a [Parsed],
    exact_pin: bool,
    tags: &Tags,
    python_version: &Version,
) -> Result<&'a Parsed, String> {
    let usable: Vec<&Parsed> = files
        .iter()
        .filter(|p| exact_pin || p.candidate.file.yanked.is_none())
        .collect();
    if usable.is_empty() {
        return Err(
            "every file of this version is yanked (only an exact `==` pin selects a yanked file)"
                .to_string(),
        );
    }
    let wheels: Vec<(&Parsed, &WheelFilename)> = usable
        .iter()
        .filter_map(|p| match &p.kind {
            Kind::Wheel(wheel) => Some((*p, wheel)),
            Kind::SourceDist => None,
        })
        .collect();
    if wheels.is_empty() {
        return Err(
            "only a source distribution: building from source is not supported yet".to_string(),
        );
    }
    let mut excluded_python = Vec::new();
    let mut other_tags = Vec::new();
    let mut best: Option<(&Parsed, platform_tags::TagPriority)> = None;
    for (parsed, wheel) in wheels {
        if let Some(requires_python) = &parsed.candidate.file.requires_python
            && let Ok(specifiers) = VersionSpecifiers::from_str(requires_python)
            && !specifiers.contains(python_version)
        {
            if !excluded_python.contains(requires_python) {
                excluded_python.push(requires_python.clone());
            }
            continue;
        }
        let Some(priority) = tags.compatibility(wheel) else {
            let tag = format!(
                "{}-{}-{}",
                wheel.python_tag.join("."),
                wheel.abi_tag.join("."),
                wheel.platform_tag.join(".")
            );
            if !other_tags.contains(&tag) {
                other_tags.push(tag);
            }
            continue;
        };
        let better = match &best {
            None => true,
            Some((current, current_priority)) => {
                let current_build = match &current.kind {
                    Kind::Wheel(w) => w.build_tag.clone(),
                    Kind::SourceDist => None,
                };
                (priority, wheel.build_tag.clone()) > (*current_priority, current_build)
            }
        };
        if better {
            best = Some((parsed, priority));
        }
    }
    if let Some((parsed, _)) = best {
        return Ok(parsed);
    }
    let mut why = Vec::new();
    if !excluded_python.is_empty() {
        why.push(format!(
            "requires-python `{}` excludes Python {python_version}",
            excluded_python.join("`, `")
        ));
    }
    if !other_tags.is_empty() {
        let shown: Vec<&str> = other_tags.iter().take(8).map(String::as_str).collect();
        let more = if other_tags.len() > 8 {
            format!(" and {} more", other_tags.len() - 8)
        } else {
            String::new()
        };
        why.push(format!(
            "wheels exist only for other platforms: {}{more}",
            shown.join(", ")
        ));
    }
    Err(why.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> Tags {
        Tags::new(
            [
                ("cp311", "cp311", "manylinux_2_17_x86_64"),
                ("cp311", "abi3", "manylinux_2_17_x86_64"),
                ("cp311", "none", "manylinux_2_17_x86_64"),
                ("py3", "none", "manylinux_2_17_x86_64"),
                ("cp311", "none", "any"),
                ("py3", "none", "any"),
            ]
            .into_iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect(),
        )
    }

    fn file(filename: &str) -> Candidate {
        Candidate {
            file: IndexFile {
                filename: filename.to_string(),
                url: Url::parse("http://127.0.0.1:1/files/")
                    .unwrap()
                    .join(filename)
                    .unwrap(),
                hashes: vec![],
                requires_python: None,
                yanked: None,
                core_metadata: false,
            },
            location: CandidateLocation::Listed(Url::parse("http://127.0.0.1:1/simple/").unwrap()),
        }
    }

    fn yanked(mut candidate: Candidate, reason: &str) -> Candidate {
        candidate.file.yanked = Some(reason.to_string());
        candidate
    }

    fn requires_python(mut candidate: Candidate, specifiers: &str) -> Candidate {
        candidate.file.requires_python = Some(specifiers.to_string());
        candidate
    }

    fn run(specifiers: &str, candidates: Vec<Candidate>) -> Result<SelectedWheel, ClientError> {
        select(
            &PackageName::new("foo").unwrap(),
            &VersionSpecifiers::from_str(specifiers).unwrap(),
            &tags(),
            &Version::from_str("3.11.4").unwrap(),
            Candidates {
                files: candidates,
                searched: vec!["the index `http://127.0.0.1:1/simple/`".to_string()],
            },
        )
    }

    #[test]
    fn best_tag_then_build_tag() {
        let selected = run(
            "==1.0",
            vec![
                file("foo-1.0-py3-none-any.whl"),
                file("foo-1.0-cp311-abi3-manylinux_2_17_x86_64.whl"),
                file("foo-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl"),
                file("foo-1.0-2-cp311-cp311-manylinux_2_17_x86_64.whl"),
                file("foo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
                file("foo-1.0.tar.gz"),
                file("bar-1.0-py3-none-any.whl"),
            ],
        )
        .unwrap();
        assert_eq!(
            selected.filename.to_string(),
            "foo-1.0-2-cp311-cp311-manylinux_2_17_x86_64.whl"
        );
        assert!(selected.warnings.is_empty());
    }

    #[test]
    fn newest_matching_version_skipping_prereleases() {
        let candidates = || {
            vec![
                file("foo-1.0-py3-none-any.whl"),
                file("foo-1.1-py3-none-any.whl"),
                file("foo-2.0rc1-py3-none-any.whl"),
            ]
        };
        assert_eq!(
            run(">=1", candidates())
                .unwrap()
                .filename
                .version
                .to_string(),
            "1.1"
        );
        assert_eq!(
            run(">=2.0rc1", candidates())
                .unwrap()
                .filename
                .version
                .to_string(),
            "2.0rc1"
        );
        assert_eq!(
            run("<1.1", candidates())
                .unwrap()
                .filename
                .version
                .to_string(),
            "1.0"
        );
        // Only a pre-release matches: it is taken.
        assert_eq!(
            run(">1.1", candidates())
                .unwrap()
                .filename
                .version
                .to_string(),
            "2.0rc1"
        );
    }

    #[test]
    fn yanked_only_for_an_exact_pin() {
        let candidates = || {
            vec![
                file("foo-1.0-py3-none-any.whl"),
                yanked(file("foo-1.1-py3-none-any.whl"), "broken"),
            ]
        };
        let selected = run("==1.1", candidates()).unwrap();
        assert_eq!(selected.yanked.as_deref(), Some("broken"));
        insta::assert_snapshot!(selected.warnings.join("\n"), @"`foo==1.1` is yanked (reason: broken)");
        let selected = run(">=1.0", candidates()).unwrap();
        assert_eq!(selected.filename.version.to_string(), "1.0");
        assert!(selected.yanked.is_none());
        let err = run(">=1.1", candidates()).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r"
        No wheel of `foo>=1.1` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.1: every file of this version is yanked (only an exact `==` pin selects a yanked file)
        ");
    }

    #[test]
    fn explains_why_nothing_fits() {
        let err = run("==1.0", vec![file("foo-1.0.tar.gz")]).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r"
        No wheel of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: only a source distribution: building from source is not supported yet
        ");
        let err = run(
            "==1.0",
            vec![
                file("foo-1.0-cp312-cp312-win_amd64.whl"),
                file("foo-1.0-cp312-cp312-macosx_11_0_arm64.whl"),
                requires_python(file("foo-1.0-py3-none-any.whl"), ">=3.12"),
                file("foo-1.0.tar.gz"),
            ],
        )
        .unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r"
        No wheel of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: requires-python `>=3.12` excludes Python 3.11.4; wheels exist only for other platforms: cp312-cp312-win_amd64, cp312-cp312-macosx_11_0_arm64
        ");
        let err = run(
            "==3.0",
            vec![file("foo-1.0-py3-none-any.whl"), file("foo-2.0.tar.gz")],
        )
        .unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"No version of `foo` matches `==3.0` in the index `http://127.0.0.1:1/simple/` (available: 2.0, 1.0)");
        let err = run("==3.0", vec![]).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"No version of `foo` matches `==3.0` in the index `http://127.0.0.1:1/simple/` (no files found)");
    }

    #[test]
    fn falls_back_to_older_versions_for_ranges() {
        let selected = run(
            ">=1",
            vec![
                file("foo-1.0-py3-none-any.whl"),
                file("foo-2.0.tar.gz"),
                requires_python(file("foo-1.5-py3-none-any.whl"), ">=3.12"),
            ],
        )
        .unwrap();
        assert_eq!(selected.filename.version.to_string(), "1.0");
    }
}
