//! Uninstalling a distribution from its RECORD ([recording installed
//! projects]), never touching anything outside the environment's scheme
//! directories.
//!
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use fs_err as fs;
use tracing::{debug, instrument, trace, warn};

use crate::{Error, Layout, read_record};
use puffin_fs::{normalize_path, temp_sibling};

/// What [`uninstall_wheel`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uninstallation {
    /// Files removed: RECORD entries outside the `.dist-info` that existed,
    /// and the `__pycache__` bytecode of removed modules.
    pub files_removed: usize,
    /// Directories removed because they became empty, and the `.dist-info`.
    pub dirs_removed: usize,
    /// RECORD entries outside the scheme directories (or absolute), which are
    /// never deleted, as the paths they point to.
    pub skipped: Vec<PathBuf>,
}

/// Uninstall the distribution whose `.dist-info` directory is `dist_info`
/// (inside purelib or platlib of `layout`).
///
/// The `.dist-info` is first renamed aside, so that a crash never leaves one
/// claiming files that are gone. Then every file in RECORD is removed, with the
/// `__pycache__` bytecode of removed `.py` files, then directories left empty
/// (up to, never including, the scheme directories), then the `.dist-info`.
/// A RECORD entry that is absolute or resolves (following `..` and symlinked
/// directories) outside purelib, platlib, scripts, data and include is
/// skipped and reported in [`Uninstallation::skipped`].
#[instrument(skip_all, fields(dist_info = %dist_info.display()))]
pub fn uninstall_wheel(layout: &Layout, dist_info: &Path) -> Result<Uninstallation, Error> {
    let scheme = &layout.scheme;
    let outside = || Error::DistInfoOutsideScheme {
        path: dist_info.to_path_buf(),
        purelib: scheme.purelib.clone(),
        platlib: scheme.platlib.clone(),
    };
    let site_packages = dist_info.parent().ok_or_else(outside)?;
    let site_packages_canonical = fs::canonicalize(site_packages)?;
    let in_scheme = [&scheme.purelib, &scheme.platlib]
        .into_iter()
        .any(|lib| fs::canonicalize(lib).is_ok_and(|lib| lib == site_packages_canonical));
    if !in_scheme {
        return Err(outside());
    }
    // Entries are resolved against the canonical site-packages, so that the
    // lexical check below compares like with like.
    let dist_info_lexical =
        site_packages_canonical.join(dist_info.file_name().ok_or_else(outside)?);

    let record_path = dist_info.join("RECORD");
    let record = match fs::File::open(&record_path) {
        Ok(file) => read_record(io::BufReader::new(file)).map_err(|err| Error::InvalidRecord {
            path: record_path.clone(),
            err,
        })?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(Error::MissingRecord { path: record_path });
        }
        Err(err) => return Err(err.into()),
    };

    // Move the `.dist-info` out of the way first.
    let moved = temp_sibling(dist_info, ".tmp-puffin-uninstall-");
    fs::rename(dist_info, &moved)?;
    debug!(moved = %moved.display(), "Moved the .dist-info aside");

    let canonical_roots: Vec<PathBuf> = scheme
        .dirs()
        .iter()
        .filter_map(|dir| fs::canonicalize(dir).ok())
        .collect();
    let inside = |path: &Path, roots: &[PathBuf]| {
        roots
            .iter()
            .any(|root| path != root && path.starts_with(root))
    };

    let mut result = Uninstallation::default();
    // Lexical parent → canonical parent (None when it does not exist).
    let mut canonical_parents: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    // Canonical directories that lost files → stems of removed `.py` files.
    let mut touched: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();

    for entry in &record {
        let relative = Path::new(&entry.path);
        if relative.has_root() || relative.is_absolute() {
            warn!(path = %entry.path, "Skipping an absolute RECORD entry");
            result.skipped.push(relative.to_path_buf());
            continue;
        }
        let lexical = normalize_path(&site_packages_canonical.join(relative));
        // Files of the `.dist-info` go with the moved directory.
        if lexical.starts_with(&dist_info_lexical) {
            continue;
        }
        if !inside(&lexical, &canonical_roots) {
            warn!(path = %lexical.display(), "Skipping a RECORD entry outside the environment");
            result.skipped.push(lexical);
            continue;
        }
        let (Some(parent), Some(file_name)) = (lexical.parent(), lexical.file_name()) else {
            result.skipped.push(lexical);
            continue;
        };
        // Resolve symlinked directories: the file must really be inside.
        let canonical_parent = canonical_parents
            .entry(parent.to_path_buf())
            .or_insert_with(|| fs::canonicalize(parent).ok());
        let Some(canonical_parent) = canonical_parent.clone() else {
            trace!(path = %lexical.display(), "Already gone");
            continue;
        };
        if !inside(&canonical_parent.join(file_name), &canonical_roots) {
            warn!(path = %lexical.display(), resolved = %canonical_parent.display(), "Skipping a RECORD entry that resolves outside the environment");
            result.skipped.push(lexical);
            continue;
        }
        let path = canonical_parent.join(file_name);
        let removed = match fs::remove_file(&path) {
            Ok(()) => {
                trace!(path = %path.display(), "Removed");
                result.files_removed += 1;
                true
            }
            // Already gone (deleted by hand, or by an interrupted run): its
            // directory and bytecode must still be cleaned up.
            Err(err) if err.kind() == io::ErrorKind::NotFound => true,
            Err(err) if err.kind() == io::ErrorKind::IsADirectory => {
                warn!(path = %path.display(), "Skipping a RECORD entry that is a directory");
                false
            }
            Err(err) => return Err(err.into()),
        };
        if removed {
            let stems = touched.entry(canonical_parent).or_default();
            if let Some(stem) = file_name.to_str().and_then(|name| name.strip_suffix(".py")) {
                stems.insert(stem.to_string());
            }
        }
    }

    // Bytecode of removed modules: `__pycache__/{stem}.{tag}.pyc`.
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for (dir, stems) in &touched {
        dirs.insert(dir.clone());
        if stems.is_empty() {
            continue;
        }
        let pycache = dir.join("__pycache__");
        let entries = match fs::read_dir(&pycache) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err.into()),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_bytecode = name.ends_with(".pyc")
                && name
                    .split_once('.')
                    .is_some_and(|(stem, _)| stems.contains(stem));
            if is_bytecode {
                fs::remove_file(entry.path())?;
                result.files_removed += 1;
            }
        }
        dirs.insert(pycache);
    }

    // Directories left empty, deepest first (children sort after their
    // parents), climbing while they empty out. A parent that is not empty yet
    // is tried again when its last child goes.
    for dir in dirs.iter().rev() {
        let mut dir = dir.as_path();
        // Never a scheme directory or one of its parents (`bin` is inside
        // the `data` root, the venv).
        while inside(dir, &canonical_roots)
            && !canonical_roots.iter().any(|root| root.starts_with(dir))
        {
            match fs::remove_dir(dir) {
                Ok(()) => {
                    trace!(dir = %dir.display(), "Removed empty directory");
                    result.dirs_removed += 1;
                }
                Err(_) => break,
            }
            let Some(parent) = dir.parent() else { break };
            dir = parent;
        }
    }

    fs::remove_dir_all(&moved)?;
    result.dirs_removed += 1;
    Ok(result)
}
