//! `puffin pip-freeze`: the installed distributions as requirements that
//! `pip-sync` accepts back.

use fs_err as fs;

use crate::common::{TestContext, installed};

/// Sorted `name==version` lines on stdout, names normalized, direct URL
/// installs as `name @ url`; nothing on stderr.
#[test]
fn lists_installed_distributions() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("zeta", "1.0");
    context.wheel("Alpha_Pkg", "2.0.1");
    let local = context.wheel("local-wheel", "0.3");
    let requirements = context.requirements(&format!(
        "zeta==1.0\nalpha-pkg==2.0.1\nlocal-wheel @ file://{}\n",
        local.display()
    ));
    let sync = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(sync.status.success(), "{}", context.filtered(&sync));

    let output = context.pip_freeze().output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered_stdout(&output), @r"
    alpha-pkg==2.0.1
    local-wheel @ file://[TEMP]/wheels/local_wheel-0.3-py3-none-any.whl
    zeta==1.0
    ");
    assert_eq!(context.filtered(&output), "");
}

/// An empty environment freezes to nothing.
#[test]
fn empty_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let output = context.pip_freeze().output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert_eq!(context.filtered_stdout(&output), "");
}

/// Syncing the freeze of one environment into another gives the same
/// freeze: the output round-trips through `pip-sync`.
#[test]
fn round_trips_through_pip_sync() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("alpha", "1.0");
    context.wheel("Beta.Pkg", "2.0rc1");
    context.wheel("gamma", "3.0.post1");
    context.wheel("gamma", "4.0");
    let direct = context.wheel("delta", "1.0");
    let requirements = context.requirements(&format!(
        "alpha==1.0\nbeta-pkg==2.0rc1\ngamma==3.0.post1\ndelta @ file://{}\n",
        direct.display()
    ));
    let sync = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(sync.status.success(), "{}", context.filtered(&sync));

    let first = context.pip_freeze().output().unwrap();
    assert!(first.status.success(), "{}", context.filtered(&first));
    let frozen = context.write(
        "frozen.txt",
        &String::from_utf8(first.stdout.clone()).unwrap(),
    );

    let second_env = context.create_venv("second");
    let sync = context
        .command_in("pip-sync", &second_env)
        .arg(&frozen)
        .args(["--no-index", "--find-links"])
        .arg(&context.wheels)
        .output()
        .unwrap();
    assert!(sync.status.success(), "{}", context.filtered(&sync));
    assert_eq!(installed(&second_env), installed(&context.venv));

    let second = context
        .command_in("pip-freeze", &second_env)
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", context.filtered(&second));
    assert_eq!(
        String::from_utf8(second.stdout).unwrap(),
        String::from_utf8(first.stdout).unwrap()
    );

    // And syncing the freeze back into the first environment is a no-op.
    let sync = context.pip_sync_local().arg(&frozen).output().unwrap();
    assert!(sync.status.success(), "{}", context.filtered(&sync));
    assert!(
        context.filtered(&sync).contains("Audited 4 packages"),
        "{}",
        context.filtered(&sync)
    );
}

/// pip-freeze only reads: it never creates an environment, and a missing
/// one exits 2 with a clear message.
#[test]
fn missing_environment() {
    let Some(context) = TestContext::without_venv() else {
        return;
    };
    let output = context.command_without_env("pip-freeze").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!("no_environment", context.filtered(&output));
    assert!(!context.root.join(".venv").exists());

    let output = context
        .command_without_env("pip-freeze")
        .args(["--python", "/nonexistent/bin/python"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!("no_interpreter", context.filtered(&output));
}

/// A `.dist-info` without RECORD (installed by another tool) is still
/// listed.
#[test]
fn lists_a_distribution_installed_by_another_tool() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let dist_info = context.site_packages().join("foreign-1.2.dist-info");
    fs::create_dir_all(&dist_info).unwrap();
    fs::write(
        dist_info.join("METADATA"),
        "Metadata-Version: 2.1\nName: Foreign\nVersion: 1.2\n",
    )
    .unwrap();
    let output = context.pip_freeze().output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert_eq!(context.filtered_stdout(&output), "foreign==1.2\n");
}

/// Direct URL installs from a relative path and from a directory with a
/// space freeze to absolute `file://` URLs that pip-sync reads back.
#[test]
fn direct_urls_round_trip() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("alpha", "1.0");
    let spaced = context.root.join("my wheels");
    fs::create_dir_all(&spaced).unwrap();
    crate::common::simple_wheel("beta", "2.0+cpu").build(&spaced);
    let requirements = context.requirements(&format!(
        "./wheels/alpha-1.0-py3-none-any.whl\nbeta @ file://{}/my%20wheels/beta-2.0%2Bcpu-py3-none-any.whl\n",
        context.root.display()
    ));
    let sync = context.pip_sync().arg(&requirements).output().unwrap();
    assert!(sync.status.success(), "{}", context.filtered(&sync));

    let first = context.pip_freeze().output().unwrap();
    assert!(first.status.success(), "{}", context.filtered(&first));
    insta::assert_snapshot!(context.filtered_stdout(&first));

    let frozen = context.write(
        "frozen.txt",
        &String::from_utf8(first.stdout.clone()).unwrap(),
    );
    let second_env = context.create_venv("second");
    let sync = context
        .command_in("pip-sync", &second_env)
        .arg(&frozen)
        .output()
        .unwrap();
    assert!(sync.status.success(), "{}", context.filtered(&sync));
    let second = context
        .command_in("pip-freeze", &second_env)
        .output()
        .unwrap();
    assert_eq!(second.stdout, first.stdout);
}
