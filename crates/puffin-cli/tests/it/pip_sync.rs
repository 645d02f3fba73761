//! `puffin pip-sync`: what it installs, removes and prints, and its errors.
//!
//! Every wheel is built by the test and served from a `--find-links`
//! directory (with `--no-index`) or an index server on 127.0.0.1.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_test_support::{IndexServerOptions, WheelBuilder};

use crate::common::{TestContext, installed, python_writing_bytecode, simple_wheel};

/// The stderr of a successful run, filtered; panics with it on failure.
fn success(context: &TestContext, command: &mut assert_cmd::Command) -> String {
    let output = command.output().unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "the command failed:\n{stderr}");
    stderr
}

/// The exit code and filtered stderr of a run.
fn outcome(context: &TestContext, command: &mut assert_cmd::Command) -> (Option<i32>, String) {
    let output = command.output().unwrap();
    (output.status.code(), context.filtered(&output))
}

/// A fresh environment gets the listed wheel, importable.
#[test]
fn install() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "1.0"
    );
    let installer =
        fs::read_to_string(context.site_packages().join("demo-1.0.dist-info/INSTALLER")).unwrap();
    assert_eq!(installer.trim(), "puffin");
}

/// A second sync of the same file changes nothing and says so.
#[test]
fn noop_audits() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("other-pkg", "2.0");
    let requirements = context.requirements("demo==1.0\nOther_Pkg==2.0\n");
    success(&context, context.pip_sync_local().arg(&requirements));
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr, @r"
    Using Python [VERSION] environment at .venv
    Audited 2 packages in [TIME]
    ");
    assert_eq!(context.installed(), ["demo==1.0", "other-pkg==2.0"]);
}

/// A package dropped from the file is uninstalled (its files gone), a new one
/// installed, one kept untouched.
#[test]
fn add_and_remove() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for name in ["alpha", "beta", "gamma"] {
        context.wheel(name, "1.0");
    }
    let requirements = context.requirements("alpha==1.0\nbeta==1.0\n");
    success(&context, context.pip_sync_local().arg(&requirements));
    let beta_init = context.site_packages().join("beta/__init__.py");
    let beta_inode = fs::metadata(&beta_init).unwrap().ino();

    let requirements = context.requirements("beta==1.0\ngamma==1.0\n");
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["beta==1.0", "gamma==1.0"]);
    assert!(!context.site_packages().join("alpha").exists());
    assert!(!context.site_packages().join("alpha-1.0.dist-info").exists());
    assert_eq!(fs::metadata(&beta_init).unwrap().ino(), beta_inode);
}

/// Changing a pin replaces the installed version, both ways; the old
/// version's `.dist-info` is gone.
#[test]
fn upgrade_and_downgrade() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("demo", "2.0");

    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    let upgrade = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==2.0\n")),
    );
    insta::assert_snapshot!("upgrade", upgrade);
    assert_eq!(context.installed(), ["demo==2.0"]);
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "2.0"
    );
    assert!(!context.site_packages().join("demo-1.0.dist-info").exists());

    let downgrade = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    insta::assert_snapshot!("downgrade", downgrade);
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "1.0"
    );
    assert!(!context.site_packages().join("demo-2.0.dist-info").exists());
}

/// `--reinstall` reinstalls everything listed and restores a file deleted
/// from the environment; `--reinstall-package` only the named package.
#[test]
fn reinstall() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("alpha", "1.0");
    context.wheel("beta", "1.0");
    let requirements = context.requirements("alpha==1.0\nbeta==1.0\n");
    success(&context, context.pip_sync_local().arg(&requirements));

    let alpha_init = context.site_packages().join("alpha/__init__.py");
    let beta_init = context.site_packages().join("beta/__init__.py");
    fs::remove_file(&alpha_init).unwrap();
    fs::remove_file(&beta_init).unwrap();

    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .args(["--reinstall-package", "alpha"]),
    );
    insta::assert_snapshot!("reinstall_package", stderr);
    assert!(alpha_init.is_file());
    assert!(!beta_init.exists());

    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .arg("--reinstall"),
    );
    insta::assert_snapshot!("reinstall_all", stderr);
    assert!(alpha_init.is_file());
    assert!(beta_init.is_file());
    assert_eq!(context.installed(), ["alpha==1.0", "beta==1.0"]);
}

/// A file of the environment edited in place writes through the hardlink
/// into the cache; `--reinstall` notices the changed cache entry and
/// unzips the wheel again, so the environment gets the original back.
#[test]
fn reinstall_repairs_an_edited_cache_entry() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .args(["--link-mode", "hardlink"]),
    );
    let init = context.site_packages().join("demo/__init__.py");
    fs::write(&init, "VERSION = 'edited'\n").unwrap();

    success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .arg("--reinstall"),
    );
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "1.0"
    );
}

/// A wheel named by a path relative to the requirements file and by a
/// `file://` URL installs, records `direct_url.json`, and a second sync is a
/// no-op.
#[test]
fn local_wheel_path_and_file_url() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("alpha", "1.0");
    let beta = context.wheel("beta", "2.0");
    let requirements = context.write(
        "requirements.txt",
        &format!(
            "./wheels/alpha-1.0-py3-none-any.whl\nbeta @ file://{}\n",
            beta.display()
        ),
    );
    let stderr = success(&context, context.pip_sync().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["alpha==1.0", "beta==2.0"]);
    let direct_url = fs::read_to_string(
        context
            .site_packages()
            .join("beta-2.0.dist-info/direct_url.json"),
    )
    .unwrap();
    assert!(
        direct_url.contains(&format!("\"file://{}\"", beta.display())),
        "{direct_url}"
    );
    assert!(
        context
            .site_packages()
            .join("alpha-1.0.dist-info/direct_url.json")
            .is_file()
    );

    let stderr = success(&context, context.pip_sync().arg(&requirements));
    insta::assert_snapshot!(stderr, @r"
    Using Python [VERSION] environment at .venv
    Audited 2 packages in [TIME]
    ");
}

/// A wheel path that does not exist is a clear error naming it.
#[test]
fn missing_local_wheel() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let requirements = context.requirements("./wheels/ghost-1.0-py3-none-any.whl\n");
    let (code, stderr) = outcome(&context, context.pip_sync().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
    assert!(context.installed().is_empty());
}

/// `--find-links` and `--no-index` written in the requirements file work
/// like the command-line options.
#[test]
fn find_links_in_the_requirements_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("demo", "1.1");
    let requirements = context.requirements("--no-index\n--find-links ./wheels\ndemo==1.1\n");
    let stderr = success(&context, context.pip_sync().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.1"]);
}

/// Installing from an index server: the project page and the wheel are
/// fetched once each.
#[test]
fn install_from_an_index() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("demo", "2.0");
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    let stderr = success(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(
        server.requests(),
        [
            "GET /simple/demo/ 200",
            "GET /files/demo-1.0-py3-none-any.whl 200"
        ]
    );
}

