//! The distributions installed in an environment, read from the names of the
//! `.dist-info` and `.egg-info` directories in its site-packages.
//!
//! Listing reads directory names only: an environment with a thousand
//! packages costs one `readdir` per site-packages directory, not a thousand
//! `METADATA` reads. The files inside a distribution's metadata directory
//! (`INSTALLER`, `direct_url.json`, `RECORD`) are read on demand.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::PackageName;
use fs_err as fs;
use pep440_rs::Version;
use tracing::debug;

/// Failure to read a site-packages directory or a distribution's files.
#[derive(Debug, thiserror::Error)]
pub enum SitePackagesError {
    /// Listing a site-packages directory failed.
    #[error("Failed to list the site-packages directory `{}`", path.display())]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// Reading a file of an installed distribution failed.
    #[error("Failed to read `{}`", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
}

/// A metadata directory that was skipped because its name (or, for a
/// version-less `.egg-info`, its `PKG-INFO`) does not say which distribution
/// it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePackagesWarning {
    /// The skipped `.dist-info` or `.egg-info`.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

impl fmt::Display for SitePackagesWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ignoring `{}`: {}", self.path.display(), self.reason)
    }
}

/// The kind of metadata an installed distribution has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstalledKind {
    /// A `.dist-info` directory ([recording installed projects]), as wheel
    /// installers write it.
    ///
    /// [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/
    DistInfo,
    /// An `.egg-info` directory or file, from `setup.py install` or distutils.
    EggInfo,
}

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledDist {
    /// The normalized project name.
    pub name: PackageName,
    /// The installed version.
    pub version: Version,
    /// The `.dist-info` or `.egg-info` (a directory, or for old distutils
    /// installs a file).
    pub path: PathBuf,
    /// Which kind of metadata `path` is.
    pub kind: InstalledKind,
}

impl InstalledDist {
    /// The tool that installed the distribution (`INSTALLER`, first line),
    /// `None` when the file is absent.
    pub fn installer(&self) -> io::Result<Option<String>> {
        match fs::read_to_string(self.path.join("INSTALLER")) {
            Ok(text) => Ok(Some(text.lines().next().unwrap_or("").trim().to_string())),
            Err(err) if is_absent(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The text of `direct_url.json` (PEP 610) if the distribution was
    /// installed from a URL or a local path, `None` otherwise.
    pub fn direct_url(&self) -> Result<Option<String>, SitePackagesError> {
        let path = self.path.join("direct_url.json");
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(err) if is_absent(&err) => Ok(None),
            Err(err) => Err(SitePackagesError::ReadFile { path, err }),
        }
    }

    /// Whether the file list ([`InstalledDist::record_path`]) exists.
    pub fn has_record(&self) -> bool {
        self.record_path().is_file()
    }

    /// The list of the distribution's files: `RECORD` in a `.dist-info`,
    /// `installed-files.txt` in an `.egg-info`.
    pub fn record_path(&self) -> PathBuf {
        match self.kind {
            InstalledKind::DistInfo => self.path.join("RECORD"),
            InstalledKind::EggInfo => self.path.join("installed-files.txt"),
        }
    }
}

impl fmt::Display for InstalledDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=={}", self.name, self.version)
    }
}

/// The installed distributions of an environment, by name.
///
/// Two metadata directories for one name (a broken upgrade) are both kept:
/// [`SitePackages::get_all`] and [`SitePackages::duplicates`] show them so a
/// plan can remove the extra one.
#[derive(Debug, Clone, Default)]
pub struct SitePackages {
    by_name: BTreeMap<PackageName, Vec<InstalledDist>>,
    warnings: Vec<SitePackagesWarning>,
}

