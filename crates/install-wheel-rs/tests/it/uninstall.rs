//! Uninstalling from RECORD, confined to the scheme directories.

use std::io::Write;
use std::path::{Path, PathBuf};

use fs_err as fs;
use install_wheel_rs::{LinkMode, Linker, uninstall_wheel};
use puffin_test_support::WheelBuilder;

use crate::common::{error_chain, install, layout, tempdir, tree, unpack};

fn wheel() -> WheelBuilder {
    WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo/sub/mod.py", "")
        .file("demo-1.0.data/scripts/tool", "#!python\n")
        .file("demo-1.0.data/data/share/demo/x.txt", "x")
        .console_script("demo", "demo:main")
}

#[test]
fn removes_files_bytecode_and_empty_directories() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&wheel(), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    // Another package stays; the scheme directories (`bin`) always stay.
    let other = WheelBuilder::new("other", "1.0").file("other.py", "");
    let (other_dir, other_name) = unpack(&other, &tmp.path().join("cache"));
    let linker = Linker::new(LinkMode::Hardlink);
    install(&layout, &other_dir, &other_name, &linker);
    let installation = install(&layout, &wheel_dir, &filename, &linker);

    // Bytecode, as the interpreter would write it.
    let pycache = layout.scheme.purelib.join("demo/sub/__pycache__");
    fs::create_dir_all(&pycache).unwrap();
    fs::write(pycache.join("mod.cpython-312.pyc"), "").unwrap();
    fs::write(pycache.join("mod.cpython-312.opt-1.pyc"), "").unwrap();

    let uninstallation = uninstall_wheel(&layout, &installation.dist_info).unwrap();
    assert!(uninstallation.skipped.is_empty());
    // demo/__init__.py, demo/sub/mod.py, 2 .pyc, bin/tool, bin/demo, share/demo/x.txt
    assert_eq!(uninstallation.files_removed, 7);
    // demo/sub/__pycache__, demo/sub, demo, share/demo, share, the .dist-info
    assert_eq!(uninstallation.dirs_removed, 6);
    insta::assert_debug_snapshot!(tree(&tmp.path().join("venv")), @r#"
    [
        "bin/",
        "lib/",
        "lib/python3.12/",
        "lib/python3.12/site-packages/",
        "lib/python3.12/site-packages/other-1.0.dist-info/",
        "lib/python3.12/site-packages/other-1.0.dist-info/INSTALLER",
        "lib/python3.12/site-packages/other-1.0.dist-info/METADATA",
        "lib/python3.12/site-packages/other-1.0.dist-info/RECORD",
        "lib/python3.12/site-packages/other-1.0.dist-info/WHEEL",
        "lib/python3.12/site-packages/other.py",
    ]
    "#);
    // The cache is untouched.
    assert!(wheel_dir.join("demo/__init__.py").is_file());
}

/// A RECORD that points outside the environment (`..` climbing out, an
/// absolute path, a symlinked directory) must never delete anything there.
#[test]
fn record_entries_outside_the_scheme_are_skipped() {
    let tmp = tempdir();
    let outside = tempdir();
    let victims: Vec<PathBuf> = ["victim", "absolute-victim", "linked-victim"]
        .iter()
        .map(|name| outside.path().join(name))
        .collect();
    for victim in &victims {
        fs::write(victim, "precious").unwrap();
    }
    let (wheel_dir, filename) = unpack(&wheel(), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    let site_packages = &layout.scheme.purelib;
    std::os::unix::fs::symlink(outside.path(), site_packages.join("escape")).unwrap();

    let climb = "../".repeat(site_packages.components().count() + 2);
    let relative_victim = format!("{climb}{}", victims[0].strip_prefix("/").unwrap().display());
    let mut record = fs::OpenOptions::new()
        .append(true)
        .open(installation.dist_info.join("RECORD"))
        .unwrap();
    writeln!(record, "{relative_victim},,").unwrap();
    writeln!(record, "{},,", victims[1].display()).unwrap();
    writeln!(record, "escape/linked-victim,,").unwrap();
    drop(record);

    let uninstallation = uninstall_wheel(&layout, &installation.dist_info).unwrap();
    for victim in &victims {
        assert_eq!(fs::read_to_string(victim).unwrap(), "precious");
    }
    assert_eq!(
        uninstallation.skipped,
        [
            victims[0].clone(),
            victims[1].clone(),
            site_packages.join("escape/linked-victim")
        ]
    );
    assert!(!site_packages.join("demo").exists());
    assert!(!installation.dist_info.exists());
}

#[test]
fn missing_record_is_an_error() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&wheel(), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    fs::remove_file(installation.dist_info.join("RECORD")).unwrap();
    let err = uninstall_wheel(&layout, &installation.dist_info).unwrap_err();
    insta::assert_snapshot!(error_chain(&err, tmp.path()), @"`[TMP]/venv/lib/python3.12/site-packages/demo-1.0.dist-info/RECORD` is missing: puffin cannot tell which files belong to this package. Remove its `.dist-info` directory by hand and reinstall it");
    // Nothing was touched.
    assert!(installation.dist_info.is_dir());
    assert!(layout.scheme.purelib.join("demo/__init__.py").is_file());
}