/// `--offline` with a warm cache: a second environment is filled from the
/// cache without a single request, even though the requirement names the
/// index (the cache lookup path).
#[test]
fn offline_with_a_warm_cache() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    success(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    server.clear_requests();

    let second = context.create_venv("second");
    let stderr = success(
        &context,
        context
            .command_in("pip-sync", &second)
            .arg(&requirements)
            .args(["--index-url", &server.url(), "--offline"]),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(installed(&second), ["demo==1.0"]);
    assert_eq!(server.requests(), Vec::<String>::new());
}

/// `--offline` with nothing cached fails, naming the package, and sends no
/// request.
#[test]
fn offline_miss() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server.url(), "--offline"]),
    );
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("demo"));
    assert_eq!(server.requests(), Vec::<String>::new());
    assert!(context.installed().is_empty());
}

/// The SHA-256 of a file, in hex.
fn sha256_hex(path: &Path) -> String {
    let output = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A `--hash` that does not match the wheel fails and installs nothing; the
/// right hash installs.
#[test]
fn require_hashes() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.wheel("demo", "1.0");
    // Zip entries carry timestamps: the hash differs between runs.
    context.add_filter(sha256_hex(&wheel), "[SHA256]");
    let wrong = "0".repeat(64);
    let requirements = context.requirements(&format!("demo==1.0 --hash=sha256:{wrong}\n"));
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!("mismatch", stderr);
    assert_ne!(code, Some(0));
    assert!(context.installed().is_empty());

    let requirements =
        context.requirements(&format!("demo==1.0 --hash=sha256:{}\n", sha256_hex(&wheel)));
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!("match", stderr);
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// A wrong hash is refused even when the wheel is already in the cache.
#[test]
fn require_hashes_with_a_warm_cache() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    success(
        &context,
        context
            .command_in("pip-sync", &context.create_venv("first"))
            .arg(context.requirements("demo==1.0\n"))
            .args(["--index-url", &server.url()]),
    );
    let requirements =
        context.requirements(&format!("demo==1.0 --hash=sha256:{}\n", "0".repeat(64)));
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    assert_ne!(code, Some(0), "{stderr}");
    assert!(context.installed().is_empty());
}

/// `--require-hashes` with a requirement without a hash lists it.
#[test]
fn require_hashes_needs_every_hash() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .arg("--require-hashes"),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(2));
}

/// An empty file is refused with a hint; `--allow-empty-requirements`
/// empties the environment.
#[test]
fn empty_requirements() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    let empty = context.requirements("# nothing\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&empty));
    insta::assert_snapshot!("refused", stderr);
    assert_eq!(code, Some(2));
    assert_eq!(context.installed(), ["demo==1.0"]);

    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(&empty)
            .arg("--allow-empty-requirements"),
    );
    insta::assert_snapshot!("allowed", stderr);
    assert!(context.installed().is_empty());
    assert!(!context.site_packages().join("demo").exists());
}

/// A requirements file that does not exist exits 2.
#[test]
fn missing_requirements_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let (code, stderr) = outcome(&context, context.pip_sync().arg("missing.txt"));
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(2));
}

/// `--python` naming an interpreter that does not exist exits 2 with a clear
/// message, and creates nothing.
#[test]
fn missing_python() {
    let Some(context) = TestContext::without_venv() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(
        &context,
        context
            .command_without_env("pip-sync")
            .arg(&requirements)
            .args(["--python", "/nonexistent/bin/python"]),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(2));
    assert!(!context.root.join(".venv").exists());
}

/// Without any environment, pip-sync creates `.venv` in the working
/// directory, says so, and installs into it.
#[test]
fn creates_dot_venv_when_there_is_no_environment() {
    let Some(context) = TestContext::without_venv() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let stderr = success(
        &context,
        context
            .command_without_env("pip-sync")
            .arg(&requirements)
            .args(["--no-index", "--find-links", "wheels"]),
    );
    insta::assert_snapshot!(stderr);
    assert!(context.root.join(".venv/pyvenv.cfg").is_file());
    assert_eq!(installed(&context.root.join(".venv")), ["demo==1.0"]);
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "1.0"
    );
}

/// A `console_scripts` entry point becomes an executable launcher that runs
/// with the environment's interpreter.
#[test]
fn console_script_launcher_runs() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &WheelBuilder::new("greeter", "1.0")
            .file(
                "greeter/__init__.py",
                "import sys\n\ndef main():\n    print('hello from', sys.prefix)\n    return 3\n",
            )
            .console_script("greet", "greeter:main"),
    );
    let requirements = context.requirements("greeter==1.0\n");
    success(&context, context.pip_sync_local().arg(&requirements));
    let launcher = context.venv.join("bin/greet");
    let output = std::process::Command::new(&launcher)
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        format!("hello from {}", context.venv.display())
    );
}

/// With either link mode, the environment works after the cache is deleted.
#[test]
fn import_after_the_cache_is_deleted() {
    for mode in ["hardlink", "copy"] {
        let Some(context) = TestContext::new() else {
            return;
        };
        context.wheel("demo", "1.0");
        let requirements = context.requirements("demo==1.0\n");
        success(
            &context,
            context
                .pip_sync_local()
                .arg(&requirements)
                .args(["--link-mode", mode]),
        );
        fs::remove_dir_all(&context.cache).unwrap();
        assert_eq!(
            context.assert_python("import demo; print(demo.VERSION)"),
            "1.0",
            "link mode {mode}"
        );
        let links = fs::metadata(context.site_packages().join("demo/__init__.py"))
            .unwrap()
            .nlink();
        assert_eq!(links, 1, "link mode {mode}");
    }
}

/// Hardlinked files share the cache's inode: the file is not copied.
#[test]
fn hardlink_mode_shares_the_cache_inode() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .args(["--link-mode", "hardlink"]),
    );
    let installed = fs::metadata(context.site_packages().join("demo/__init__.py")).unwrap();
    assert!(installed.nlink() >= 2, "nlink {}", installed.nlink());
    // RECORD is rewritten by the install, so it must be a file of its own.
    let record = fs::metadata(context.site_packages().join("demo-1.0.dist-info/RECORD")).unwrap();
    assert_eq!(record.nlink(), 1);
}

