//! `pip-freeze --exclude-editable` and `--path`, and `--output-format json`
//! of `pip-sync --dry-run`, `pip-freeze` and `pip-check`.

use fs_err as fs;
use serde_json::Value;

use crate::common::{TestContext, simple_wheel};

fn stdout_json(command: &mut assert_cmd::Command) -> (Option<i32>, Value) {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), value)
}

/// Mark an installed distribution as an editable install, as PEP 660
/// frontends record it.
fn mark_editable(context: &TestContext, dist_info: &str) {
    let path = context
        .site_packages()
        .join(dist_info)
        .join("direct_url.json");
    fs::write(
        path,
        r#"{"url": "file:///src/demo", "dir_info": {"editable": true}}"#,
    )
    .unwrap();
}

#[test]
fn freeze_excludes_editables_and_reads_a_path() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("other", "2.0");
    let requirements = context.requirements("demo==1.0\nother==2.0\n");
    assert!(
        context
            .pip_sync_local()
            .arg(&requirements)
            .output()
            .unwrap()
            .status
            .success()
    );
    mark_editable(&context, "demo-1.0.dist-info");

    let freeze = |args: &[&str]| {
        let output = context.pip_freeze().args(args).output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(freeze(&[]), "-e /src/demo\nother==2.0\n");
    assert_eq!(freeze(&["--exclude-editable"]), "other==2.0\n");
    let site_packages = context.site_packages();
    let output = context
        .command_without_env("pip-freeze")
        .arg("--path")
        .arg(&site_packages)
        .arg("--exclude-editable")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "other==2.0\n");

    let (code, json) = stdout_json(context.pip_freeze().args(["--output-format", "json"]));
    assert_eq!(code, Some(0));
    assert_eq!(json[0]["name"], "demo");
    assert_eq!(json[0]["editable"], true);
    assert_eq!(json[0]["url"], "file:///src/demo");
    assert_eq!(json[1]["name"], "other");
    assert_eq!(json[1]["version"], "2.0");
    assert_eq!(json[1]["url"], Value::Null);
}

#[test]
fn dry_run_and_check_as_json() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("app", "1.0").requires("lib>=2"));
    context.wheel("gone", "1.0");
    let first = context.requirements("gone==1.0\n");
    assert!(
        context
            .pip_sync_local()
            .arg(&first)
            .output()
            .unwrap()
            .status
            .success()
    );

    let requirements = context.requirements("app==1.0\n");
    let (code, plan) = stdout_json(context.pip_sync_local().arg(&requirements).args([
        "--dry-run",
        "--output-format",
        "json",
    ]));
    assert_eq!(code, Some(0));
    assert_eq!(plan["install"][0]["name"], "app");
    assert_eq!(plan["install"][0]["version"], "1.0");
    assert_eq!(plan["install"][0]["reason"], "new");
    assert_eq!(plan["uninstall"][0]["name"], "gone");
    assert_eq!(plan["keep"], Value::Array(Vec::new()));

    assert!(
        context
            .pip_sync_local()
            .arg(&requirements)
            .output()
            .unwrap()
            .status
            .success()
    );
    let (code, check) =
        stdout_json(
            context
                .command("pip-check")
                .args(["--files", "--output-format", "json"]),
        );
    assert_eq!(code, Some(1));
    assert_eq!(check["requirements"][0]["type"], "missing");
    assert_eq!(check["requirements"][0]["name"], "app");
    assert_eq!(check["requirements"][0]["requirement"], "lib>=2");
    assert_eq!(check["files"], Value::Array(Vec::new()));
}
