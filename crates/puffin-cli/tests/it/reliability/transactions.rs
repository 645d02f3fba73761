//! A sync is a transaction: interrupted by SIGINT it rolls back and exits
//! 130; killed with SIGKILL, the next puffin command that locks the
//! environment finishes it, so the environment is exactly the old or
//! exactly the new one, never a mix.

use std::collections::BTreeMap;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use puffin_test_support::WheelBuilder;

use super::{Rng, assert_no_leftovers, assert_records_hold, puffin, sync_command, tree_listing};
use crate::common::{TestContext, site_packages};

/// `name` at `version` with `files` modules: module `i` is at
/// `{name}/d{i % 16}/m{i}.py`, numbered from `first`, and its contents name
/// the version, so two versions share some paths with other contents.
fn many_files(name: &str, version: &str, first: usize, files: usize) -> WheelBuilder {
    let mut builder = WheelBuilder::new(name, version)
        .file(
            &format!("{name}/__init__.py"),
            format!("VERSION = {version:?}\ndef main():\n    print(VERSION)\n"),
        )
        .console_script(&format!("{name}-{version}"), &format!("{name}:main"));
    for index in first..first + files {
        builder = builder.file(
            &format!("{name}/d{}/m{index}.py", index % 16),
            format!("# {name} {version} {index}\n"),
        );
    }
    builder
}

/// site-packages and bin, as one listing.
fn environment(context: &TestContext) -> BTreeMap<String, String> {
    let mut listing = BTreeMap::new();
    for (prefix, dir) in [
        ("site-packages", site_packages(&context.venv)),
        ("bin", context.venv.join("bin")),
    ] {
        for (path, kind) in tree_listing(&dir, &[]) {
            listing.insert(format!("{prefix}/{path}"), kind);
        }
    }
    listing
}

/// Run `command` to completion; panics with its stderr unless it succeeds.
fn succeed(mut command: std::process::Command) -> (Duration, Output) {
    let start = Instant::now();
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (start.elapsed(), output)
}

/// Send `signal` to the running child.
fn send(child: &std::process::Child, signal: i32) {
    #[allow(unsafe_code)]
    // SAFETY: `kill` with the pid of our own child, which we have not waited for.
    unsafe {
        libc::kill(i32::try_from(child.id()).unwrap(), signal);
    }
}

/// Ctrl-C at random points of an upgrade to a 20,000-file wheel: the sync
/// exits 130 and the environment is equal to the one before (or, when the
/// signal came too late, the sync finished and exits 0). The last round
/// sends SIGTERM instead, which exits 143.
#[test]
fn sigint_during_a_large_sync_restores_the_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&many_files("big", "1.0", 0, 200));
    context.build(&many_files("big", "2.0", 100, 20_000));
    let old = context.write("old.txt", "big==1.0\n");
    let new = context.write("new.txt", "big==2.0\n");
    // Cold, then warm: the store holds both versions.
    succeed(sync_command(&context, &context.venv, &new));
    succeed(sync_command(&context, &context.venv, &old));
    let (typical, _) = succeed(sync_command(&context, &context.venv, &new));
    succeed(sync_command(&context, &context.venv, &old));
    let before = environment(&context);

    let mut rng = Rng::new(0x51_6e_17);
    let (mut rolled_back, mut unchanged, mut finished) = (0, 0, 0);
    for round in 0..8 {
        let (signal, code) = if round == 7 {
            (libc::SIGTERM, 143)
        } else {
            (libc::SIGINT, 130)
        };
        let delay = typical.as_millis() as u64 * (20 + rng.below(80)) / 100;
        let child = sync_command(&context, &context.venv, &new)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        send(&child, signal);
        // A second signal during the rollback is ignored.
        std::thread::sleep(Duration::from_millis(5));
        send(&child, signal);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(exit) if exit == code => {
                assert_eq!(environment(&context), before, "round {round}:\n{stderr}");
                if stderr.contains("restored") {
                    rolled_back += 1;
                } else {
                    unchanged += 1;
                }
            }
            Some(0) => {
                finished += 1;
                succeed(sync_command(&context, &context.venv, &old));
            }
            code => panic!("round {round}: exit code {code:?}:\n{stderr}"),
        }
    }
    println!(
        "typical sync {typical:?}: {rolled_back} rolled back, {unchanged} cancelled before any change, {finished} finished"
    );
    assert!(rolled_back > 0, "no SIGINT hit the linking");
    assert_no_leftovers(&site_packages(&context.venv), &context.cache);
    succeed(sync_command(&context, &context.venv, &new));
    assert_records_hold(&context.venv);
}

