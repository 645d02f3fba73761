//! Installing one unzipped wheel ([binary distribution format], "installing a
//! wheel") and recording it ([recording installed projects]).
//!
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#installing-a-wheel-distribution-1-0-py32-none-any-whl
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};

use data_encoding::BASE64URL_NOPAD;
use distribution_filename::WheelFilename;
use fs_err as fs;
use puffin_fs::normalize_path;
use sha2::{Digest, Sha256};
use tracing::{debug, instrument};

use crate::dist_info::{
    WheelFile, check_data_dirs, check_record, find_dist_info, read_metadata, read_wheel_file,
    stem_matches,
};
use crate::linker::{FileMode, LinkTask, temp_name, temp_sibling, write_fresh};
use crate::manifest::ManifestFile;
use crate::scripts::{
    EntryPoint, check_script_name, is_entry_point_wrapper, launcher, parse_entry_points,
    reserved_data_path, reserved_script_name, rewrite_shebang, starts_with_python_shebang,
};
use crate::transaction::{OpKind, PathKind};
use crate::{
    Error, InstallWarning, Layout, LinkError, LinkFallback, LinkMode, Linker, RecordEntry,
    Transaction, WheelManifest, write_record,
};

/// `.dist-info` files of the wheel that the installer writes itself, so the
/// wheel's copies are not installed. Signatures of the wheel's RECORD no
/// longer match the rewritten one.
const GENERATED_DIST_INFO_FILES: [&str; 6] = [
    "RECORD",
    "RECORD.jws",
    "RECORD.p7s",
    "INSTALLER",
    "REQUESTED",
    "direct_url.json",
];

/// How to record an install.
#[derive(Debug, Clone, Copy)]
pub struct InstallOptions<'a> {
    /// The JSON text of `direct_url.json` ([PEP 610]) for a wheel that did not
    /// come from an index; `None` writes no file.
    ///
    /// [PEP 610]: https://packaging.python.org/en/latest/specifications/direct-url/
    pub direct_url: Option<&'a str>,
    /// Whether the user asked for this package (as opposed to a dependency):
    /// writes an empty `REQUESTED` ([PEP 376]).
    ///
    /// [PEP 376]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-requested-file
    pub requested: bool,
    /// The installer's name, written to `INSTALLER`, e.g. `puffin`.
    pub installer: &'a str,
    /// The transaction the install is part of: what is at the wheel's
    /// destinations is moved into its journal first, and the files are
    /// recorded so that a rollback removes them. `None` overwrites in place.
    pub transaction: Option<&'a Transaction>,
}

impl Default for InstallOptions<'_> {
    /// No `direct_url.json`, not requested, installer `puffin`.
    fn default() -> Self {
        Self {
            direct_url: None,
            requested: false,
            installer: "puffin",
            transaction: None,
        }
    }
}

/// What [`install_wheel`] did.
#[derive(Debug)]
pub struct Installation {
    /// The link mode actually used for the wheel's files.
    pub link_mode: LinkMode,
    /// The fallback from the requested link mode, `Some` only for the first
    /// wheel of the run that fell back for its (cache filesystem, target
    /// directory): show it to the user once.
    pub fallback: Option<LinkFallback>,
    /// The installed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// The number of files installed, as listed in RECORD (including RECORD).
    pub files: usize,
    /// Odd things about the wheel that did not stop the install.
    pub warnings: Vec<InstallWarning>,
}

