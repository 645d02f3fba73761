//! Checking an environment, as `pip check` does: every installed
//! distribution's requirements are installed in a matching version
//! ([`check_requirements`]), and, beyond pip, every installed file still has
//! the hash its RECORD says ([`check_files`]), which catches a file edited in
//! place, also through a hardlink into the cache.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use data_encoding::BASE64URL_NOPAD;
use distribution_filename::PackageName;
use fs_err as fs;
use install_wheel_rs::{Layout, read_record};
use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, Requirement, VersionOrUrl};
use puffin_fs::normalize_path;
use rayon::prelude::*;
use sha2::{Digest, Sha384, Sha512};

use crate::{InstalledDist, InstalledKind, SitePackages, SitePackagesError};

/// A distribution whose requirements are not met, or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementProblem {
    /// A requirement names a distribution that is not installed.
    Missing {
        /// The installed distribution that has the requirement.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The required distribution's name, as the requirement writes it.
        required: String,
        /// The requirement with its version specifiers (markers left out),
        /// e.g. `werkzeug>=3.1`.
        requirement: String,
    },
    /// A requirement's version specifiers exclude the installed version.
    Conflict {
        /// The installed distribution that has the requirement.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The requirement, as written in `METADATA` (markers left out).
        requirement: String,
        /// The installed distribution the requirement names.
        installed: PackageName,
        /// Its version.
        installed_version: Version,
    },
    /// The distribution's `METADATA` is missing or cannot be parsed, so its
    /// requirements are unknown.
    InvalidMetadata {
        /// The installed distribution.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The `METADATA` file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
}

impl fmt::Display for RequirementProblem {
    /// The lines `pip check` prints (without the final period for the
    /// metadata problem, which pip does not have).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing {
                dist,
                version,
                required,
                ..
            } => write!(
                f,
                "{dist} {version} requires {required}, which is not installed."
            ),
            Self::Conflict {
                dist,
                version,
                requirement,
                installed,
                installed_version,
            } => write!(
                f,
                "{dist} {version} has requirement {requirement}, but you have {installed} {installed_version}."
            ),
            Self::InvalidMetadata {
                dist,
                version,
                path,
                reason,
            } => write!(
                f,
                "{dist} {version} has invalid metadata: `{}` {reason}.",
                path.display()
            ),
        }
    }
}

/// Check that the requirements (`Requires-Dist` in `METADATA`) of every
/// installed `.dist-info` distribution are installed in a version they
/// accept. Markers are evaluated against `markers` with no extras, so
/// requirements of extras are not checked (as `pip check` does). Pre-releases
/// satisfy specifiers; a URL requirement is satisfied by any installed
/// version. `.egg-info` distributions satisfy requirements, but their own
/// requirements are not read. Problems are sorted by distribution.
pub fn check_requirements(
    site_packages: &SitePackages,
    markers: &MarkerEnvironment,
) -> Result<Vec<RequirementProblem>, SitePackagesError> {
    let mut problems = Vec::new();
    for dist in site_packages.iter() {
        if dist.kind != InstalledKind::DistInfo {
            continue;
        }
        let requirements = match read_requirements(dist)? {
            Ok(requirements) => requirements,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        for requirement in requirements {
            if !requirement.evaluate_markers(markers, &[]) {
                continue;
            }
            if let Some(problem) = check_one(dist, &requirement, site_packages)
                && !problems.contains(&problem)
            {
                problems.push(problem);
            }
        }
    }
    Ok(problems)
}

/// The `Requires-Dist` of `dist`, or the problem that hides them.
fn read_requirements(
    dist: &InstalledDist,
) -> Result<Result<Vec<Requirement>, RequirementProblem>, SitePackagesError> {
    let path = dist.path.join("METADATA");
    let invalid = |reason: String| RequirementProblem::InvalidMetadata {
        dist: dist.name.clone(),
        version: dist.version.clone(),
        path: path.clone(),
        reason,
    };
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(Err(invalid("is missing".to_string())));
        }
        Err(err) => return Err(SitePackagesError::ReadFile { path, err }),
    };
    Ok(puffin_package::Metadata::parse(&bytes)
        .map(|metadata| metadata.requires_dist)
        .map_err(|err| invalid(format!("cannot be parsed: {err}"))))
}

