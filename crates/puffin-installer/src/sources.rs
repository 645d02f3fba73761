//! Requirements that are built before they are installed: project
//! directories (`-e .`, `./project`), source archives and `git+` URLs.
//!
//! Before the plan, every such requirement is given a name (and, for git, a
//! commit): the name of a source archive is in its filename, a `#egg=`
//! fragment or a `name @` prefix names the rest, and otherwise the project's
//! `pyproject.toml` is read (its static `[project] name`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::{PackageName, SourceDistFilename};
use fs_err as fs;
use puffin_package::{DirInfo, DirectUrl, DirectUrlInfo, VcsInfo};
use url::Url;

use requirements_txt::SourceEntry;

use crate::build::Builds;
use crate::{Error, PlanError, SyncRequirement, SyncRequirements};

/// A distribution to build from source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSource {
    /// A project directory on the local disk.
    Directory {
        /// The absolute path of the project.
        path: PathBuf,
        /// Installed in editable mode (PEP 660).
        editable: bool,
    },
    /// A source archive (`.tar.gz`, `.zip`), local or remote.
    Archive {
        /// Where it is: `file://` for a local path.
        url: Url,
        /// Its name and version, when its filename says them.
        filename: Option<SourceDistFilename>,
    },
    /// A git repository at a commit.
    Git(GitSource),
}

/// A git requirement, its revision resolved to a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    /// The `git+` URL: repository (credentials kept for fetching), the
    /// revision asked for, and the project's subdirectory.
    pub url: puffin_source::GitUrl,
    /// The commit the revision resolved to (40 hex digits).
    pub commit: String,
    /// The checkout of that commit, in the cache.
    pub checkout: PathBuf,
}

impl GitSource {
    /// The project's root: the checkout, or its subdirectory.
    pub fn project_root(&self) -> PathBuf {
        match self.url.subdirectory() {
            Some(subdirectory) => self.checkout.join(subdirectory),
            None => self.checkout.clone(),
        }
    }
}

impl BuildSource {
    /// Whether this is an editable install.
    pub fn is_editable(&self) -> bool {
        matches!(self, Self::Directory { editable: true, .. })
    }

    /// The `direct_url.json` (PEP 610) the installed distribution records:
    /// `dir_info` for a directory, `vcs_info` with the commit for git,
    /// `archive_info` for an archive. Credentials are never recorded.
    pub fn direct_url(&self) -> DirectUrl {
        match self {
            Self::Directory { path, editable } => DirectUrl {
                url: file_url(path),
                subdirectory: None,
                info: DirectUrlInfo::Dir(DirInfo {
                    editable: editable.then_some(true),
                }),
            },
            Self::Archive { url, .. } => DirectUrl::archive(url.as_str(), None),
            Self::Git(git) => DirectUrl {
                url: git.url.canonical(),
                subdirectory: git.url.subdirectory().map(str::to_string),
                info: DirectUrlInfo::Vcs(VcsInfo {
                    vcs: "git".to_string(),
                    requested_revision: git.url.rev().map(str::to_string),
                    commit_id: git.commit.clone(),
                }),
            },
        }
    }

    /// Whether an installed distribution, with this `direct_url.json` and
    /// `.dist-info` directory, is what this source would install: the same
    /// URL and kind; for git the same commit; for a project directory the
    /// same editable mode and, unless editable, no file of the project newer
    /// than the installation.
    pub fn is_installed_as(&self, installed: &DirectUrl, dist_info: &Path) -> bool {
        let wanted = self.direct_url();
        if installed.url != wanted.url || installed.subdirectory != wanted.subdirectory {
            return false;
        }
        match (&wanted.info, &installed.info) {
            (DirectUrlInfo::Dir(wanted), DirectUrlInfo::Dir(installed)) => {
                let editable = wanted.editable.unwrap_or(false);
                if editable != installed.editable.unwrap_or(false) {
                    return false;
                }
                let Self::Directory { path, .. } = self else {
                    return false;
                };
                editable || !tree_changed_since(path, dist_info)
            }
            (DirectUrlInfo::Vcs(wanted), DirectUrlInfo::Vcs(installed)) => {
                wanted.commit_id == installed.commit_id
            }
            (DirectUrlInfo::Archive(_), DirectUrlInfo::Archive(_)) => true,
            _ => false,
        }
    }
}

