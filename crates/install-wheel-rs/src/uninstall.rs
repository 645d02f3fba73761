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

use puffin_fs::{normalize_path, temp_sibling};

use crate::transaction::{Aside, Op, OpKind, PathKind, remove_empty_dirs};
use crate::{Error, Layout, RecordEntry, Transaction, read_record};

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
/// (inside purelib or platlib of `layout`), deleting its files:
/// [`uninstall_wheel_with`] without a transaction.
pub fn uninstall_wheel(layout: &Layout, dist_info: &Path) -> Result<Uninstallation, Error> {
    uninstall_wheel_with(layout, dist_info, None)
}

/// Uninstall the distribution whose `.dist-info` directory is `dist_info`
/// (inside purelib or platlib of `layout`), or whose `.egg-info` directory
/// lists its files in `installed-files.txt`.
///
/// The `.dist-info` goes first, so that a crash never leaves one claiming
/// files that are gone. Then every file in RECORD goes, with the
/// `__pycache__` bytecode of removed `.py` files, then directories left empty
/// (up to, never including, the scheme directories). Within a `transaction`
/// the `.dist-info` and files are moved into its journal (a rollback puts
/// them back; the commit deletes them); without one the `.dist-info` is
/// renamed aside, the files deleted, and the `.dist-info` deleted last.
/// A RECORD entry that is absolute or resolves (following `..` and symlinked
/// directories) outside purelib, platlib, scripts, data and include is
/// skipped and reported in [`Uninstallation::skipped`].
#[instrument(skip_all, fields(dist_info = %dist_info.display()))]
pub fn uninstall_wheel_with(
    layout: &Layout,
    dist_info: &Path,
    transaction: Option<&Transaction>,
) -> Result<Uninstallation, Error> {
    let site_packages = check_dist_info(layout, dist_info)?;
    let record = read_file_list(dist_info)?;
    let canonical_roots: Vec<PathBuf> = layout
        .scheme
        .dirs()
        .iter()
        .filter_map(|dir| fs::canonicalize(dir).ok())
        .collect();
    let mut result = Uninstallation::default();
    let resolved = resolve_entries(
        &record,
        &site_packages,
        dist_info,
        &canonical_roots,
        &mut result,
    );

    let mut disposal = match transaction {
        Some(transaction) => Disposal::Journal(transaction.op(OpKind::Uninstall)?),
        None => Disposal::Delete { moved: None },
    };
    disposal.dist_info(dist_info)?;
    let touched = disposal.files(&resolved, &mut result)?;
    let bytecode = find_bytecode(&touched)?;
    let files: Vec<PathBuf> = bytecode.iter().map(|(_, file)| file.clone()).collect();
    disposal.files(&files, &mut result)?;

    let mut dirs: BTreeSet<PathBuf> = touched.into_keys().collect();
    dirs.extend(bytecode.into_iter().map(|(pycache, _)| pycache));
    result.dirs_removed += remove_empty_dirs(&dirs, &canonical_roots);
    disposal.finish()?;
    result.dirs_removed += 1;
    Ok(result)
}

/// The files of an installed distribution, as RECORD rows relative to
/// site-packages: its `RECORD`, or for an `.egg-info` directory (setuptools'
/// `setup.py install`) its `installed-files.txt`, whose lines are relative to
/// the `.egg-info` (`../pkg/__init__.py`), as pip reads it.
fn read_file_list(dist_info: &Path) -> Result<Vec<RecordEntry>, Error> {
    let is_egg_info = dist_info
        .extension()
        .is_some_and(|extension| extension == "egg-info");
    let name = if is_egg_info {
        "installed-files.txt"
    } else {
        "RECORD"
    };
    let path = dist_info.join(name);
    let file = match fs::File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(Error::MissingRecord { path });
        }
        Err(err) => return Err(err.into()),
    };
    if !is_egg_info {
        return read_record(io::BufReader::new(file))
            .map_err(|err| Error::InvalidRecord { path, err });
    }
    let text = io::read_to_string(file)?;
    let egg_info = dist_info.file_name().unwrap_or_default().to_string_lossy();
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| RecordEntry {
            path: format!("{egg_info}/{line}"),
            hash: None,
            size: None,
        })
        .collect())
}

/// The canonical site-packages directory of `dist_info`, which must be
/// purelib or platlib.
fn check_dist_info(layout: &Layout, dist_info: &Path) -> Result<PathBuf, Error> {
    let scheme = &layout.scheme;
    let outside = || Error::DistInfoOutsideScheme {
        path: dist_info.to_path_buf(),
        purelib: scheme.purelib.clone(),
        platlib: scheme.platlib.clone(),
    };
    let site_packages = dist_info.parent().ok_or_else(outside)?;
    dist_info.file_name().ok_or_else(outside)?;
    let site_packages_canonical = fs::canonicalize(site_packages)?;
    let in_scheme = [&scheme.purelib, &scheme.platlib]
        .into_iter()
        .any(|lib| fs::canonicalize(lib).is_ok_and(|lib| lib == site_packages_canonical));
    if !in_scheme {
        return Err(outside());
    }
    Ok(site_packages_canonical)
}