/// Whether one requirement of `dist` is met.
fn check_one(
    dist: &InstalledDist,
    requirement: &Requirement,
    site_packages: &SitePackages,
) -> Option<RequirementProblem> {
    let required = requirement.name.to_string();
    // pep508_rs validates names with the same rules; a name it accepts but
    // PackageName does not cannot be installed either.
    let found = PackageName::from_str(&required)
        .ok()
        .and_then(|name| site_packages.get(&name));
    let Some(found) = found else {
        let requirement = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => format!("{required}{specifiers}"),
            _ => required.clone(),
        };
        return Some(RequirementProblem::Missing {
            dist: dist.name.clone(),
            version: dist.version.clone(),
            required,
            requirement,
        });
    };
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers))
            if !specifiers.contains(&found.version) =>
        {
            Some(RequirementProblem::Conflict {
                dist: dist.name.clone(),
                version: dist.version.clone(),
                requirement: format!("{}{specifiers}", requirement.name),
                installed: found.name.clone(),
                installed_version: found.version.clone(),
            })
        }
        _ => None,
    }
}

/// An installed file that does not match its RECORD row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// The file RECORD lists is gone.
    Missing {
        /// The distribution whose RECORD lists it.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The file.
        path: PathBuf,
    },
    /// The file's contents differ from its RECORD hash.
    Modified {
        /// The distribution whose RECORD lists it.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The file.
        path: PathBuf,
        /// The RECORD hash, `algorithm=digest`.
        expected: String,
        /// The file's hash with the same algorithm.
        found: String,
    },
    /// The file exists but cannot be read (or is not a regular file).
    Unreadable {
        /// The distribution whose RECORD lists it.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file in site-packages or the scripts directory that no RECORD
    /// lists: typically left by an install that was interrupted before
    /// puffin journaled its changes (see [`unowned_files`]).
    Unowned {
        /// The file.
        path: PathBuf,
    },
    /// The distribution's RECORD is missing or cannot be parsed, so its files
    /// are unknown.
    InvalidRecord {
        /// The distribution.
        dist: PackageName,
        /// Its version.
        version: Version,
        /// The RECORD file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing {
                dist,
                version,
                path,
            } => write!(f, "{dist} {version}: `{}` is missing", path.display()),
            Self::Modified {
                dist,
                version,
                path,
                expected,
                found,
            } => write!(
                f,
                "{dist} {version}: `{}` was modified (RECORD has {expected}, the file has {found})",
                path.display()
            ),
            Self::Unreadable {
                dist,
                version,
                path,
                reason,
            } => write!(
                f,
                "{dist} {version}: `{}` cannot be checked: {reason}",
                path.display()
            ),
            Self::Unowned { path } => write!(
                f,
                "`{}` belongs to no installed distribution: no RECORD lists it",
                path.display()
            ),
            Self::InvalidRecord {
                dist,
                version,
                path,
                reason,
            } => write!(
                f,
                "{dist} {version}: its RECORD `{}` {reason}",
                path.display()
            ),
        }
    }
}

/// What [`check_files`] looked at, and what it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilesReport {
    /// The number of files hashed.
    pub checked: usize,
    /// RECORD rows skipped: without a hash, with an unknown algorithm, or
    /// pointing outside `root`.
    pub skipped: usize,
    /// Every file that does not match, by distribution, then RECORD order.
    pub problems: Vec<FileProblem>,
}

/// Check that every file listed with a hash in the RECORD of each installed
/// `.dist-info` distribution exists with that hash (`sha256`, `sha384` or
/// `sha512`; RECORD's own row and rows without a hash are skipped). Rows are
/// resolved against the distribution's site-packages directory; rows that
/// lead outside `root` (the environment's prefix) are skipped, never read.
/// Files are hashed in parallel.
pub fn check_files(site_packages: &SitePackages, root: &Path) -> FilesReport {
    let root = fs::canonicalize(root).unwrap_or_else(|_| normalize_path(root));
    let mut report = FilesReport::default();
    // (dist, path, expected hash) of every row to hash, in order.
    let mut rows: Vec<(&InstalledDist, PathBuf, String)> = Vec::new();
    for dist in site_packages.iter() {
        if dist.kind != InstalledKind::DistInfo {
            continue;
        }
        let record_path = dist.record_path();
        let invalid = |reason: String| FileProblem::InvalidRecord {
            dist: dist.name.clone(),
            version: dist.version.clone(),
            path: record_path.clone(),
            reason,
        };
        let record = match fs::File::open(&record_path) {
            Ok(file) => read_record(io::BufReader::new(file))
                .map_err(|err| invalid(format!("cannot be parsed: {err}"))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                Err(invalid("is missing".to_string()))
            }
            Err(err) => Err(invalid(format!("cannot be read: {err}"))),
        };
        let record = match record {
            Ok(record) => record,
            Err(problem) => {
                report.problems.push(problem);
                continue;
            }
        };
        let base = dist
            .path
            .parent()
            .map(|dir| fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()))
            .unwrap_or_default();
        for entry in record {
            let Some(hash) = entry.hash.filter(|hash| algorithm(hash).is_some()) else {
                report.skipped += 1;
                continue;
            };
            let relative = Path::new(&entry.path);
            let path = normalize_path(&base.join(relative));
            if relative.has_root() || !path.starts_with(&root) || path == root {
                report.skipped += 1;
                continue;
            }
            rows.push((dist, path, hash));
        }
    }
    let results: Vec<Option<FileProblem>> = rows
        .par_iter()
        .map(|(dist, path, expected)| check_file(dist, path, expected))
        .collect();
    report.checked = rows.len();
    report.problems.extend(results.into_iter().flatten());
    report
}