/// A second environment reuses the cache: nothing is downloaded and the
/// server gets no file request.
#[test]
fn a_second_environment_reuses_the_cache() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("alpha", "1.0");
    context.wheel("beta", "1.0");
    let server = context.server();
    let requirements = context.requirements("alpha==1.0\nbeta==1.0\n");
    let first = success(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    assert!(first.contains("Downloaded 2 packages"), "{first}");
    server.clear_requests();

    let second = context.create_venv("second");
    let stderr = success(
        &context,
        context
            .command_in("pip-sync", &second)
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    insta::assert_snapshot!(stderr);
    assert!(!stderr.contains("Downloaded"));
    assert!(
        !server
            .requests()
            .iter()
            .any(|request| request.contains("/files/")),
        "{:?}",
        server.requests()
    );
    assert_eq!(installed(&second), ["alpha==1.0", "beta==1.0"]);
}

/// The directory a test filesystem variable names, or `None` after printing
/// why the test is skipped.
fn test_fs(variable: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os(variable).map(std::path::PathBuf::from);
    if path.is_none() {
        println!(
            "Skipping: {variable} is not set (source scripts/ci/setup-test-filesystems.sh as root)"
        );
    }
    path
}

/// The tmpfs of `PUFFIN_TEST_ALT_FS`, or `None` after printing why.
fn alt_fs() -> Option<std::path::PathBuf> {
    test_fs("PUFFIN_TEST_ALT_FS")
}

/// A cache on another filesystem than the environment: hardlinks fail with
/// EXDEV, the install falls back to copies with exactly one warning, and
/// every package still installs.
#[test]
fn cross_filesystem_cache_falls_back_once() {
    let Some(alt) = alt_fs() else {
        return;
    };
    let cache = tempfile::tempdir_in(&alt).unwrap();
    let Some(context) = TestContext::with_cache_dir(cache.path()) else {
        return;
    };
    for name in ["alpha", "beta", "gamma"] {
        context.wheel(name, "1.0");
    }
    let requirements = context.requirements("alpha==1.0\nbeta==1.0\ngamma==1.0\n");
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .args(["--link-mode", "hardlink"]),
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    // Whichever wheel is linked first meets the other filesystem.
    let wheel = regex::Regex::new(r"wheels-v1/(alpha|beta|gamma)/").unwrap();
    insta::assert_snapshot!(wheel.replace_all(&stderr, "wheels-v1/[WHEEL]/"));
    assert_eq!(
        context.installed(),
        ["alpha==1.0", "beta==1.0", "gamma==1.0"]
    );
    for name in ["alpha", "beta", "gamma"] {
        let file = context.site_packages().join(format!("{name}/__init__.py"));
        assert_eq!(fs::metadata(&file).unwrap().nlink(), 1);
    }
    context.assert_python("import alpha, beta, gamma");
}

/// `--link-mode copy` across filesystems prints no warning.
#[test]
fn cross_filesystem_cache_copy_mode_is_quiet() {
    let Some(alt) = alt_fs() else {
        return;
    };
    let cache = tempfile::tempdir_in(&alt).unwrap();
    let Some(context) = TestContext::with_cache_dir(cache.path()) else {
        return;
    };
    context.wheel("alpha", "1.0");
    context.wheel("beta", "1.0");
    let requirements = context.requirements("alpha==1.0\nbeta==1.0\n");
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(&requirements)
            .args(["--link-mode", "copy"]),
    );
    insta::assert_snapshot!(stderr);
    assert!(!stderr.contains("warning"));
    assert_eq!(context.installed(), ["alpha==1.0", "beta==1.0"]);
}

/// Two syncs of one file into one environment at the same time end with the
/// environment equal to the file; one of them may wait for the other.
#[test]
fn concurrent_syncs_of_one_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    for name in names {
        context.wheel(name, "1.0");
    }
    let requirements = context.requirements(
        &names
            .iter()
            .map(|name| format!("{name}==1.0\n"))
            .collect::<String>(),
    );
    let spawn = || {
        context
            .std_command_in("pip-sync", &context.venv)
            .arg(&requirements)
            .args(["--no-index", "--find-links"])
            .arg(&context.wheels)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let second = spawn();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        let stderr = context.filtered(&output);
        assert!(output.status.success(), "{stderr}");
        for line in stderr.lines() {
            assert!(
                !line.starts_with("error") && !line.starts_with("warning"),
                "{stderr}"
            );
        }
    }
    let mut expected: Vec<String> = names.iter().map(|name| format!("{name}==1.0")).collect();
    expected.sort();
    assert_eq!(context.installed(), expected);
    context.assert_python("import alpha, beta, gamma, delta, epsilon");
    // A third sync finds nothing to do.
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    assert!(stderr.contains("Audited 5 packages"), "{stderr}");
}

/// Two syncs of different files at the same time: the environment ends equal
/// to one of them, never a mix.
#[test]
fn concurrent_syncs_of_two_files() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for name in ["alpha", "beta", "gamma", "delta"] {
        context.wheel(name, "1.0");
        context.wheel(name, "2.0");
    }
    let one = context.write("one.txt", "alpha==1.0\nbeta==1.0\ngamma==1.0\n");
    let two = context.write("two.txt", "beta==2.0\ngamma==2.0\ndelta==2.0\n");
    let spawn = |file: &Path| {
        context
            .std_command_in("pip-sync", &context.venv)
            .arg(file)
            .args(["--no-index", "--find-links"])
            .arg(&context.wheels)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn(&one);
    let second = spawn(&two);
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", context.filtered(&output));
    }
    let installed = context.installed();
    assert!(
        installed == ["alpha==1.0", "beta==1.0", "gamma==1.0"]
            || installed == ["beta==2.0", "delta==2.0", "gamma==2.0"],
        "{installed:?}"
    );
}

/// Packages nothing lists are removed, but pip, setuptools and wheel stay.
#[test]
fn extraneous_packages_are_removed_installers_kept() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for name in ["pip", "setuptools", "wheel", "stray", "demo"] {
        context.wheel(name, "1.0");
    }
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("pip==1.0\nsetuptools==1.0\nwheel==1.0\nstray==1.0\n")),
    );
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(
        context.installed(),
        ["demo==1.0", "pip==1.0", "setuptools==1.0", "wheel==1.0"]
    );
    assert!(!context.site_packages().join("stray").exists());
}

/// A requirement whose markers do not match is skipped (and counted with
/// `-v`); one whose markers match installs.
#[test]
fn markers_skip_a_requirement() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("legacy", "1.0");
    let requirements = context.requirements(
        "demo==1.0 ; python_version >= \"3\"\nlegacy==1.0 ; python_version < \"3\"\n",
    );
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.0"]);

    let stderr = success(
        &context,
        context.pip_sync_local().arg(&requirements).arg("-v"),
    );
    assert!(
        stderr.contains("Skipped 1 requirement whose markers do not match this environment"),
        "{stderr}"
    );
}

/// A requirement that is not an exact pin installs the newest matching
/// version, with a warning; the summary names the version installed
/// (regression: it printed `demo==latest`).
#[test]
fn unpinned_requirement_installs_the_newest_match() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for version in ["1.0", "1.5", "2.0"] {
        context.wheel("demo", version);
    }
    let requirements = context.requirements("demo>=1.0,<2\n");
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.5"]);
}