/// Install the unzipped wheel at `wheel_dir` into the environment `layout`.
///
/// Steps, following the binary distribution format:
/// 1. Find the one `{name}-{version}.dist-info` directory; check `WHEEL`
///    (`Wheel-Version` 1.x) and `METADATA` (`Name`, `Version`) against the
///    filename.
/// 2. Link the root into purelib or platlib (`Root-Is-Purelib`), and each
///    `{name}-{version}.data/{purelib,platlib,headers,data}` into its scheme
///    directory. The file list comes from the cache manifest
///    ([`WheelManifest`]), or from a scan when there is none.
/// 3. Write `.data/scripts` (with `#!python` rewritten) and entry point
///    launchers into the scripts directory, executable; a `.data/scripts`
///    file that the wheel marks executable and that has no `#!python` line
///    (a native tool) is linked in step 2 instead, as it is in the wheel.
/// 4. Build the `.dist-info` in a temporary directory in site-packages, with
///    `INSTALLER`, `REQUESTED`, `direct_url.json` and a RECORD of every
///    installed file, and rename it into place last (replacing an earlier
///    install of the same version), so a crash never leaves a `.dist-info`
///    claiming files that are not there.
///
/// ```
/// use install_wheel_rs::{InstallOptions, Layout, LinkMode, Linker, Scheme, install_wheel};
/// use puffin_test_support::WheelBuilder;
///
/// let tmp = tempfile::tempdir()?;
/// let wheel_dir = WheelBuilder::new("demo", "1.0")
///     .file("demo/__init__.py", "VALUE = 1\n")
///     .build_unpacked(&tmp.path().join("cache"));
/// let venv = tmp.path().join("venv");
/// let site_packages = venv.join("lib/python3.12/site-packages");
/// let layout = Layout {
///     prefix: venv.clone(),
///     sys_executable: venv.join("bin/python"),
///     python_version: (3, 12),
///     scheme: Scheme {
///         purelib: site_packages.clone(),
///         platlib: site_packages.clone(),
///         scripts: venv.join("bin"),
///         data: venv.clone(),
///         include: venv.join("include/site/python3.12"),
///     },
/// };
/// let filename = "demo-1.0-py3-none-any.whl".parse()?;
/// let linker = Linker::new(LinkMode::Copy);
/// let installation = install_wheel(&layout, &wheel_dir, &filename, &linker, &InstallOptions::default())?;
/// assert_eq!(installation.link_mode, LinkMode::Copy);
/// assert!(site_packages.join("demo/__init__.py").is_file());
/// assert_eq!(installation.dist_info, site_packages.join("demo-1.0.dist-info"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[instrument(skip_all, fields(wheel = %filename))]
pub fn install_wheel(
    layout: &Layout,
    wheel_dir: &Path,
    filename: &WheelFilename,
    linker: &Linker,
    options: &InstallOptions<'_>,
) -> Result<Installation, Error> {
    layout.check()?;
    let (manifest, stored) = load_manifest(wheel_dir, filename)?;

    // Step 1: the `.dist-info` directory, WHEEL and METADATA. RECORD against
    // the files was checked when a stored entry was published
    // (`check_unpacked_wheel`); a directory without a manifest is checked now.
    let Inspected {
        dist_info,
        wheel_file,
        name,
        entry_points,
    } = inspect(wheel_dir, &manifest, filename, !stored)?;
    let warnings: Vec<InstallWarning> = wheel_file.warning.into_iter().collect();

    let scheme = &layout.scheme;
    let site_packages = if wheel_file.root_is_purelib {
        &scheme.purelib
    } else {
        &scheme.platlib
    };
    debug!(site_packages = %site_packages.display(), root_is_purelib = wheel_file.root_is_purelib, "Installing");
    fs::create_dir_all(site_packages)?;
    let staging = Staging::create(site_packages)?;

    // Step 2: link the payload and the `.dist-info` files into place.
    let wheel = Wheel {
        manifest: &manifest,
        dir: wheel_dir,
        dist_info: &dist_info,
        filename,
        name: &name,
        entry_points: &entry_points,
    };
    let plan = Plan::new(&wheel, layout, site_packages, &staging.path)?;
    let final_dist_info = site_packages.join(&dist_info);
    if let Some(transaction) = options.transaction {
        let destinations =
            plan.destinations(&entry_points, layout, &staging.path, &final_dist_info);
        transaction
            .op(OpKind::Install)?
            .prepare_install(&destinations)?;
    }
    create_dirs(&plan.dirs, &[site_packages, &staging.path])?;
    let report = linker.link_wheel(wheel_dir, site_packages, &plan.links)?;
    let mut record = plan.record;

    // Step 3: scripts, written fresh.
    record.extend(write_scripts(
        &plan.scripts,
        &entry_points,
        layout,
        site_packages,
    )?);

    // Step 4: the generated `.dist-info` files, RECORD last, then publish.
    let files = write_dist_info(
        &staging.path,
        &final_dist_info,
        site_packages,
        record,
        options,
    )?;
    if let Some(transaction) = options.transaction {
        transaction.cancellation().check()?;
    }
    staging.publish(&final_dist_info)?;

    Ok(Installation {
        link_mode: report.mode,
        fallback: report.fallback,
        dist_info: final_dist_info,
        files,
        warnings,
    })
}

