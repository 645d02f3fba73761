//! `pip-sync --compile-bytecode`.

use std::path::Path;

use fs_err as fs;

use crate::common::{TestContext, simple_wheel};

/// Every `.pyc` below `dir`.
fn pyc_files(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "pyc"))
        .map(|entry| {
            entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    found.sort();
    found
}

/// The installed `.py` files get the `.pyc` files `python -m compileall`
/// would write (none for a file with a syntax error, which does not fail the
/// sync); a no-op sync compiles nothing; uninstalling removes them.
#[test]
fn compile_bytecode_matches_compileall() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = simple_wheel("demo", "1.0")
        .file("demo/a.py", "A = 1\n")
        .file("demo/sub/__init__.py", "")
        .file("demo/sub/b.py", "def f():\n    return 2\n")
        .file("demo/broken.py", "def (:\n")
        .file("demo/data.txt", "not python\n");
    context.build(&wheel);
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .arg("--compile-bytecode")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Compiled 4 files"), "{stderr}");
    let installed = context.site_packages().join("demo");
    let ours = pyc_files(&installed);

    // What compileall makes of the same sources.
    let copy = context.root.join("copy/demo");
    wheel.build_unpacked(&context.root.join("unpacked"));
    let unpacked = context.root.join("unpacked/demo-1.0-py3-none-any/demo");
    fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::process::Command::new("cp")
        .arg("-r")
        .arg(&unpacked)
        .arg(&copy)
        .status()
        .unwrap();
    let status = std::process::Command::new(context.venv.join("bin/python"))
        .args(["-m", "compileall", "-q"])
        .arg(&copy)
        .status()
        .unwrap();
    assert!(!status.success(), "compileall reports the syntax error");
    assert_eq!(ours, pyc_files(&copy));
    assert_eq!(ours.len(), 4, "{ours:?}");

    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .arg("--compile-bytecode")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("Compiled"));

    let empty = context.requirements("");
    let output = context
        .pip_sync_local()
        .arg(&empty)
        .arg("--allow-empty-requirements")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(!installed.exists(), "uninstall removes the bytecode too");
}
