//! `pip-sync --compile-bytecode`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::common::{self, TestContext, simple_wheel};

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

/// The interpreter's bytecode cache tag (`cpython-311`).
fn cache_tag(venv: &Path) -> String {
    let output = std::process::Command::new(venv.join("bin/python"))
        .args(["-c", "import sys; print(sys.implementation.cache_tag)"])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Every `.py` file below `site_packages` (relative), with whether
/// `__pycache__/<stem>.<tag>.pyc` exists beside it. `.py` files in
/// `__pycache__` directories are not sources.
fn bytecode_coverage(site_packages: &Path, tag: &str) -> BTreeMap<PathBuf, bool> {
    walkdir::WalkDir::new(site_packages)
        .into_iter()
        .filter_entry(|entry| entry.file_name() != "__pycache__")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter(|entry| entry.file_name().as_encoded_bytes().ends_with(b".py"))
        .map(|entry| {
            let path = entry.path();
            let stem = path.file_stem().unwrap().to_string_lossy();
            let pyc = path
                .parent()
                .unwrap()
                .join("__pycache__")
                .join(format!("{stem}.{tag}.pyc"));
            let relative = path.strip_prefix(site_packages).unwrap().to_path_buf();
            (relative, pyc.is_file())
        })
        .collect()
}

/// What one comparison found: `.py` files, and those with bytecode.
#[derive(Debug)]
struct Coverage {
    sources: usize,
    compiled: usize,
}

/// Sync `requirements` (with `args`, e.g. `--find-links`) into `.venv` with
/// `--compile-bytecode`, and into a second fresh environment without it,
/// then run `python -m compileall -q` on the second one's site-packages; per
/// `.py` file the two must agree on whether it has bytecode. The `.py` files
/// a fresh environment already holds are left out (not the sync's).
fn compare_with_compileall(
    context: &TestContext,
    requirements: &Path,
    args: &[&OsStr],
) -> Coverage {
    let tag = cache_tag(&context.venv);
    let before = bytecode_coverage(&context.site_packages(), &tag);
    let output = context
        .pip_sync()
        .args(args)
        .arg(requirements)
        .arg("--compile-bytecode")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut ours = bytecode_coverage(&context.site_packages(), &tag);

    let plain = context.create_venv("plain");
    let output = context
        .command_in("pip-sync", &plain)
        .args(args)
        .arg(requirements)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plain_site = common::site_packages(&plain);
    assert!(
        bytecode_coverage(&plain_site, &tag)
            .values()
            .all(|pyc| !pyc),
        "a sync without --compile-bytecode compiles nothing"
    );
    // compileall exits 1 when a file does not compile: its verdict per file
    // is what is compared, not its status.
    std::process::Command::new(plain.join("bin/python"))
        .args(["-m", "compileall", "-q"])
        .arg(&plain_site)
        .output()
        .unwrap();
    let mut theirs = bytecode_coverage(&plain_site, &tag);
    for path in before.keys() {
        ours.remove(path);
        theirs.remove(path);
    }

    let only_ours: Vec<_> = ours
        .iter()
        .filter(|(path, pyc)| theirs.get(*path) != Some(pyc))
        .collect();
    let only_theirs: Vec<_> = theirs
        .iter()
        .filter(|(path, pyc)| ours.get(*path) != Some(pyc))
        .collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "bytecode differs from compileall's\n  with --compile-bytecode (path, has .pyc): {only_ours:#?}\n  compileall (path, has .pyc): {only_theirs:#?}"
    );
    Coverage {
        sources: ours.len(),
        compiled: ours.values().filter(|pyc| **pyc).count(),
    }
}