/// Create `dirs` (sorted, parents first) with one `mkdir` each. A directory
/// under one of `roots` (which exist) gets its missing ancestors created
/// first, up to the root: `create_dir_all` would try it, fail, and try
/// again after its parent, and `dirs` holds only the parents of files
/// (`locale/af/LC_MESSAGES` without `locale/af`). Others, such as `.data`
/// directories, go through `create_dir_all`.
fn create_dirs(dirs: &[PathBuf], roots: &[&Path]) -> Result<(), Error> {
    let mut existing: HashSet<&Path> = roots.iter().copied().collect();
    let mut missing = Vec::new();
    for dir in dirs {
        if !roots.iter().any(|root| puffin_fs::is_within(dir, root)) {
            fs::create_dir_all(dir).map_err(|err| LinkError::CreateDir {
                path: dir.clone(),
                err,
            })?;
            continue;
        }
        let mut current = dir.as_path();
        while !existing.contains(current) {
            missing.push(current);
            match current.parent() {
                Some(parent) => current = parent,
                None => break,
            }
        }
        for path in missing.drain(..).rev() {
            create_dir(path)?;
            existing.insert(path);
        }
    }
    Ok(())
}

/// `mkdir`, where an existing directory (or a link to one) is fine.
fn create_dir(path: &Path) -> Result<(), LinkError> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(err) => Err(LinkError::CreateDir {
            path: path.to_path_buf(),
            err,
        }),
    }
}

/// Write the `.data/scripts` files (`#!python` rewritten) and the entry
/// point launchers, executable; returns their RECORD rows.
fn write_scripts(
    scripts: &[(PathBuf, PathBuf)],
    entry_points: &[EntryPoint],
    layout: &Layout,
    site_packages: &Path,
) -> Result<Vec<RecordEntry>, Error> {
    let mut record = Vec::new();
    for (src, dst) in scripts {
        let contents = fs::read(src)?;
        let contents = rewrite_shebang(&contents, &layout.sys_executable).unwrap_or(contents);
        write_fresh(dst, &contents, FileMode::Executable)?;
        record.push(record_entry(site_packages, dst, &contents));
    }
    let scripts_dir = &layout.scheme.scripts;
    if !entry_points.is_empty() {
        fs::create_dir_all(scripts_dir).map_err(|err| LinkError::CreateDir {
            path: scripts_dir.clone(),
            err,
        })?;
    }
    for entry_point in entry_points {
        let path = scripts_dir.join(&entry_point.name);
        let contents = launcher(&layout.sys_executable, entry_point);
        write_fresh(&path, &contents, FileMode::Executable)?;
        record.push(record_entry(site_packages, &path, &contents));
    }
    Ok(record)
}

/// Write `INSTALLER`, `REQUESTED`, `direct_url.json` and finally RECORD (the
/// rows in `record` plus these, one per path, sorted with RECORD's own row in
/// its place) into the staging `.dist-info`, each created `0o666 & !umask`
/// as pip does. Returns the number of RECORD rows.
fn write_dist_info(
    staging: &Path,
    final_dist_info: &Path,
    site_packages: &Path,
    mut record: Vec<RecordEntry>,
    options: &InstallOptions<'_>,
) -> Result<usize, Error> {
    let mut generated: Vec<(&str, Vec<u8>)> =
        vec![("INSTALLER", format!("{}\n", options.installer).into_bytes())];
    if options.requested {
        generated.push(("REQUESTED", Vec::new()));
    }
    if let Some(direct_url) = options.direct_url {
        generated.push(("direct_url.json", direct_url.as_bytes().to_vec()));
    }
    for (file, contents) in &generated {
        write_fresh(&staging.join(file), contents, FileMode::Regular)?;
        record.push(record_entry(
            site_packages,
            &final_dist_info.join(file),
            contents,
        ));
    }
    record.push(RecordEntry {
        path: relative_to(site_packages, &final_dist_info.join("RECORD")),
        hash: None,
        size: None,
    });
    let record = unique_sorted(record);
    let mut bytes = Vec::new();
    write_record(&mut bytes, &record)?;
    write_fresh(&staging.join("RECORD"), &bytes, FileMode::Regular)?;
    Ok(record.len())
}

/// The rows sorted by path, one per path: a later row replaces an earlier
/// one, as a later write replaced the file (a launcher written over a
/// `.data/data/bin` file of the same name).
fn unique_sorted(record: Vec<RecordEntry>) -> Vec<RecordEntry> {
    let mut by_path: BTreeMap<String, RecordEntry> = BTreeMap::new();
    for entry in record {
        by_path.insert(entry.path.clone(), entry);
    }
    by_path.into_values().collect()
}