/// What a requirement's URL points to, before anything is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceUrl {
    /// A local project directory.
    Directory(PathBuf),
    /// A source archive, local or remote.
    Archive(Url, Option<SourceDistFilename>),
    /// A `git+` URL.
    Git(Url),
}

impl SourceUrl {
    /// Classify a URL that is not a wheel's, or `None` when it names nothing
    /// that can be built (e.g. a local file that is not an archive).
    pub(crate) fn classify(url: &Url) -> Option<Self> {
        if url.scheme().starts_with("git+") {
            return Some(Self::Git(url.clone()));
        }
        let last = url
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .map(|segment| {
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        let is_archive = [".tar.gz", ".tgz", ".zip", ".tar"]
            .iter()
            .any(|extension| last.to_ascii_lowercase().ends_with(extension));
        if url.scheme() == "file" {
            let path = url.to_file_path().ok()?;
            if path.is_dir() {
                return Some(Self::Directory(path));
            }
            if !path.exists() && !is_archive {
                // A missing directory: the naming step says it is missing.
                return Some(Self::Directory(path));
            }
        }
        is_archive.then(|| Self::Archive(url.clone(), SourceDistFilename::from_str(&last).ok()))
    }
}

/// Name every source of a sync and resolve it to what is built: the
/// source entries (`-e`, paths, archives, `git+` URLs) and the named
/// requirements whose URL is not a wheel's become requirements with a
/// [`BuildSource`]; the rest are returned unchanged.
pub(crate) fn name_sources(
    requirements: &SyncRequirements,
    builds: &Builds,
) -> Result<Vec<SyncRequirement>, Error> {
    let mut named = Vec::with_capacity(requirements.requirements.len());
    for requirement in &requirements.requirements {
        named.push(match source_url_of(requirement) {
            Some(kind) => {
                let mut requirement = requirement.clone();
                let name =
                    PackageName::from_str(requirement.requirement.name.as_ref()).map_err(|_| {
                        Error::Plan(Box::new(PlanError::InvalidName(
                            requirement.requirement.name.to_string(),
                        )))
                    })?;
                let (build, _) = resolve_source(kind, false, &requirement.origin, builds)?;
                check_name(&name, &build, &requirement.origin)?;
                requirement.build = Some(build);
                requirement
            }
            None => requirement.clone(),
        });
    }
    for entry in &requirements.sources {
        named.push(name_entry(entry, builds)?);
    }
    Ok(named)
}

/// The source a named requirement's URL points to, unless it is a wheel.
fn source_url_of(requirement: &SyncRequirement) -> Option<SourceUrl> {
    let Some(pep508_rs::VersionOrUrl::Url(verbatim)) = &requirement.requirement.version_or_url
    else {
        return None;
    };
    let url = verbatim.to_url();
    if url.path().to_ascii_lowercase().ends_with(".whl") {
        return None;
    }
    SourceUrl::classify(&url)
}

/// A source entry as a named requirement to build.
fn name_entry(entry: &SourceEntry, builds: &Builds) -> Result<SyncRequirement, Error> {
    let origin = format!("{}:{}", entry.file.display(), entry.line);
    let shown = puffin_redact::redact_text(&entry.target).into_owned();
    let kind = SourceUrl::classify(&entry.url).ok_or_else(|| Error::NotBuildable {
        requirement: shown.clone(),
        origin: origin.clone(),
    })?;
    let (build, derived) = resolve_source(kind, entry.editable, &origin, builds)?;
    let name = match (&entry.name, derived) {
        (Some(egg), _) => PackageName::from_str(egg)
            .map_err(|_| Error::Plan(Box::new(PlanError::InvalidName(egg.clone()))))?,
        (None, Some(name)) => name,
        (None, None) => builds.metadata_name(&build, &origin)?,
    };
    let extras = if entry.extras.is_empty() {
        String::new()
    } else {
        format!("[{}]", entry.extras.join(","))
    };
    let marker = entry
        .marker
        .as_ref()
        .and_then(pep508_rs::MarkerTree::contents)
        .map(|marker| format!(" ; {marker}"))
        .unwrap_or_default();
    let text = format!("{name}{extras} @ {}{marker}", entry.url);
    let requirement =
        pep508_rs::Requirement::from_str(&text).map_err(|err| Error::NotBuildable {
            requirement: format!("{shown} ({err})"),
            origin: origin.clone(),
        })?;
    Ok(SyncRequirement {
        requirement,
        hashes: entry.hashes.clone(),
        origin,
        build: Some(build),
    })
}

/// What a classified URL builds, and the name it gives without a build.
fn resolve_source(
    kind: SourceUrl,
    editable: bool,
    origin: &str,
    builds: &Builds,
) -> Result<(BuildSource, Option<PackageName>), Error> {
    let not_editable = |what: &str| Error::NotEditable {
        what: what.to_string(),
        origin: origin.to_string(),
    };
    match kind {
        SourceUrl::Directory(path) => {
            if !path.is_dir() {
                return Err(Error::SourceNotFound {
                    path,
                    origin: origin.to_string(),
                });
            }
            let name = static_metadata(&path)?.name;
            Ok((BuildSource::Directory { path, editable }, name))
        }
        SourceUrl::Archive(..) if editable => Err(not_editable("a source archive")),
        SourceUrl::Archive(url, filename) => {
            if let Some(path) = url
                .to_file_path()
                .ok()
                .filter(|path| url.scheme() == "file" && !path.is_file())
            {
                return Err(Error::SourceNotFound {
                    path,
                    origin: origin.to_string(),
                });
            }
            let name = filename.as_ref().map(|filename| filename.name.clone());
            Ok((BuildSource::Archive { url, filename }, name))
        }
        SourceUrl::Git(_) if editable => Err(not_editable("a git URL")),
        SourceUrl::Git(url) => {
            let git = builds.git_checkout(&url, origin)?;
            let name = static_metadata(&git.project_root())?.name;
            Ok((BuildSource::Git(git), name))
        }
    }
}

/// A named requirement's name must be the project's, when the project says
/// its name without a build.
fn check_name(name: &PackageName, build: &BuildSource, origin: &str) -> Result<(), Error> {
    let root = match build {
        BuildSource::Directory { path, .. } => path.clone(),
        BuildSource::Git(git) => git.project_root(),
        BuildSource::Archive { filename, .. } => {
            return match filename {
                Some(filename) if &filename.name != name => Err(Error::SourceNameMismatch {
                    name: name.clone(),
                    found: filename.name.clone(),
                    origin: origin.to_string(),
                }),
                _ => Ok(()),
            };
        }
    };
    match static_metadata(&root)?.name {
        Some(found) if &found != name => Err(Error::SourceNameMismatch {
            name: name.clone(),
            found,
            origin: origin.to_string(),
        }),
        _ => Ok(()),
    }
}

/// The `file://` URL of a path, as a string.
fn file_url(path: &Path) -> String {
    Url::from_file_path(path)
        .map(String::from)
        .unwrap_or_else(|()| format!("file://{}", path.display()))
}

/// Whether a file of the project at `path` changed after the distribution
/// was installed (its `RECORD` was written): the files are those the
/// built-wheel cache fingerprints (not `.git`, `__pycache__`, `*.egg-info`,
/// virtual environments, `build/` and `dist/` at the top, ...).
fn tree_changed_since(path: &Path, dist_info: &Path) -> bool {
    let Ok(installed) = fs::metadata(dist_info.join("RECORD")).and_then(|meta| meta.modified())
    else {
        return true;
    };
    match puffin_source::newest_modification(path) {
        Ok(newest) => newest > installed,
        // Unreadable: rebuild, as for a change.
        Err(_) => true,
    }
}

/// What `pyproject.toml` says statically about a project.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StaticMetadata {
    /// `[project] name`.
    pub(crate) name: Option<PackageName>,
}

/// Read the static `[project] name` of the project at `root`. A missing file
/// or table is `None`; an unreadable or invalid file is an error naming it.
pub(crate) fn static_metadata(root: &Path) -> Result<StaticMetadata, Error> {
    let path = root.join("pyproject.toml");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(StaticMetadata::default());
        }
        Err(err) => return Err(Error::Runtime(err)),
    };
    let document: toml::Table = toml::from_str(&text).map_err(|err| Error::Pyproject {
        path: path.clone(),
        reason: err.to_string(),
    })?;
    let Some(project) = document.get("project").and_then(toml::Value::as_table) else {
        return Ok(StaticMetadata::default());
    };
    let dynamic_name = project
        .get("dynamic")
        .and_then(toml::Value::as_array)
        .is_some_and(|dynamic| dynamic.iter().any(|value| value.as_str() == Some("name")));
    let name = match project.get("name").and_then(toml::Value::as_str) {
        Some(name) if !dynamic_name => {
            Some(PackageName::from_str(name).map_err(|err| Error::Pyproject {
                path: path.clone(),
                reason: format!("`[project] name` is not a valid name: {err}"),
            })?)
        }
        _ => None,
    };
    Ok(StaticMetadata { name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_name_from_pyproject() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            static_metadata(dir.path()).unwrap(),
            StaticMetadata::default()
        );
        fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"My_Project\"\nversion = \"1.0\"\n",
        )
        .unwrap();
        assert_eq!(
            static_metadata(dir.path()).unwrap().name.unwrap().as_str(),
            "my-project"
        );
        fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\ndynamic = [\"name\"]\n",
        )
        .unwrap();
        assert_eq!(static_metadata(dir.path()).unwrap().name, None);
        fs::write(dir.path().join("pyproject.toml"), "[project\n").unwrap();
        let err = static_metadata(dir.path()).unwrap_err().to_string();
        assert!(err.contains("pyproject.toml"), "{err}");
    }

    #[test]
    fn editable_and_plain_directories_record_dir_info() {
        let source = BuildSource::Directory {
            path: PathBuf::from("/srv/project"),
            editable: true,
        };
        assert_eq!(
            source.direct_url().to_json(),
            r#"{"url":"file:///srv/project","dir_info":{"editable":true}}"#
        );
        let plain = BuildSource::Directory {
            path: PathBuf::from("/srv/project"),
            editable: false,
        };
        assert_eq!(
            plain.direct_url().to_json(),
            r#"{"url":"file:///srv/project","dir_info":{}}"#
        );
        assert!(!source.is_installed_as(&plain.direct_url(), Path::new("/nonexistent")));
    }

    #[test]
    fn git_records_the_commit_without_credentials() {
        let source = BuildSource::Git(GitSource {
            url: puffin_source::GitUrl::parse(
                "git+https://user:secret@127.0.0.1/repo.git@main#subdirectory=pkg",
            )
            .unwrap(),
            commit: "a".repeat(40),
            checkout: PathBuf::from("/cache/git"),
        });
        let json = source.direct_url().to_json();
        assert!(!json.contains("secret"), "{json}");
        assert!(json.contains(&"a".repeat(40)), "{json}");
        let mut other = source.direct_url();
        if let DirectUrlInfo::Vcs(vcs) = &mut other.info {
            vcs.commit_id = "b".repeat(40);
        }
        assert!(!source.is_installed_as(&other, Path::new("/nonexistent")));
        assert!(source.is_installed_as(&source.direct_url(), Path::new("/nonexistent")));
    }

    #[test]
    fn a_changed_project_file_is_newer_than_the_installation() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("project");
        let dist_info = dir.path().join("demo-1.0.dist-info");
        fs::create_dir_all(project.join("build")).unwrap();
        fs::create_dir_all(&dist_info).unwrap();
        fs::write(project.join("demo.py"), "").unwrap();
        let past = filetime_ago(&project.join("demo.py"));
        fs::write(dist_info.join("RECORD"), "").unwrap();
        assert!(!tree_changed_since(&project, &dist_info), "{past:?}");
        // What a build writes does not count.
        fs::write(project.join("build").join("x.py"), "").unwrap();
        assert!(!tree_changed_since(&project, &dist_info));
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(project.join("demo.py"), "x = 1").unwrap();
        assert!(tree_changed_since(&project, &dist_info));
    }

    /// Set a file's mtime a minute back, so that a file written after it is
    /// newer even on filesystems with coarse timestamps.
    fn filetime_ago(path: &Path) -> std::time::SystemTime {
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(past)
            .unwrap();
        past
    }
}
