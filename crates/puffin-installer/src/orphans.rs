//! Orphans: what an install that was interrupted before puffin journaled its
//! changes left in site-packages (payload files with no `.dist-info`).
//! `pip-sync` reports them and removes them with `--fix`.
//!
//! The rule is conservative, so that nothing a person or another tool put
//! there is ever removed. An orphan is a top-level entry of purelib or
//! platlib that:
//!
//! - is Python package content: a directory with an importable name
//!   holding at least one module (`.py`, `.pyi`, `.so`, `.pyd`) somewhere
//!   below it, or a module file (`<name>.py`, `<name>.pyi`, `<name>[.<tag>].so`,
//!   `<name>[.<tag>].pyd`). Anything else (`README`, `notes.txt`, a data
//!   directory without modules, symlinks, hidden names, `__pycache__`) is
//!   never an orphan;
//! - is not managed by the environment or another tool: never a `.pth` file,
//!   an `*.egg-link`, an `*.egg`, a `.dist-info` or `.egg-info`,
//!   `sitecustomize.py`, `usercustomize.py` or `_virtualenv.py`, and never a
//!   name that a `.pth` file mentions (e.g. `_distutils_hack`, imported by
//!   `distutils-precedence.pth`, or the entries of `easy-install.pth`);
//! - is owned by no installed distribution: its name is not an installed
//!   distribution's name, no `top_level.txt` lists it, and no RECORD (or
//!   `installed-files.txt` of an `.egg-info`) lists a file in it. When some
//!   distribution's file list cannot be read, its files are unknown, and no
//!   entry is reported at all.
//!
//! Every file below an orphan directory (its bytecode too) is an orphan
//! file. Files that no RECORD lists inside a top-level package that a
//! distribution owns are left alone (`pip-check --files` lists them), as is
//! everything outside site-packages (the scripts directory included).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use fs_err as fs;
use install_wheel_rs::{Layout, read_record};

use crate::{InstalledDist, InstalledKind, SitePackages};

/// Top-level modules that are the environment's or the user's, never a
/// distribution's leftovers.
const PROTECTED_MODULES: &[&str] = &["sitecustomize", "usercustomize", "_virtualenv", "site"];

/// The most of a `.pth` file that is read.
const PTH_LIMIT: u64 = 1 << 20;

/// Top-level packages and modules of site-packages that no installed
/// distribution owns (see the module documentation for the exact rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orphans {
    /// The orphan packages (directories) and modules (files), sorted.
    pub roots: Vec<PathBuf>,
    /// Every orphan file: the modules, and every file below the packages
    /// (bytecode included), sorted.
    pub files: Vec<PathBuf>,
}

impl Orphans {
    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Find the orphans in purelib and platlib of `layout`, given what is
/// installed there. Unreadable directories are skipped: this never fails.
pub fn find_orphans(site_packages: &SitePackages, layout: &Layout) -> Orphans {
    let scheme = &layout.scheme;
    let mut libs = vec![scheme.purelib.as_path()];
    if scheme.platlib != scheme.purelib {
        libs.push(&scheme.platlib);
    }
    // Import name -> the top-level entries with that name.
    let mut candidates: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut mentioned = BTreeSet::new();
    for lib in libs {
        for entry in fs::read_dir(lib).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let path = entry.path();
            if name.ends_with(".pth") {
                mentioned.extend(pth_names(&path));
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if let Some(import) = import_name(name, kind) {
                candidates.entry(import).or_default().push(path);
            }
        }
    }
    candidates.retain(|name, _| !mentioned.contains(name));
    // Directories are package content only with a module below: the walk
    // costs more than the name checks, so it comes after them.
    disown_by_name(&mut candidates, site_packages);
    for paths in candidates.values_mut() {
        paths.retain(|path| !path.is_dir() || has_modules(path));
    }
    candidates.retain(|_, paths| !paths.is_empty());
    if !disown(&mut candidates, site_packages) {
        return Orphans::default();
    }
    let mut orphans = Orphans::default();
    for path in candidates.into_values().flatten() {
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_dir() => collect_files(&path, &mut orphans.files),
            Ok(_) => orphans.files.push(path.clone()),
            Err(_) => continue,
        }
        orphans.roots.push(path);
    }
    orphans.roots.sort();
    orphans.files.sort();
    orphans
}