/// The cache manifest, or a scan of the directory when there is none; every
/// listed path must be relative and stay inside the wheel.
/// What step 1 of an install learns about a wheel, before anything is written.
struct Inspected {
    dist_info: String,
    wheel_file: WheelFile,
    name: String,
    entry_points: Vec<EntryPoint>,
}

/// Step 1 ([PEP 427], "unpacking"): exactly one `.dist-info` of this
/// project, `.data` directories of this project only, a RECORD listing every
/// file, a supported WHEEL, METADATA matching the filename, valid entry
/// points.
///
/// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#details
fn inspect(
    wheel_dir: &Path,
    manifest: &WheelManifest,
    filename: &WheelFilename,
    with_record: bool,
) -> Result<Inspected, Error> {
    let top_level_dirs = || {
        manifest
            .dirs
            .iter()
            .filter(|dir| !dir.contains('/'))
            .map(String::as_str)
    };
    let dist_info = find_dist_info(top_level_dirs(), wheel_dir, filename)?;
    check_data_dirs(top_level_dirs(), wheel_dir, filename)?;
    if with_record {
        check_record(wheel_dir, manifest, &dist_info)?;
    }
    let wheel_file = read_wheel_file(&wheel_dir.join(&dist_info).join("WHEEL"))?;
    let name = read_metadata(&wheel_dir.join(&dist_info).join("METADATA"), filename)?;
    let entry_points_path = wheel_dir.join(&dist_info).join("entry_points.txt");
    let entry_points = match fs::read(&entry_points_path) {
        Ok(bytes) => parse_entry_points(&String::from_utf8_lossy(&bytes), &entry_points_path)?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err.into()),
    };
    Ok(Inspected {
        dist_info,
        wheel_file,
        name,
        entry_points,
    })
}

