//! What a lock installs into one environment (PEP 751, "Installation"):
//! the lock must support the environment (`environments`,
//! `requires-python`); each package whose `marker` holds is installed from
//! its `vcs`, `directory` or `archive` entry, else from the wheel whose tags
//! fit best, else from its `sdist`.
//!
//! Extras and dependency groups: the lock's `default-groups` are selected
//! and no extra is, so a marker such as `'dev' in dependency_groups` holds
//! exactly when `dev` is a default group.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::{PackageName, WheelFilename};
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment};
use platform_tags::Tags;
use url::Url;

use crate::marker::{LockMarker, selected};
use crate::model::{LockFile, LockPackage};
use crate::{LockError, PyLock};

/// The environment a lock is installed into.
#[derive(Debug, Clone, Copy)]
pub struct LockTarget<'a> {
    /// The lock file's path: relative paths in it are resolved against its
    /// directory, and messages name it.
    pub path: &'a Path,
    /// The markers of the interpreter installed for.
    pub markers: &'a MarkerEnvironment,
    /// Its wheel tags.
    pub tags: &'a Tags,
    /// Its Python version (for `requires-python`).
    pub python_version: &'a Version,
}

/// What to install of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedDist {
    /// The package.
    pub name: PackageName,
    /// Its version, when the lock says it.
    pub version: Option<Version>,
    /// Where it comes from.
    pub source: LockedSource,
    /// The file's digests, `<algorithm>:<hex>`, of the algorithms puffin
    /// checks (sha256, sha384, sha512); none for `vcs` and `directory`.
    pub hashes: Vec<String>,
    /// The 1-based line of its `[[packages]]` header, when known.
    pub line: Option<usize>,
}

/// Where a locked package comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockedSource {
    /// A wheel (`file://` for a path).
    Wheel(Url),
    /// A source archive to build: the package's `sdist` or `archive`.
    Archive(Url),
    /// A git commit to build: `git+<repository>@<commit>`, with a
    /// `#subdirectory=` fragment when the lock gives one.
    Git(Url),
    /// A local project directory to build.
    Directory {
        /// The absolute path.
        path: PathBuf,
        /// Installed in editable mode.
        editable: bool,
    },
}

/// What a lock installs into one environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The packages to install, in the lock's order.
    pub dists: Vec<LockedDist>,
    /// How many packages were skipped because their marker does not hold.
    pub skipped_by_markers: usize,
}

impl PyLock {
    /// The packages this lock installs into `target`.
    ///
    /// # Errors
    ///
    /// When the lock does not support the environment, a value is invalid,
    /// or a package whose marker holds has nothing the environment can
    /// install; each error names the file and the package.
    pub fn select(&self, target: &LockTarget<'_>) -> Result<Selection, LockError> {
        self.check_environment(target)?;
        let groups = selected(&[], &self.default_groups);
        let mut selection = Selection::default();
        for (index, package) in self.packages.iter().enumerate() {
            let line = self.package_lines.get(index).copied();
            if !package_applies(package, target, &groups)? {
                selection.skipped_by_markers += 1;
                continue;
            }
            selection.dists.push(select_package(package, target, line)?);
        }
        Ok(selection)
    }

    /// `requires-python` and `environments`.
    fn check_environment(&self, target: &LockTarget<'_>) -> Result<(), LockError> {
        let invalid = |what, value: &str| LockError::Invalid {
            path: target.path.to_path_buf(),
            what,
            place: "the lock".to_string(),
            value: value.to_string(),
        };
        if let Some(requires_python) = &self.requires_python {
            let specifiers = VersionSpecifiers::from_str(requires_python)
                .map_err(|_| invalid("`requires-python`", requires_python))?;
            if !specifiers.contains(target.python_version) {
                return Err(LockError::Unsupported {
                    path: target.path.to_path_buf(),
                    reason: format!(
                        "its `requires-python = \"{requires_python}\"` excludes Python {}",
                        target.python_version
                    ),
                });
            }
        }
        if let Some(environments) = &self.environments {
            let mut any = false;
            for environment in environments {
                let marker = LockMarker::parse(environment)
                    .ok_or_else(|| invalid("an `environments` marker", environment))?;
                any |= marker.evaluate(target.markers, &[]);
            }
            if !any {
                return Err(LockError::Unsupported {
                    path: target.path.to_path_buf(),
                    reason: format!("none of its `environments` holds: {environments:?}"),
                });
            }
        }
        Ok(())
    }
}