/// The import name of a top-level entry, when it may be Python package
/// content that is an orphan (a directory still needs a module below it).
fn import_name(name: &str, kind: std::fs::FileType) -> Option<String> {
    if name.starts_with('.') || name == "__pycache__" {
        return None;
    }
    if kind.is_dir() {
        return is_identifier(name).then(|| name.to_string());
    }
    if !kind.is_file() {
        return None;
    }
    let (stem, rest) = name.split_once('.')?;
    let extension = rest.rsplit('.').next().unwrap_or(rest);
    let module = match extension {
        "py" | "pyi" => rest == extension,
        "so" | "pyd" => true,
        _ => false,
    };
    (module && is_identifier(stem) && !PROTECTED_MODULES.contains(&stem)).then(|| stem.to_string())
}

/// Whether `name` is an (ASCII) Python identifier.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|char| char.is_ascii_alphanumeric() || char == '_')
}

/// Whether a module file is somewhere below `dir` (symlinks not followed).
fn has_modules(dir: &Path) -> bool {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let Ok(kind) = entry.file_type() else {
                return false;
            };
            if kind.is_dir() {
                return has_modules(&entry.path());
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            kind.is_file()
                && [".py", ".pyi", ".so", ".pyd"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix))
        })
}

/// Every identifier a `.pth` file mentions: the modules its `import` lines
/// run and the components of the paths it adds.
fn pth_names(path: &Path) -> BTreeSet<String> {
    let mut text = String::new();
    let read = fs::File::open(path).and_then(|file| {
        let mut limited = file.take(PTH_LIMIT);
        let mut bytes = Vec::new();
        limited.read_to_end(&mut bytes)?;
        text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(())
    });
    if read.is_err() {
        return BTreeSet::new();
    }
    text.split(|char: char| !(char.is_ascii_alphanumeric() || char == '_'))
        .filter(|word| is_identifier(word))
        .map(ToString::to_string)
        .collect()
}

/// Remove from `candidates` the names of installed distributions (`-` as
/// `_`, any case).
fn disown_by_name(candidates: &mut BTreeMap<String, Vec<PathBuf>>, site_packages: &SitePackages) {
    for dist in site_packages.iter() {
        let name = dist.name.to_string().replace('-', "_");
        candidates.retain(|candidate, _| candidate.to_lowercase() != name);
    }
}

/// Remove from `candidates` every name an installed distribution owns,
/// cheapest evidence first: `top_level.txt`, then file lists. Returns
/// `false` when names are left and some distribution's files are unknown
/// (then nothing may be called an orphan).
fn disown(candidates: &mut BTreeMap<String, Vec<PathBuf>>, site_packages: &SitePackages) -> bool {
    for dist in site_packages.iter() {
        if candidates.is_empty() {
            return true;
        }
        if let Ok(text) = fs::read_to_string(dist.path.join("top_level.txt")) {
            for line in text.lines() {
                candidates.remove(line.trim());
            }
        }
    }
    for dist in site_packages.iter() {
        if candidates.is_empty() {
            return true;
        }
        let Some(owned) = owned_names(dist) else {
            return false;
        };
        candidates.retain(|candidate, _| !owned.contains(candidate));
    }
    true
}

/// The top-level import names a distribution's file list names, `None`
/// when it has none that can be read.
fn owned_names(dist: &InstalledDist) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    match dist.kind {
        InstalledKind::DistInfo => {
            let record = fs::read(dist.record_path()).ok()?;
            if record.contains(&b'"') {
                // Quoted paths: the CSV reader.
                for entry in read_record(record.as_slice()).ok()? {
                    add_owned_name(&entry.path, &mut names);
                }
            } else {
                // Every RECORD of a no-op sync is read here: the path is
                // the text up to the first comma, no CSV reader needed.
                for line in record.split(|byte| *byte == b'\n') {
                    let end = line.iter().position(|byte| *byte == b',');
                    let path = &line[..end.unwrap_or(line.len())];
                    if let Ok(path) = std::str::from_utf8(path) {
                        add_owned_name(path.trim_end_matches('\r'), &mut names);
                    }
                }
            }
        }
        _ => {
            // Relative to the `.egg-info` directory: `../pkg/__init__.py`.
            let text = fs::read_to_string(dist.path.join("installed-files.txt")).ok()?;
            for line in text.lines() {
                if let Some(path) = line.trim().strip_prefix("../") {
                    add_owned_name(path, &mut names);
                }
            }
        }
    }
    Some(names)
}

/// Add the top-level import name of a file-list path (relative to
/// site-packages): its first directory, or a top-level file's name up to
/// the first dot. Paths outside site-packages name nothing.
fn add_owned_name(path: &str, names: &mut BTreeSet<String>) {
    if path.is_empty() || path.starts_with("../") || path.starts_with('/') {
        return;
    }
    let name = match path.split_once('/') {
        Some((first, _)) => first,
        None => path.split('.').next().unwrap_or(path),
    };
    if is_identifier(name) && !names.contains(name) {
        names.insert(name.to_string());
    }
}