impl SitePackages {
    /// Read the site-packages directories (purelib and platlib). The same
    /// directory given twice, or through a symlink such as `lib64`, is read
    /// once; a directory that does not exist holds nothing.
    pub fn from_dirs(dirs: &[&Path]) -> Result<Self, SitePackagesError> {
        let mut site_packages = Self::default();
        let mut seen = Vec::new();
        for dir in dirs {
            // Only a second directory can be the first one under another
            // name (`lib64` linked to `lib`).
            let path = if dirs.len() > 1 {
                fs::canonicalize(dir)
            } else {
                fs::metadata(dir).map(|_| dir.to_path_buf())
            };
            let canonical = match path {
                Ok(canonical) => canonical,
                Err(err) if is_absent(&err) => {
                    debug!(dir = %dir.display(), "No site-packages directory");
                    continue;
                }
                Err(err) => {
                    return Err(SitePackagesError::ReadDir {
                        path: dir.to_path_buf(),
                        err,
                    });
                }
            };
            if seen.contains(&canonical) {
                continue;
            }
            seen.push(canonical);
            site_packages.read_dir(dir)?;
        }
        site_packages.drop_owned_egg_infos();
        for dists in site_packages.by_name.values_mut() {
            dists.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.path.cmp(&b.path)));
        }
        Ok(site_packages)
    }

    fn read_dir(&mut self, dir: &Path) -> Result<(), SitePackagesError> {
        let read_dir_error = |err| SitePackagesError::ReadDir {
            path: dir.to_path_buf(),
            err,
        };
        for entry in fs::read_dir(dir).map_err(read_dir_error)? {
            let entry = entry.map_err(read_dir_error)?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            // puffin's own temporary directories and other hidden entries.
            if file_name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let parsed = if let Some(stem) = file_name.strip_suffix(".dist-info") {
                parse_dist_info(stem)
                    .map(|(name, version)| (name, version, InstalledKind::DistInfo))
            } else if let Some(stem) = file_name.strip_suffix(".egg-info") {
                parse_egg_info(stem, &path)
                    .map(|(name, version)| (name, version, InstalledKind::EggInfo))
            } else {
                continue;
            };
            match parsed {
                Ok((name, version, kind)) => {
                    self.by_name
                        .entry(name.clone())
                        .or_default()
                        .push(InstalledDist {
                            name,
                            version,
                            path,
                            kind,
                        });
                }
                Err(reason) => self.warnings.push(SitePackagesWarning { path, reason }),
            }
        }
        Ok(())
    }

    /// A wheel may ship a top-level `<name>.egg-info` directory; it is then a
    /// file of the distribution whose RECORD lists it, not a distribution of
    /// its own (taking it for one made every later sync try, and fail, to
    /// remove it). Such `.egg-info`s are dropped with a warning. RECORDs are
    /// read only when there is an `.egg-info` at all.
    fn drop_owned_egg_infos(&mut self) {
        let has_egg_info = self.iter().any(|dist| dist.kind == InstalledKind::EggInfo);
        if !has_egg_info {
            return;
        }
        let mut owners: BTreeMap<PathBuf, String> = BTreeMap::new();
        for dist in self.iter().filter(|d| d.kind == InstalledKind::DistInfo) {
            let Some(dir) = dist.path.parent() else {
                continue;
            };
            let Ok(record) = fs::read_to_string(dist.record_path()) else {
                continue;
            };
            for line in record.lines() {
                let entry = line.split(',').next().unwrap_or_default();
                let top = entry.split('/').next().unwrap_or_default();
                if top.ends_with(".egg-info") {
                    owners.insert(dir.join(top), format!("{} {}", dist.name, dist.version));
                }
            }
        }
        for dists in self.by_name.values_mut() {
            dists.retain(|dist| {
                let owner = owners.get(&dist.path).filter(|_| dist.kind == InstalledKind::EggInfo);
                if let Some(owner) = owner {
                    self.warnings.push(SitePackagesWarning {
                        path: dist.path.clone(),
                        reason: format!("it was installed by `{owner}` (its RECORD lists it), so it is not a distribution of its own"),
                    });
                }
                owner.is_none()
            });
        }
        self.by_name.retain(|_, dists| !dists.is_empty());
    }

    /// Every installed distribution, by name, then version.
    pub fn iter(&self) -> impl Iterator<Item = &InstalledDist> {
        self.by_name.values().flatten()
    }

    /// The installed distribution named `name` (the lowest version if there
    /// are several; see [`SitePackages::get_all`]).
    pub fn get(&self, name: &PackageName) -> Option<&InstalledDist> {
        self.by_name.get(name).and_then(|dists| dists.first())
    }

    /// Every installed distribution named `name`, lowest version first.
    pub fn get_all(&self, name: &PackageName) -> &[InstalledDist] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The names installed more than once, each with all its installs.
    pub fn duplicates(&self) -> impl Iterator<Item = (&PackageName, &[InstalledDist])> {
        self.by_name
            .iter()
            .filter(|(_, dists)| dists.len() > 1)
            .map(|(name, dists)| (name, dists.as_slice()))
    }

    /// How many distributions are installed (duplicates counted).
    pub fn len(&self) -> usize {
        self.by_name.values().map(Vec::len).sum()
    }

    /// Whether nothing is installed.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The metadata directories that were skipped, and why.
    pub fn warnings(&self) -> &[SitePackagesWarning] {
        &self.warnings
    }
}