/// `--dry-run` prints the plan and changes nothing.
#[test]
fn dry_run_changes_nothing() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("alpha", "1.0");
    context.wheel("beta", "1.0");
    context.wheel("beta", "2.0");
    context.wheel("gamma", "1.0");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("alpha==1.0\nbeta==1.0\n")),
    );
    let before = context.installed();
    let requirements = context.requirements("beta==2.0\ngamma==1.0\n");
    let stderr = success(
        &context,
        context.pip_sync_local().arg(&requirements).arg("--dry-run"),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), before);
    assert!(!context.site_packages().join("gamma").exists());
}

/// A wheel that cannot be installed (its file would replace a directory in
/// the environment) fails with exit code 1, naming it, with the cause.
#[test]
fn install_failure_exits_1() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    // A directory where the wheel puts a file.
    fs::create_dir_all(context.site_packages().join("demo/__init__.py/inner")).unwrap();
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("Caused by:"), "{stderr}");
    assert!(context.installed().is_empty(), "{:?}", context.installed());
}

/// A wheel that is not a zip archive fails with exit code 1 and a cause; the
/// environment is unchanged.
#[test]
fn unzip_failure_exits_1() {
    let Some(context) = TestContext::new() else {
        return;
    };
    fs::write(
        context.wheels.join("demo-1.0-py3-none-any.whl"),
        b"not a zip archive",
    )
    .unwrap();
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("Caused by:"), "{stderr}");
    assert!(context.installed().is_empty());
}

/// A wheel whose RECORD does not match its files is refused before anything
/// is installed.
#[test]
fn wheel_with_a_wrong_record_is_refused() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let builder = simple_wheel("demo", "1.0").dist_info_file(
        "RECORD",
        Some(b"demo/__init__.py,sha256=AAAA,3\ndemo-1.0.dist-info/RECORD,,\n"),
    );
    context.build(&builder);
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(1));
    assert!(context.installed().is_empty());
    assert!(!context.site_packages().join("demo").exists());
}

/// A requirement with a direct `http://` URL to a wheel installs it and
/// records the URL.
#[test]
fn remote_wheel_url() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let url = format!("{}/files/demo-1.0-py3-none-any.whl", server.base_url());
    let requirements = context.requirements(&format!("demo @ {url}\n"));
    let stderr = success(&context, context.pip_sync().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.0"]);
    let direct_url = fs::read_to_string(
        context
            .site_packages()
            .join("demo-1.0.dist-info/direct_url.json"),
    )
    .unwrap();
    assert!(direct_url.contains(&url), "{direct_url}");
}

/// The same package listed twice with different pins is refused.
#[test]
fn conflicting_requirements() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("demo", "2.0");
    let requirements = context.requirements("demo==1.0\nDemo==2.0\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(2));
}

/// A missing dependency of an installed wheel is warned about.
#[test]
fn missing_dependency_warning() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("app", "1.0").requires("lib>=2"));
    let requirements = context.requirements("app==1.0\n");
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
}

/// A removed package that was imported (so Python wrote `__pycache__`
/// files the RECORD does not list) leaves no directory behind.
#[test]
fn removing_an_imported_package_leaves_nothing() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("alpha", "1.0").file("alpha/sub/mod.py", "X = 1\n"));
    context.wheel("beta", "1.0");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("alpha==1.0\nbeta==1.0\n")),
    );
    python_writing_bytecode(&context.venv, "import alpha.sub.mod");
    assert!(
        context
            .site_packages()
            .join("alpha/sub/__pycache__")
            .is_dir()
    );
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("beta==1.0\n")),
    );
    assert!(
        fs::symlink_metadata(context.site_packages().join("alpha")).is_err(),
        "alpha/ is still there"
    );
}

/// A pinned version that the index marks yanked is installed (PEP 592), with
/// a warning naming it; an unpinned requirement skips it (regression: the
/// selection's yanked warning was never printed).
#[test]
fn yanked_versions() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("demo", "2.0");
    let mut options = IndexServerOptions::new(&context.wheels);
    options.yanked.insert(
        "demo-2.0-py3-none-any.whl".to_string(),
        "broken build".to_string(),
    );
    let server = context.server_with(options);

    let stderr = success(
        &context,
        context
            .pip_sync()
            .arg(context.requirements("demo\n"))
            .args(["--index-url", &server.url()]),
    );
    assert!(!stderr.contains("yanked"), "{stderr}");
    assert_eq!(context.installed(), ["demo==1.0"]);

    let stderr = success(
        &context,
        context
            .pip_sync()
            .arg(context.requirements("demo==2.0\n"))
            .args(["--index-url", &server.url()]),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==2.0"]);
}

/// A version whose `Requires-Python` excludes the interpreter is not chosen
/// for an unpinned requirement.
#[test]
fn requires_python_excludes_a_version() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.wheel("demo", "2.0");
    let mut options = IndexServerOptions::new(&context.wheels);
    options
        .requires_python
        .insert("demo-2.0-py3-none-any.whl".to_string(), ">=4".to_string());
    let server = context.server_with(options);
    success(
        &context,
        context
            .pip_sync()
            .arg(context.requirements("demo>=1\n"))
            .args(["--index-url", &server.url()]),
    );
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// With only wheels for other platforms and interpreters, the error says no
/// wheel is compatible.
#[test]
fn no_compatible_wheel() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("demo", "1.0").tag("cp27-cp27m-win32"));
    context.build(&simple_wheel("demo", "1.0").tag("py2-none-any"));
    let requirements = context.requirements("demo==1.0\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
    assert!(context.installed().is_empty());
}

/// Among several wheels of one version, a platform wheel for this
/// interpreter wins over the pure-Python one.
#[test]
fn the_most_specific_compatible_wheel_wins() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let (major, minor) = {
        let version =
            context.assert_python("import sys; print(sys.version_info[0], sys.version_info[1])");
        let mut parts = version.split_whitespace();
        (
            parts.next().unwrap().to_string(),
            parts.next().unwrap().to_string(),
        )
    };
    let machine = context.assert_python("import platform; print(platform.machine())");
    let tag = format!("cp{major}{minor}-cp{major}{minor}-manylinux_2_17_{machine}");
    context.build(
        &WheelBuilder::new("demo", "1.0")
            .tag(&tag)
            .root_is_purelib(false)
            .file("demo/__init__.py", "KIND = 'platform'\n"),
    );
    context.build(&WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "KIND = 'pure'\n"));
    let glibc = context.assert_python("import platform; print(platform.libc_ver()[0])");
    if glibc != "glibc" {
        println!("Skipping: not a glibc platform");
        return;
    }
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    assert_eq!(
        context.assert_python("import demo; print(demo.KIND)"),
        "platform"
    );
}

/// A local version (`1.0+local`) installs from find-links and round-trips;
/// a `file://` URL with an escaped space and `+` installs too.
#[test]
fn local_versions_and_escaped_file_urls() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0+local.1");
    let spaced = context.root.join("my wheels");
    fs::create_dir_all(&spaced).unwrap();
    simple_wheel("other", "2.0+cpu").build(&spaced);
    let url = format!(
        "file://{}/my%20wheels/other-2.0%2Bcpu-py3-none-any.whl",
        context.root.display()
    );
    let requirements = context.requirements(&format!("demo==1.0+local.1\nother @ {url}\n"));
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_eq!(context.installed(), ["demo==1.0+local.1", "other==2.0+cpu"]);
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    assert!(stderr.contains("Audited 2 packages"), "{stderr}");
}