/// Wheels with files that are hard to compile, or easy to miss: the same
/// `.py` files get bytecode as with `python -m compileall` on site-packages.
#[test]
fn tricky_files_get_the_bytecode_compileall_gives_them() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &simple_wheel("tricky", "1.0")
            .file("tricky/empty.py", "")
            .file("tricky/py2.py", "print \"hello\"\n")
            .file("tricky/async_keyword.py", "async = 1\n")
            .file("tricky/nul.py", b"X = 1\n\0\n")
            .file(
                "tricky/latin.py",
                b"# -*- coding: latin-1 -*-\nNAME = \"caf\xe9\"\n",
            )
            .file("tricky/no_cookie.py", b"NAME = \"caf\xe9\"\n")
            .file(
                "tricky/bad_cookie.py",
                "# -*- coding: no-such-codec -*-\nX = 1\n",
            )
            .file("tricky/bom.py", b"\xef\xbb\xbfX = 1\n")
            .file("tricky/crlf.py", "X = 1\r\nY = 2\r\n")
            .file("tricky/na\u{ef}ve_\u{fc}nicode.py", "X = 1\n")
            .file("tricky/with space.py", "X = 1\n")
            .file("tricky/UPPER.PY", "X = 1\n")
            .file("tricky/stub.pyi", "X: int\n")
            .file("tricky/templates/not_a_package.py", "X = 1\n")
            .file("tricky/templates/broken_template.py", "{% if x %}\n")
            .file("tricky/deep/a/b/c/d/e.py", "X = 1\n")
            .file("tricky-1.0.data/purelib/tricky_extra/mod.py", "X = 1\n")
            .file("tricky-1.0.data/scripts/tool.py", "#!python\nprint(1)\n")
            .file("tricky-1.0.data/data/share/tricky/helper.py", "X = 1\n"),
    );
    context
        .build(&simple_wheel("single", "2.0").file("single_module.py", "def f():\n    return 1\n"));
    let requirements = context.requirements("tricky==1.0\nsingle==2.0\n");
    let find_links = [
        OsStr::new("--no-index"),
        OsStr::new("--find-links"),
        context.wheels.as_os_str(),
    ];
    let coverage = compare_with_compileall(&context, &requirements, &find_links);
    // 18 `.py` files in site-packages (with the `__init__.py` of each
    // wheel), 6 of which do not compile (py2, async_keyword, nul, no_cookie,
    // bad_cookie, broken_template); tool.py and helper.py are outside it.
    assert_eq!(coverage.sources, 18, "{coverage:?}");
    assert_eq!(coverage.compiled, 12, "{coverage:?}");
    // Outside site-packages, the `.py` files the wheel put in the prefix are
    // compiled too, as pip compiles every installed `.py`.
    let tag = cache_tag(&context.venv);
    for (dir, stem) in [("bin", "tool"), ("share/tricky", "helper")] {
        let pyc = context
            .venv
            .join(dir)
            .join("__pycache__")
            .join(format!("{stem}.{tag}.pyc"));
        assert!(pyc.is_file(), "{}", pyc.display());
    }
}

/// The shared jupyter-pandas set (`../shared/bench/jupyter-pandas.txt` beside
/// the repository) from a directory of its wheels named by
/// `PUFFIN_TEST_JUPYTER_PANDAS_WHEELS`: `--compile-bytecode` leaves bytecode
/// for exactly the `.py` files `python -m compileall` compiles.
#[test]
fn jupyter_pandas_bytecode_matches_compileall() {
    let Some(wheels) = std::env::var_os("PUFFIN_TEST_JUPYTER_PANDAS_WHEELS") else {
        println!("Skipping: PUFFIN_TEST_JUPYTER_PANDAS_WHEELS names no directory of wheels");
        return;
    };
    let wheels = PathBuf::from(wheels);
    if !wheels.is_dir() {
        println!(
            "Skipping: PUFFIN_TEST_JUPYTER_PANDAS_WHEELS={} is not a directory",
            wheels.display()
        );
        return;
    }
    let requirements =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/jupyter-pandas.txt");
    if !requirements.is_file() {
        println!("Skipping: {} does not exist", requirements.display());
        return;
    }
    let Some(context) = TestContext::new() else {
        return;
    };
    let find_links = [
        OsStr::new("--no-index"),
        OsStr::new("--find-links"),
        wheels.as_os_str(),
    ];
    let coverage = compare_with_compileall(&context, &requirements, &find_links);
    println!(
        "jupyter-pandas: {} .py files in site-packages, {} with bytecode (as compileall)",
        coverage.sources, coverage.compiled
    );
    assert!(coverage.compiled > 1000, "{coverage:?}");
}
