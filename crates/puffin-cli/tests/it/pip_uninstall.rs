//! `puffin pip-uninstall`: by name and from requirements files.

use fs_err as fs;
use puffin_test_support::WheelBuilder;

use crate::common::{TestContext, python_writing_bytecode};

/// A context with `alpha` (with a console script), `beta` and `gamma`
/// installed.
fn installed_context() -> Option<TestContext> {
    let context = TestContext::new()?;
    context.build(
        &WheelBuilder::new("alpha", "1.0")
            .file("alpha/__init__.py", "def main():\n    print('alpha')\n")
            .file("alpha/sub/mod.py", "X = 1\n")
            .console_script("alpha-cli", "alpha:main"),
    );
    context.wheel("beta", "2.0");
    context.wheel("gamma", "3.0");
    let requirements = context.requirements("alpha==1.0\nbeta==2.0\ngamma==3.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert!(context.venv.join("bin/alpha-cli").is_file());
    Some(context)
}

/// Uninstalling by name removes the packages' files, launchers and
/// `.dist-info`, and nothing else.
#[test]
fn by_name() {
    let Some(context) = installed_context() else {
        return;
    };
    // Byte-compiled files that the RECORD does not list.
    python_writing_bytecode(&context.venv, "import alpha, alpha.sub.mod, beta");
    assert!(
        context
            .site_packages()
            .join("alpha/sub/__pycache__")
            .is_dir()
    );
    let output = context
        .pip_uninstall()
        .args(["alpha", "BETA"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered(&output));
    assert_eq!(context.installed(), ["gamma==3.0"]);
    let site_packages = context.site_packages();
    for gone in ["alpha", "alpha-1.0.dist-info", "beta", "beta-2.0.dist-info"] {
        assert!(
            fs::symlink_metadata(site_packages.join(gone)).is_err(),
            "{gone} is still there"
        );
    }
    assert!(!context.venv.join("bin/alpha-cli").exists());
    assert!(site_packages.join("gamma/__init__.py").is_file());
    context.assert_python("import gamma");
}

/// `-r FILE` uninstalls what the file lists (versions and markers do not
/// matter); names and files combine.
#[test]
fn by_requirements_file() {
    let Some(context) = installed_context() else {
        return;
    };
    let file = context.write("remove.txt", "# remove these\nalpha==9.9\n");
    let output = context
        .pip_uninstall()
        .arg("-r")
        .arg(&file)
        .arg("gamma")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered(&output));
    assert_eq!(context.installed(), ["beta==2.0"]);
}

/// A package that is not installed is warned about and skipped; the others
/// are still uninstalled.
#[test]
fn a_missing_package_warns() {
    let Some(context) = installed_context() else {
        return;
    };
    let output = context
        .pip_uninstall()
        .args(["ghost", "beta"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!("one_missing", context.filtered(&output));
    assert_eq!(context.installed(), ["alpha==1.0", "gamma==3.0"]);

    let output = context.pip_uninstall().arg("ghost").output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!("only_missing", context.filtered(&output));
    assert_eq!(context.installed(), ["alpha==1.0", "gamma==3.0"]);
}

/// Without a name or a file, the usage error exits 2.
#[test]
fn nothing_to_uninstall_is_a_usage_error() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let output = context.pip_uninstall().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// A missing requirements file exits 2.
#[test]
fn missing_requirements_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let output = context
        .pip_uninstall()
        .args(["-r", "missing.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output));
}

/// After an uninstall, pip-sync installs the package again.
#[test]
fn sync_after_uninstall() {
    let Some(context) = installed_context() else {
        return;
    };
    let output = context.pip_uninstall().arg("beta").output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    let output = context
        .pip_sync_local()
        .arg(context.root.join("requirements.txt"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert!(
        context.filtered(&output).contains(" + beta==2.0"),
        "{}",
        context.filtered(&output)
    );
    assert_eq!(
        context.installed(),
        ["alpha==1.0", "beta==2.0", "gamma==3.0"]
    );
}

/// A package whose files were partly deleted by hand still uninstalls
/// completely.
///
/// Regression: `uninstall_wheel` did not record the parent of a RECORD file
/// that was already gone, so that directory (here `alpha/sub/`) was never
/// tried for removal and `alpha/` stayed behind.
#[test]
fn files_already_gone() {
    let Some(context) = installed_context() else {
        return;
    };
    fs::remove_file(context.site_packages().join("alpha/sub/mod.py")).unwrap();
    fs::remove_file(context.venv.join("bin/alpha-cli")).unwrap();
    let output = context.pip_uninstall().arg("alpha").output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert!(
        fs::symlink_metadata(context.site_packages().join("alpha/sub")).is_err(),
        "the emptied `alpha/sub/` is left behind"
    );
    assert!(fs::symlink_metadata(context.site_packages().join("alpha")).is_err());
    assert!(fs::symlink_metadata(context.site_packages().join("alpha-1.0.dist-info")).is_err());
    assert_eq!(context.installed(), ["beta==2.0", "gamma==3.0"]);
}

/// Without an environment, pip-uninstall exits 2 and creates none.
#[test]
fn no_environment() {
    let Some(context) = TestContext::without_venv() else {
        return;
    };
    let output = context
        .command_without_env("pip-uninstall")
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output));
    assert!(!context.root.join(".venv").exists());
}

/// Uninstalling from one environment leaves another environment that
/// shares the cache (through hardlinks) intact.
#[test]
fn other_environments_keep_their_files() {
    let Some(context) = installed_context() else {
        return;
    };
    let second = context.create_venv("second");
    let output = context
        .command_in("pip-sync", &second)
        .arg(context.root.join("requirements.txt"))
        .args(["--no-index", "--find-links"])
        .arg(&context.wheels)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    let output = context
        .pip_uninstall()
        .args(["alpha", "beta", "gamma"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert!(context.installed().is_empty());
    crate::common::assert_python(&second, "import alpha.sub.mod, beta, gamma");
}