/// Whether the package's marker holds.
fn package_applies(
    package: &LockPackage,
    target: &LockTarget<'_>,
    groups: &[ExtraName],
) -> Result<bool, LockError> {
    let Some(marker) = &package.marker else {
        return Ok(true);
    };
    let parsed = LockMarker::parse(marker).ok_or_else(|| LockError::Invalid {
        path: target.path.to_path_buf(),
        what: "the marker",
        place: format!("package `{}`", package.name),
        value: marker.clone(),
    })?;
    Ok(parsed.evaluate(target.markers, groups))
}

/// What to install of a package whose marker holds.
fn select_package(
    package: &LockPackage,
    target: &LockTarget<'_>,
    line: Option<usize>,
) -> Result<LockedDist, LockError> {
    let invalid = |what, value: &str| invalid(target, package, what, value);
    let name =
        PackageName::from_str(&package.name).map_err(|_| invalid("the name", &package.name))?;
    let version = package
        .version
        .as_deref()
        .map(|version| Version::from_str(version).map_err(|_| invalid("the version", version)))
        .transpose()?;
    let (source, hashes) = package_source(package, target)?;
    if hashes.is_empty() && matches!(source, LockedSource::Wheel(_) | LockedSource::Archive(_)) {
        return Err(LockError::NothingToInstall {
            path: target.path.to_path_buf(),
            name: package.name.clone(),
            reason: "a file without a sha256, sha384 or sha512 hash, which cannot be verified"
                .to_string(),
        });
    }
    Ok(LockedDist {
        name,
        version,
        source,
        hashes,
        line,
    })
}

/// An invalid value of a package.
fn invalid(
    target: &LockTarget<'_>,
    package: &LockPackage,
    what: &'static str,
    value: &str,
) -> LockError {
    LockError::Invalid {
        path: target.path.to_path_buf(),
        what,
        place: format!("package `{}`", package.name),
        value: value.to_string(),
    }
}

/// Where the package comes from, with the file's hashes: its `vcs`,
/// `directory` or `archive` entry, else its best wheel, else its `sdist`.
fn package_source(
    package: &LockPackage,
    target: &LockTarget<'_>,
) -> Result<(LockedSource, Vec<String>), LockError> {
    let file_source = |file: &LockFile, what| -> Result<(Url, Vec<String>), LockError> {
        let url = file_url(file, target.path)
            .ok_or_else(|| invalid(target, package, what, &describe(file)))?;
        Ok((url, known_hashes(file)))
    };
    if let Some(vcs) = &package.vcs {
        let url = git_url(vcs, target.path)
            .ok_or_else(|| invalid(target, package, "the `vcs` entry", &format!("{vcs:?}")))?;
        return Ok((LockedSource::Git(url), Vec::new()));
    }
    if let Some(directory) = &package.directory {
        let base = target.path.parent().unwrap_or(Path::new("."));
        let path = base.join(&directory.path);
        let path = match &directory.subdirectory {
            Some(subdirectory) => path.join(subdirectory),
            None => path,
        };
        let path = std::path::absolute(&path).unwrap_or(path);
        let editable = directory.editable;
        return Ok((LockedSource::Directory { path, editable }, Vec::new()));
    }
    if let Some(archive) = &package.archive {
        let (url, hashes) = file_source(archive, "the `archive` entry")?;
        return Ok((LockedSource::Archive(url), hashes));
    }
    if let Some(wheel) = best_wheel(&package.wheels, target.tags) {
        let (url, hashes) = file_source(wheel, "a wheel")?;
        return Ok((LockedSource::Wheel(url), hashes));
    }
    if let Some(sdist) = &package.sdist {
        let (url, hashes) = file_source(sdist, "the `sdist` entry")?;
        return Ok((LockedSource::Archive(url), hashes));
    }
    let reason = if package.wheels.is_empty() {
        "no `wheels`, `sdist`, `archive`, `directory` or `vcs` entry".to_string()
    } else {
        let names: Vec<String> = package.wheels.iter().map(describe).collect();
        format!(
            "no wheel for this environment ({}) and no `sdist`",
            names.join(", ")
        )
    };
    Err(LockError::NothingToInstall {
        path: target.path.to_path_buf(),
        name: package.name.clone(),
        reason,
    })
}

