//! Fixtures: fake interpreters that print a fixed query answer, and the real
//! Python on `PATH` when a test needs one.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;

/// Write an executable shell script at `path`.
pub(crate) fn write_script(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A query answer for an interpreter with this prefix and base prefix.
pub(crate) fn answer(
    prefix: &Path,
    base_prefix: &Path,
    externally_managed: Option<&str>,
) -> String {
    serde_json::json!({
        "sys_executable": prefix.join("bin").join("python"),
        "python_version": [3, 12, 1],
        "implementation_name": "cpython",
        "implementation_version": [3, 12],
        "prefix": prefix,
        "base_prefix": base_prefix,
        "base_executable": base_prefix.join("bin").join("python3.12"),
        "scheme": {
            "purelib": prefix.join("lib/python3.12/site-packages"),
            "platlib": prefix.join("lib/python3.12/site-packages"),
            "scripts": prefix.join("bin"),
            "data": prefix,
            "include": base_prefix.join("include/python3.12"),
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
        "externally_managed": externally_managed,
    })
    .to_string()
}

/// A fake interpreter at `path` answering with `answer`; each run appends a
/// line to `path` + `.runs`.
pub(crate) fn fake_python(path: &Path, answer: &str) {
    let runs = format!("{}.runs", path.display());
    write_script(
        path,
        &format!("echo run >> '{runs}'\ncat <<'PUFFIN_JSON'\n{answer}\nPUFFIN_JSON\n"),
    );
}

/// How many times the fake interpreter at `path` ran.
pub(crate) fn runs(path: &Path) -> usize {
    fs::read_to_string(format!("{}.runs", path.display()))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// A fake virtual environment at `root` made from `base`: `pyvenv.cfg` and a
/// `bin/python` that answers as a virtual environment would.
pub(crate) fn fake_venv(root: &Path, base: &Path) -> PathBuf {
    fs::create_dir_all(root).unwrap();
    fs::write(root.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    let python = root.join("bin").join("python");
    fake_python(&python, &answer(root, base, None));
    python
}

/// A fake installation that is not a virtual environment.
pub(crate) fn fake_system(root: &Path, externally_managed: Option<&str>) -> PathBuf {
    let python = root.join("bin").join("python3");
    fake_python(&python, &answer(root, root, externally_managed));
    python
}

/// The real `python3` on `PATH`, if any.
pub(crate) fn real_python() -> Option<PathBuf> {
    let python = which::which("python3").ok();
    if python.is_none() {
        println!("Skipping: no `python3` on PATH");
    }
    python
}
