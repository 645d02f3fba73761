//! Crash safety: `puffin pip-sync` killed with SIGKILL at random points
//! (unzipping, uninstalling, installing, upgrading; warm and cold cache), then
//! run again to completion, ends with exactly the requested environment,
//! intact RECORDs, no file that no RECORD lists, no temporary directories
//! and a sound cache.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use fs_err as fs;
use puffin_test_support::WheelBuilder;

use super::{
    Rng, assert_cache_sound, assert_no_leftovers, assert_records_hold, expected_lines, freeze,
    orphans, sync_command, tree_listing,
};
use crate::common::{TestContext, site_packages};

/// The number of kills.
const KILLS: usize = 60;
/// Packages `crash0` .. `crash19`.
const PACKAGES: usize = 20;
/// Files per wheel, so that an install takes long enough to be hit mid-way.
const FILES: usize = 60;

/// A wheel of `crash{index}` at `version` with [`FILES`] modules of about
/// 1 KiB whose contents depend on the version.
fn wheel(index: usize, version: &str) -> WheelBuilder {
    let name = format!("crash{index}");
    let mut builder = WheelBuilder::new(&name, version)
        .file(
            &format!("{name}/__init__.py"),
            format!("VERSION = {version:?}\ndef main():\n    print(VERSION)\n"),
        )
        .console_script(&name, &format!("{name}:main"));
    for file in 0..FILES {
        let line = format!("# {name} {version} file {file}\n");
        builder = builder.file(
            &format!("{name}/sub{}/m{file}.py", file % 4),
            line.repeat(1024 / line.len()),
        );
    }
    builder
}

/// Run a sync to completion; panics with its stderr if it fails.
fn sync(context: &TestContext, requirements: &Path) -> Duration {
    let start = Instant::now();
    let output = sync_command(context, &context.venv, requirements)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the sync after a kill failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    start.elapsed()
}

/// Kill pip-sync at random points, alternating between two requirements
/// files that uninstall, upgrade and install many packages; after most kills
/// (and at the end) sync to completion and check everything.
#[test]
fn killed_syncs_recover() {
    let Some(context) = TestContext::new() else {
        return;
    };
    // A: crash0..13 at 1.0. B: crash6..13 at 2.0 and crash14..19 at 1.0.
    // A -> B removes 6, upgrades 8 and installs 6 packages; B -> A reverses.
    for index in 0..PACKAGES {
        context.build(&wheel(index, "1.0"));
        if (6..14).contains(&index) {
            context.build(&wheel(index, "2.0"));
        }
    }
    let text_a: String = (0..14)
        .map(|index| format!("crash{index}==1.0\n"))
        .collect();
    let text_b: String = (6..PACKAGES)
        .map(|index| {
            let version = if index < 14 { "2.0" } else { "1.0" };
            format!("crash{index}=={version}\n")
        })
        .collect();
    let files = [
        (context.write("a.txt", &text_a), expected_lines(&text_a)),
        (context.write("b.txt", &text_b), expected_lines(&text_b)),
    ];
    let site_packages = site_packages(&context.venv);
    let baseline = tree_listing(&site_packages, &[]);
    let bin = context.venv.join("bin");
    let bin_baseline = tree_listing(&bin, &[]);

    // The typical run time: a cold and a warm sync each way.
    let mut times = Vec::new();
    for (requirements, _) in files.iter().chain(files.iter()) {
        times.push(sync(&context, requirements));
    }
    println!("calibration runs (cold a, cold b, warm a, warm b): {times:?}");
    let typical = times[2].max(times[3]);

    let mut rng = Rng::new(0x5eed_cafe);
    let mut verified = 0;
    let mut cold = 0;
    // Kills that found the process still running.
    let mut hits = 0;
    for kill in 0..KILLS {
        let (requirements, expected) = &files[kill % 2];
        if kill % 5 == 4 {
            // A cold cache: every wheel is unzipped again while we kill.
            let _ = fs::remove_dir_all(context.cache.join("wheels-v1"));
            cold += 1;
        }
        let delay = Duration::from_millis(rng.below(typical.as_millis() as u64 + 1));
        let mut child = sync_command(&context, &context.venv, requirements)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            hits += 1;
        }
        // SIGKILL; an error means the run had already ended.
        let _ = child.kill();
        child.wait().unwrap();

        // Most kills are followed by a complete sync; the others leave their
        // state to the next kill.
        if kill % 3 != 2 || kill == KILLS - 1 {
            sync(&context, requirements);
            verified += 1;
            assert_eq!(
                &freeze(&context, &context.venv),
                expected,
                "after kill {kill}"
            );
            assert_records_hold(&context.venv);
            assert_no_leftovers(&site_packages, &context.cache);
            assert_cache_sound(&context.cache);
            // The journal rolled back every interrupted install: no file
            // is left that no RECORD lists, in site-packages or bin.
            assert_eq!(
                orphans(&site_packages, &baseline),
                Vec::<String>::new(),
                "after kill {kill}"
            );
            assert_eq!(
                scripts(&bin, &bin_baseline),
                script_names(expected),
                "after kill {kill}"
            );
        }
    }
    println!(
        "crash points tried: {KILLS} ({hits} hit a running sync, {cold} with a cold cache), verified after {verified}, typical run {typical:?}"
    );
}

/// The files of `bin` that were not in the fresh environment (`baseline`).
fn scripts(bin: &Path, baseline: &BTreeMap<String, String>) -> Vec<String> {
    tree_listing(bin, &[])
        .into_keys()
        .filter(|name| !baseline.contains_key(name))
        .collect()
}

/// The launcher names of the `crashN==version` lines, sorted as listings are.
fn script_names(expected: &[String]) -> Vec<String> {
    let mut names: Vec<String> = expected
        .iter()
        .map(|line| line.split_once("==").unwrap().0.to_string())
        .collect();
    names.sort();
    names
}

/// An uninstall killed after it moved the `.dist-info` aside and removed
/// some of the files is finished by the next sync.
///
/// Regression: the next sync removed the moved `.dist-info` and kept the
/// remaining files, which no RECORD listed any more: they stayed in
/// site-packages for good.
#[test]
fn an_interrupted_uninstall_is_finished() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&wheel(0, "1.0"));
    let requirements = context.write("a.txt", "crash0==1.0\n");
    let site_packages = site_packages(&context.venv);
    let baseline = tree_listing(&site_packages, &[]);
    sync(&context, &requirements);

    // What `uninstall_wheel` does first, and part of what it does next.
    fs::rename(
        site_packages.join("crash0-1.0.dist-info"),
        site_packages.join(".tmp-puffin-uninstall-killed"),
    )
    .unwrap();
    fs::remove_dir_all(site_packages.join("crash0/sub0")).unwrap();

    let empty = context.write("empty.txt", "");
    let output = sync_command(&context, &context.venv, &empty)
        .arg("--allow-empty-requirements")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(orphans(&site_packages, &baseline), Vec::<String>::new());
    assert!(!site_packages.join("crash0").exists());
    assert!(!context.venv.join("bin/crash0").exists());
    assert_no_leftovers(&site_packages, &context.cache);
}
