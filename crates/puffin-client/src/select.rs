//! Choosing one file among a project's files, as pip does: the newest
//! version that the specifiers allow (pre-releases only when a specifier
//! names one or nothing else matches, PEP 440), skipping yanked files unless
//! pinned with `==` (PEP 592), that has a usable file: a wheel compatible with
//! the tags if the [`FormatPolicy`] allows wheels of the project, else a
//! source distribution (`.tar.gz`, then `.zip`) if it allows sources; files
//! whose `Requires-Python` excludes the interpreter are skipped. Among a
//! version's wheels the best for the tags wins (highest [`TagPriority`], then
//! highest build tag), and a compatible wheel beats the source distribution.
//! So a newer version with only a source distribution wins over an older one
//! with a wheel, unless sources are forbidden.
//!
//! [`TagPriority`]: platform_tags::TagPriority

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;

use distribution_filename::{
    BuildTag, PackageName, SourceDistExtension, SourceDistFilename, WheelFilename,
};
use pep440_rs::{Operator, Version, VersionSpecifiers};
use platform_tags::{TagPriority, Tags};
use puffin_package::HashDigest;
use url::Url;

use crate::{ClientError, FormatPolicy, IndexFile};

/// Where a selected file (wheel or source distribution) is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistLocation {
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

/// The former name of [`DistLocation`], from when only wheels were selected.
pub type WheelSourceLocation = DistLocation;

/// The wheel chosen for a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedWheel {
    /// The parsed filename.
    pub filename: WheelFilename,
    /// Where it is.
    pub source: DistLocation,
    /// Hashes the index gives; checked on download.
    pub hashes: Vec<HashDigest>,
    /// `Some(reason)` if the file is yanked (only selected for an exact `==` pin).
    pub yanked: Option<String>,
    /// Messages for a person, e.g. about a yanked file.
    pub warnings: Vec<String>,
}

/// The source distribution chosen for a requirement, to be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedSource {
    /// The parsed filename (`.tar.gz` or `.zip`).
    pub filename: SourceDistFilename,
    /// Where it is.
    pub source: DistLocation,
    /// Hashes the index gives; checked on download.
    pub hashes: Vec<HashDigest>,
    /// `Some(reason)` if the file is yanked (only selected for an exact `==` pin).
    pub yanked: Option<String>,
    /// Messages for a person, e.g. about a yanked file.
    pub warnings: Vec<String>,
}

/// The file chosen for a requirement: a wheel to install, or a source
/// distribution to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectedDist {
    /// A wheel compatible with the environment.
    Wheel(SelectedWheel),
    /// A source distribution.
    Source(SelectedSource),
}

impl SelectedDist {
    /// The selected version.
    pub fn version(&self) -> &Version {
        match self {
            Self::Wheel(wheel) => &wheel.filename.version,
            Self::Source(source) => &source.filename.version,
        }
    }

    /// The file name, e.g. `foo-1.0-py3-none-any.whl` or `foo-1.0.tar.gz`.
    pub fn filename(&self) -> String {
        match self {
            Self::Wheel(wheel) => wheel.filename.to_string(),
            Self::Source(source) => source.filename.to_string(),
        }
    }

    /// Where the file is.
    pub fn location(&self) -> &DistLocation {
        match self {
            Self::Wheel(wheel) => &wheel.source,
            Self::Source(source) => &source.source,
        }
    }

    /// Messages for a person, e.g. about a yanked file.
    pub fn warnings(&self) -> &[String] {
        match self {
            Self::Wheel(wheel) => &wheel.warnings,
            Self::Source(source) => &source.warnings,
        }
    }
}

/// One file of a project and where it is, from
/// [`RegistryClient::project_files`](crate::RegistryClient::project_files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// The file as the index (or find-links location) lists it.
    pub file: IndexFile,
    /// Where it is: a URL and the index that listed it, or a local path.
    pub location: DistLocation,
}

/// A project's files, and where they were looked for (named in errors,
/// credentials redacted).
#[derive(Debug, Clone, Default)]
pub(crate) struct Candidates {
    /// The files, in groups that share where they were found: a page's files
    /// are never copied to carry its URL each.
    pub(crate) groups: Vec<CandidateGroup>,
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

