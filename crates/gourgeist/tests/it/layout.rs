//! The files an environment gets and the rules for an existing target, with
//! an interpreter description that needs no Python.

use std::path::Path;

use fs_err as fs;
use gourgeist::{Error, VenvOptions, create_venv};
use puffin_interpreter::Interpreter;

/// A CPython 3.12 at `/opt/python/bin/python3.12`.
fn interpreter() -> Interpreter {
    serde_json::from_value(serde_json::json!({
        "sys_executable": "/opt/python/bin/python3.12",
        "python_version": [3, 12, 1],
        "implementation_name": "cpython",
        "implementation_version": [3, 12],
        "prefix": "/opt/python",
        "base_prefix": "/opt/python",
        "base_executable": "/opt/python/bin/python3.12",
        "scheme": {
            "purelib": "/opt/python/lib/python3.12/site-packages",
            "platlib": "/opt/python/lib/python3.12/site-packages",
            "scripts": "/opt/python/bin",
            "data": "/opt/python",
            "include": "/opt/python/include/python3.12",
        },
        "markers": {
            "implementation_name": "cpython",
            "implementation_version": "3.12.1",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "6.1.0",
            "platform_system": "Linux",
            "platform_version": "#1 SMP",
            "python_full_version": "3.12.1",
            "python_version": "3.12",
            "sys_platform": "linux",
        },
        "pointer_size": 64,
        "gil_disabled": false,
        "debug": false,
        "sysconfig_platform": "linux-x86_64",
        "pip_default_index": null,
        "externally_managed": null,
    }))
    .unwrap()
}

/// Every entry below `root`, with symlink targets, one per line.
fn tree(root: &Path) -> String {
    let mut lines = Vec::new();
    for entry in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        if entry.path_is_symlink() {
            let target = fs::read_link(entry.path()).unwrap();
            lines.push(format!("{relative} -> {}", target.display()));
        } else if entry.file_type().is_dir() {
            lines.push(format!("{relative}/"));
        } else {
            lines.push(relative);
        }
    }
    lines.join("\n")
}

fn error_text(err: &Error, temp: &Path) -> String {
    err.to_string()
        .replace(&temp.display().to_string(), "[TEMP]")
}

#[test]
fn layout() {
    let temp = tempfile::tempdir().unwrap();
    let layout = create_venv(
        &temp.path().join(".venv"),
        &interpreter(),
        &VenvOptions::default(),
    )
    .unwrap();
    let root = temp.path().join(".venv");
    assert_eq!(layout.root, root);
    assert_eq!(layout.python, root.join("bin/python"));
    assert_eq!(
        layout.site_packages,
        root.join("lib/python3.12/site-packages")
    );
    insta::assert_snapshot!(tree(&root), @r"
    .gitignore
    bin/
    bin/activate
    bin/activate.csh
    bin/activate.fish
    bin/python -> /opt/python/bin/python3.12
    bin/python3 -> /opt/python/bin/python3.12
    bin/python3.12 -> /opt/python/bin/python3.12
    lib/
    lib/python3.12/
    lib/python3.12/site-packages/
    lib64 -> lib
    pyvenv.cfg
    ");
    let cfg = fs::read_to_string(root.join("pyvenv.cfg")).unwrap();
    insta::assert_snapshot!(cfg.replace(env!("CARGO_PKG_VERSION"), "[VERSION]"), @r"
    home = /opt/python/bin
    implementation = CPython
    version = 3.12.1
    include-system-site-packages = false
    puffin = [VERSION]
    ");
    // No temporary directory is left next to the environment.
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 1);
}

#[test]
fn prompt_and_quoting() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("it's an env");
    let options = VenvOptions {
        prompt: Some("my prompt".to_string()),
        ..VenvOptions::default()
    };
    create_venv(&path, &interpreter(), &options).unwrap();
    let cfg = fs::read_to_string(path.join("pyvenv.cfg")).unwrap();
    assert!(cfg.ends_with("prompt = my prompt\n"), "{cfg}");
    let activate = fs::read_to_string(path.join("bin/activate")).unwrap();
    let quoted = format!("VIRTUAL_ENV='{}/it'\\''s an env'", temp.path().display());
    assert!(activate.contains(&quoted), "{activate}");
    assert!(
        activate.contains("VIRTUAL_ENV_PROMPT='my prompt'"),
        "{activate}"
    );
}

