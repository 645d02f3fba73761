//! Issue 12, "wheel conformance", end to end: direct URL wheels are
//! tag-checked, invalid wheel filenames are reported as such, headers go into
//! the environment even for an unprivileged user of a root-owned Python, a
//! fresh install of an old setuptools-style wheel passes `pip-check --files`,
//! and the clone fallback warning names the real cause.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_test_support::WheelBuilder;

use crate::common::{TestContext, as_nobody, can_run_as_nobody, root_owned_python, simple_wheel};

/// `name @ file://<path>` for a wheel.
fn direct(name: &str, path: &Path) -> String {
    format!("{name} @ {}\n", url::Url::from_file_path(path).unwrap())
}

/// Item 2: a `name @ file://...` wheel for another platform, another Python
/// or a made-up ABI was installed silently.
#[test]
fn direct_url_wheels_with_foreign_tags_are_refused() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for tag in [
        "cp311-cp311-win_amd64",
        "cp27-cp27mu-manylinux1_x86_64",
        "py3-fakeabi-any",
    ] {
        let wheel = context.build(&simple_wheel("demo", "1.0").tag(tag));
        let requirements = context.requirements(&direct("demo", &wheel));
        let output = context.pip_sync().arg(&requirements).output().unwrap();
        let stderr = context.filtered(&output);
        assert_eq!(output.status.code(), Some(2), "{tag}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "is tagged `{tag}`, which this environment does not support"
            )),
            "{tag}: {stderr}"
        );
        assert_eq!(context.installed(), Vec::<String>::new(), "{tag}");
    }
    // A compatible direct URL wheel still installs.
    let wheel = context.build(&simple_wheel("demo", "1.0"));
    let requirements = context.requirements(&direct("demo", &wheel));
    context.pip_sync().arg(&requirements).assert().success();
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// Item 11: `invalid_version-2010i-py3-none-any.whl` was reported as
/// "building from source is not supported".
#[test]
fn invalid_wheel_filenames_are_reported_as_such() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context
        .wheels
        .join("invalid_version-2010i-py3-none-any.whl");
    fs::write(&wheel, "not a zip").unwrap();
    let requirements = context.requirements(&direct("invalid-version", &wheel));
    let output = context.pip_sync().arg(&requirements).output().unwrap();
    let stderr = context.filtered(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "`invalid_version-2010i-py3-none-any.whl` is not a valid wheel filename: `2010i` is not a PEP 440 version"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("from source"), "{stderr}");

    let bare = context.wheels.join("invalid.whl");
    fs::write(&bare, "not a zip").unwrap();
    for line in [direct("invalid", &bare), format!("{}\n", bare.display())] {
        let requirements = context.requirements(&line);
        let output = context.pip_sync().arg(&requirements).output().unwrap();
        let stderr = context.filtered(&output);
        assert_eq!(output.status.code(), Some(2), "{line}: {stderr}");
        assert!(
            stderr.contains("`invalid.whl` is not a valid wheel filename"),
            "{line}: {stderr}"
        );
        assert!(!stderr.contains("from source"), "{line}: {stderr}");
    }
}

/// Item 3: `easy_install` shipped both as an entry point and in
/// `.data/scripts` got two RECORD rows, one with a stale hash, and
/// `pip-check --files` reported the fresh install as modified.
#[test]
fn legacy_script_wrappers_leave_a_clean_record() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &WheelBuilder::new("setuptools", "0.9")
            .file("setuptools/__init__.py", "def main():\n    return 0\n")
            .file(
                "setuptools-0.9.data/scripts/easy_install",
                "#!python\nold\n",
            )
            .file("setuptools-0.9.data/scripts/easy_install.exe", "MZ")
            .file(
                "setuptools-0.9.data/scripts/easy_install-script.py",
                "#!python\nx\n",
            )
            .console_script("easy_install", "setuptools:main"),
    );
    let requirements = context.requirements("setuptools==0.9\n");
    context
        .pip_sync_local()
        .arg(&requirements)
        .assert()
        .success();
    assert!(!context.venv.join("bin/easy_install.exe").exists());
    context
        .command("pip-check")
        .arg("--files")
        .assert()
        .success();
}

/// Item 1: headers were installed into the base interpreter's include
/// directory (`/usr/include/python3.X/<name>`), so a non-root user of a
/// distro Python got "Permission denied" installing greenlet, and root wrote
/// into the system Python. As user 65534, a wheel with headers installs into
/// a venv made from the root-owned `/usr/bin/python3`, with its headers in
/// `<venv>/include/site/python3.X/<name>/`.
#[test]
fn unprivileged_user_installs_headers_into_a_venv_of_a_root_owned_python() {
    if !can_run_as_nobody() {
        return;
    }
    let Some(python) = root_owned_python() else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let home = fs::canonicalize(temp.path()).unwrap();
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    let wheels = home.join("wheels");
    fs::create_dir(&wheels).unwrap();
    WheelBuilder::new("greenlet", "3.0")
        .tag("py3-none-any")
        .file("greenlet/__init__.py", "")
        .file("greenlet-3.0.data/headers/greenlet.h", "int greenlet;\n")
        .build(&wheels);
    fs::write(home.join("requirements.txt"), "greenlet==3.0\n").unwrap();
    for path in [
        &wheels,
        &wheels.join("greenlet-3.0-py3-none-any.whl"),
        &home.join("requirements.txt"),
    ] {
        std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
    }

    let venv = home.join("venv");
    let python = python.display().to_string();
    let cache = home.join("cache").display().to_string();
    let output = as_nobody(
        &home,
        &["venv", "venv", "--python", &python, "--cache-dir", &cache],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let wheels = wheels.display().to_string();
    let args = [
        "pip-sync",
        "requirements.txt",
        "--no-index",
        "--find-links",
        &wheels,
        "--cache-dir",
        &cache,
    ];
    let output = as_nobody(&home, &args, Some(&venv));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let include: Vec<PathBuf> = fs::read_dir(venv.join("include/site"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(include.len(), 1, "{include:?}");
    let header = include[0].join("greenlet/greenlet.h");
    assert_eq!(fs::read_to_string(&header).unwrap(), "int greenlet;\n");
    assert_eq!(fs::metadata(&header).unwrap().uid(), 65534);
}

/// Item 10: `--link-mode clone` on a filesystem without reflinks (ext4)
/// warned that the cache was "on another filesystem". The warning names the
/// missing copy-on-write support with the errno, the hardlink used instead,
/// and the flag that silences it.
#[test]
fn clone_fallback_warning_names_the_real_cause() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let output = context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\n"))
        .args(["--link-mode", "clone", "-v"])
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "{stderr}");
    if stderr.contains("Link modes used: clone") {
        println!("Skipping: the test directory's filesystem supports reflinks");
        return;
    }
    let warning = stderr
        .lines()
        .find(|line| line.starts_with("warning: Failed to clone"))
        .unwrap_or_else(|| panic!("no clone warning:\n{stderr}"));
    assert!(
        warning.contains("the filesystem does not support copy-on-write clones (")
            && warning.contains("(os error "),
        "{warning}"
    );
    assert!(!warning.contains("another filesystem"), "{warning}");
    assert!(
        warning.ends_with(
            "; falling back to hardlink. Pass --link-mode=hardlink to silence this warning"
        ),
        "{warning}"
    );
    assert!(stderr.contains("Link modes used: hardlink 1"), "{stderr}");
}