/// Every non-directory entry below `dir` (symlinks are not followed).
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => collect_files(&entry.path(), files),
            Ok(_) => files.push(entry.path()),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use install_wheel_rs::Scheme;

    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("_distutils_hack"));
        assert!(is_identifier("foo2"));
        assert!(!is_identifier("2foo"));
        assert!(!is_identifier("foo-1.0.dist-info"));
        assert!(!is_identifier(""));
    }

    /// A site-packages directory under a temporary root.
    struct Site {
        _root: tempfile::TempDir,
        layout: Layout,
    }

    impl Site {
        fn new() -> Self {
            let root = tempfile::tempdir().unwrap();
            let prefix = root.path().to_path_buf();
            let lib = prefix.join("lib/python3.12/site-packages");
            fs::create_dir_all(&lib).unwrap();
            let layout = Layout {
                sys_executable: prefix.join("bin/python"),
                python_version: (3, 12),
                scheme: Scheme {
                    purelib: lib.clone(),
                    platlib: lib,
                    scripts: prefix.join("bin"),
                    data: prefix.clone(),
                    include: prefix.join("include"),
                },
                prefix,
            };
            Self {
                _root: root,
                layout,
            }
        }

        fn write(&self, path: &str, contents: &str) {
            let path = self.layout.scheme.purelib.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }

        /// A distribution whose RECORD lists `files`.
        fn dist(&self, name: &str, files: &[&str]) {
            let dist_info = format!("{name}-1.0.dist-info");
            self.write(
                &format!("{dist_info}/METADATA"),
                &format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"),
            );
            let mut record: String = files.iter().map(|file| format!("{file},,\n")).collect();
            record.push_str(&format!("{dist_info}/RECORD,,\n"));
            self.write(&format!("{dist_info}/RECORD"), &record);
            for file in files {
                self.write(file, "");
            }
        }

        /// The orphan roots, relative to site-packages.
        fn roots(&self) -> Vec<String> {
            let lib = &self.layout.scheme.purelib;
            let inventory = SitePackages::from_dirs(&[lib.as_path()]).unwrap();
            find_orphans(&inventory, &self.layout)
                .roots
                .iter()
                .map(|root| root.strip_prefix(lib).unwrap().display().to_string())
                .collect()
        }
    }

    /// Ownership by name, by `top_level.txt` and by RECORD rows; what a
    /// `.pth` file names; what is not package content.
    #[test]
    fn only_unowned_package_content_is_an_orphan() {
        let site = Site::new();
        site.dist("demo", &["demo/__init__.py"]);
        site.dist(
            "pyyaml",
            &["yaml/__init__.py", "_yaml.cpython-312-x86_64-linux-gnu.so"],
        );
        site.dist("pillow", &["pillow.libs/libz.so"]);
        site.write("pillow-1.0.dist-info/top_level.txt", "PIL\n");
        site.write("PIL/__init__.py", "");
        site.write(
            "distutils-precedence.pth",
            "import _distutils_hack; _distutils_hack.add()\n",
        );
        site.write("_distutils_hack/__init__.py", "");
        for file in [
            "orphan/__init__.py",
            "orphan/sub/data.bin",
            "namespace/inner/mod.py",
            "single.py",
            "stub.pyi",
            "native.cpython-312-x86_64-linux-gnu.so",
            // Not package content.
            "README",
            "notes/todo.txt",
            "archive.tar.py",
            "sitecustomize.py",
            "_virtualenv.py",
            ".hidden.py",
            "other.egg-link",
        ] {
            site.write(file, "");
        }
        assert_eq!(
            site.roots(),
            [
                "namespace",
                "native.cpython-312-x86_64-linux-gnu.so",
                "orphan",
                "single.py",
                "stub.pyi",
            ]
        );
    }

    /// An `.egg-info` without a file list hides whose files are whose:
    /// nothing is an orphan then.
    #[test]
    fn unknown_file_lists_make_nothing_an_orphan() {
        let site = Site::new();
        site.write("orphan/__init__.py", "");
        site.write(
            "Legacy-1.0.egg-info",
            "Metadata-Version: 1.0\nName: Legacy\nVersion: 1.0\n",
        );
        assert_eq!(site.roots(), Vec::<String>::new());
        fs::remove_file(site.layout.scheme.purelib.join("Legacy-1.0.egg-info")).unwrap();
        assert_eq!(site.roots(), ["orphan"]);
    }
}