#[test]
fn dist_info_outside_the_scheme_is_an_error() {
    let tmp = tempdir();
    let layout = layout(tmp.path());
    let elsewhere = tmp.path().join("elsewhere/demo-1.0.dist-info");
    fs::create_dir_all(&elsewhere).unwrap();
    let err = uninstall_wheel(&layout, Path::new(&elsewhere)).unwrap_err();
    assert!(
        matches!(err, install_wheel_rs::Error::DistInfoOutsideScheme { .. }),
        "{err}"
    );
}

#[test]
fn install_uninstall_reinstall_round_trip() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&wheel(), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let linker = Linker::new(LinkMode::Hardlink);
    let first = install(&layout, &wheel_dir, &filename, &linker);
    let installed = tree(&tmp.path().join("venv"));
    uninstall_wheel(&layout, &first.dist_info).unwrap();
    install(&layout, &wheel_dir, &filename, &linker);
    assert_eq!(tree(&tmp.path().join("venv")), installed);
}

/// Regression: sibling directories emptied one after the other left their
/// (then empty) parent behind, because the parent was marked as tried when
/// the first sibling went and it was still non-empty.
#[test]
fn parent_of_several_emptied_directories_is_removed() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0")
        .file("demo/a/x.py", "")
        .file("demo/b/y.py", "")
        .file("demo/c/deep/z.py", "");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    let uninstallation = uninstall_wheel(&layout, &installation.dist_info).unwrap();
    assert_eq!(tree(&layout.scheme.purelib), Vec::<String>::new());
    // demo/a, demo/b, demo/c/deep, demo/c, demo, the .dist-info
    assert_eq!(uninstallation.dirs_removed, 6);
    assert!(layout.scheme.purelib.is_dir());
}

/// Issue 14, item 9: an `.egg-info` of `setup.py install` lists its files in
/// `installed-files.txt`, relative to itself, as pip reads it: they go with
/// the `.egg-info`, and an entry outside the environment is skipped.
#[test]
fn egg_info_is_removed_through_installed_files() {
    let tmp = tempdir();
    let layout = layout(tmp.path());
    let site_packages = &layout.scheme.purelib;
    let egg_info = site_packages.join("legacy-0.1-py3.12.egg-info");
    fs::create_dir_all(&egg_info).unwrap();
    fs::create_dir_all(site_packages.join("legacy/__pycache__")).unwrap();
    fs::create_dir_all(&layout.scheme.scripts).unwrap();
    fs::write(site_packages.join("legacy/__init__.py"), "").unwrap();
    fs::write(
        site_packages.join("legacy/__pycache__/__init__.cpython-312.pyc"),
        "",
    )
    .unwrap();
    fs::write(layout.scheme.scripts.join("legacy-tool"), "").unwrap();
    fs::write(site_packages.join("kept.py"), "").unwrap();
    fs::write(egg_info.join("PKG-INFO"), "Name: legacy\nVersion: 0.1\n").unwrap();
    fs::write(
        egg_info.join("installed-files.txt"),
        "../legacy/__init__.py\n../legacy/__pycache__/__init__.cpython-312.pyc\n\
         ../../../../bin/legacy-tool\n../../../../../outside.txt\nPKG-INFO\ninstalled-files.txt\n",
    )
    .unwrap();
    fs::write(tmp.path().join("outside.txt"), "").unwrap();

    let uninstallation = uninstall_wheel(&layout, &egg_info).unwrap();
    assert_eq!(uninstallation.files_removed, 3);
    assert_eq!(uninstallation.skipped, [tmp.path().join("outside.txt")]);
    assert!(tmp.path().join("outside.txt").is_file());
    assert_eq!(tree(site_packages), ["kept.py"]);
    assert_eq!(tree(&layout.scheme.scripts), Vec::<String>::new());

    // Without a file list nothing says which files are its own.
    let bare = site_packages.join("bare-1.0.egg-info");
    fs::create_dir_all(&bare).unwrap();
    let err = uninstall_wheel(&layout, &bare).unwrap_err();
    assert!(
        error_chain(&err, tmp.path()).contains("installed-files.txt` is missing"),
        "{}",
        error_chain(&err, tmp.path())
    );
}