/// A package installed from a direct URL and then required from the index
/// at the same version is reinstalled from the index (and the other way).
#[test]
fn switching_between_a_url_and_the_index() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.wheel("demo", "1.0");
    let by_url = format!("demo @ file://{}\n", wheel.display());
    success(
        &context,
        context.pip_sync_local().arg(context.requirements(&by_url)),
    );
    let direct_url = context
        .site_packages()
        .join("demo-1.0.dist-info/direct_url.json");
    assert!(direct_url.is_file());

    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    insta::assert_snapshot!("to_index", stderr);
    assert!(!direct_url.exists());

    let stderr = success(
        &context,
        context.pip_sync_local().arg(context.requirements(&by_url)),
    );
    insta::assert_snapshot!("to_url", stderr);
    assert!(direct_url.is_file());
}

/// A local wheel rebuilt in place (same name, new contents) is picked up by
/// `--reinstall-package`: the cache entry is keyed by the file's mtime.
#[test]
fn a_rebuilt_local_wheel_is_reinstalled() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel =
        context.build(&WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "BUILD = 1\n"));
    let requirements = context.requirements(&format!("demo @ file://{}\n", wheel.display()));
    success(&context, context.pip_sync().arg(&requirements));
    assert_eq!(context.assert_python("import demo; print(demo.BUILD)"), "1");

    // A different modification time, whatever the clock's resolution.
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::remove_file(&wheel).unwrap();
    context.build(&WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "BUILD = 2\n"));
    let file = fs::File::options().write(true).open(&wheel).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
        .unwrap();
    drop(file);

    success(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--reinstall-package", "demo"]),
    );
    assert_eq!(context.assert_python("import demo; print(demo.BUILD)"), "2");
}

/// The index can come from `PIP_INDEX_URL`, as pip is configured, and from
/// `--index-url` inside the requirements file.
#[test]
fn index_from_pip_environment_and_the_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    success(
        &context,
        context
            .pip_sync()
            .arg(context.requirements("demo==1.0\n"))
            .env("PIP_INDEX_URL", server.url()),
    );
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(server.count("/simple/demo/"), 1);

    // A second project with its own cache, so that the index is asked again.
    let Some(second) = TestContext::new() else {
        return;
    };
    let file = second.write(
        "indexed.txt",
        &format!("--index-url {}\ndemo==1.0\n", server.url()),
    );
    success(&second, second.pip_sync().arg(&file));
    assert_eq!(second.installed(), ["demo==1.0"]);
    assert_eq!(server.count("/simple/demo/"), 2);
}

/// An index that fails once with 500 is retried.
#[test]
fn a_failing_index_is_retried() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let mut options = IndexServerOptions::new(&context.wheels);
    options.fail_first.insert("/simple/demo/".to_string(), 1);
    options
        .fail_first
        .insert("/files/demo-1.0-py3-none-any.whl".to_string(), 1);
    let server = context.server_with(options);
    success(
        &context,
        context
            .pip_sync()
            .arg(context.requirements("demo==1.0\n"))
            .args(["--index-url", &server.url()]),
    );
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// A package the index does not have is a clear error naming it.
#[test]
fn a_package_the_index_does_not_have() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync()
            .arg(context.requirements("demo==1.0\nghost==1.0\n"))
            .args(["--index-url", &server.url()]),
    );
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
    assert!(context.installed().is_empty());
}

/// A version the index does not have is a clear error naming it.
#[test]
fn a_version_the_index_does_not_have() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==3.0\n")),
    );
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
}

/// `-q` prints nothing on success.
#[test]
fn quiet() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n"))
            .arg("-q"),
    );
    assert_eq!(stderr, "");
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// Several requirements files are merged; `-r` includes are followed.
#[test]
fn several_files_and_includes() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for name in ["alpha", "beta", "gamma"] {
        context.wheel(name, "1.0");
    }
    context.write("base.txt", "alpha==1.0\n");
    let main = context.write("main.txt", "-r base.txt\nbeta==1.0\n");
    let extra = context.write("extra.txt", "gamma==1.0\n");
    success(&context, context.pip_sync_local().arg(&main).arg(&extra));
    assert_eq!(
        context.installed(),
        ["alpha==1.0", "beta==1.0", "gamma==1.0"]
    );
}

/// The environment can be chosen with `--python <venv>/bin/python` instead
/// of `VIRTUAL_ENV`.
#[test]
fn python_option_selects_the_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let other = context.create_venv("other");
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n"))
            .arg("--python")
            .arg(other.join("bin/python")),
    );
    assert!(stderr.contains("environment at other"), "{stderr}");
    assert_eq!(installed(&other), ["demo==1.0"]);
    assert!(context.installed().is_empty());
}

/// `VIRTUAL_ENV` naming a directory that does not exist is a clear error,
/// exit 2.
#[test]
fn virtual_env_that_does_not_exist() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let (code, stderr) = outcome(
        &context,
        context
            .command_in("pip-sync", &context.root.join("gone"))
            .arg(context.requirements("demo==1.0\n")),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(2));
    assert!(!context.root.join("gone").exists());
}

/// `.data/scripts` and `.data/data` files go to `bin/` and the environment's
/// root, and leave with the package.
#[test]
fn data_directories_are_installed_and_removed() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &simple_wheel("tool", "1.0")
            .executable(
                "tool-1.0.data/scripts/tool-run",
                "#!python\nimport tool\nprint('tool', tool.VERSION)\n",
            )
            .file("tool-1.0.data/data/share/tool/config.txt", "setting = 1\n"),
    );
    context.wheel("keep", "1.0");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("tool==1.0\nkeep==1.0\n")),
    );
    let script = context.venv.join("bin/tool-run");
    let output = std::process::Command::new(&script).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim(), "tool 1.0");
    let data = context.venv.join("share/tool/config.txt");
    assert_eq!(fs::read_to_string(&data).unwrap(), "setting = 1\n");

    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("keep==1.0\n")),
    );
    assert!(!script.exists());
    assert!(!data.exists());
    assert_eq!(context.installed(), ["keep==1.0"]);
}

/// A requirement naming a source distribution or a wheel of another project
/// is refused before anything changes.
#[test]
fn url_requirements_that_cannot_be_installed() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.wheel("demo", "1.0");
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync()
            .arg(context.requirements(&format!("other @ file://{}\n", wheel.display()))),
    );
    insta::assert_snapshot!("name_mismatch", stderr);
    assert_eq!(code, Some(2));

    let (code, stderr) = outcome(
        &context,
        context.pip_sync().arg(context.requirements(&format!(
            "demo @ file://{}/demo-1.0.tar.gz\n",
            context.wheels.display()
        ))),
    );
    insta::assert_snapshot!("source_dist", stderr);
    assert_eq!(code, Some(2));
}