/// Check an unzipped wheel as an install would, without an environment: the
/// `.dist-info` (exactly one, of this project, with a RECORD that lists every
/// file, a supported WHEEL and a METADATA that matches the filename), entry
/// point names, `.data` subdirectories, the names of `.data/scripts` files
/// and `.data/data` files that would replace the environment's interpreter,
/// activation scripts or `pyvenv.cfg`.
///
/// The unzip step calls this before publishing a cache entry, so that a wheel
/// that can never be installed is refused once and never cached.
pub fn check_unpacked_wheel(
    wheel_dir: &Path,
    manifest: &WheelManifest,
    filename: &WheelFilename,
) -> Result<(), Error> {
    let inspected = inspect(wheel_dir, manifest, filename, true)?;
    let data_dir = manifest
        .dirs
        .iter()
        .find(|dir| !dir.contains('/') && dir.ends_with(".data"));
    let Some(data_dir) = data_dir else {
        return Ok(());
    };
    for file in &manifest.files {
        let Some(rest) = file
            .path
            .strip_prefix(data_dir.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        check_data_file(wheel_dir, &file.path, rest, &inspected.entry_points)?;
    }
    Ok(())
}

/// Check one file of the `.data` directory by its path below it, `rest`.
fn check_data_file(
    wheel_dir: &Path,
    path: &str,
    rest: &str,
    entry_points: &[EntryPoint],
) -> Result<(), Error> {
    let Some((sub, rest)) = rest.split_once('/') else {
        return Err(Error::UnknownDataDirectory {
            path: wheel_dir.join(path),
        });
    };
    let reserved = |target: &str, reason: &str| Error::ReservedPath {
        path: wheel_dir.join(path),
        target: PathBuf::from(target),
        reason: reason.to_string(),
    };
    match sub {
        "purelib" | "platlib" | "headers" => Ok(()),
        "data" => match reserved_data_path(rest) {
            Some(reason) => Err(reserved(rest, reason)),
            None => Ok(()),
        },
        "scripts" => {
            let name = rest.rsplit('/').next().unwrap_or(rest);
            if is_entry_point_wrapper(name, entry_points) {
                return Ok(());
            }
            check_script_name(name).map_err(|reason| Error::InvalidScript {
                path: wheel_dir.join(path),
                reason,
            })
        }
        _ => Err(Error::UnknownDataDirectory {
            path: wheel_dir.join(path.strip_suffix(&format!("/{rest}")).unwrap_or(path)),
        }),
    }
}

/// The manifest of a stored entry (`true`), or one made by scanning a
/// directory that has none (`false`).
fn load_manifest(
    wheel_dir: &Path,
    filename: &WheelFilename,
) -> Result<(WheelManifest, bool), Error> {
    let manifest_error = |err| Error::Manifest {
        wheel_dir: wheel_dir.to_path_buf(),
        err,
    };
    let (manifest, stored) = match WheelManifest::read(wheel_dir).map_err(manifest_error)? {
        Some(manifest) => (manifest, true),
        None => {
            debug!(wheel_dir = %wheel_dir.display(), "No cache manifest, scanning the directory");
            let manifest =
                WheelManifest::scan(wheel_dir, filename.to_string()).map_err(manifest_error)?;
            (manifest, false)
        }
    };
    let paths = manifest
        .dirs
        .iter()
        .chain(manifest.files.iter().map(|file| &file.path));
    for path in paths {
        let safe = !path.is_empty()
            && path.split('/').all(|part| !matches!(part, "" | "." | ".."))
            && Path::new(path)
                .components()
                .all(|component| matches!(component, Component::Normal(_)));
        if !safe {
            return Err(Error::UnsafePath {
                wheel_dir: wheel_dir.to_path_buf(),
                path: path.clone(),
            });
        }
    }
    Ok((manifest, stored))
}

/// Where each file of the wheel goes.
#[derive(Debug, Default)]
struct Plan {
    /// Directories to create, parents first: the parents of installed files
    /// only, since a wheel's empty directories are not installed (as pip
    /// does; an empty `pkg/` would import as a namespace package and outlive
    /// an uninstall).
    dirs: Vec<PathBuf>,
    /// Files to link from the cache.
    links: Vec<LinkTask>,
    /// `.data/scripts` files: `(cache file, destination)`, written fresh.
    scripts: Vec<(PathBuf, PathBuf)>,
    /// RECORD rows of the linked files, one per entry of `links`.
    record: Vec<RecordEntry>,
    /// The index in `links` of each destination: when two files of a wheel
    /// go to one place (`demo.py` and `.data/purelib/demo.py`), the later one
    /// wins, so the result never depends on the order of parallel links.
    /// Only kept for wheels with `.data/purelib` or `.data/platlib` files:
    /// without them, two files of a wheel cannot meet.
    placed: Option<HashMap<PathBuf, usize>>,
}

/// Where one file of the wheel goes.
enum Target {
    /// Linked from the cache to `dst`, recorded as `final_dst` (they differ
    /// for `.dist-info` files, linked into the staging directory).
    Link {
        dst: PathBuf,
        final_dst: PathBuf,
        record_path: Option<String>,
    },
    /// A `.data/scripts` file, written fresh to this path.
    Script(PathBuf),
    /// Not installed: a `.dist-info` file the installer writes itself, or a
    /// script the launcher of an entry point replaces.
    Skip,
}

/// The unzipped wheel being installed, once its `.dist-info` is checked.
struct Wheel<'a> {
    /// Its file list.
    manifest: &'a WheelManifest,
    /// The unzipped wheel directory in the cache.
    dir: &'a Path,
    /// The `.dist-info` directory name, as in the wheel.
    dist_info: &'a str,
    /// The wheel filename.
    filename: &'a WheelFilename,
    /// The project name as METADATA writes it.
    name: &'a str,
    /// The console and GUI entry points.
    entry_points: &'a [EntryPoint],
}

