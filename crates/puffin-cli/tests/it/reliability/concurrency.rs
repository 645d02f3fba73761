//! Concurrent runs: syncs into one environment wait for each other (the
//! environment lock), syncs into different environments share one cold cache
//! (atomic publication of entries), and `puffin clean` waits for running syncs
//! (the cache lock: shared for syncs, exclusive for clean).

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use puffin_test_support::WheelBuilder;

use super::{
    assert_cache_sound, assert_no_leftovers, assert_records_hold, expected_lines, freeze, puffin,
    sync_command,
};
use crate::common::{TestContext, site_packages};

/// Build `count` wheels `conc0..` with `files` modules each; returns the
/// requirements text pinning them all.
fn fixture(context: &TestContext, count: usize, files: usize) -> String {
    let mut requirements = String::new();
    for index in 0..count {
        let name = format!("conc{index}");
        let mut builder =
            WheelBuilder::new(&name, "1.0").file(&format!("{name}/__init__.py"), "X = 1\n");
        for file in 0..files {
            builder = builder.file(
                &format!("{name}/m{file}.py"),
                format!("# {name} {file}\n").repeat(40),
            );
        }
        context.build(&builder);
        requirements.push_str(&format!("{name}==1.0\n"));
    }
    requirements
}

/// Spawn a command with its output captured.
fn spawn(mut command: std::process::Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for a child; panics with its stderr if it failed.
fn succeeded(child: Child, what: &str) -> Output {
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The checks every environment passes after the runs.
fn assert_exact(context: &TestContext, venv: &Path, requirements: &str) {
    assert_eq!(freeze(context, venv), expected_lines(requirements));
    assert_records_hold(venv);
    assert_no_leftovers(&site_packages(venv), &context.cache);
}

/// Eight syncs of one file into one environment at once all succeed, and the
/// environment ends exactly as the file says.
#[test]
fn eight_syncs_into_one_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let text = fixture(&context, 6, 30);
    let requirements = context.write("requirements.txt", &text);
    let children: Vec<Child> = (0..8)
        .map(|_| spawn(sync_command(&context, &context.venv, &requirements)))
        .collect();
    for (index, child) in children.into_iter().enumerate() {
        succeeded(child, &format!("sync {index}"));
    }
    assert_exact(&context, &context.venv, &text);
    assert_cache_sound(&context.cache);
    println!("concurrent runs: 8 syncs into one environment");
}

/// Four syncs into four environments sharing one cold cache all succeed,
/// each environment is exact, and the cache holds one sound entry per wheel.
#[test]
fn four_environments_share_a_cold_cache() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let text = fixture(&context, 6, 30);
    let requirements = context.write("requirements.txt", &text);
    let venvs: Vec<PathBuf> = (0..4)
        .map(|index| context.create_venv(&format!("venv{index}")))
        .collect();
    let children: Vec<Child> = venvs
        .iter()
        .map(|venv| spawn(sync_command(&context, venv, &requirements)))
        .collect();
    for (index, child) in children.into_iter().enumerate() {
        succeeded(child, &format!("sync into venv{index}"));
    }
    for venv in &venvs {
        assert_exact(&context, venv, &text);
    }
    assert_cache_sound(&context.cache);
    assert_eq!(super::cache_entries(&context.cache).len(), 6);
    println!("concurrent runs: 4 syncs into 4 environments, one cold cache");
}

/// `puffin clean` started while a sync unzips and installs waits for it (or
/// runs before it starts): both succeed, the environment is exact, and a
/// later sync works from whatever the cache holds.
#[test]
fn clean_during_a_sync() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let text = fixture(&context, 12, 60);
    let requirements = context.write("requirements.txt", &text);
    let mut waited = 0;
    for round in 0..3 {
        let sync = spawn(sync_command(&context, &context.venv, &requirements));
        // Start clean once the sync is using the cache.
        let start = Instant::now();
        while !context.cache.join("wheels-v1").exists() && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let clean = spawn(puffin(&context, &context.venv, "clean"));
        succeeded(sync, &format!("sync in round {round}"));
        let clean = succeeded(clean, &format!("clean in round {round}"));
        if String::from_utf8_lossy(&clean.stderr).contains("Waiting for another puffin process") {
            waited += 1;
        }
        assert_exact(&context, &context.venv, &text);
        assert_cache_sound(&context.cache);

        // Start over from an empty environment.
        let empty = context.write("empty.txt", "");
        let output = sync_command(&context, &context.venv, &empty)
            .arg("--allow-empty-requirements")
            .output()
            .unwrap();
        assert!(output.status.success());
    }
    let output = sync_command(&context, &context.venv, &requirements)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_exact(&context, &context.venv, &text);
    println!("concurrent runs: 3 cleans during syncs ({waited} waited for the sync)");
}