/// `{name}-{version}`: the name is escaped (no `-`), so the first `-`
/// separates; a legacy name with a `-` in it is tried with the last one.
fn parse_dist_info(stem: &str) -> Result<(PackageName, Version), String> {
    let candidates = [stem.split_once('-'), stem.rsplit_once('-')];
    for (name, version) in candidates.into_iter().flatten() {
        if let (Ok(name), Ok(version)) = (PackageName::new(name), Version::from_str(version)) {
            return Ok((name, version));
        }
    }
    Err(format!(
        "`{stem}.dist-info` is not named `{{name}}-{{version}}.dist-info`"
    ))
}

/// `{name}-{version}(-py{X.Y}(-{platform})?)?`, or a bare `{name}` whose
/// version is then read from `PKG-INFO`.
fn parse_egg_info(stem: &str, path: &Path) -> Result<(PackageName, Version), String> {
    let mut parts = stem.split('-');
    let name = parts.next().unwrap_or_default();
    let name = PackageName::new(name)
        .map_err(|_| format!("`{name}` in `{stem}.egg-info` is not a valid package name"))?;
    let version = match parts.next() {
        Some(version) => Version::from_str(version)
            .map_err(|_| format!("`{version}` in `{stem}.egg-info` is not a valid version"))?,
        None => pkg_info_version(path)?,
    };
    Ok((name, version))
}

/// The `Version` header of an `.egg-info`'s `PKG-INFO` (the directory's
/// file, or the `.egg-info` itself when it is a file).
fn pkg_info_version(path: &Path) -> Result<Version, String> {
    let pkg_info = if path.is_dir() {
        path.join("PKG-INFO")
    } else {
        path.to_path_buf()
    };
    let text = fs::read_to_string(&pkg_info).map_err(|err| {
        format!(
            "the name has no version and `{}` cannot be read: {err}",
            pkg_info.display()
        )
    })?;
    let version = text
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix("Version:"))
        .map(str::trim)
        .ok_or_else(|| {
            format!(
                "the name has no version and `{}` has no `Version` header",
                pkg_info.display()
            )
        })?;
    Version::from_str(version).map_err(|_| {
        format!(
            "`{version}` in `{}` is not a valid version",
            pkg_info.display()
        )
    })
}