/// Hash one file and compare; `Some` when it does not match.
fn check_file(dist: &InstalledDist, path: &Path, expected: &str) -> Option<FileProblem> {
    let (algorithm, _) = expected.split_once('=')?;
    let found = match hash_with(algorithm, path) {
        Ok(found) => found,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Some(FileProblem::Missing {
                dist: dist.name.clone(),
                version: dist.version.clone(),
                path: path.to_path_buf(),
            });
        }
        Err(err) => {
            return Some(FileProblem::Unreadable {
                dist: dist.name.clone(),
                version: dist.version.clone(),
                path: path.to_path_buf(),
                reason: err.to_string(),
            });
        }
    };
    let found = format!("{algorithm}={found}");
    (found != expected).then(|| FileProblem::Modified {
        dist: dist.name.clone(),
        version: dist.version.clone(),
        path: path.to_path_buf(),
        expected: expected.to_string(),
        found,
    })
}

/// The algorithm of a RECORD hash, if it is one we can compute.
fn algorithm(hash: &str) -> Option<&str> {
    let (algorithm, digest) = hash.split_once('=')?;
    (matches!(algorithm, "sha256" | "sha384" | "sha512") && !digest.is_empty()).then_some(algorithm)
}

/// The URL-safe base64 digest (RECORD's form) of the file at `path`.
fn hash_with(algorithm: &str, path: &Path) -> io::Result<String> {
    let metadata = fs::symlink_metadata(path)?;
    if metadata.is_dir() {
        return Err(io::Error::other("it is a directory"));
    }
    let bytes = match algorithm {
        "sha256" => return install_wheel_rs::hash_file(path).map(|(digest, _)| digest),
        "sha384" => Sha384::digest(fs::read(path)?).to_vec(),
        _ => Sha512::digest(fs::read(path)?).to_vec(),
    };
    Ok(BASE64URL_NOPAD.encode(&bytes))
}

/// Files in purelib, platlib (recursively) and the scripts directory (its
/// top level) of `layout` that no RECORD of `site_packages` lists, sorted:
/// what an install interrupted before puffin journaled its changes left
/// behind. Left out as not a distribution's files: `.dist-info` and
/// `.egg-info` directories, bytecode (`__pycache__`, `*.pyc`), top-level
/// `.pth` files and `_virtualenv.py`, puffin's own journal and temporary
/// files, the top-level names an `.egg-info` distribution lists in its
/// `top_level.txt`, and, in the scripts directory, symlinks (the
/// interpreter) and activation scripts.
pub fn unowned_files(site_packages: &SitePackages, layout: &Layout) -> Vec<PathBuf> {
    let canonical = |path: &Path| fs::canonicalize(path).unwrap_or_else(|_| normalize_path(path));
    let mut owned = BTreeSet::new();
    let mut egg_names = BTreeSet::new();
    for dist in site_packages.iter() {
        let base = canonical(dist.path.parent().unwrap_or(Path::new("")));
        if dist.kind != InstalledKind::DistInfo {
            if let Ok(text) = fs::read_to_string(dist.path.join("top_level.txt")) {
                egg_names.extend(text.lines().map(|line| line.trim().to_string()));
            }
            continue;
        }
        let Ok(record) = fs::read(dist.record_path()) else {
            continue;
        };
        for entry in read_record(record.as_slice()).unwrap_or_default() {
            owned.insert(normalize_path(&base.join(&entry.path)));
        }
    }
    let scheme = &layout.scheme;
    let mut libs = vec![canonical(&scheme.purelib)];
    libs.push(canonical(&scheme.platlib));
    libs.dedup();
    let mut found = Vec::new();
    for lib in &libs {
        walk_lib(lib, lib, &egg_names, &mut found);
    }
    let scripts = canonical(&scheme.scripts);
    for entry in fs::read_dir(&scripts).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
        if is_file && !is_environment_script(&name) {
            found.push(entry.path());
        }
    }
    found.retain(|path| !owned.contains(path));
    found.sort();
    found
}