impl Wheel<'_> {
    /// Whether the wheel has `.data/purelib` or `.data/platlib` files, which
    /// may land where a file of its root does.
    fn spreads_into_site_packages(&self) -> bool {
        self.manifest.files.iter().any(|file| {
            let (top, rest) = split_first(&file.path);
            rest.is_some_and(|rest| rest.starts_with("purelib/") || rest.starts_with("platlib/"))
                && self.is_data_dir(top)
        })
    }

    /// Whether `top` is the wheel's own `{name}-{version}.data` directory.
    fn is_data_dir(&self, top: &str) -> bool {
        top.strip_suffix(".data")
            .is_some_and(|stem| stem_matches(stem, self.filename))
    }

    /// Where the file at `path` (relative to the wheel root) goes: the root
    /// to `site_packages`, `.data` subdirectories to their scheme directories
    /// (PEP 427, "spread"), and the `.dist-info` to `staging`.
    fn target(
        &self,
        path: &str,
        layout: &Layout,
        site_packages: &Path,
        staging: &Path,
    ) -> Result<Target, Error> {
        let scheme = &layout.scheme;
        let (top, rest) = split_first(path);
        if top == self.dist_info {
            let rest = rest.expect("a file is below its top-level directory");
            if GENERATED_DIST_INFO_FILES.contains(&rest) {
                return Ok(Target::Skip);
            }
            let (dst, final_dst) = (staging.join(rest), site_packages.join(path));
            return Ok(Target::Link {
                dst,
                final_dst,
                record_path: Some(path.to_string()),
            });
        }
        if !self.is_data_dir(top) {
            // A validated relative path below site-packages is its own
            // RECORD path.
            let dst = site_packages.join(path);
            return Ok(Target::Link {
                dst: dst.clone(),
                final_dst: dst,
                record_path: Some(path.to_string()),
            });
        }
        let Some((sub, rest)) = rest.and_then(|rest| rest.split_once('/')) else {
            return Err(Error::UnknownDataDirectory {
                path: self.dir.join(path),
            });
        };
        let root = match sub {
            "purelib" => scheme.purelib.clone(),
            "platlib" => scheme.platlib.clone(),
            "headers" => scheme.include.join(self.name),
            "data" => scheme.data.clone(),
            "scripts" => return self.script_target(path, rest, layout),
            _ => {
                return Err(Error::UnknownDataDirectory {
                    path: self.dir.join(top).join(sub),
                });
            }
        };
        let dst = root.join(rest);
        Ok(Target::Link {
            dst: dst.clone(),
            final_dst: dst,
            record_path: None,
        })
    }

    /// Where the `.data/scripts/<rest>` file at `path` goes, unless it is a
    /// setuptools wrapper of an entry point, whose launcher replaces it.
    fn script_target(&self, path: &str, rest: &str, layout: &Layout) -> Result<Target, Error> {
        let name = rest.rsplit('/').next().unwrap_or(rest);
        if is_entry_point_wrapper(name, self.entry_points) {
            debug!(
                script = path,
                "Skipping a wrapper of an entry point: its launcher replaces it"
            );
            return Ok(Target::Skip);
        }
        // The same names as launchers: never the interpreter.
        check_script_name(name).map_err(|reason| Error::InvalidScript {
            path: self.dir.join(path),
            reason,
        })?;
        Ok(Target::Script(layout.scheme.scripts.join(rest)))
    }
}

impl Plan {
    /// Map every file of `wheel` to its place (see [`Wheel::target`]),
    /// refusing any that would replace the interpreter, an activation script
    /// or `pyvenv.cfg`.
    fn new(
        wheel: &Wheel<'_>,
        layout: &Layout,
        site_packages: &Path,
        staging: &Path,
    ) -> Result<Self, Error> {
        let mut plan = Self {
            placed: wheel.spreads_into_site_packages().then(HashMap::new),
            ..Self::default()
        };
        let reserved = Reserved::new(layout);
        for file in &wheel.manifest.files {
            let src = wheel.dir.join(&file.path);
            match wheel.target(&file.path, layout, site_packages, staging)? {
                Target::Skip => {}
                Target::Script(dst) => {
                    reserved.check(&src, &dst)?;
                    plan.add_parent(&dst);
                    plan.add_script(file, src, dst, site_packages)?;
                }
                Target::Link {
                    dst,
                    final_dst,
                    record_path,
                } => {
                    reserved.check(&src, &final_dst)?;
                    plan.add_parent(&dst);
                    let entry = RecordEntry {
                        path: record_path.unwrap_or_else(|| relative_to(site_packages, &final_dst)),
                        hash: Some(format!("sha256={}", file.sha256)),
                        size: Some(file.size),
                    };
                    let task = LinkTask {
                        src,
                        dst: dst.clone(),
                        executable: file.executable,
                    };
                    plan.add_link(dst, task, entry);
                }
            }
        }
        // Parents first: a parent's bytes are a prefix of its children's.
        plan.dirs.sort_unstable_by(|a, b| {
            a.as_os_str()
                .as_encoded_bytes()
                .cmp(b.as_os_str().as_encoded_bytes())
        });
        plan.dirs.dedup();
        Ok(plan)
    }

