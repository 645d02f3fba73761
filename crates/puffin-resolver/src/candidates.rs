//! A project's files, grouped by version: which file stands for each
//! version under the tags and the [`FormatPolicy`], and why a version has
//! none.
//!
//! As in `puffin-client`'s selection (pip's rules): a compatible wheel that
//! the policy allows comes first (not yanked before yanked, then the best
//! tag), else a source distribution that it allows (not yanked first, then
//! `.tar.gz` before `.zip`). A version whose only allowed file is a source
//! distribution is a candidate only when the provider can read source
//! metadata ([`crate::SourceMetadata`]).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use distribution_filename::{PackageName, SourceDistExtension, SourceDistFilename, WheelFilename};
use pep440_rs::{Version, VersionSpecifiers};
use platform_tags::{TagPriority, Tags};
use puffin_client::{DistLocation, FormatPolicy, IndexFile, ProjectFile, SelectedSource};

use crate::provider::{VersionInfo, VersionMap};

/// The largest `METADATA` read from a local wheel.
pub(crate) const MAX_LOCAL_METADATA: u64 = 16 * 1024 * 1024;

/// A project's files, read.
pub(crate) struct Project {
    pub(crate) versions: Arc<VersionMap>,
    /// The file whose metadata stands for each usable version.
    pub(crate) dists: BTreeMap<Version, Dist>,
}

/// The file that stands for a version.
pub(crate) enum Dist {
    /// A compatible wheel (boxed, like the source: both are large).
    Wheel(Box<WheelFile>),
    /// A source distribution, to be built for its metadata.
    Source(Box<SelectedSource>),
}

/// A compatible wheel and where it is.
pub(crate) struct WheelFile {
    pub(crate) file: IndexFile,
    pub(crate) filename: WheelFilename,
    pub(crate) location: DistLocation,
}

/// What decides which file stands for a version.
pub(crate) struct Rules<'a> {
    pub(crate) tags: &'a Tags,
    pub(crate) policy: &'a FormatPolicy,
    /// Whether source distributions can be built for their metadata.
    pub(crate) can_build: bool,
}

/// One version's files while a project is read.
#[derive(Default)]
struct VersionFiles {
    hashes: Vec<String>,
    /// The best compatible wheel: not yanked first, then the best tag.
    wheel: Option<((bool, TagPriority), WheelFile)>,
    /// Whether any wheel (compatible or not) exists.
    any_wheel: bool,
    /// The best source distribution: not yanked first, then `.tar.gz`.
    source: Option<((bool, bool), ProjectFile, SourceDistFilename)>,
}