    /// Every file, with where it was found.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&CandidateLocation, &IndexFile)> {
        self.groups
            .iter()
            .flat_map(|group| group.files.iter().map(move |file| (&group.location, file)))
    }
}

/// Files found in one place.
#[derive(Debug, Clone)]
pub(crate) struct CandidateGroup {
    pub(crate) location: CandidateLocation,
    pub(crate) files: Vec<IndexFile>,
}

/// Where a group of files was found.
#[derive(Debug, Clone)]
pub(crate) enum CandidateLocation {
    /// Listed on the index (or find-links page) with this URL.
    Listed(Url),
    /// In a find-links directory: each file's path is its `file:` URL.
    Directory,
}

impl CandidateLocation {
    /// The public form of where `file` is.
    pub(crate) fn of(&self, file: &IndexFile) -> DistLocation {
        match self {
            Self::Listed(index) => DistLocation::Url {
                url: file.url.clone(),
                index: index.clone(),
            },
            Self::Directory => DistLocation::Path(
                file.url
                    .to_file_path()
                    .unwrap_or_else(|()| PathBuf::from(file.url.path())),
            ),
        }
    }
}

enum Kind {
    Wheel(WheelFilename),
    SourceDist(SourceDistFilename),
}

impl Kind {
    /// The project name, version and kind of a wheel or source distribution
    /// filename.
    fn parse(filename: &str) -> Option<(PackageName, Version, Self)> {
        if let Ok(wheel) = WheelFilename::from_str(filename) {
            return Some((
                wheel.name.clone(),
                wheel.version.clone(),
                Self::Wheel(wheel),
            ));
        }
        let sdist = SourceDistFilename::from_str(filename).ok()?;
        Some((
            sdist.name.clone(),
            sdist.version.clone(),
            Self::SourceDist(sdist),
        ))
    }
}

/// A file of the version being looked at, its filename parsed.
struct Parsed<'a> {
    file: &'a IndexFile,
    location: &'a CandidateLocation,
    kind: Kind,
}

impl Parsed<'_> {
    /// Whether the file's `Requires-Python` (if any, and if it parses)
    /// admits `python_version`; if not, the excluding specifiers.
    fn excluded_by_python(&self, python_version: &Version) -> Option<&str> {
        let requires_python = self.file.requires_python.as_deref()?;
        let specifiers = VersionSpecifiers::from_str(requires_python).ok()?;
        (!specifiers.contains(python_version)).then_some(requires_python)
    }
}

/// How many of the newest versions an error lists.
const LISTED_VERSIONS: usize = 10;

/// The versions of a project's files, gathered in one pass that keeps only
/// what the choice needs: a reference to each file of a version that the
/// specifiers allow, and the newest versions for an error. A page of
/// hundreds of thousands of files costs a few bytes per file, not a parsed
/// filename each.
struct Versions<'a> {
    matching: BTreeMap<Version, Vec<(&'a CandidateLocation, &'a IndexFile)>>,
    /// The newest versions of any file, one more than are listed.
    newest: BTreeSet<Version>,
}

impl<'a> Versions<'a> {
    fn gather(
        package: &PackageName,
        specifiers: &VersionSpecifiers,
        candidates: &'a Candidates,
    ) -> Self {
        let mut versions = Self {
            matching: BTreeMap::new(),
            newest: BTreeSet::new(),
        };
        for (location, file) in candidates.iter() {
            let Some((name, version, _)) = Kind::parse(&file.filename) else {
                continue;
            };
            if &name != package {
                continue;
            }
            if specifiers.contains(&version) {
                versions
                    .matching
                    .entry(version.clone())
                    .or_default()
                    .push((location, file));
            }
            if versions.newest.insert(version) && versions.newest.len() > LISTED_VERSIONS + 1 {
                versions.newest.pop_first();
            }
        }
        versions
    }

