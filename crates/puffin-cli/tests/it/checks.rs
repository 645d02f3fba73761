//! `pip-sync --check`, `--strict` and PEP 668's `--break-system-packages`.

use std::path::Path;

use fs_err as fs;

use crate::common::{TestContext, simple_wheel};

fn run(command: &mut assert_cmd::Command) -> (Option<i32>, String) {
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `--check` changes nothing and exits 1 with the difference; once the
/// environment matches it exits 0.
#[test]
fn check_reports_the_difference_and_changes_nothing() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = run(context.pip_sync_local().arg(&requirements).arg("--check"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(" + demo==1.0"), "{stderr}");
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(context.installed().is_empty());

    let (code, stderr) = run(context.pip_sync_local().arg(&requirements));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = run(context.pip_sync_local().arg(&requirements).arg("--check"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("Audited 1 package"), "{stderr}");
}

/// `--strict` turns "requires X, which is not in the requirements" into a
/// failure.
#[test]
fn strict_fails_on_missing_dependencies() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("app", "1.0").requires("lib>=2"));
    let requirements = context.requirements("app==1.0\n");
    let (code, stderr) = run(context.pip_sync_local().arg(&requirements));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = run(context.pip_sync_local().arg(&requirements).arg("--strict"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("app 1.0 requires lib>=2, which is not in the requirements"),
        "{stderr}"
    );
}

/// A fake system Python whose distributor marks it `EXTERNALLY-MANAGED`: the
/// real interpreter, with the query's answer saying so.
fn externally_managed_python(dir: &Path) -> std::path::PathBuf {
    let real = which::which("python3").unwrap();
    let python = dir.join("usr/bin/python3");
    fs::create_dir_all(python.parent().unwrap()).unwrap();
    let mark = "import json,sys; a=json.load(sys.stdin); \
                a['externally_managed']='Managed by the test distributor.'; \
                json.dump(a, sys.stdout)";
    fs::write(
        &python,
        format!(
            "#!/bin/sh\n'{real}' \"$@\" | '{real}' -c \"{mark}\"\n",
            real = real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    python
}

/// PEP 668: `--system` into an externally managed Python is refused with the
/// distributor's message; `--break-system-packages` (or
/// `PIP_BREAK_SYSTEM_PACKAGES=1`) overrides it.
#[test]
fn break_system_packages_overrides_externally_managed() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let python = externally_managed_python(context.root.as_path());
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let sync = || {
        let mut command = context.pip_sync_local();
        command
            .arg(&requirements)
            .args(["--system", "--dry-run", "--python"])
            .arg(&python);
        command
    };
    let (code, stderr) = run(&mut sync());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("Managed by the test distributor."),
        "{stderr}"
    );
    assert!(stderr.contains("--break-system-packages"), "{stderr}");

    let (code, stderr) = run(sync().arg("--break-system-packages"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("Would uninstall"), "{stderr}");
    let (code, stderr) = run(sync().env("PIP_BREAK_SYSTEM_PACKAGES", "1"));
    assert_eq!(code, Some(0), "{stderr}");
}
