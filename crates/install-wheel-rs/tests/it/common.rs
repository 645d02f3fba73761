//! Shared helpers: layouts, unpacked wheels, inode and mode checks, and the
//! special filesystems.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use distribution_filename::WheelFilename;
use fs_err as fs;
use install_wheel_rs::{
    InstallOptions, Installation, Layout, LinkMode, Linker, Scheme, WheelManifest, install_wheel,
};
use puffin_test_support::WheelBuilder;

/// A venv-like layout under `root/venv` for Python 3.12.
pub(crate) fn venv_layout(root: &Path, sys_executable: PathBuf) -> Layout {
    let venv = root.join("venv");
    let site_packages = venv.join("lib").join("python3.12").join("site-packages");
    Layout {
        prefix: venv.clone(),
        sys_executable,
        python_version: (3, 12),
        scheme: Scheme {
            purelib: site_packages.clone(),
            platlib: site_packages,
            scripts: venv.join("bin"),
            data: venv.clone(),
            include: venv.join("include").join("site").join("python3.12"),
        },
    }
}

/// A layout whose interpreter does not need to exist.
pub(crate) fn layout(root: &Path) -> Layout {
    venv_layout(root, PathBuf::from("/opt/python/bin/python3"))
}

/// Unpack `builder` into `cache` with a cache manifest, as the installer's
/// unzip step leaves it.
pub(crate) fn unpack(builder: &WheelBuilder, cache: &Path) -> (PathBuf, WheelFilename) {
    let (dir, filename) = unpack_without_manifest(builder, cache);
    WheelManifest::scan(&dir, filename.to_string())
        .unwrap()
        .write(&dir)
        .unwrap();
    (dir, filename)
}

/// Unpack `builder` into `cache` without a manifest.
pub(crate) fn unpack_without_manifest(
    builder: &WheelBuilder,
    cache: &Path,
) -> (PathBuf, WheelFilename) {
    let dir = builder.build_unpacked(cache);
    (dir, builder.filename().parse().unwrap())
}

/// Install with the default options.
pub(crate) fn install(
    layout: &Layout,
    wheel_dir: &Path,
    filename: &WheelFilename,
    linker: &Linker,
) -> Installation {
    install_wheel(
        layout,
        wheel_dir,
        filename,
        linker,
        &InstallOptions::default(),
    )
    .unwrap()
}

/// Every row of the RECORD in `dist_info` names an installed file (relative
/// to `site_packages`), and its hash and size, where given, are the file's.
pub(crate) fn assert_record_matches(dist_info: &Path, site_packages: &Path) {
    let record = fs::File::open(dist_info.join("RECORD")).unwrap();
    for entry in install_wheel_rs::read_record(record).unwrap() {
        let path = site_packages.join(&entry.path);
        assert!(path.is_file(), "{}", path.display());
        if let Some(hash) = entry.hash {
            let (digest, size) = install_wheel_rs::hash_file(&path).unwrap();
            assert_eq!(hash, format!("sha256={digest}"), "{}", entry.path);
            assert_eq!(entry.size, Some(size), "{}", entry.path);
        }
    }
}

pub(crate) fn ino(path: &Path) -> u64 {
    fs::metadata(path).unwrap().ino()
}

pub(crate) fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Check what the reported mode implies for an installed file and its cache
/// original: a hardlink is the same inode; a clone or copy is an independent
/// file with the same bytes and mode.
pub(crate) fn assert_linked_as(mode_used: LinkMode, cache_file: &Path, installed: &Path) {
    assert_eq!(
        fs::read(cache_file).unwrap(),
        fs::read(installed).unwrap(),
        "{}",
        installed.display()
    );
    assert_eq!(mode(cache_file), mode(installed), "{}", installed.display());
    let same_inode = fs::metadata(cache_file).unwrap().dev()
        == fs::metadata(installed).unwrap().dev()
        && ino(cache_file) == ino(installed);
    match mode_used {
        LinkMode::Hardlink => assert!(same_inode, "{} is not a hardlink", installed.display()),
        LinkMode::Clone | LinkMode::Copy => {
            assert!(
                !same_inode,
                "{} shares the cache's inode",
                installed.display()
            );
        }
    }
}

/// The error and its sources, one per line, with `tmp` replaced by `[TMP]`.
pub(crate) fn error_chain(err: &dyn std::error::Error, tmp: &Path) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(err) = source {
        text.push_str(&format!("\n  Caused by: {err}"));
        source = err.source();
    }
    text.replace(&tmp.display().to_string(), "[TMP]")
}

/// A filesystem other than the one the tests' scratch directory is on, from
/// `PUFFIN_TEST_ALT_FS`.
pub(crate) fn alt_fs() -> Option<PathBuf> {
    let Some(path) = std::env::var_os("PUFFIN_TEST_ALT_FS") else {
        println!(
            "Skipping: PUFFIN_TEST_ALT_FS is not set (needs a second filesystem; .ci/run mounts one as root)"
        );
        return None;
    };
    let path = PathBuf::from(path);
    if fs::metadata(&path).unwrap().dev() == fs::metadata(scratch()).unwrap().dev() {
        println!(
            "Skipping: PUFFIN_TEST_ALT_FS `{}` is on the same filesystem as `{}`",
            path.display(),
            scratch().display()
        );
        return None;
    }
    Some(path)
}

/// A reflink-capable filesystem, from `PUFFIN_TEST_COW_FS`.
pub(crate) fn cow_fs() -> Option<PathBuf> {
    let Some(path) = std::env::var_os("PUFFIN_TEST_COW_FS") else {
        println!(
            "Skipping: PUFFIN_TEST_COW_FS is not set (needs a reflink-capable filesystem such as XFS; .ci/run mounts one as root)"
        );
        return None;
    };
    Some(PathBuf::from(path))
}

/// Scratch space on the main disk (the target directory), not a tmpfs.
pub(crate) fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A temporary directory on the main disk.
pub(crate) fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(scratch()).unwrap()
}

/// The real path of the machine's `python3`, or `None` (with a message).
pub(crate) fn real_python() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let path = String::from_utf8(output.stdout).unwrap();
            Some(PathBuf::from(path.trim()))
        }
        _ => {
            println!("Skipping: no working `python3` on PATH to run launchers with");
            None
        }
    }
}

/// Every file under `dir`, relative, sorted.
pub(crate) fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(Result::unwrap).collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                out.push(format!("{name}/"));
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, "", &mut out);
    }
    out
}