impl Rules<'_> {
    /// Group a project's files by version: the hashes of every file, and
    /// the file that stands for the version, or why there is none.
    pub(crate) fn read_project(&self, name: &PackageName, files: Vec<ProjectFile>) -> Project {
        let mut by_version: BTreeMap<Version, VersionFiles> = BTreeMap::new();
        for project_file in files {
            self.add_file(name, project_file, &mut by_version);
        }
        let mut versions = VersionMap::new();
        let mut dists = BTreeMap::new();
        for (version, files) in by_version {
            let (info, dist) = self.decide(name, files);
            if let Some(dist) = dist {
                dists.insert(version.clone(), dist);
            }
            versions.insert(version, info);
        }
        Project {
            versions: Arc::new(versions),
            dists,
        }
    }

    fn add_file(
        &self,
        name: &PackageName,
        project_file: ProjectFile,
        by_version: &mut BTreeMap<Version, VersionFiles>,
    ) {
        let hashes = project_file.file.hashes.iter().map(|hash| hash.to_string());
        if let Ok(filename) = WheelFilename::from_str(&project_file.file.filename) {
            if filename.name != *name {
                return;
            }
            let entry = by_version.entry(filename.version.clone()).or_default();
            entry.hashes.extend(hashes);
            entry.any_wheel = true;
            let Some(priority) = self.tags.compatibility(&filename) else {
                return;
            };
            let rank = (project_file.file.yanked.is_none(), priority);
            if entry.wheel.as_ref().is_none_or(|(best, _)| rank > *best) {
                let wheel = WheelFile {
                    file: project_file.file,
                    filename,
                    location: project_file.location,
                };
                entry.wheel = Some((rank, wheel));
            }
        } else if let Ok(filename) = SourceDistFilename::from_str(&project_file.file.filename)
            && filename.name == *name
        {
            let entry = by_version.entry(filename.version.clone()).or_default();
            entry.hashes.extend(hashes);
            let rank = (
                project_file.file.yanked.is_none(),
                filename.extension == SourceDistExtension::TarGz,
            );
            if entry.source.as_ref().is_none_or(|(best, ..)| rank > *best) {
                entry.source = Some((rank, project_file, filename));
            }
        }
    }

    /// The version's index data and the file that stands for it.
    fn decide(&self, name: &PackageName, mut files: VersionFiles) -> (VersionInfo, Option<Dist>) {
        files.hashes.sort();
        files.hashes.dedup();
        let mut info = VersionInfo {
            hashes: files.hashes,
            ..VersionInfo::default()
        };
        let (has_wheel, has_source) = (files.wheel.is_some(), files.source.is_some());
        let wheel = files
            .wheel
            .filter(|_| self.policy.allows_wheel(name))
            .map(|(_, wheel)| wheel);
        let source = files.source.filter(|_| self.policy.allows_source(name));
        let (file, dist) = match (wheel, source) {
            (Some(wheel), _) => (wheel.file.clone(), Dist::Wheel(Box::new(wheel))),
            (None, Some((_, project_file, filename))) if self.can_build => {
                let source = SelectedSource {
                    filename,
                    source: project_file.location,
                    hashes: project_file.file.hashes.to_vec(),
                    yanked: project_file.file.yanked.as_deref().map(str::to_string),
                    warnings: Vec::new(),
                };
                (project_file.file, Dist::Source(Box::new(source)))
            }
            (None, source) => {
                let kinds = Kinds {
                    wheel: has_wheel,
                    source: has_source,
                    allowed_source: source.is_some(),
                    any_wheel: files.any_wheel,
                };
                info.unusable = Some(self.why_unusable(name, &kinds));
                return (info, None);
            }
        };
        info.yanked = file.yanked.is_some();
        info.requires_python = file
            .requires_python
            .as_deref()
            .and_then(|value| VersionSpecifiers::from_str(value).ok());
        (info, Some(dist))
    }

    /// Why no file of a version can be used, naming the option that
    /// forbids a kind of file.
    fn why_unusable(&self, name: &PackageName, kinds: &Kinds) -> String {
        let policy = self.policy;
        if kinds.allowed_source {
            let only = if kinds.wheel {
                format!(
                    "{}, so only its source distribution",
                    policy.wheel_refusal(name)
                )
            } else {
                "it has only a source distribution".to_string()
            };
            return format!(
                "{only}, and the resolver was given no way to build one for its metadata"
            );
        }
        match (kinds.wheel, kinds.source) {
            (true, true) => format!(
                "{}, and {}",
                policy.wheel_refusal(name),
                policy.source_refusal(name)
            ),
            (true, false) => format!(
                "it has no source distribution, and {}",
                policy.wheel_refusal(name)
            ),
            (false, true) => format!(
                "it has only a source distribution: {}",
                policy.source_refusal(name)
            ),
            (false, false) if kinds.any_wheel => "it has no wheel for this platform".to_string(),
            (false, false) => "it has no usable file".to_string(),
        }
    }
}

/// Which files a version without a usable one has.
struct Kinds {
    /// A compatible wheel (that the policy refuses).
    wheel: bool,
    /// A source distribution.
    source: bool,
    /// A source distribution that the policy allows (but that cannot be
    /// built for its metadata).
    allowed_source: bool,
    /// Any wheel, compatible or not.
    any_wheel: bool,
}