    /// Every path the install writes in the environment, for the journal:
    /// the linked files (not those of the staging `.dist-info`), scripts,
    /// launchers, and the `.dist-info` itself.
    fn destinations<'a>(
        &'a self,
        entry_points: &[EntryPoint],
        layout: &Layout,
        staging: &Path,
        final_dist_info: &'a Path,
    ) -> Vec<(PathKind, Cow<'a, Path>)> {
        let links = self
            .links
            .iter()
            .map(|task| task.dst.as_path())
            .filter(|dst| !puffin_fs::is_within(dst, staging))
            .map(Cow::Borrowed);
        let scripts = self
            .scripts
            .iter()
            .map(|(_, dst)| Cow::Borrowed(dst.as_path()));
        let launchers = entry_points
            .iter()
            .map(|entry_point| Cow::Owned(layout.scheme.scripts.join(&entry_point.name)));
        links
            .chain(scripts)
            .chain(launchers)
            .map(|path| (PathKind::File, path))
            .chain(std::iter::once((
                PathKind::DistInfo,
                Cow::Borrowed(final_dist_info),
            )))
            .collect()
    }

    /// Note the directory of `dst` (files come grouped by directory, so
    /// most repeats are the last one noted).
    fn add_parent(&mut self, dst: &Path) {
        // Bytes, not `Path`'s component-wise equality: a miss only adds a
        // repeat, which the sort and dedup remove.
        if let Some(parent) = dst.parent()
            && self.dirs.last().map(|last| last.as_os_str()) != Some(parent.as_os_str())
        {
            self.dirs.push(parent.to_path_buf());
        }
    }

    /// A `.data/scripts` file: linked as it is in the wheel when it is
    /// executable there and has no `#!python` line to rewrite (a native
    /// tool's binary, tens of megabytes, is then neither read, hashed nor
    /// copied), else written fresh.
    fn add_script(
        &mut self,
        file: &ManifestFile,
        src: PathBuf,
        dst: PathBuf,
        site_packages: &Path,
    ) -> Result<(), Error> {
        if !file.executable || starts_with_python_shebang(&src)? {
            self.scripts.push((src, dst));
            return Ok(());
        }
        let entry = RecordEntry {
            path: relative_to(site_packages, &dst),
            hash: Some(format!("sha256={}", file.sha256)),
            size: Some(file.size),
        };
        let task = LinkTask {
            src,
            dst: dst.clone(),
            executable: true,
        };
        self.add_link(dst, task, entry);
        Ok(())
    }

    /// Add a link, replacing an earlier one to the same destination.
    fn add_link(&mut self, dst: PathBuf, task: LinkTask, entry: RecordEntry) {
        let Some(placed) = &mut self.placed else {
            self.links.push(task);
            self.record.push(entry);
            return;
        };
        match placed.entry(dst) {
            Entry::Occupied(occupied) => {
                let index = *occupied.get();
                debug!(path = %task.dst.display(), "Two files of the wheel go to one place; the later one wins");
                self.links[index] = task;
                self.record[index] = entry;
            }
            Entry::Vacant(vacant) => {
                vacant.insert(self.links.len());
                self.links.push(task);
                self.record.push(entry);
            }
        }
    }
}

/// What no file of a wheel may replace, because it makes the environment
/// work: the interpreter, an activation script (see
/// [`crate::scripts::reserved_script_name`]) or `pyvenv.cfg`. A wheel's
/// `.data/data/bin/python3` replaced the interpreter, and every later puffin
/// command ran the wheel's program when it queried the environment. The
/// paths are normalized once per wheel, each destination once per file.
struct Reserved {
    pyvenv_cfg: PathBuf,
    interpreter: PathBuf,
    scripts: PathBuf,
}

impl Reserved {
    fn new(layout: &Layout) -> Self {
        Self {
            pyvenv_cfg: normalize_path(&layout.prefix.join("pyvenv.cfg")),
            interpreter: normalize_path(&layout.sys_executable),
            scripts: normalize_path(&layout.scheme.scripts),
        }
    }

