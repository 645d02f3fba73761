//! Issue 14, items 3, 8 and 9: constraints files that apply, the freshness
//! of cached index pages with `--refresh`, a read-only cache, recovery after
//! a killed `puffin clean`, and errors that list the indexes searched.

use std::path::Path;
use std::process::Output;

use fs_err as fs;

use crate::common::TestContext;

/// The SHA-256 of a file, in hex.
fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let bytes = fs::read(path).unwrap();
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The output of a command that must succeed.
fn success(command: &mut assert_cmd::Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The output of a command that must fail.
fn failure(command: &mut assert_cmd::Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        !output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Issue 14, item 3: a constraint restricts the version installed (it was
/// parsed and ignored: `good` with the constraint `good==1.0` installed 2.0);
/// an unpinned requirement takes the newest version both allow; a name only
/// constrained installs nothing.
#[test]
fn constraints_restrict_the_version_installed() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for version in ["1.0", "1.5", "2.0"] {
        context.wheel("good", version);
    }
    context.wheel("other", "1.0");
    context.write("constraints.txt", "good==1.0\nother==1.0\n");
    let requirements = context.requirements("-c constraints.txt\ngood\n");
    success(context.pip_sync_local().arg(&requirements));
    assert_eq!(context.installed(), ["good==1.0"]);

    // In a new environment: the installed 1.0 satisfies both.
    context.write("constraints.txt", "good<2\n");
    let requirements = context.requirements("-c constraints.txt\ngood>=1.0\n");
    let second = context.create_venv("second");
    success(
        context
            .command_in("pip-sync", &second)
            .arg(&requirements)
            .arg("--no-index")
            .arg("--find-links")
            .arg(&context.wheels),
    );
    assert_eq!(crate::common::installed(&second), ["good==1.5"]);

    // A constraint with markers applies when they hold.
    context.write("pin.txt", "good==1.0 ; python_version >= '3'\n");
    let requirements = context.requirements("-c pin.txt\ngood\n");
    success(context.pip_sync_local().arg(&requirements));
    assert_eq!(context.installed(), ["good==1.0"]);
}

/// Issue 14, item 3: a pin that contradicts a constraint is an error naming
/// both lines.
#[test]
fn a_pin_that_contradicts_a_constraint_names_both_lines() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("good", "1.0");
    context.wheel("good", "2.0");
    context.write("constraints.txt", "# pins\ngood==1.0\n");
    let requirements = context.requirements("-c constraints.txt\ngood==2.0\n");
    let output = failure(context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] environment at .venv
    error: `good==2.0` ([TEMP]/requirements.txt:2) contradicts the constraint `good==1.0` ([TEMP]/constraints.txt:2)
    ");
    assert!(context.installed().is_empty());
}

/// Issue 14, item 3: hashes in a constraints file count as `--hash` for
/// that name: a wrong one refuses the wheel, a right one turns hash-checking
/// mode on for every requirement.
#[test]
fn hashes_in_constraints_count_as_hash_options() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let good = context.wheel("good", "1.0");
    context.wheel("other", "1.0");
    let wrong = "0".repeat(64);
    context.write(
        "constraints.txt",
        &format!("good==1.0 --hash=sha256:{wrong}\n"),
    );
    let requirements = context.requirements("-c constraints.txt\ngood\n");
    let output = failure(context.pip_sync_local().arg(&requirements));
    let stderr = context.filtered(&output);
    assert!(stderr.contains("Hash mismatch"), "{stderr}");
    assert!(context.installed().is_empty());

    context.write(
        "constraints.txt",
        &format!("good==1.0 --hash=sha256:{}\n", sha256_hex(&good)),
    );
    let requirements = context.requirements("-c constraints.txt\ngood\nother==1.0\n");
    let output = failure(context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] environment at .venv
    error: Hash-checking mode is on (--require-hashes, or a --hash in the requirements), so every requirement needs a --hash; these have none:
      [TEMP]/requirements.txt:3
    ");

    let requirements = context.requirements("-c constraints.txt\ngood\n");
    success(context.pip_sync_local().arg(&requirements));
    assert_eq!(context.installed(), ["good==1.0"]);
}

