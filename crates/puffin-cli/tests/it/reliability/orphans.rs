//! Orphans: files that an install interrupted before puffin journaled its
//! changes left in site-packages. `pip-sync` warns about them and removes
//! them with `--fix`; `--fix --dry-run` lists them and removes nothing. Only
//! top-level packages and modules that no installed distribution owns are
//! orphans: user files that are not Python package content, `.pth` files
//! and what they name, files inside an installed package, and everything
//! outside site-packages are never touched.

use std::collections::BTreeMap;

use fs_err as fs;

use super::tree_listing;
use crate::common::{TestContext, simple_wheel};

/// The orphans this scenario plants, relative to site-packages.
const ORPHANS: &[&str] = &[
    "bar.py",
    "foo/__init__.py",
    "foo/__pycache__/__init__.cpython-311.pyc",
    "foo/data.json",
    "foo/sub/mod.py",
    "native.cpython-311-x86_64-linux-gnu.so",
];

/// Files that are not orphans, relative to the environment's root.
const KEPT: &[&str] = &[
    // Not Python package content.
    "SITE/README.txt",
    "SITE/notes/todo.txt",
    // The environment's or another tool's.
    "SITE/sitecustomize.py",
    "SITE/extra.pth",
    "SITE/keepme.py",
    "SITE/project.egg-link",
    // Inside a package an installed distribution owns.
    "SITE/demo/stray.py",
    // Outside site-packages.
    "bin/stray-script",
    "mine.py",
];

/// An environment with `demo` 1.0 installed, the [`ORPHANS`] and the
/// [`KEPT`] files.
fn planted() -> Option<TestContext> {
    let context = TestContext::new()?;
    context.wheel("demo", "1.0");
    let output = context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\n"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    let site_packages = context.site_packages();
    let relative = site_packages.strip_prefix(&context.venv).unwrap();
    let site = relative.to_str().unwrap();
    for path in ORPHANS
        .iter()
        .map(|path| format!("SITE/{path}"))
        .chain(KEPT.iter().map(ToString::to_string))
    {
        let path = context.venv.join(path.replace("SITE", site));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let contents = if path.ends_with("extra.pth") {
            "import keepme\n"
        } else {
            "x = 1\n"
        };
        fs::write(&path, contents).unwrap();
    }
    Some(context)
}

/// The environment's files, without the lock and bytecode of the checks.
fn listing(context: &TestContext) -> BTreeMap<String, String> {
    tree_listing(&context.venv, &[".lock"])
}

/// A sync that changes nothing warns about the orphans, naming a few and
/// `--fix`, and removes nothing.
#[test]
fn orphans_are_reported_with_the_way_to_remove_them() {
    let Some(context) = planted() else {
        return;
    };
    let before = listing(&context);
    let output = context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\n"))
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "{stderr}");
    insta::assert_snapshot!(stderr, @r"
    Using Python [VERSION] environment at .venv
    Audited 1 package in [TIME]
    warning: 6 files in site-packages belong to no installed distribution (left by an install that was interrupted before puffin journaled its changes): `.venv/lib/python[X.Y]/site-packages/bar.py`, `.venv/lib/python[X.Y]/site-packages/foo/__init__.py`, `.venv/lib/python[X.Y]/site-packages/foo/__pycache__/__init__.cpython-311.pyc` and 3 more. Run pip-sync with --fix to remove them
    ");
    assert_eq!(listing(&context), before);
}

/// `--fix --dry-run` lists every orphan and removes nothing.
#[test]
fn fix_with_a_dry_run_lists_the_orphans() {
    let Some(context) = planted() else {
        return;
    };
    let before = listing(&context);
    let output = context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\n"))
        .args(["--fix", "--dry-run"])
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "{stderr}");
    insta::assert_snapshot!(stderr, @r"
    Using Python [VERSION] environment at .venv
    Audited 1 package in [TIME]
    Would remove 6 files that belong to no installed distribution (--fix, dry run: nothing changed):
       .venv/lib/python[X.Y]/site-packages/bar.py
       .venv/lib/python[X.Y]/site-packages/foo/__init__.py
       .venv/lib/python[X.Y]/site-packages/foo/__pycache__/__init__.cpython-311.pyc
       .venv/lib/python[X.Y]/site-packages/foo/data.json
       .venv/lib/python[X.Y]/site-packages/foo/sub/mod.py
       .venv/lib/python[X.Y]/site-packages/native.cpython-311-x86_64-linux-gnu.so
    ");
    assert_eq!(listing(&context), before);
}

/// `--fix` removes exactly the orphans (and the directories they leave
/// empty), keeps every other file, and the next sync has nothing to say.
#[test]
fn fix_removes_exactly_the_orphans() {
    let Some(context) = planted() else {
        return;
    };
    let before = listing(&context);
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .arg("--fix")
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Removed 6 files that belonged to no installed distribution: `.venv/lib/python[X.Y]/site-packages/bar.py`"),
        "{stderr}"
    );
    let site = context
        .site_packages()
        .strip_prefix(&context.venv)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mut expected = before.clone();
    expected.retain(|path, _| {
        let relative = path.strip_prefix(&format!("{site}/")).unwrap_or("");
        !ORPHANS.contains(&relative) && !relative.starts_with("foo")
    });
    assert_eq!(listing(&context), expected);
    for kept in KEPT {
        assert!(
            context.venv.join(kept.replace("SITE", &site)).is_file(),
            "{kept}"
        );
    }
    assert!(!context.site_packages().join(".puffin-txn").exists());

    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// `--fix` removes the orphans in the sync's transaction: when the sync
/// then fails, they are put back with everything else.
#[test]
fn a_failed_sync_puts_the_orphans_back() {
    let Some(context) = planted() else {
        return;
    };
    context.build(&simple_wheel("demo", "2.0").file("demo/new.py", "Z = 3\n"));
    fs::create_dir_all(context.site_packages().join("demo/new.py/inner")).unwrap();
    let before = listing(&context);
    let output = context
        .pip_sync_local()
        .arg(context.requirements("demo==2.0\n"))
        .arg("--fix")
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("The environment was restored"), "{stderr}");
    assert_eq!(listing(&context), before);
}