/// Not found, or not a directory where one was expected (an `.egg-info`
/// file has no `INSTALLER` inside).
fn is_absent(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(name: &str) -> PackageName {
        PackageName::new(name).unwrap()
    }

    /// A site-packages directory with these metadata directories (each
    /// holding the given files) and plain files.
    fn site_packages(dirs: &[(&str, &[(&str, &str)])]) -> tempfile::TempDir {
        let temp = tempfile::tempdir().unwrap();
        for (dir, files) in dirs {
            let path = temp.path().join(dir);
            fs::create_dir_all(&path).unwrap();
            for (file, contents) in *files {
                fs::write(path.join(file), contents).unwrap();
            }
        }
        temp
    }

    fn listing(site_packages: &SitePackages) -> String {
        site_packages
            .iter()
            .map(|dist| {
                format!(
                    "{dist} {:?} {}",
                    dist.kind,
                    dist.path.file_name().unwrap().to_string_lossy()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn names_and_versions_come_from_directory_names() {
        let temp = site_packages(&[
            ("typing_extensions-4.9.0.dist-info", &[]),
            ("zope.interface-6.1.dist-info", &[]),
            ("Django-5.0rc1.dist-info", &[]),
            ("legacy-name-1.0.dist-info", &[]),
            ("six-1.16.0-py3.11.egg-info", &[]),
            ("attrs-23.1.0.egg-info", &[]),
            ("requests", &[]),
            ("__pycache__", &[]),
        ]);
        fs::write(temp.path().join("distutils_pkg-0.1-py3.11.egg-info"), "").unwrap();
        fs::write(temp.path().join("README.txt"), "").unwrap();
        fs::write(temp.path().join("six.py"), "").unwrap();
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        insta::assert_snapshot!(listing(&packages), @r"
        attrs==23.1.0 EggInfo attrs-23.1.0.egg-info
        distutils-pkg==0.1 EggInfo distutils_pkg-0.1-py3.11.egg-info
        django==5.0rc1 DistInfo Django-5.0rc1.dist-info
        legacy-name==1.0 DistInfo legacy-name-1.0.dist-info
        six==1.16.0 EggInfo six-1.16.0-py3.11.egg-info
        typing-extensions==4.9.0 DistInfo typing_extensions-4.9.0.dist-info
        zope-interface==6.1 DistInfo zope.interface-6.1.dist-info
        ");
        assert_eq!(packages.len(), 7);
        assert!(packages.warnings().is_empty());
        let dist = packages.get(&name("Typing.Extensions")).unwrap();
        assert_eq!(dist.version.to_string(), "4.9.0");
        assert!(packages.get(&name("requests")).is_none());
    }

    #[test]
    fn hidden_and_temporary_directories_are_ignored() {
        let temp = site_packages(&[
            (".tmp-abc123", &[]),
            (".tmpXYZ", &[]),
            (".hidden-1.0.dist-info", &[]),
            ("real-1.0.dist-info", &[]),
        ]);
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        assert_eq!(listing(&packages), "real==1.0 DistInfo real-1.0.dist-info");
        assert!(packages.warnings().is_empty());
    }

    #[test]
    fn unparseable_names_become_warnings() {
        let temp = site_packages(&[
            ("noversion.dist-info", &[]),
            ("pkg-notaversion!.dist-info", &[]),
            ("~ip-23.0.dist-info", &[]),
            ("bad-x.y.z-py3.egg-info", &[]),
            ("ok-1.0.dist-info", &[]),
        ]);
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        assert_eq!(packages.len(), 1);
        let mut warnings: Vec<String> = packages
            .warnings()
            .iter()
            .map(|warning| {
                warning
                    .to_string()
                    .replace(&temp.path().display().to_string(), "[SITE]")
            })
            .collect();
        warnings.sort();
        insta::assert_snapshot!(warnings.join("\n"), @r"
        Ignoring `[SITE]/bad-x.y.z-py3.egg-info`: `x.y.z` in `bad-x.y.z-py3.egg-info` is not a valid version
        Ignoring `[SITE]/noversion.dist-info`: `noversion.dist-info` is not named `{name}-{version}.dist-info`
        Ignoring `[SITE]/pkg-notaversion!.dist-info`: `pkg-notaversion!.dist-info` is not named `{name}-{version}.dist-info`
        Ignoring `[SITE]/~ip-23.0.dist-info`: `~ip-23.0.dist-info` is not named `{name}-{version}.dist-info`
        ");
    }

    #[test]
    fn an_egg_info_without_version_reads_pkg_info() {
        let temp = site_packages(&[
            (
                "editable.egg-info",
                &[(
                    "PKG-INFO",
                    "Metadata-Version: 2.1\nName: editable\nVersion: 0.3.dev1\n\nVersion: 9\n",
                )],
            ),
            ("broken.egg-info", &[]),
        ]);
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        assert_eq!(
            listing(&packages),
            "editable==0.3.dev1 EggInfo editable.egg-info"
        );
        assert_eq!(packages.warnings().len(), 1);
        assert!(
            packages.warnings()[0]
                .reason
                .starts_with("the name has no version and `"),
            "{}",
            packages.warnings()[0]
        );
    }

    /// A wheel shipping a top-level `<name>.egg-info` made every later sync
    /// fail: the `.egg-info` was taken for a second, unremovable copy.
    #[test]
    fn an_egg_info_listed_in_a_record_belongs_to_that_distribution() {
        let temp = site_packages(&[
            (
                "demo-1.0.dist-info",
                &[(
                    "RECORD",
                    "demo/__init__.py,,\ndemo.egg-info/PKG-INFO,,\nother.egg-info/PKG-INFO,,\n",
                )],
            ),
            ("demo.egg-info", &[("PKG-INFO", "Version: 1.0\n")]),
            ("other.egg-info", &[("PKG-INFO", "Version: 0.1\n")]),
            ("legacy-0.1.egg-info", &[]),
        ]);
        let site_packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        assert_eq!(site_packages.get_all(&name("demo")).len(), 1);
        assert!(site_packages.get(&name("other")).is_none());
        assert!(site_packages.get(&name("legacy")).is_some());
        assert_eq!(site_packages.warnings().len(), 2);
    }

    #[test]
    fn duplicates_stay_visible() {
        let temp = site_packages(&[
            ("foo-2.0.dist-info", &[]),
            ("foo-1.0.dist-info", &[]),
            ("Foo-1.5.egg-info", &[]),
            ("bar-1.0.dist-info", &[]),
        ]);
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        assert_eq!(packages.len(), 4);
        let versions: Vec<String> = packages
            .get_all(&name("foo"))
            .iter()
            .map(|dist| dist.version.to_string())
            .collect();
        assert_eq!(versions, ["1.0", "1.5", "2.0"]);
        assert_eq!(
            packages.get(&name("foo")).unwrap().version.to_string(),
            "1.0"
        );
        let duplicates: Vec<_> = packages
            .duplicates()
            .map(|(name, dists)| (name.to_string(), dists.len()))
            .collect();
        assert_eq!(duplicates, [("foo".to_string(), 3)]);
        assert!(packages.get_all(&name("baz")).is_empty());
    }

    #[test]
    fn purelib_and_platlib_are_read_once_when_they_are_the_same() {
        let temp = tempfile::tempdir().unwrap();
        let lib = temp.path().join("lib/python3.12/site-packages");
        fs::create_dir_all(lib.join("foo-1.0.dist-info")).unwrap();
        std::os::unix::fs::symlink("lib", temp.path().join("lib64")).unwrap();
        let lib64 = temp.path().join("lib64/python3.12/site-packages");
        let packages = SitePackages::from_dirs(&[&lib, &lib64, &lib]).unwrap();
        assert_eq!(packages.len(), 1);

        // Two different directories are both read.
        let other = temp.path().join("platlib");
        fs::create_dir_all(other.join("bar-2.0.dist-info")).unwrap();
        let packages = SitePackages::from_dirs(&[&lib, &other]).unwrap();
        assert_eq!(packages.len(), 2);
    }

    #[test]
    fn a_missing_directory_holds_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let packages = SitePackages::from_dirs(&[&temp.path().join("nope")]).unwrap();
        assert!(packages.is_empty());
        assert_eq!(packages.iter().count(), 0);
    }

    #[test]
    fn files_are_read_lazily() {
        let temp = site_packages(&[
            (
                "foo-1.0.dist-info",
                &[
                    ("INSTALLER", "puffin\n"),
                    ("RECORD", "foo/__init__.py,,\n"),
                    (
                        "direct_url.json",
                        r#"{"url": "file:///src/foo", "dir_info": {}}"#,
                    ),
                ],
            ),
            ("bar-1.0.dist-info", &[]),
        ]);
        fs::write(temp.path().join("old-1.0-py3.8.egg-info"), "Version: 1.0\n").unwrap();
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();

        let foo = packages.get(&name("foo")).unwrap();
        assert_eq!(foo.installer().unwrap().as_deref(), Some("puffin"));
        assert!(foo.has_record());
        assert_eq!(foo.record_path(), foo.path.join("RECORD"));
        assert!(
            foo.direct_url()
                .unwrap()
                .unwrap()
                .contains("file:///src/foo")
        );

        let bar = packages.get(&name("bar")).unwrap();
        assert_eq!(bar.installer().unwrap(), None);
        assert!(!bar.has_record());
        assert_eq!(bar.direct_url().unwrap(), None);

        // An `.egg-info` file has nothing inside.
        let old = packages.get(&name("old")).unwrap();
        assert_eq!(old.kind, InstalledKind::EggInfo);
        assert_eq!(old.installer().unwrap(), None);
        assert_eq!(old.direct_url().unwrap(), None);
        assert!(!old.has_record());
    }

    /// An environment made by `python3 -m venv` (with pip) is found as `.venv`,
    /// queried, and its site-packages lists the pip that `ensurepip` put there.
    #[test]
    #[allow(clippy::print_stdout)]
    fn a_python_made_environment() {
        use puffin_cache::Cache;
        use puffin_interpreter::{DiscoveryOptions, EnvironmentSource, PythonEnvironment};

        let Ok(python) = which_python() else {
            println!("Skipping: no `python3` on PATH");
            return;
        };
        let temp = tempfile::tempdir().unwrap();
        let status = std::process::Command::new(&python)
            .args(["-m", "venv"])
            .arg(temp.path().join(".venv"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        if !status.success() {
            println!("Skipping: `python3 -m venv` failed (no venv or ensurepip module?)");
            return;
        }
        let cache = Cache::from_path(temp.path().join("cache"));
        let env = PythonEnvironment::discover(&DiscoveryOptions::new(temp.path()), &cache).unwrap();
        assert!(matches!(env.source(), EnvironmentSource::DotVenv { .. }));
        let scheme = &env.interpreter().scheme;
        let packages = SitePackages::from_dirs(&[&scheme.purelib, &scheme.platlib]).unwrap();
        let pip = packages.get(&name("pip")).expect("ensurepip installs pip");
        assert_eq!(pip.kind, InstalledKind::DistInfo);
        assert!(pip.has_record());
        assert_eq!(pip.installer().unwrap().as_deref(), Some("pip"));
        assert!(packages.warnings().is_empty(), "{:?}", packages.warnings());
    }

    /// The `python3` on the process's `PATH`.
    fn which_python() -> Result<PathBuf, ()> {
        let path = std::env::var_os("PATH").ok_or(())?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("python3"))
            .find(|candidate| candidate.is_file())
            .ok_or(())
    }

    /// The inventory does not open the files of a distribution: an unreadable
    /// `METADATA` (here a directory in its place) does not matter.
    #[test]
    fn listing_opens_no_files() {
        let temp = site_packages(&[("foo-1.0.dist-info/METADATA", &[])]);
        let packages = SitePackages::from_dirs(&[temp.path()]).unwrap();
        assert_eq!(packages.len(), 1);
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            /// Metadata directory names in site-packages can be anything.
            #[test]
            fn metadata_directory_names_never_panic(stem in "\\PC{0,30}") {
                if let Ok((name, _)) = parse_dist_info(&stem) {
                    prop_assert!(!name.as_ref().is_empty());
                }
                let _ = parse_egg_info(&stem, Path::new("/nonexistent/x.egg-info"));
            }
        }
    }
}