/// The wheel whose tags fit `tags` best (the first of equals).
fn best_wheel<'a>(wheels: &'a [LockFile], tags: &Tags) -> Option<&'a LockFile> {
    let mut best: Option<(platform_tags::TagPriority, &LockFile)> = None;
    for wheel in wheels {
        let Some(filename) = file_name(wheel).and_then(|name| WheelFilename::from_str(&name).ok())
        else {
            continue;
        };
        if let Some(priority) = tags.compatibility(&filename)
            && best.as_ref().is_none_or(|(best, _)| priority > *best)
        {
            best = Some((priority, wheel));
        }
    }
    best.map(|(_, wheel)| wheel)
}

/// A file's name: `name`, else the last segment of its URL or path.
fn file_name(file: &LockFile) -> Option<String> {
    if let Some(name) = &file.name {
        return Some(name.clone());
    }
    let location = file.url.as_deref().or(file.path.as_deref())?;
    location.rsplit('/').next().map(str::to_string)
}

/// How a file is named in messages.
fn describe(file: &LockFile) -> String {
    file_name(file)
        .or_else(|| file.url.clone())
        .unwrap_or_else(|| "a file without name, url or path".to_string())
}

/// Where a file is: its `url`, else its `path` (relative to the lock).
fn file_url(file: &LockFile, lock: &Path) -> Option<Url> {
    if let Some(url) = &file.url {
        return Url::parse(url).ok();
    }
    let path = lock
        .parent()
        .unwrap_or(Path::new("."))
        .join(file.path.as_ref()?);
    Url::from_file_path(std::path::absolute(&path).ok()?).ok()
}

/// `git+<repository>@<commit>[#subdirectory=<dir>]`; git only.
fn git_url(vcs: &crate::LockVcs, lock: &Path) -> Option<Url> {
    if vcs.kind != "git" {
        return None;
    }
    let repository = match (&vcs.url, &vcs.path) {
        (Some(url), _) => Url::parse(url).ok()?,
        (None, Some(path)) => {
            let path = lock.parent().unwrap_or(Path::new(".")).join(path);
            Url::from_file_path(std::path::absolute(&path).ok()?).ok()?
        }
        (None, None) => return None,
    };
    let mut text = format!("git+{repository}@{}", vcs.commit_id);
    if let Some(subdirectory) = &vcs.subdirectory {
        text.push_str(&format!("#subdirectory={subdirectory}"));
    }
    Url::parse(&text).ok()
}