/// 30 SIGKILLs at random points of upgrades (and downgrades) between two
/// versions of 1,500 files with different file sets: after each, the next
/// puffin command that locks the environment (here `pip-uninstall` of a
/// package that is not installed) leaves exactly the old or the new
/// environment, with no file that no RECORD lists.
#[test]
fn killed_upgrades_end_at_the_old_or_the_new_state() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&many_files("many", "1.0", 0, 1500));
    context.build(&many_files("many", "2.0", 500, 1500));
    let requirements = [
        context.write("old.txt", "many==1.0\n"),
        context.write("new.txt", "many==2.0\n"),
    ];
    let mut states = Vec::new();
    let mut times = Vec::new();
    for requirements in requirements.iter().chain(requirements.iter()) {
        times.push(succeed(sync_command(&context, &context.venv, requirements)).0);
        states.push(environment(&context));
    }
    let typical = times[2].max(times[3]);
    // The state the environment is in: 0 old, 1 new.
    let mut current = 1;
    let mut rng = Rng::new(0xdead_beef);
    let (mut recovered, mut at_new) = (0, 0);
    for kill in 0..30 {
        let target = 1 - current;
        let delay = Duration::from_millis(rng.below(typical.as_millis() as u64 + 1));
        let mut child = sync_command(&context, &context.venv, &requirements[target])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();

        let mut command = puffin(&context, &context.venv, "pip-uninstall");
        command.arg("not-installed");
        let (_, output) = succeed(command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("interrupted change") {
            recovered += 1;
        }
        let listing = environment(&context);
        current = if listing == states[2] {
            0
        } else {
            assert_eq!(
                listing, states[3],
                "after kill {kill}: neither old nor new\n{stderr}"
            );
            1
        };
        at_new += usize::from(current == target);
        assert_no_leftovers(&site_packages(&context.venv), &context.cache);
    }
    println!(
        "typical sync {typical:?}: 30 kills, {recovered} recovered by the next command, {at_new} ended at the target state"
    );
    assert_records_hold(&context.venv);
}

/// The recovery line is printed once, by the first command that locks the
/// environment after a killed run.
#[test]
fn recovery_is_reported_once() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&many_files("many", "1.0", 0, 10));
    let requirements = context.write("old.txt", "many==1.0\n");
    succeed(sync_command(&context, &context.venv, &requirements));
    // What a run killed right after it began leaves: an empty journal.
    let journal = site_packages(&context.venv).join(".puffin-txn");
    fs_err::create_dir(&journal).unwrap();
    let line = |context: &TestContext| {
        let mut command = puffin(context, &context.venv, "pip-uninstall");
        command.arg("not-installed");
        let (_, output) = succeed(command);
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| line.contains("interrupted change"))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line(&context),
        ["warning: Rolled back an interrupted change to the environment (nothing had changed yet)"]
    );
    assert!(!journal.exists());
    assert_eq!(line(&context), Vec::<String>::new());
}

/// A run killed right after an install recorded its paths in the journal
/// (fsync'd), moved aside what they replace and linked 5 files (a test
/// hook, `PUFFIN_TEST_ABORT_AFTER_FILES`, aborts the process there in debug
/// builds): the next command that locks the environment rolls it back to
/// exactly the old version, with no file that no RECORD lists.
#[test]
fn a_run_killed_after_its_paths_were_recorded_is_rolled_back() {
    if !cfg!(debug_assertions) {
        println!("Skipping: the abort hook exists in debug builds only");
        return;
    }
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&many_files("many", "1.0", 0, 40));
    context.build(&many_files("many", "2.0", 20, 40));
    let old = context.write("old.txt", "many==1.0\n");
    let new = context.write("new.txt", "many==2.0\n");
    let site_packages = site_packages(&context.venv);
    let baseline = super::tree_listing(&site_packages, &[]);
    succeed(sync_command(&context, &context.venv, &old));
    let before = environment(&context);

    let output = sync_command(&context, &context.venv, &new)
        .env("PUFFIN_TEST_ABORT_AFTER_FILES", "5")
        .output()
        .unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&output.status),
        Some(libc::SIGABRT),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(site_packages.join(".puffin-txn").is_dir());
    assert_ne!(environment(&context), before);

    let mut command = puffin(&context, &context.venv, "pip-uninstall");
    command.arg("not-installed");
    let (_, output) = succeed(command);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("Rolled back an interrupted change to the environment (5 new files removed"),
        "{stderr}"
    );
    assert_eq!(environment(&context), before);
    assert_eq!(
        super::orphans(&site_packages, &baseline),
        Vec::<String>::new()
    );
    assert_no_leftovers(&site_packages, &context.cache);
    assert_records_hold(&context.venv);
}