    /// The versions to try, newest first: those the specifiers allow, final
    /// releases only unless a specifier names a pre-release or no final
    /// release matches (PEP 440).
    fn allowed(&self, specifiers: &VersionSpecifiers) -> Vec<&Version> {
        let names_prerelease = specifiers.iter().any(|s| s.version().any_prerelease());
        let matching: Vec<&Version> = self.matching.keys().rev().collect();
        let finals: Vec<&Version> = matching
            .iter()
            .copied()
            .filter(|v| !v.any_prerelease())
            .collect();
        if names_prerelease || finals.is_empty() {
            matching
        } else {
            finals
        }
    }

    /// The files of `version`, their filenames parsed.
    fn files(&self, version: &Version) -> Vec<Parsed<'a>> {
        self.matching[version]
            .iter()
            .filter_map(|&(location, file)| {
                let (_, _, kind) = Kind::parse(&file.filename)?;
                Some(Parsed {
                    file,
                    location,
                    kind,
                })
            })
            .collect()
    }
}

/// Choose the file, or explain why none fits.
pub(crate) fn select(
    package: &PackageName,
    specifiers: &VersionSpecifiers,
    tags: &Tags,
    python_version: &Version,
    policy: &FormatPolicy,
    candidates: &Candidates,
) -> Result<SelectedDist, ClientError> {
    let searched = candidates.searched();
    let versions = Versions::gather(package, specifiers, candidates);
    let allowed = versions.allowed(specifiers);
    if allowed.is_empty() {
        return Err(no_matching_version(
            package,
            specifiers,
            searched,
            &versions.newest,
        ));
    }
    let exact_pin = specifiers.iter().count() == 1
        && specifiers
            .iter()
            .all(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual));
    let fit = Fit {
        package,
        exact_pin,
        tags,
        python_version,
        policy,
    };
    let mut reasons = Vec::new();
    for version in allowed {
        let files = versions.files(version);
        match fit.best_of_version(&files) {
            Ok(parsed) => return Ok(selected(package, version, parsed)),
            Err(reason) => {
                if reasons.len() < 5 {
                    reasons.push(format!("- {version}: {reason}"));
                }
            }
        }
    }
    Err(ClientError::NoCompatibleWheel {
        package: package.clone(),
        specifiers: specifiers.to_string(),
        searched,
        reasons,
        sources_allowed: policy.allows_source(package),
    })
}

/// No version matches: the error lists the newest versions there are.
fn no_matching_version(
    package: &PackageName,
    specifiers: &VersionSpecifiers,
    searched: String,
    newest: &BTreeSet<Version>,
) -> ClientError {
    let mut available: Vec<String> = newest
        .iter()
        .rev()
        .take(LISTED_VERSIONS)
        .map(ToString::to_string)
        .collect();
    if newest.len() > LISTED_VERSIONS {
        available.push("...".to_string());
    }
    ClientError::NoMatchingVersion {
        package: package.clone(),
        specifiers: specifiers.to_string(),
        searched,
        available: if available.is_empty() {
            " (no files found)".to_string()
        } else {
            format!(" (available: {})", available.join(", "))
        },
    }
}

/// The public form of the chosen file.
fn selected(package: &PackageName, version: &Version, parsed: &Parsed<'_>) -> SelectedDist {
    let file = parsed.file;
    let mut warnings = Vec::new();
    if let Some(reason) = &file.yanked {
        warnings.push(if reason.is_empty() {
            format!("`{package}=={version}` is yanked")
        } else {
            format!("`{package}=={version}` is yanked (reason: {reason})")
        });
    }
    let source = parsed.location.of(file);
    match &parsed.kind {
        Kind::Wheel(filename) => SelectedDist::Wheel(SelectedWheel {
            filename: filename.clone(),
            source,
            hashes: file.hashes.to_vec(),
            yanked: file.yanked.as_deref().map(str::to_string),
            warnings,
        }),
        Kind::SourceDist(filename) => SelectedDist::Source(SelectedSource {
            filename: filename.clone(),
            source,
            hashes: file.hashes.to_vec(),
            yanked: file.yanked.as_deref().map(str::to_string),
            warnings,
        }),
    }
}