#[test]
fn free_threaded_and_32_bit() {
    let temp = tempfile::tempdir().unwrap();
    let mut base = interpreter();
    base.gil_disabled = true;
    base.pointer_size = 32;
    let layout = create_venv(&temp.path().join("venv"), &base, &VenvOptions::default()).unwrap();
    assert_eq!(
        layout.site_packages,
        temp.path().join("venv/lib/python3.12t/site-packages")
    );
    assert!(layout.site_packages.is_dir());
    assert!(fs::symlink_metadata(temp.path().join("venv/lib64")).is_err());
}

#[test]
fn an_empty_directory_is_used() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("venv");
    fs::create_dir(&path).unwrap();
    create_venv(&path, &interpreter(), &VenvOptions::default()).unwrap();
    assert!(path.join("pyvenv.cfg").is_file());
}

#[test]
fn missing_parents_are_created() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("a/b/venv");
    create_venv(&path, &interpreter(), &VenvOptions::default()).unwrap();
    assert!(path.join("pyvenv.cfg").is_file());
}

#[test]
fn an_existing_environment_needs_clear() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("venv");
    create_venv(&path, &interpreter(), &VenvOptions::default()).unwrap();
    fs::write(path.join("lib/python3.12/site-packages/leftover.py"), "").unwrap();

    let err = create_venv(&path, &interpreter(), &VenvOptions::default()).unwrap_err();
    insta::assert_snapshot!(error_text(&err, temp.path()), @"`[TEMP]/venv` already exists and is not empty; pass `--clear` to replace it");
    assert!(
        path.join("lib/python3.12/site-packages/leftover.py")
            .exists()
    );

    let clear = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    create_venv(&path, &interpreter(), &clear).unwrap();
    assert!(
        !path
            .join("lib/python3.12/site-packages/leftover.py")
            .exists()
    );
    assert!(path.join("pyvenv.cfg").is_file());
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 1);
}

#[test]
fn clear_refuses_a_directory_that_is_not_an_environment() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("project");
    fs::create_dir(&path).unwrap();
    fs::write(path.join("important.txt"), "keep me").unwrap();
    let clear = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    let err = create_venv(&path, &interpreter(), &clear).unwrap_err();
    insta::assert_snapshot!(error_text(&err, temp.path()), @"Refusing to clear `[TEMP]/project`: it is not a virtual environment (it has no `pyvenv.cfg`, `bin/python` or `bin/activate`); remove it yourself or choose another path");
    assert!(path.join("important.txt").exists());
    // Nothing is left behind.
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 1);
}

#[test]
fn a_file_is_not_replaced() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("venv");
    fs::write(&path, "").unwrap();
    let clear = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    let err = create_venv(&path, &interpreter(), &clear).unwrap_err();
    insta::assert_snapshot!(error_text(&err, temp.path()), @"`[TEMP]/venv` exists and is not a directory");
}

/// Discovery reports a `.venv` without `pyvenv.cfg` as broken and suggests
/// `puffin venv --clear`: that must work.
#[test]
fn clear_repairs_an_environment_that_lost_pyvenv_cfg() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join(".venv");
    create_venv(&path, &interpreter(), &VenvOptions::default()).unwrap();
    fs::remove_file(path.join("pyvenv.cfg")).unwrap();
    let clear = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    create_venv(&path, &interpreter(), &clear).unwrap();
    assert!(path.join("pyvenv.cfg").is_file());
}