#[cfg(test)]
mod tests {
    use puffin_client::FileHashes;
    use url::Url;

    use super::*;

    fn tags() -> Tags {
        Tags::new(vec![(
            "py3".to_string(),
            "none".to_string(),
            "any".to_string(),
        )])
    }

    fn file(filename: &str, yanked: bool) -> ProjectFile {
        let url = Url::parse("http://127.0.0.1:1/files/")
            .unwrap()
            .join(filename)
            .unwrap();
        ProjectFile {
            file: IndexFile {
                filename: filename.into(),
                url: url.clone(),
                hashes: FileHashes::default(),
                requires_python: None,
                yanked: yanked.then(|| "".into()),
                core_metadata: false,
                core_metadata_hashes: FileHashes::default(),
            },
            location: DistLocation::Url {
                url,
                index: Url::parse("http://127.0.0.1:1/simple/").unwrap(),
            },
        }
    }

    /// Each version's file, or why it has none, one line each.
    fn read(policy: &FormatPolicy, can_build: bool, files: Vec<ProjectFile>) -> Vec<String> {
        let tags = tags();
        let rules = Rules {
            tags: &tags,
            policy,
            can_build,
        };
        let name = PackageName::new("foo").unwrap();
        let project = rules.read_project(&name, files);
        project
            .versions
            .iter()
            .map(|(version, info)| {
                let chosen = match project.dists.get(version) {
                    Some(Dist::Wheel(wheel)) => wheel.file.filename.to_string(),
                    Some(Dist::Source(source)) => source.filename.to_string(),
                    None => info.unusable.clone().unwrap_or_default(),
                };
                format!("{version}: {chosen} (yanked: {})", info.yanked)
            })
            .collect()
    }

    #[test]
    fn the_file_that_stands_for_each_version() {
        let files = vec![
            file("foo-1.0-py3-none-any.whl", true),
            file("foo-1.0-py3-none-any.whl", false),
            file("foo-1.0.zip", false),
            file("foo-2.0.zip", false),
            file("foo-2.0.tar.gz", false),
            file("foo-3.0-cp99-cp99-win_amd64.whl", false),
            file("foo-4.0.tar.gz", true),
            file("bar-5.0-py3-none-any.whl", false),
        ];
        insta::assert_snapshot!(read(&FormatPolicy::default(), true, files.clone()).join("\n"), @r"
        1.0: foo-1.0-py3-none-any.whl (yanked: false)
        2.0: foo-2.0.tar.gz (yanked: false)
        3.0: it has no wheel for this platform (yanked: false)
        4.0: foo-4.0.tar.gz (yanked: true)
        ");
        let only_binary = FormatPolicy::from_pip_args(&[], &[":all:".to_string()], false).unwrap();
        insta::assert_snapshot!(read(&only_binary, true, files.clone()).join("\n"), @r"
        1.0: foo-1.0-py3-none-any.whl (yanked: false)
        2.0: it has only a source distribution: `--only-binary :all:` forbids building from source (yanked: false)
        3.0: it has no wheel for this platform (yanked: false)
        4.0: it has only a source distribution: `--only-binary :all:` forbids building from source (yanked: false)
        ");
        let no_binary = FormatPolicy::from_pip_args(&["foo".to_string()], &[], false).unwrap();
        insta::assert_snapshot!(read(&no_binary, false, files).join("\n"), @r"
        1.0: `--no-binary foo` forbids its wheels, so only its source distribution, and the resolver was given no way to build one for its metadata (yanked: false)
        2.0: it has only a source distribution, and the resolver was given no way to build one for its metadata (yanked: false)
        3.0: it has no wheel for this platform (yanked: false)
        4.0: it has only a source distribution, and the resolver was given no way to build one for its metadata (yanked: false)
        ");
    }
}