/// Collect the files below `dir` (in the site-packages directory `lib`)
/// that may belong to a distribution.
fn walk_lib(lib: &Path, dir: &Path, egg_names: &BTreeSet<String>, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let top = dir == lib;
        let stem = name.split('.').next().unwrap_or_default();
        let skip = name == "__pycache__"
            || name.ends_with(".pyc")
            || name.ends_with(".dist-info")
            || name.ends_with(".egg-info")
            || (top && name.ends_with(".pth"))
            || (top && name == "_virtualenv.py")
            || (top && (name.starts_with(".puffin-") || name.starts_with(".tmp-puffin-")))
            || (top && egg_names.contains(stem));
        if skip {
            continue;
        }
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk_lib(lib, &path, egg_names, found),
            Ok(_) => found.push(path),
            Err(_) => {}
        }
    }
}

/// Files of the scripts directory that the environment itself has.
fn is_environment_script(name: &str) -> bool {
    ["activate", "deactivate", "Activate", "python"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sha256=` of `bytes`, as RECORD writes it.
    fn hash(bytes: &[u8]) -> String {
        let (digest, _) = {
            let temp = tempfile::NamedTempFile::new().unwrap();
            fs::write(temp.path(), bytes).unwrap();
            install_wheel_rs::hash_file(temp.path()).unwrap()
        };
        format!("sha256={digest}")
    }

    #[test]
    fn files_are_checked_inside_the_environment_only() {
        let root = tempfile::tempdir().unwrap();
        let site_packages = root.path().join("lib/python3.12/site-packages");
        let dist_info = site_packages.join("demo-1.0.dist-info");
        fs::create_dir_all(&dist_info).unwrap();
        fs::create_dir_all(site_packages.join("demo")).unwrap();
        fs::write(site_packages.join("demo/same.py"), "same\n").unwrap();
        fs::write(site_packages.join("demo/edited.py"), "edited\n").unwrap();
        let record = [
            format!("demo/same.py,{},5", hash(b"same\n")),
            format!("demo/edited.py,{},9", hash(b"original\n")),
            format!("demo/gone.py,{},1", hash(b"x")),
            "demo/no-hash.py,,".to_string(),
            "demo/other.py,md5=abc,1".to_string(),
            format!("../../../../outside.py,{},1", hash(b"x")),
            "/etc/passwd,sha256=abc,1".to_string(),
            "demo-1.0.dist-info/RECORD,,".to_string(),
        ]
        .join("\n");
        fs::write(dist_info.join("RECORD"), record).unwrap();
        // A distribution whose RECORD cannot be read.
        fs::create_dir_all(site_packages.join("broken-2.0.dist-info")).unwrap();

        let inventory = SitePackages::from_dirs(&[site_packages.as_path()]).unwrap();
        let report = check_files(&inventory, root.path());
        let canonical = fs::canonicalize(root.path()).unwrap();
        assert_eq!(report.checked, 3);
        assert_eq!(report.skipped, 5);
        let lines: Vec<String> = report
            .problems
            .iter()
            .map(|problem| {
                problem
                    .to_string()
                    .replace(&canonical.display().to_string(), "[ROOT]")
            })
            .collect();
        assert_eq!(
            lines,
            [
                "broken 2.0: its RECORD `[ROOT]/lib/python3.12/site-packages/broken-2.0.dist-info/RECORD` is missing".to_string(),
                format!(
                    "demo 1.0: `[ROOT]/lib/python3.12/site-packages/demo/edited.py` was modified (RECORD has {}, the file has {})",
                    hash(b"original\n"),
                    hash(b"edited\n")
                ),
                "demo 1.0: `[ROOT]/lib/python3.12/site-packages/demo/gone.py` is missing".to_string(),
            ]
        );
    }
}
