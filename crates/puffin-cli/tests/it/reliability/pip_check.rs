//! `puffin pip-check`: requirements as `pip check` reports them, and with
//! `--files` installed files against their RECORD.

use fs_err as fs;
use puffin_test_support::WheelBuilder;

use super::puffin;
use crate::common::{TestContext, simple_wheel, site_packages};

/// Run `puffin pip-check [args]` in `.venv`: the exit code and the filtered
/// stdout.
fn check(context: &TestContext, args: &[&str]) -> (Option<i32>, String) {
    let output = puffin(context, &context.venv, "pip-check")
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), context.filtered_stdout(&output))
}

#[test]
fn an_empty_environment_is_fine() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let (code, stdout) = check(&context, &["--files"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(stdout, @r"
    No broken requirements found.
    No modified files found.
    ");
}

/// Missing and conflicting requirements are reported; requirements whose
/// markers do not match, and those of extras, are not.
#[test]
fn unmet_requirements() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &WheelBuilder::new("app", "1.0")
            .file("app/__init__.py", "")
            .requires("lib>=2")
            .requires("Missing_Dep")
            .requires("never; python_version < '3'")
            .requires("extra-dep; extra == 'x'")
            .requires("lib<5"),
    );
    context.build(&simple_wheel("lib", "1.0"));
    context.build(&simple_wheel("fine", "1.0").requires("lib"));
    let requirements = context.requirements("app==1.0\nlib==1.0\nfine==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));

    let (code, stdout) = check(&context, &[]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stdout, @r"
    app 1.0 has requirement lib>=2, but you have lib 1.0.
    app 1.0 requires missing-dep, which is not installed.
    ");
}

/// `--files` reports modified and missing files; rows without a hash and
/// rows outside the environment are skipped.
#[test]
fn files_against_record() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &simple_wheel("demo", "1.0")
            .file("demo/a.py", "A = 1\n")
            .file("demo/b.py", "B = 1\n"),
    );
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .args(["--link-mode", "copy"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    let site_packages = site_packages(&context.venv);
    fs::write(site_packages.join("demo/a.py"), "A = 2\n").unwrap();
    fs::remove_file(site_packages.join("demo/b.py")).unwrap();
    // Rows puffin never reads: outside the environment, and without a hash.
    let outside = context.write("outside.txt", "x\n");
    let record = site_packages.join("demo-1.0.dist-info/RECORD");
    let mut text = fs::read_to_string(&record).unwrap();
    text.push_str("../../../../outside.txt,sha256=AAAA,2\n");
    text.push_str(&format!("{},sha256=AAAA,2\n", outside.display()));
    text.push_str("demo/ghost.py,,\n");
    fs::write(&record, text).unwrap();

    let (code, stdout) = check(&context, &[]);
    assert_eq!(code, Some(0));
    let (code, stdout_files) = check(&context, &["--files"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(format!("{stdout}---\n{stdout_files}"), @r"
    No broken requirements found.
    ---
    No broken requirements found.
    demo 1.0: `[TEMP]/.venv/lib/python[X.Y]/site-packages/demo/a.py` was modified (RECORD has sha256=Bu289DNhZaJx5lJAJaZDnDyqMkb9B5bxFncieXB6UyU, the file has sha256=GXNgAaLDkWLZrhFwzO3cPyrS4QbiuIGOTmYO_GwJdhQ)
    demo 1.0: `[TEMP]/.venv/lib/python[X.Y]/site-packages/demo/b.py` is missing
    ");
}

/// Files that an install interrupted before installs were journaled left
/// behind (payload and a launcher, but no `.dist-info`) are listed as
/// unowned; bytecode, `.pth` files and the environment's own scripts are not.
///
/// Regression: such files were invisible to `pip-check --files` and stayed
/// in the environment forever.
#[test]
fn files_no_record_lists_are_unowned() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("demo", "1.0"));
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    let site_packages = site_packages(&context.venv);
    fs::create_dir_all(site_packages.join("half/sub")).unwrap();
    fs::write(site_packages.join("half/sub/module.py"), "").unwrap();
    fs::write(context.venv.join("bin/half"), "#!/bin/sh\n").unwrap();
    fs::create_dir_all(site_packages.join("demo/__pycache__")).unwrap();
    fs::write(site_packages.join("demo/__pycache__/x.cpython-312.pyc"), "").unwrap();
    fs::write(site_packages.join("paths.pth"), "\n").unwrap();

    let (code, stdout) = check(&context, &["--files"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(stdout, @r"
    No broken requirements found.
    `[TEMP]/.venv/bin/half` belongs to no installed distribution: no RECORD lists it
    `[TEMP]/.venv/lib/python[X.Y]/site-packages/half/sub/module.py` belongs to no installed distribution: no RECORD lists it
    ");
}