    /// Refuse the file `src` of the wheel if it would replace one of them.
    fn check(&self, src: &Path, dst: &Path) -> Result<(), Error> {
        // Normalizing keeps the last name unless the path ends in `..`
        // (then there is none): a file whose name is none of the reserved
        // ones cannot be one of them.
        let possible = dst
            .file_name()
            .and_then(|name| name.to_str())
            .is_none_or(|name| {
                name == "pyvenv.cfg"
                    || Some(std::ffi::OsStr::new(name)) == self.interpreter.file_name()
                    || reserved_script_name(name).is_some()
            });
        if !possible {
            return Ok(());
        }
        let dst = normalize_path(dst);
        let reserved = |reason: &str| Error::ReservedPath {
            path: src.to_path_buf(),
            target: dst.clone(),
            reason: reason.to_string(),
        };
        if dst == self.pyvenv_cfg {
            return Err(reserved(
                "a wheel must not replace the environment's configuration",
            ));
        }
        if dst == self.interpreter {
            return Err(reserved(
                "a wheel must not replace the environment's Python interpreter",
            ));
        }
        let in_scripts = dst.parent() == Some(self.scripts.as_path());
        let name = dst.file_name().and_then(|name| name.to_str());
        if let (true, Some(reason)) = (in_scripts, name.and_then(reserved_script_name)) {
            return Err(reserved(reason));
        }
        Ok(())
    }
}

/// `("a", Some("b/c"))` for `a/b/c`, `("a", None)` for `a`.
fn split_first(path: &str) -> (&str, Option<&str>) {
    match path.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    }
}

/// The RECORD form of `path` relative to the site-packages directory `base`:
/// `/`-separated, with `..` for files outside it such as scripts
/// (`../../../bin/demo`).
pub(crate) fn relative_to(base: &Path, path: &Path) -> String {
    let base: Vec<Component<'_>> = base.components().collect();
    let path: Vec<Component<'_>> = path.components().collect();
    let common = base.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(
        path[common..]
            .iter()
            .map(|component| component.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

fn record_entry(site_packages: &Path, path: &Path, contents: &[u8]) -> RecordEntry {
    RecordEntry {
        path: relative_to(site_packages, path),
        hash: Some(format!(
            "sha256={}",
            BASE64URL_NOPAD.encode(&Sha256::digest(contents))
        )),
        size: Some(contents.len() as u64),
    }
}

/// The `.dist-info` under construction: a temporary directory inside
/// site-packages, removed again unless published.
struct Staging {
    path: PathBuf,
    published: bool,
}

impl Staging {
    fn create(site_packages: &Path) -> Result<Self, Error> {
        let mut tries = 0;
        loop {
            let path = site_packages.join(temp_name(".tmp-puffin-"));
            match fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(Self {
                        path,
                        published: false,
                    });
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Rename the finished `.dist-info` into place. An existing one (a
    /// reinstall) is first renamed aside and removed after.
    fn publish(mut self, target: &Path) -> Result<(), Error> {
        match fs::symlink_metadata(target) {
            Ok(metadata) => {
                let old = temp_sibling(target, ".tmp-puffin-old-");
                fs::rename(target, &old)?;
                fs::rename(&self.path, target)?;
                self.published = true;
                if metadata.is_dir() {
                    fs::remove_dir_all(&old)?;
                } else {
                    fs::remove_file(&old)?;
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                fs::rename(&self.path, target)?;
                self.published = true;
            }
            Err(err) => return Err(err.into()),
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            // Best effort: a leftover `.tmp-puffin-*` is not a `.dist-info`.
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_get_their_missing_ancestors_under_a_root() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("site-packages");
        let outside = temp.path().join("share");
        fs::create_dir(&root).unwrap();
        let dirs = [
            root.clone(),
            root.join("pkg/locale/af/LC_MESSAGES"),
            root.join("pkg/locale/ar"),
            outside.join("data/sub"),
        ];
        create_dirs(&dirs, &[&root]).unwrap();
        for dir in &dirs {
            assert!(dir.is_dir(), "{} was not created", dir.display());
        }
        // Created again: existing directories are fine.
        create_dirs(&dirs, &[&root]).unwrap();
    }

    #[test]
    fn a_file_in_the_way_of_a_dir_is_named() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        fs::write(root.join("pkg"), "").unwrap();
        let err = create_dirs(&[root.join("pkg/sub")], &[root]).unwrap_err();
        let Error::Link(LinkError::CreateDir { path, .. }) = &err else {
            panic!("unexpected error: {err:?}");
        };
        assert_eq!(path, &root.join("pkg"));
    }

    #[test]
    fn relative_paths_climb_out_of_site_packages() {
        let site_packages = Path::new("/venv/lib/python3.12/site-packages");
        assert_eq!(
            relative_to(site_packages, Path::new("/venv/bin/demo")),
            "../../../bin/demo"
        );
        assert_eq!(
            relative_to(site_packages, &site_packages.join("demo/__init__.py")),
            "demo/__init__.py"
        );
    }
}