/// The reflink-capable filesystem of `PUFFIN_TEST_COW_FS`, or `None` after
/// printing why.
fn cow_fs() -> Option<std::path::PathBuf> {
    test_fs("PUFFIN_TEST_COW_FS")
}

/// Cache and environment on one reflink-capable filesystem: `--link-mode
/// clone` installs without a warning, and the files are independent of the
/// cache (a write to one does not change the other).
#[test]
fn clone_mode_on_a_reflink_filesystem() {
    let Some(cow) = cow_fs() else {
        return;
    };
    let Some(context) = TestContext::new_in(&cow) else {
        return;
    };
    context.wheel("demo", "1.0");
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n"))
            .args(["--link-mode", "clone", "-v"]),
    );
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("Link modes used: clone 1"), "{stderr}");
    let init = context.site_packages().join("demo/__init__.py");
    assert_eq!(fs::metadata(&init).unwrap().nlink(), 1);
    fs::write(&init, "VERSION = 'edited'\n").unwrap();
    // A second environment gets the original file from the cache.
    let second = context.create_venv("second");
    success(
        &context,
        context
            .command_in("pip-sync", &second)
            .arg(context.root.join("requirements.txt"))
            .args(["--no-index", "--find-links"])
            .arg(&context.wheels)
            .args(["--link-mode", "clone"]),
    );
    assert_eq!(
        crate::common::assert_python(&second, "import demo; print(demo.VERSION)"),
        "1.0"
    );
}

/// Cache and environment together on the tmpfs: hardlinks work there, so no
/// warning.
#[test]
fn cache_and_environment_on_one_other_filesystem() {
    let Some(alt) = alt_fs() else {
        return;
    };
    let Some(context) = TestContext::new_in(&alt) else {
        return;
    };
    context.wheel("demo", "1.0");
    let stderr = success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n"))
            .args(["--link-mode", "hardlink"]),
    );
    assert!(!stderr.contains("warning"), "{stderr}");
    let init = context.site_packages().join("demo/__init__.py");
    assert!(fs::metadata(&init).unwrap().nlink() >= 2);
}

/// A launcher in an environment whose path contains a space still runs (a
/// `#!` line cannot quote the interpreter's path).
#[test]
fn launcher_in_an_environment_path_with_a_space() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let venv = context.create_venv("my env");
    context.build(
        &WheelBuilder::new("greeter", "1.0")
            .file(
                "greeter/__init__.py",
                "import sys\n\ndef main():\n    print(sys.prefix)\n",
            )
            .console_script("greet", "greeter:main")
            .executable(
                "greeter-1.0.data/scripts/greet-data",
                "#!python\nimport sys\nprint(sys.prefix)\n",
            ),
    );
    success(
        &context,
        context
            .command_in("pip-sync", &venv)
            .arg(context.requirements("greeter==1.0\n"))
            .args(["--no-index", "--find-links"])
            .arg(&context.wheels),
    );
    let output = std::process::Command::new(venv.join("bin/greet"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        venv.display().to_string()
    );
    let output = std::process::Command::new(venv.join("bin/greet-data"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        venv.display().to_string()
    );
}

/// Two packages sharing a namespace directory: removing one leaves the
/// other's files (and the shared directory) in place.
#[test]
fn namespace_packages_share_a_directory() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&WheelBuilder::new("ns-one", "1.0").file("ns/one/__init__.py", "X = 1\n"));
    context.build(&WheelBuilder::new("ns-two", "1.0").file("ns/two/__init__.py", "X = 2\n"));
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("ns-one==1.0\nns-two==1.0\n")),
    );
    context.assert_python("import ns.one, ns.two");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("ns-two==1.0\n")),
    );
    assert!(!context.site_packages().join("ns/one").exists());
    context.assert_python("import ns.two");
}

/// `--dry-run` without any environment creates none (regression: it created
/// `.venv`).
#[test]
fn dry_run_creates_no_environment() {
    let Some(context) = TestContext::without_venv() else {
        return;
    };
    context.wheel("demo", "1.0");
    let output = context
        .command_without_env("pip-sync")
        .arg(context.requirements("demo==1.0\n"))
        .args(["--no-index", "--find-links", "wheels", "--dry-run"])
        .output()
        .unwrap();
    insta::assert_snapshot!(context.filtered(&output));
    assert_eq!(output.status.code(), Some(2));
    assert!(!context.root.join(".venv").exists());
}

/// A `--hash` on a direct URL requirement is checked too.
#[test]
fn hash_of_a_direct_url_requirement() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.wheel("demo", "1.0");
    context.add_filter(sha256_hex(&wheel), "[SHA256]");
    let requirements = context.requirements(&format!(
        "demo @ file://{} --hash=sha256:{}\n",
        wheel.display(),
        "0".repeat(64)
    ));
    let (code, stderr) = outcome(&context, context.pip_sync().arg(&requirements));
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
    assert!(context.installed().is_empty());

    let requirements = context.requirements(&format!(
        "demo @ file://{} --hash=sha256:{}\n",
        wheel.display(),
        sha256_hex(&wheel)
    ));
    success(&context, context.pip_sync().arg(&requirements));
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// An extraneous `.egg-info` of `setup.py install` is removed through its
/// `installed-files.txt`, as pip removes it (issue 14, item 9: a foreign
/// `.egg-info` made every later sync fail).
#[test]
fn extraneous_egg_info_with_installed_files() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let site_packages = context.site_packages();
    let egg_info = site_packages.join("legacy-0.1-py3.11.egg-info");
    fs::create_dir_all(&egg_info).unwrap();
    fs::create_dir_all(site_packages.join("legacy")).unwrap();
    fs::write(site_packages.join("legacy/__init__.py"), "").unwrap();
    fs::write(
        egg_info.join("PKG-INFO"),
        "Metadata-Version: 1.1\nName: legacy\nVersion: 0.1\n",
    )
    .unwrap();
    fs::write(
        egg_info.join("installed-files.txt"),
        "../legacy/__init__.py\nPKG-INFO\ninstalled-files.txt\n",
    )
    .unwrap();
    let requirements = context.requirements("demo==1.0\n");
    success(&context, context.pip_sync_local().arg(&requirements));
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert!(!egg_info.exists());
    assert!(!site_packages.join("legacy").exists());
}

/// An extraneous distribution installed without a list of its files (an
/// `.egg-info` without `installed-files.txt`) cannot be removed, as pip
/// cannot remove a distutils install: the sync says which and how to fix it.
#[test]
fn extraneous_egg_info() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let egg_info = context.site_packages().join("legacy-0.1-py3.11.egg-info");
    fs::create_dir_all(&egg_info).unwrap();
    fs::write(
        egg_info.join("PKG-INFO"),
        "Metadata-Version: 1.1\nName: legacy\nVersion: 0.1\n",
    )
    .unwrap();
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    insta::assert_snapshot!(stderr);
    assert_ne!(code, Some(0));
}