/// `puffin pip-sync` into a new environment `name` with the index at `index`.
fn sync_into(
    context: &TestContext,
    name: &str,
    requirements: &Path,
    index: &str,
    extra: &[&str],
) -> Vec<String> {
    let venv = context.create_venv(name);
    success(
        context
            .command_in("pip-sync", &venv)
            .arg(requirements)
            .args(["--index-url", index])
            .args(extra),
    );
    crate::common::installed(&venv)
}

/// Make every cached index page under `dir` look fetched `seconds` earlier.
fn age_cached_pages(dir: &Path, seconds: u64) {
    let fetched_at = regex::Regex::new(r#""fetched_at":(\d+)"#).unwrap();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            age_cached_pages(&path, seconds);
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let aged = fetched_at.replace(&text, |captures: &regex::Captures<'_>| {
            let time: u64 = captures[1].parse().unwrap();
            format!(r#""fetched_at":{}"#, time - seconds)
        });
        fs::write(&path, aged.as_bytes()).unwrap();
    }
}

/// Issue 14, item 8: a page was cached for whatever `max-age` the server
/// sent (a year hid new releases for a year); it is now fresh for 10 minutes
/// at most, and `--refresh-package` asks the index at once.
#[test]
fn index_pages_are_fresh_for_ten_minutes_at_most() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let mut options = puffin_test_support::IndexServerOptions::new(&context.wheels);
    options.cache_control = Some("max-age=31536000".to_string());
    let server = context.server_with(options);
    let requirements = context.requirements("demo\n");
    assert_eq!(
        sync_into(&context, "first", &requirements, &server.url(), &[]),
        ["demo==1.0"]
    );

    // A new release within the freshness: the cached page is used.
    context.wheel("demo", "2.0");
    server.clear_requests();
    assert_eq!(
        sync_into(&context, "fresh", &requirements, &server.url(), &[]),
        ["demo==1.0"]
    );
    assert_eq!(server.count("/simple/demo/"), 0, "{:?}", server.requests());

    // Asked for, the index is asked again.
    let refreshed = ["--refresh-package", "demo"];
    assert_eq!(
        sync_into(
            &context,
            "refreshed",
            &requirements,
            &server.url(),
            &refreshed
        ),
        ["demo==2.0"]
    );
    assert_eq!(server.count("/simple/demo/"), 1, "{:?}", server.requests());

    // Eleven minutes later, a year of `max-age` notwithstanding, it is stale.
    context.wheel("demo", "3.0");
    age_cached_pages(&context.cache.join("simple-v0"), 11 * 60);
    assert_eq!(
        sync_into(&context, "stale", &requirements, &server.url(), &[]),
        ["demo==3.0"]
    );
}

/// Issue 14, item 8: exact pins already in the store need no network, and
/// `--refresh` asks the index but reuses the stored wheel the index names by
/// its hash instead of downloading it again.
#[test]
fn refresh_asks_the_index_but_reuses_stored_wheels() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    sync_into(&context, "first", &requirements, &server.url(), &[]);
    let wheel_path = "/files/demo-1.0-py3-none-any.whl";
    assert_eq!(server.count(wheel_path), 1);

    server.clear_requests();
    sync_into(&context, "warm", &requirements, &server.url(), &[]);
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    let installed = sync_into(
        &context,
        "refreshed",
        &requirements,
        &server.url(),
        &["--refresh"],
    );
    assert_eq!(installed, ["demo==1.0"]);
    assert_eq!(server.count("/simple/demo/"), 1, "{:?}", server.requests());
    assert_eq!(server.count(wheel_path), 0, "{:?}", server.requests());
}

/// Issue 14, item 9: "no matching version" and "no compatible wheel" named
/// only the find-links locations; they list every index searched, without
/// its credentials.
#[test]
fn no_matching_version_lists_the_indexes_searched() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let mut options = puffin_test_support::IndexServerOptions::new(&context.wheels);
    options.basic_auth = Some(("user".to_string(), "s3cret".to_string()));
    let server = context.server_with(options);
    let empty = context.root.join("empty");
    fs::create_dir_all(&empty).unwrap();
    let extra = puffin_test_support::IndexServer::start(
        puffin_test_support::IndexServerOptions::new(&empty),
    );
    context.add_filter(extra.url(), "[EXTRA]");
    let with_credentials = server.url().replace("://", "://user:s3cret@");
    let output = failure(
        context
            .pip_sync()
            .arg(context.requirements("demo==3.0\n"))
            .args(["--index-url", &with_credentials])
            .args(["--extra-index-url", &extra.url()]),
    );
    let stderr = context.filtered(&output);
    assert!(!stderr.contains("s3cret"), "{stderr}");
    insta::assert_snapshot!(stderr, @r"
    Using Python [VERSION] environment at .venv
    error: Failed to find `demo` ([TEMP]/requirements.txt:1)
      Caused by: No version of `demo` matches `==3.0` in the index `[EXTRA]`, the index `[INDEX]` (available: 1.0)
    ");
}

