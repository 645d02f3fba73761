//! Fingerprints of local source trees.

use std::path::Path;
use std::time::{Duration, SystemTime};

use fs_err as fs;
use puffin_source::fingerprint;

/// Set a file's modification time, so that no test depends on the clock.
fn set_mtime(path: &Path, time: SystemTime) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .file()
        .set_modified(time)
        .unwrap();
}

fn write(root: &Path, path: &str, contents: &str, time: SystemTime) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, contents).unwrap();
    set_mtime(&path, time);
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
}

fn project(root: &Path) {
    write(
        root,
        "pyproject.toml",
        "[build-system]\nrequires = [\"setuptools\"]\n",
        at(0),
    );
    write(root, "setup.cfg", "[metadata]\nname = demo\n", at(1));
    write(root, "demo/__init__.py", "VALUE = 1\n", at(2));
    write(root, "demo/build/__init__.py", "", at(3));
}

#[test]
fn a_build_does_not_change_the_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    project(root);
    let before = fingerprint(root).unwrap();
    assert_eq!(before.len(), 64);
    // What `setup.py bdist_wheel` and friends leave behind, all newer.
    write(root, "build/lib/demo/__init__.py", "VALUE = 1\n", at(100));
    write(root, "build/bdist.linux-x86_64/x", "", at(100));
    write(root, "demo.egg-info/PKG-INFO", "Name: demo\n", at(100));
    write(root, "src/demo.egg-info/SOURCES.txt", "", at(100));
    write(root, "dist/demo-1.0-py3-none-any.whl", "", at(100));
    write(
        root,
        "demo/__pycache__/__init__.cpython-311.pyc",
        "",
        at(100),
    );
    write(root, ".eggs/README.txt", "", at(100));
    write(root, ".git/index", "", at(100));
    write(root, ".tox/py311/x", "", at(100));
    write(root, "env/pyvenv.cfg", "home = /usr\n", at(100));
    write(root, "env/lib/site.py", "", at(100));
    write(
        root,
        "cache/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55\n",
        at(100),
    );
    write(root, "cache/wheels-v1/x", "", at(100));
    assert_eq!(fingerprint(root).unwrap(), before);
}

#[test]
fn source_changes_change_the_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    project(root);
    let first = fingerprint(root).unwrap();
    assert_eq!(fingerprint(root).unwrap(), first, "stable");

    // Touching a source file.
    set_mtime(&root.join("demo/__init__.py"), at(50));
    let touched = fingerprint(root).unwrap();
    assert_ne!(touched, first);

    // Editing setup.cfg, even with its old modification time.
    write(root, "setup.cfg", "[metadata]\nname = demo2\n", at(1));
    let edited = fingerprint(root).unwrap();
    assert_ne!(edited, touched);

    // A `build` directory below the top is part of the source.
    set_mtime(&root.join("demo/build/__init__.py"), at(60));
    let nested = fingerprint(root).unwrap();
    assert_ne!(nested, edited);

    // Removing a file, even an old one.
    fs::remove_file(root.join("demo/build/__init__.py")).unwrap();
    set_mtime(&root.join("demo/__init__.py"), at(60));
    let removed = fingerprint(root).unwrap();
    assert_ne!(removed, nested);

    // Adding setup.py.
    write(root, "setup.py", "", at(0));
    assert_ne!(fingerprint(root).unwrap(), removed);
}

#[test]
fn a_missing_tree_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = fingerprint(&missing).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}