/// The file's digests in the algorithms puffin checks, `<algorithm>:<hex>`.
fn known_hashes(file: &LockFile) -> Vec<String> {
    file.hashes
        .iter()
        .filter(|(algorithm, _)| matches!(algorithm.as_str(), "sha256" | "sha384" | "sha512"))
        .map(|(algorithm, digest)| format!("{algorithm}:{}", digest.to_ascii_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers() -> MarkerEnvironment {
        MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.11.4",
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "6.1.0",
            platform_system: "Linux",
            platform_version: "#1 SMP",
            python_full_version: "3.11.4",
            python_version: "3.11",
            sys_platform: "linux",
        })
        .unwrap()
    }

    fn tags() -> Tags {
        Tags::new(vec![
            (
                "cp311".to_string(),
                "cp311".to_string(),
                "manylinux_2_17_x86_64".to_string(),
            ),
            ("py3".to_string(), "none".to_string(), "any".to_string()),
        ])
    }

    const SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn select(text: &str) -> Result<Selection, LockError> {
        let path = Path::new("/project/pylock.toml");
        let lock = PyLock::from_toml(text, path)?;
        let markers = markers();
        let tags = tags();
        let version = Version::from_str("3.11.4").unwrap();
        lock.select(&LockTarget {
            path,
            markers: &markers,
            tags: &tags,
            python_version: &version,
        })
    }

    /// The wheel that fits best is chosen; a package whose marker does not
    /// hold is skipped; one with no fitting wheel falls back to its sdist.
    #[test]
    fn chooses_wheels_markers_and_sdists() {
        let text = format!(
            r#"
lock-version = "1.0"
created-by = "test"
requires-python = ">=3.9"
default-groups = ["dev"]

[[packages]]
name = "native"
version = "1.0"
wheels = [
  {{ name = "native-1.0-cp311-cp311-win_amd64.whl", url = "https://files.invalid/native-1.0-cp311-cp311-win_amd64.whl", hashes = {{ sha256 = "{SHA}" }} }},
  {{ name = "native-1.0-py3-none-any.whl", path = "wheels/native-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }},
  {{ name = "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", url = "https://files.invalid/native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", hashes = {{ sha256 = "{SHA}", md5 = "00" }} }},
]

[[packages]]
name = "windows-only"
version = "1.0"
marker = "sys_platform == 'win32'"
wheels = [{{ url = "https://files.invalid/windows_only-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}]

[[packages]]
name = "dev-tool"
version = "2.0"
marker = "'dev' in dependency_groups"
sdist = {{ url = "https://files.invalid/dev_tool-2.0.tar.gz", hashes = {{ sha256 = "{SHA}" }} }}
wheels = [{{ url = "https://files.invalid/dev_tool-2.0-cp311-cp311-win_amd64.whl", hashes = {{ sha256 = "{SHA}" }} }}]

[[packages]]
name = "docs-tool"
version = "1.0"
marker = "'docs' in dependency_groups"
wheels = [{{ url = "https://files.invalid/docs_tool-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}]

[[packages]]
name = "local"
directory = {{ path = "src/local", editable = true }}
"#
        );
        let selection = select(&text).unwrap();
        assert_eq!(selection.skipped_by_markers, 2);
        let sources: Vec<(String, LockedSource, Option<usize>)> = selection
            .dists
            .iter()
            .map(|dist| (dist.name.to_string(), dist.source.clone(), dist.line))
            .collect();
        let url = |text: &str| Url::parse(text).unwrap();
        assert_eq!(
            sources,
            [
                (
                    "native".to_string(),
                    LockedSource::Wheel(url(
                        "https://files.invalid/native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
                    )),
                    Some(7)
                ),
                (
                    "dev-tool".to_string(),
                    LockedSource::Archive(url("https://files.invalid/dev_tool-2.0.tar.gz")),
                    Some(22)
                ),
                (
                    "local".to_string(),
                    LockedSource::Directory {
                        path: PathBuf::from("/project/src/local"),
                        editable: true
                    },
                    Some(35)
                ),
            ]
        );
        assert_eq!(selection.dists[0].hashes, [format!("sha256:{SHA}")]);
    }

    /// Errors name the file and the package.
    #[test]
    fn errors_name_the_file_and_package() {
        let head = "lock-version = \"1.0\"\ncreated-by = \"test\"\n";
        let err = select(&format!(
            "{head}[[packages]]\nname = \"win\"\nwheels = [{{ url = \"https://files.invalid/win-1.0-cp311-cp311-win_amd64.whl\", hashes = {{ sha256 = \"{SHA}\" }} }}]\n"
        ))
        .unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"`/project/pylock.toml`: package `win` has no wheel for this environment (win-1.0-cp311-cp311-win_amd64.whl) and no `sdist`");
        let err = select(&format!(
            "{head}[[packages]]\nname = \"bare\"\nwheels = [{{ url = \"https://files.invalid/bare-1.0-py3-none-any.whl\" }}]\n"
        ))
        .unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"`/project/pylock.toml`: package `bare` has a file without a sha256, sha384 or sha512 hash, which cannot be verified");
        let err = select(&format!("{head}requires-python = \">=3.12\"\n")).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r#"`/project/pylock.toml` does not support this environment: its `requires-python = ">=3.12"` excludes Python 3.11.4"#);
        let err = select("lock-version = \"2.0\"\ncreated-by = \"x\"\n").unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r#"`/project/pylock.toml` has `lock-version = "2.0"`; puffin reads lock version 1.x: upgrade puffin"#);
        let err = select("lock-version = \"1.0\"\n[[packages]\n").unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"`/project/pylock.toml` is not a valid PEP 751 lock file");
    }

    /// What `pip-compile` writes reads back the same.
    #[test]
    fn writes_and_reads_back() {
        let lock = PyLock {
            lock_version: "1.0".to_string(),
            requires_python: Some("==3.11.*".to_string()),
            created_by: "puffin".to_string(),
            packages: vec![LockPackage {
                name: "demo".to_string(),
                version: Some("1.0".to_string()),
                index: Some("http://127.0.0.1:1/simple/".to_string()),
                wheels: vec![LockFile {
                    name: Some("demo-1.0-py3-none-any.whl".to_string()),
                    url: Some("http://127.0.0.1:1/files/demo-1.0-py3-none-any.whl".to_string()),
                    hashes: [("sha256".to_string(), SHA.to_string())].into(),
                    ..LockFile::default()
                }],
                ..LockPackage::default()
            }],
            ..PyLock::default()
        };
        let text = lock.to_toml().unwrap();
        insta::assert_snapshot!(text);
        let read = PyLock::from_toml(&text, Path::new("pylock.toml")).unwrap();
        assert_eq!(read.packages, lock.packages);
    }
}