/// The files RECORD lists outside the `.dist-info`, resolved against the
/// canonical `site_packages` (following symlinked directories) and confined
/// to the scheme directories; the others are added to `result.skipped`.
fn resolve_entries(
    record: &[RecordEntry],
    site_packages: &Path,
    dist_info: &Path,
    canonical_roots: &[PathBuf],
    result: &mut Uninstallation,
) -> Vec<PathBuf> {
    // Entries are resolved against the canonical site-packages, so that the
    // lexical check below compares like with like.
    let dist_info_lexical = site_packages.join(dist_info.file_name().unwrap_or_default());
    // Lexical parent → canonical parent (None when it does not exist).
    let mut canonical_parents: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let mut resolved = Vec::new();
    for entry in record {
        let relative = Path::new(&entry.path);
        if relative.has_root() || relative.is_absolute() {
            warn!(path = %entry.path, "Skipping an absolute RECORD entry");
            result.skipped.push(relative.to_path_buf());
            continue;
        }
        let lexical = normalize_path(&site_packages.join(relative));
        // Files of the `.dist-info` go with the moved directory.
        if lexical.starts_with(&dist_info_lexical) {
            continue;
        }
        if !inside(&lexical, canonical_roots) {
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
        if !inside(&canonical_parent.join(file_name), canonical_roots) {
            warn!(path = %lexical.display(), resolved = %canonical_parent.display(), "Skipping a RECORD entry that resolves outside the environment");
            result.skipped.push(lexical);
            continue;
        }
        resolved.push(canonical_parent.join(file_name));
    }
    resolved
}

/// Whether `path` is strictly inside one of `roots`.
fn inside(path: &Path, roots: &[PathBuf]) -> bool {
    roots
        .iter()
        .any(|root| path != root && path.starts_with(root))
}

/// The bytecode of removed modules, `__pycache__/{stem}.{tag}.pyc` in the
/// directories of `touched`, as `(__pycache__, file)`.
fn find_bytecode(
    touched: &BTreeMap<PathBuf, BTreeSet<String>>,
) -> Result<Vec<(PathBuf, PathBuf)>, Error> {
    let mut bytecode = Vec::new();
    for (dir, stems) in touched {
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
                bytecode.push((pycache.clone(), entry.path()));
            }
        }
    }
    Ok(bytecode)
}

/// How an uninstall gets rid of files: deleting them, or moving them into
/// a transaction's journal.
enum Disposal<'a> {
    Delete {
        /// The `.dist-info`, renamed aside until the end.
        moved: Option<PathBuf>,
    },
    Journal(Op<'a>),
}

impl Disposal<'_> {
    /// Move the `.dist-info` out of the way, first.
    fn dist_info(&mut self, dist_info: &Path) -> Result<(), Error> {
        match self {
            Self::Delete { moved } => {
                let aside = temp_sibling(dist_info, ".tmp-puffin-uninstall-");
                fs::rename(dist_info, &aside)?;
                debug!(moved = %aside.display(), "Moved the .dist-info aside");
                *moved = Some(aside);
            }
            Self::Journal(op) => {
                let index = op.record(&[(PathKind::DistInfo, dist_info.to_path_buf())])?;
                op.move_aside(index, PathKind::DistInfo, dist_info)?;
            }
        }
        Ok(())
    }

    /// Get rid of `files`; returns the directories that lost files (or
    /// whose files were already gone), with the stems of `.py` files.
    fn files(
        &self,
        files: &[PathBuf],
        result: &mut Uninstallation,
    ) -> Result<BTreeMap<PathBuf, BTreeSet<String>>, Error> {
        let first = match self {
            Self::Journal(op) => {
                let entries: Vec<(PathKind, PathBuf)> = files
                    .iter()
                    .map(|file| (PathKind::File, file.clone()))
                    .collect();
                op.record(&entries)?
            }
            Self::Delete { .. } => 0,
        };
        let mut touched: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for (offset, path) in files.iter().enumerate() {
            let aside = match self {
                Self::Journal(op) => op.move_aside(first + offset, PathKind::File, path)?,
                Self::Delete { .. } => delete(path)?,
            };
            match aside {
                Aside::Moved => result.files_removed += 1,
                // Already gone (deleted by hand, or by an interrupted run): its
                // directory and bytecode must still be cleaned up.
                Aside::Missing => {}
                Aside::Directory => {
                    warn!(path = %path.display(), "Skipping a RECORD entry that is a directory");
                    continue;
                }
            }
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let stems = touched.entry(parent.to_path_buf()).or_default();
            if let Some(stem) = name.to_str().and_then(|name| name.strip_suffix(".py")) {
                stems.insert(stem.to_string());
            }
        }
        Ok(touched)
    }

    /// Delete the renamed `.dist-info` (without a transaction).
    fn finish(self) -> Result<(), Error> {
        if let Self::Delete { moved: Some(moved) } = self {
            fs::remove_dir_all(&moved)?;
        }
        Ok(())
    }
}

/// Delete one file of an uninstall.
fn delete(path: &Path) -> Result<Aside, Error> {
    match fs::remove_file(path) {
        Ok(()) => {
            trace!(path = %path.display(), "Removed");
            Ok(Aside::Moved)
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Aside::Missing),
        Err(err) if err.kind() == io::ErrorKind::IsADirectory => Ok(Aside::Directory),
        Err(err) => Err(err.into()),
    }
}