/// An extraneous `.dist-info` directory without RECORD cannot be removed:
/// the sync fails (exit 1) naming it and saying what to do, before anything
/// is installed.
#[test]
fn a_broken_dist_info_in_the_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    fs::create_dir_all(context.site_packages().join("broken-1.0.dist-info")).unwrap();
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(1));
    assert!(
        context
            .installed()
            .iter()
            .all(|dist| !dist.starts_with("demo"))
    );
}

/// Extras and non-canonical spellings of names and versions name the same
/// distribution: the second sync is a no-op.
#[test]
fn spellings_of_names_versions_and_extras() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo.pkg", "1.0");
    context.wheel("other", "2.0");
    let requirements = context.requirements("Demo_Pkg[speed]==1.0.0\nOTHER==2.0\n");
    success(&context, context.pip_sync_local().arg(&requirements));
    assert_eq!(context.installed(), ["demo.pkg==1.0", "other==2.0"]);
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    assert!(stderr.contains("Audited 2 packages"), "{stderr}");
}

/// `--offline` with local find-links needs no cache.
#[test]
fn offline_with_find_links() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n"))
            .arg("--offline"),
    );
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// `--python` naming an interpreter that is not a virtual environment is
/// refused without `--system`, and nothing is created.
#[test]
fn a_system_interpreter_needs_system() {
    let Some(context) = TestContext::without_venv() else {
        return;
    };
    context.wheel("demo", "1.0");
    let (code, stderr) = outcome(
        &context,
        context
            .command_without_env("pip-sync")
            .arg(context.requirements("demo==1.0\n"))
            .arg("--python")
            .arg(&context.python)
            .args(["--no-index", "--find-links", "wheels"]),
    );
    let prefix = std::process::Command::new(&context.python)
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .unwrap();
    let prefix = String::from_utf8(prefix.stdout).unwrap();
    let stderr = stderr.replace(prefix.trim(), "[PREFIX]");
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(2));
    assert!(!context.root.join(".venv").exists());
}

/// Two syncs into two environments at once with a cold shared cache: both
/// unzip the same wheels at the same time, one wins each entry, and both
/// environments end complete. Repeated with fresh caches to meet the race.
#[test]
fn concurrent_syncs_share_a_cold_cache() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
    for name in names {
        context.build(
            &simple_wheel(name, "1.0")
                .file(&format!("{name}/data.py"), "X = 1\n".repeat(2000))
                .console_script(&format!("{name}-cli"), &format!("{name}:VERSION")),
        );
    }
    let requirements = context.requirements(
        &names
            .iter()
            .map(|name| format!("{name}==1.0\n"))
            .collect::<String>(),
    );
    let first = context.create_venv("first");
    let second = context.create_venv("second");
    for round in 0..3 {
        let cache = context.root.join(format!("cache-{round}"));
        let spawn = |venv: &Path| {
            context
                .std_command_with_cache("pip-sync", venv, &cache)
                .arg(&requirements)
                .args(["--no-index", "--find-links"])
                .arg(&context.wheels)
                .args(["--reinstall"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let children = [spawn(&first), spawn(&second)];
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                context.filtered(&output)
            );
        }
        for venv in [&first, &second] {
            let mut expected: Vec<String> =
                names.iter().map(|name| format!("{name}==1.0")).collect();
            expected.sort();
            assert_eq!(installed(venv), expected, "round {round}");
            crate::common::assert_python(venv, "import alpha.data, zeta.data");
        }
    }
}

/// One of several wheels fails to install: the sync exits 1 naming it, the
/// others are installed, and once the obstacle is gone a second sync makes
/// the environment exact.
#[test]
fn a_failed_install_is_repaired_by_the_next_sync() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for name in ["alpha", "beta", "gamma"] {
        context.build(&simple_wheel(name, "1.0").file(&format!("{name}/more.py"), "Y = 2\n"));
    }
    let obstacle = context.site_packages().join("beta/more.py");
    fs::create_dir_all(obstacle.join("inner")).unwrap();
    let requirements = context.requirements("alpha==1.0\nbeta==1.0\ngamma==1.0\n");
    let (code, stderr) = outcome(&context, context.pip_sync_local().arg(&requirements));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("Failed to install: beta @ 1.0"), "{stderr}");
    assert!(
        !context.installed().contains(&"beta==1.0".to_string()),
        "{:?}",
        context.installed()
    );

    fs::remove_dir_all(&obstacle).unwrap();
    let stderr = success(&context, context.pip_sync_local().arg(&requirements));
    assert!(stderr.contains(" + beta==1.0"), "{stderr}");
    assert_eq!(
        context.installed(),
        ["alpha==1.0", "beta==1.0", "gamma==1.0"]
    );
    context.assert_python("import alpha.more, beta.more, gamma.more");
}

/// An upgrade whose new version fails to install (a file where another
/// package has a directory, `EISDIR`) exits 1, says that the environment was
/// restored, and leaves the old version installed, registered and
/// importable, with no file of the new version.
///
/// Regression: the old version was already uninstalled, and the new one was
/// left half linked without a `.dist-info`: `import demo` found 2.0 files
/// while `pip-freeze` listed nothing.
#[test]
fn a_failed_upgrade_restores_the_old_version() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    context.build(&simple_wheel("demo", "2.0").file("demo/new.py", "Z = 3\n"));
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    fs::create_dir_all(context.site_packages().join("demo/new.py/inner")).unwrap();
    let before = crate::reliability::tree_listing(&context.venv, &[".lock"]);
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==2.0\n")),
    );
    insta::assert_snapshot!(stderr);
    assert_eq!(code, Some(1));
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "1.0"
    );
    let mut after = crate::reliability::tree_listing(&context.venv, &[".lock"]);
    // Python's bytecode of the check above.
    after.retain(|path, _| !path.contains("__pycache__"));
    assert_eq!(after, before);
}