/// The one store entry of `name` in the cache.
fn store_entry(cache: &Path, name: &str) -> std::path::PathBuf {
    let entries: Vec<_> = fs::read_dir(cache.join("wheels-v1").join(name))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().len() == 64)
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

/// Issue 14, item 9: after a killed `puffin clean`, the next sync failed with
/// "The cache entry ... exists but has no valid manifest; run `puffin clean`
/// to remove it"; it now replaces the half-removed entry by itself.
#[test]
fn a_sync_recovers_from_a_killed_clean() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    success(context.pip_sync_local().arg(&requirements));

    // `puffin clean` removes depth first in name order: the manifest (a
    // dot file) first, then the package's directory; killed there.
    let entry = store_entry(&context.cache, "demo");
    fs::remove_file(entry.join(".puffin-manifest.json")).unwrap();
    fs::remove_dir_all(entry.join("demo")).unwrap();

    let second = context.create_venv("second");
    success(
        context
            .command_in("pip-sync", &second)
            .arg(&requirements)
            .arg("--no-index")
            .arg("--find-links")
            .arg(&context.wheels),
    );
    assert_eq!(
        crate::common::assert_python(&second, "import demo; print(demo.VERSION)"),
        "1.0"
    );
    assert!(entry.join(".puffin-manifest.json").is_file());
}

/// `puffin pip-sync <args>` into `venv` with the cache mounted read-only (a
/// bind mount in a new mount namespace, which even root cannot write), or
/// `None` after printing `Skipping: ...` where that cannot be done.
fn sync_with_read_only_cache(context: &TestContext, venv: &Path, args: &[&str]) -> Option<Output> {
    let mount = r#"mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@""#;
    let probe = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", mount])
        .arg(&context.cache)
        .arg("true")
        .output();
    if !probe.is_ok_and(|output| output.status.success()) {
        println!("Skipping: cannot mount the cache read-only (needs root and `unshare -m`)");
        return None;
    }
    let output = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c", mount])
        .arg(&context.cache)
        .arg(assert_cmd::cargo::cargo_bin!("puffin"))
        .arg("pip-sync")
        .arg("--cache-dir")
        .arg(&context.cache)
        .args(["--link-mode", "copy"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &context.root)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .env("VIRTUAL_ENV", venv)
        .current_dir(&context.root)
        .output()
        .unwrap();
    Some(output)
}

/// Issue 14, item 9: a read-only cache failed even for packages already in
/// the store (opening the lock file for writing); a warm sync now reads it
/// without the network, and a sync that must add to it says to pass
/// `--no-cache` or `--cache-dir`.
#[test]
fn a_read_only_cache_serves_a_warm_sync() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("other", "1.0");
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    sync_into(&context, "first", &requirements, &server.url(), &[]);
    server.clear_requests();

    let second = context.create_venv("second");
    let requirements = requirements.display().to_string();
    let args = ["--index-url", &server.url(), &requirements];
    let Some(output) = sync_with_read_only_cache(&context, &second, &args) else {
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(crate::common::installed(&second), ["demo==1.0"]);
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    let more = context.write("more.txt", "demo==1.0\nother==1.0\n");
    let more = more.display().to_string();
    let args = ["--index-url", &server.url(), &more];
    let output = sync_with_read_only_cache(&context, &second, &args).unwrap();
    assert!(!output.status.success());
    let stderr = context.filtered(&output);
    let first_error = stderr.lines().find(|line| line.starts_with("error:"));
    insta::assert_snapshot!(first_error.unwrap(), @"error: The cache at `[CACHE]` cannot be written, and this sync needs to add to it; pass --no-cache to use a temporary cache, or --cache-dir <DIR> for a writable one");
}