/// What a file must fit: the requirement, the environment and the policy.
struct Fit<'a> {
    package: &'a PackageName,
    exact_pin: bool,
    tags: &'a Tags,
    python_version: &'a Version,
    policy: &'a FormatPolicy,
}

/// Why the files of one version do not fit, collected while looking.
#[derive(Default)]
struct Misfit {
    /// `Requires-Python` values that exclude the interpreter.
    excluded_python: Vec<String>,
    /// The tags of wheels for other environments, e.g. `cp312-cp312-win_amd64`.
    other_tags: Vec<String>,
}

impl Misfit {
    fn exclude_python(&mut self, requires_python: &str) {
        if !self.excluded_python.iter().any(|r| r == requires_python) {
            self.excluded_python.push(requires_python.to_string());
        }
    }
}

impl Fit<'_> {
    /// The file to use of one version (the best wheel, else the source
    /// distribution), or why there is none.
    fn best_of_version<'p, 'f>(&self, files: &'p [Parsed<'f>]) -> Result<&'p Parsed<'f>, String> {
        let usable: Vec<&Parsed<'f>> = files
            .iter()
            .filter(|p| self.exact_pin || p.file.yanked.is_none())
            .collect();
        if usable.is_empty() {
            return Err(
                "every file of this version is yanked (only an exact `==` pin selects a yanked file)"
                    .to_string(),
            );
        }
        let mut misfit = Misfit::default();
        if self.policy.allows_wheel(self.package)
            && let Some(wheel) = self.best_wheel(&usable, &mut misfit)
        {
            return Ok(wheel);
        }
        if self.policy.allows_source(self.package)
            && let Some(source) = self.best_source(&usable, &mut misfit)
        {
            return Ok(source);
        }
        Err(self.explain(&usable, &misfit))
    }

    /// The compatible wheel with the best tag, then the highest build tag.
    fn best_wheel<'p, 'f>(
        &self,
        usable: &[&'p Parsed<'f>],
        misfit: &mut Misfit,
    ) -> Option<&'p Parsed<'f>> {
        let mut best: Option<(&Parsed<'f>, (TagPriority, Option<BuildTag>))> = None;
        for parsed in usable {
            let Kind::Wheel(wheel) = &parsed.kind else {
                continue;
            };
            if let Some(requires_python) = parsed.excluded_by_python(self.python_version) {
                misfit.exclude_python(requires_python);
                continue;
            }
            let Some(priority) = self.tags.compatibility(wheel) else {
                let tag = format!(
                    "{}-{}-{}",
                    wheel.python_tag.join("."),
                    wheel.abi_tag.join("."),
                    wheel.platform_tag.join(".")
                );
                if !misfit.other_tags.contains(&tag) {
                    misfit.other_tags.push(tag);
                }
                continue;
            };
            let key = (priority, wheel.build_tag.clone());
            if best.as_ref().is_none_or(|(_, best_key)| key > *best_key) {
                best = Some((parsed, key));
            }
        }
        best.map(|(parsed, _)| parsed)
    }

    /// The source distribution that admits the interpreter, a `.tar.gz`
    /// (the standard format, PEP 625) before a `.zip`.
    fn best_source<'p, 'f>(
        &self,
        usable: &[&'p Parsed<'f>],
        misfit: &mut Misfit,
    ) -> Option<&'p Parsed<'f>> {
        let mut admitted = Vec::new();
        for parsed in usable {
            let Kind::SourceDist(sdist) = &parsed.kind else {
                continue;
            };
            if let Some(requires_python) = parsed.excluded_by_python(self.python_version) {
                misfit.exclude_python(requires_python);
                continue;
            }
            admitted.push((*parsed, sdist.extension));
        }
        admitted
            .into_iter()
            .min_by_key(|(_, extension)| *extension != SourceDistExtension::TarGz)
            .map(|(parsed, _)| parsed)
    }

    /// Why none of a version's usable files fits, in one line.
    fn explain(&self, usable: &[&Parsed<'_>], misfit: &Misfit) -> String {
        let (package, policy) = (self.package, self.policy);
        let has_wheels = usable.iter().any(|p| matches!(p.kind, Kind::Wheel(_)));
        let has_sources = usable.iter().any(|p| matches!(p.kind, Kind::SourceDist(_)));
        if !has_wheels && !policy.allows_source(package) {
            return format!(
                "only a source distribution: {}",
                policy.source_refusal(package)
            );
        }
        if !has_sources && !policy.allows_wheel(package) {
            return format!(
                "no source distribution, and {}",
                policy.wheel_refusal(package)
            );
        }
        let mut why = Vec::new();
        if !misfit.excluded_python.is_empty() {
            why.push(format!(
                "requires-python `{}` excludes Python {}",
                misfit.excluded_python.join("`, `"),
                self.python_version
            ));
        }
        if !misfit.other_tags.is_empty() {
            let shown: Vec<&str> = misfit
                .other_tags
                .iter()
                .take(8)
                .map(String::as_str)
                .collect();
            let more = if misfit.other_tags.len() > 8 {
                format!(" and {} more", misfit.other_tags.len() - 8)
            } else {
                String::new()
            };
            why.push(format!(
                "wheels exist only for other platforms: {}{more}",
                shown.join(", ")
            ));
        }
        if has_wheels && !policy.allows_wheel(package) {
            why.push(policy.wheel_refusal(package));
        }
        if has_sources && policy.refuses_source_by_option(package) {
            why.push(policy.source_refusal(package));
        }
        if !has_sources && policy.allows_source(package) {
            why.push("no source distribution".to_string());
        }
        why.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileHashes;

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

    fn file(filename: &str) -> IndexFile {
        IndexFile {
            filename: filename.into(),
            url: Url::parse("http://127.0.0.1:1/files/")
                .unwrap()
                .join(filename)
                .unwrap(),
            hashes: FileHashes::default(),
            requires_python: None,
            yanked: None,
            core_metadata: false,
            core_metadata_hashes: FileHashes::default(),
        }
    }

    fn yanked(mut file: IndexFile, reason: &str) -> IndexFile {
        file.yanked = Some(reason.into());
        file
    }

    fn requires_python(mut file: IndexFile, specifiers: &str) -> IndexFile {
        file.requires_python = Some(specifiers.into());
        file
    }

    /// Select with `select_wheel`'s policy.
    fn run(specifiers: &str, candidates: Vec<IndexFile>) -> Result<SelectedWheel, ClientError> {
        match run_with(&FormatPolicy::wheels_required(), specifiers, candidates)? {
            SelectedDist::Wheel(wheel) => Ok(wheel),
            SelectedDist::Source(source) => panic!("a source was selected: {source:?}"),
        }
    }

    fn run_with(
        policy: &FormatPolicy,
        specifiers: &str,
        candidates: Vec<IndexFile>,
    ) -> Result<SelectedDist, ClientError> {
        select(
            &PackageName::new("foo").unwrap(),
            &VersionSpecifiers::from_str(specifiers).unwrap(),
            &tags(),
            &Version::from_str("3.11.4").unwrap(),
            policy,
            &Candidates {
                groups: vec![CandidateGroup {
                    location: CandidateLocation::Listed(
                        Url::parse("http://127.0.0.1:1/simple/").unwrap(),
                    ),
                    files: candidates,
                }],
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

    /// Selection keeps only the newest versions for its error, not every
    /// version of the page: the ten newest are listed, then `...`.
    #[test]
    fn many_versions_list_the_newest_ten() {
        let files: Vec<IndexFile> = (1..=30)
            .flat_map(|minor| {
                [
                    file(&format!("foo-1.{minor}-py3-none-any.whl")),
                    file(&format!("foo-1.{minor}.tar.gz")),
                ]
            })
            .collect();
        let err = run("==3.0", files.clone()).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"No version of `foo` matches `==3.0` in the index `http://127.0.0.1:1/simple/` (available: 1.30, 1.29, 1.28, 1.27, 1.26, 1.25, 1.24, 1.23, 1.22, 1.21, ...)");
        let selected = run(">=1.5,<1.20", files).unwrap();
        assert_eq!(selected.filename.to_string(), "foo-1.19-py3-none-any.whl");
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
    fn policy(no_binary: &[&str], only_binary: &[&str], no_build: bool) -> FormatPolicy {
        let strings = |values: &[&str]| values.iter().map(ToString::to_string).collect::<Vec<_>>();
        FormatPolicy::from_pip_args(&strings(no_binary), &strings(only_binary), no_build).unwrap()
    }

    /// The selected file's name, or the error message.
    fn outcome(policy: &FormatPolicy, specifiers: &str, candidates: Vec<IndexFile>) -> String {
        match run_with(policy, specifiers, candidates) {
            Ok(SelectedDist::Wheel(wheel)) => format!("wheel {}", wheel.filename),
            Ok(SelectedDist::Source(source)) => format!("source {}", source.filename),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_wheel_before_the_source_of_the_same_version() {
        let all = FormatPolicy::default();
        let files = || {
            vec![
                file("foo-1.0.zip"),
                file("foo-1.0.tar.gz"),
                file("foo-1.0-py3-none-any.whl"),
            ]
        };
        assert_eq!(
            outcome(&all, "==1.0", files()),
            "wheel foo-1.0-py3-none-any.whl"
        );
        // No compatible wheel: the `.tar.gz` before the `.zip`.
        let files = vec![
            file("foo-1.0.zip"),
            file("foo-1.0-cp312-cp312-win_amd64.whl"),
            file("foo-1.0.tar.gz"),
        ];
        assert_eq!(outcome(&all, ">=1", files), "source foo-1.0.tar.gz");
        assert_eq!(
            outcome(&all, ">=1", vec![file("foo-1.0.zip")]),
            "source foo-1.0.zip"
        );
    }

    #[test]
    fn the_newest_version_with_any_usable_file() {
        let files = || {
            vec![
                file("foo-1.0-py3-none-any.whl"),
                file("foo-1.0.tar.gz"),
                file("foo-2.0.tar.gz"),
                file("foo-2.0-cp312-cp312-win_amd64.whl"),
            ]
        };
        let cases = [
            (policy(&[], &[], false), "source foo-2.0.tar.gz"),
            (
                policy(&[], &[":all:"], false),
                "wheel foo-1.0-py3-none-any.whl",
            ),
            (
                policy(&[], &["foo"], false),
                "wheel foo-1.0-py3-none-any.whl",
            ),
            (policy(&[], &[], true), "wheel foo-1.0-py3-none-any.whl"),
            (policy(&[], &["bar"], false), "source foo-2.0.tar.gz"),
        ];
        for (policy, expected) in cases {
            assert_eq!(outcome(&policy, ">=1", files()), expected, "{policy:?}");
        }
    }

    #[test]
    fn no_binary_selects_the_source_even_beside_a_wheel() {
        let files = || vec![file("foo-1.0-py3-none-any.whl"), file("foo-1.0.tar.gz")];
        let cases = [
            (policy(&["foo"], &[], false), "source foo-1.0.tar.gz"),
            (policy(&[":all:"], &[], false), "source foo-1.0.tar.gz"),
            (
                policy(&["bar"], &[], false),
                "wheel foo-1.0-py3-none-any.whl",
            ),
            (
                policy(&[":all:"], &["foo"], false),
                "wheel foo-1.0-py3-none-any.whl",
            ),
        ];
        for (policy, expected) in cases {
            assert_eq!(outcome(&policy, "==1.0", files()), expected, "{policy:?}");
        }
    }

    #[test]
    fn yanked_and_requires_python_apply_to_sources() {
        let all = FormatPolicy::default();
        let files = || {
            vec![
                file("foo-1.0.tar.gz"),
                yanked(file("foo-2.0.tar.gz"), ""),
                requires_python(file("foo-3.0.tar.gz"), ">=3.12"),
                requires_python(file("foo-3.0.zip"), ">=3.13"),
            ]
        };
        assert_eq!(outcome(&all, ">=1", files()), "source foo-1.0.tar.gz");
        let SelectedDist::Source(source) = run_with(&all, "==2.0", files()).unwrap() else {
            panic!()
        };
        assert_eq!(source.yanked.as_deref(), Some(""));
        insta::assert_snapshot!(source.warnings.join("\n"), @"`foo==2.0` is yanked");
        insta::assert_snapshot!(outcome(&all, "==3.0", files()), @r"
        No wheel or source distribution of `foo==3.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 3.0: requires-python `>=3.12`, `>=3.13` excludes Python 3.11.4
        ");
        insta::assert_snapshot!(outcome(&all, ">=2", files()), @r"
        No wheel or source distribution of `foo>=2` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 3.0: requires-python `>=3.12`, `>=3.13` excludes Python 3.11.4
        - 2.0: every file of this version is yanked (only an exact `==` pin selects a yanked file)
        ");
    }

    #[test]
    fn only_the_projects_sdists_count() {
        let all = FormatPolicy::default();
        let files = vec![
            file("foo-1.0-py3-none-any.whl"),
            file("foo-bar-2.0.tar.gz"),
            file("foo-3.0.tar.bz2"),
            file("foo-4.0.tar"),
            file("foo_bar-5.0.zip"),
        ];
        assert_eq!(
            outcome(&all, ">=1", files),
            "wheel foo-1.0-py3-none-any.whl"
        );
    }

    #[test]
    fn errors_name_the_option_that_forbids_a_file() {
        let sdist_only = || vec![file("foo-1.0.tar.gz")];
        insta::assert_snapshot!(outcome(&policy(&[], &[":all:"], false), "==1.0", sdist_only()), @r"
        No wheel of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: only a source distribution: `--only-binary :all:` forbids building from source
        ");
        insta::assert_snapshot!(outcome(&policy(&[], &[], true), "==1.0", sdist_only()), @r"
        No wheel of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: only a source distribution: `--no-build` forbids building from source
        ");
        insta::assert_snapshot!(outcome(&policy(&[], &["foo"], false), "==1.0", sdist_only()), @r"
        No wheel of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: only a source distribution: `--only-binary foo` forbids building it from source
        ");
        let wheel_only = || vec![file("foo-1.0-py3-none-any.whl")];
        insta::assert_snapshot!(outcome(&policy(&["foo"], &[], false), "==1.0", wheel_only()), @r"
        No wheel or source distribution of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: no source distribution, and `--no-binary foo` forbids its wheels
        ");
        insta::assert_snapshot!(outcome(&policy(&[":all:"], &[], false), "==1.0", wheel_only()), @r"
        No wheel or source distribution of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: no source distribution, and `--no-binary :all:` forbids wheels
        ");
        let mixed = || {
            vec![
                file("foo-1.0-cp312-cp312-win_amd64.whl"),
                requires_python(file("foo-1.0.tar.gz"), ">=3.12"),
            ]
        };
        insta::assert_snapshot!(outcome(&policy(&[], &[":all:"], false), "==1.0", mixed()), @r"
        No wheel of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: wheels exist only for other platforms: cp312-cp312-win_amd64; `--only-binary :all:` forbids building from source
        ");
        insta::assert_snapshot!(outcome(&FormatPolicy::default(), "==1.0", mixed()), @r"
        No wheel or source distribution of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: requires-python `>=3.12` excludes Python 3.11.4; wheels exist only for other platforms: cp312-cp312-win_amd64
        ");
        insta::assert_snapshot!(outcome(&policy(&["foo"], &[], false), "==1.0", mixed()), @r"
        No wheel or source distribution of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: requires-python `>=3.12` excludes Python 3.11.4; `--no-binary foo` forbids its wheels
        ");
        insta::assert_snapshot!(outcome(&FormatPolicy::default(), "==1.0", vec![file("foo-1.0-cp312-cp312-win_amd64.whl")]), @r"
        No wheel or source distribution of `foo==1.0` in the index `http://127.0.0.1:1/simple/` fits this environment:
        - 1.0: wheels exist only for other platforms: cp312-cp312-win_amd64; no source distribution
        ");
    }
}