/// The new version fails after 3 of its files were linked (a fault injected
/// with `PUFFIN_TEST_FAULT_AFTER_FILES`, read by debug builds only): the
/// sync exits 1 with `Failed to install: demo @ 2.0` and its cause, says
/// that the environment was restored, and leaves the old version installed,
/// registered (`pip-freeze`), importable, with no file of the new version.
#[test]
fn a_fault_after_some_files_restores_the_old_version() {
    if !cfg!(debug_assertions) {
        println!("Skipping: the fault hook exists in debug builds only");
        return;
    }
    let Some(context) = TestContext::new() else {
        return;
    };
    let mut new = simple_wheel("demo", "2.0").console_script("demo2", "demo:main");
    for index in 0..8 {
        new = new.file(&format!("demo/new{index}.py"), "NEW = 2\n");
    }
    context.build(&simple_wheel("demo", "1.0").file("demo/old.py", "OLD = 1\n"));
    context.build(&new);
    success(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\n")),
    );
    let before = crate::reliability::tree_listing(&context.venv, &[".lock"]);
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==2.0\n"))
            .env("PUFFIN_TEST_FAULT_AFTER_FILES", "3"),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: Failed to install: demo @ 2.0"),
        "{stderr}"
    );
    assert!(stderr.contains("Caused by: Input/output error"), "{stderr}");
    assert!(
        stderr.contains(
            "The environment was restored to its state before the sync (3 new files removed"
        ),
        "{stderr}"
    );
    let freeze = context.pip_freeze().output().unwrap();
    assert_eq!(String::from_utf8_lossy(&freeze.stdout), "demo==1.0\n");
    assert_eq!(
        context.assert_python("import demo.old; print(demo.VERSION)"),
        "1.0"
    );
    let mut after = crate::reliability::tree_listing(&context.venv, &[".lock"]);
    after.retain(|path, _| !path.contains("__pycache__"));
    assert_eq!(after, before);
}

/// A read-only scripts directory makes the launcher of the new version
/// fail after its other files were linked: the sync exits 1 naming the
/// package, the old version is restored (installed, registered, importable)
/// and no file of the new version is left.
///
/// Root ignores directory permissions and CI runs as root: there the
/// commands run as user 65534 through `setpriv`, in a project under the
/// temporary directory owned by that user, with a venv of the root-owned
/// `/usr/bin/python3`.
#[test]
fn a_read_only_scripts_directory_restores_the_old_version() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: `geteuid` has no preconditions.
    #[allow(unsafe_code)]
    let root = unsafe { libc::geteuid() } == 0;
    let Some(project) = (if root {
        ReadOnlyProject::as_nobody()
    } else {
        ReadOnlyProject::as_self()
    }) else {
        return;
    };
    let old = project.write("old.txt", "demo==1.0\n");
    let new = project.write("new.txt", "demo==2.0\n");
    let (code, stderr) = project.sync(&old);
    assert_eq!(code, Some(0), "{stderr}");
    let venv = &project.venv;
    let bin = venv.join("bin");
    let before = crate::reliability::tree_listing(venv, &[".lock"]);
    fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o555)).unwrap();
    let (code, stderr) = project.sync(&new);
    fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("Failed to install: demo @ 2.0"), "{stderr}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(stderr.contains("The environment was restored"), "{stderr}");
    assert_eq!(crate::common::installed(venv), ["demo==1.0"]);
    let mut after = crate::reliability::tree_listing(venv, &[".lock"]);
    assert_eq!(after, before);
    assert_eq!(
        crate::common::assert_python(venv, "import demo; print(demo.VERSION)"),
        "1.0"
    );
    after = crate::reliability::tree_listing(venv, &[".lock"]);
    after.retain(|path, _| !path.contains("__pycache__"));
    assert!(
        !after
            .keys()
            .any(|path| path.contains("2.0") || path.ends_with("demo2"))
    );
}

/// A project for [`a_read_only_scripts_directory_restores_the_old_version`]:
/// `demo` 1.0 (no script) and 2.0 (a console script) in `wheels/`, run as
/// this user or as user 65534.
struct ReadOnlyProject {
    /// Keeps the directory of [`ReadOnlyProject::as_nobody`].
    _temp: Option<tempfile::TempDir>,
    /// Keeps the context of [`ReadOnlyProject::as_self`].
    context: Option<TestContext>,
    home: PathBuf,
    venv: PathBuf,
    cache: PathBuf,
    wheels: PathBuf,
}

impl ReadOnlyProject {
    fn wheels(dir: &Path) {
        simple_wheel("demo", "1.0").build(dir);
        simple_wheel("demo", "2.0")
            .console_script("demo2", "demo:main")
            .build(dir);
    }

    fn as_self() -> Option<Self> {
        let context = TestContext::new()?;
        Self::wheels(&context.wheels);
        Some(Self {
            _temp: None,
            home: context.root.clone(),
            venv: context.venv.clone(),
            cache: context.cache.clone(),
            wheels: context.wheels.clone(),
            context: Some(context),
        })
    }

    /// Everything under a temporary directory (world-traversable parents)
    /// owned by user 65534, the venv made by that user.
    fn as_nobody() -> Option<Self> {
        if !crate::common::can_run_as_nobody() {
            return None;
        }
        let python = crate::common::root_owned_python()?;
        let temp = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
        let home = fs::canonicalize(temp.path()).unwrap();
        let wheels = home.join("wheels");
        fs::create_dir(&wheels).unwrap();
        Self::wheels(&wheels);
        crate::common::give_to_nobody(&home);
        let cache = home.join("cache");
        let args = [
            "venv",
            "venv",
            "--python",
            path_str(&python),
            "--cache-dir",
            path_str(&cache),
        ];
        let output = crate::common::as_nobody(&home, &args, None);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(Self {
            _temp: Some(temp),
            context: None,
            venv: home.join("venv"),
            home,
            cache,
            wheels,
        })
    }

    /// Write a file into the project (owned by the user the commands run as).
    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.home.join(name);
        fs::write(&path, contents).unwrap();
        if self.context.is_none() {
            crate::common::give_to_nobody(&path);
        }
        path
    }

    /// `pip-sync <requirements> --no-index --find-links <wheels>`: the exit
    /// code and stderr.
    fn sync(&self, requirements: &Path) -> (Option<i32>, String) {
        let args = [
            "pip-sync",
            path_str(requirements),
            "--no-index",
            "--find-links",
            path_str(&self.wheels),
            "--cache-dir",
            path_str(&self.cache),
        ];
        let output = match &self.context {
            // The context's command passes its cache itself.
            Some(context) => context.command(args[0]).args(&args[1..5]).output().unwrap(),
            None => crate::common::as_nobody(&self.home, &args, Some(&self.venv)),
        };
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A line that is not a requirement is an error naming the file and line,
/// exit 2; so is `-e` of something other than a project directory.
#[test]
fn bad_requirements_files() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("demo==1.0\nnot a requirement ===\n")),
    );
    insta::assert_snapshot!("syntax", stderr);
    assert_eq!(code, Some(2));

    let (code, stderr) = outcome(
        &context,
        context
            .pip_sync_local()
            .arg(context.requirements("-e git+https://127.0.0.1:9/repo.git\n")),
    );
    insta::assert_snapshot!("editable", stderr);
    assert_eq!(code, Some(2));
    assert!(context.installed().is_empty());
}

/// The index URL spelled without its trailing slash names the same index:
/// the warm cache serves an `--offline` sync.
#[test]
fn offline_index_url_without_trailing_slash() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    success(
        &context,
        context
            .command_in("pip-sync", &context.create_venv("first"))
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    let without_slash = server.url().trim_end_matches('/').to_string();
    success(
        &context,
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &without_slash, "--offline"]),
    );
    assert_eq!(context.installed(), ["demo==1.0"]);
}
