//! PEP 751 lock files: written by `pip-compile -o pylock.toml`, synced by
//! `pip-sync pylock.toml`.

use std::path::Path;
use std::process::Output;

use fs_err as fs;
use sha2::{Digest, Sha256};

use crate::common::{TestContext, simple_wheel};

fn sha256(path: &Path) -> String {
    format!("{:x}", Sha256::digest(fs::read(path).unwrap()))
}

fn success(context: &TestContext, output: &Output) -> String {
    let stderr = context.filtered(output);
    assert!(output.status.success(), "the command failed:\n{stderr}");
    stderr
}

/// A lock of one wheel at `path` (relative to the lock) with `hash`.
fn wheel_package(name: &str, path: &str, hash: &str, marker: Option<&str>) -> String {
    let marker = marker.map_or(String::new(), |marker| format!("marker = \"{marker}\"\n"));
    format!(
        "[[packages]]\nname = \"{name}\"\nversion = \"1.0\"\n{marker}wheels = [{{ path = \"{path}\", hashes = {{ sha256 = \"{hash}\" }} }}]\n\n"
    )
}

const HEAD: &str = "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n";

/// `pip-compile -o pylock.toml` writes every pinned package with its index
/// and the wheels of its version (one for another platform among them);
/// `pip-sync pylock.toml` installs them, choosing the wheel that fits.
#[test]
fn compile_then_sync_round_trip() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("a", "1.0").requires("b"));
    context.build(&simple_wheel("b", "1.0").file("b/which.py", "TAG = 'any'\n"));
    context.build(
        &simple_wheel("b", "1.0")
            .tag("py3-none-win_amd64")
            .file("b/which.py", "TAG = 'windows'\n"),
    );
    let server = context.server();
    context.write("requirements.in", "a\n");
    let output = context
        .command("pip-compile")
        .args([
            "requirements.in",
            "-o",
            "pylock.toml",
            "--index-url",
            &server.url(),
        ])
        .output()
        .unwrap();
    success(&context, &output);
    let text = fs::read_to_string(context.root.join("pylock.toml")).unwrap();
    assert!(text.starts_with("lock-version = \"1.0\"\n"), "{text}");
    assert!(text.contains("created-by = \"puffin\""), "{text}");
    assert!(text.contains("requires-python = \"==3."), "{text}");
    assert_eq!(text.matches("[[packages]]").count(), 2, "{text}");
    assert!(text.contains("b-1.0-py3-none-win_amd64.whl"), "{text}");
    assert!(text.contains("sha256 = "), "{text}");

    let output = context.pip_sync().arg("pylock.toml").output().unwrap();
    success(&context, &output);
    assert_eq!(context.installed(), ["a==1.0", "b==1.0"]);
    assert_eq!(
        context.assert_python("import b.which; print(b.which.TAG)"),
        "any"
    );
    // The existing lock's pins are kept by the next compile.
    context.wheel("b", "2.0");
    let output = context
        .command("pip-compile")
        .args([
            "requirements.in",
            "-o",
            "pylock.toml",
            "--index-url",
            &server.url(),
        ])
        .output()
        .unwrap();
    success(&context, &output);
    let again = fs::read_to_string(context.root.join("pylock.toml")).unwrap();
    assert!(again.contains("version = \"1.0\""), "{again}");
    assert!(!again.contains("b-2.0"), "{again}");
}

/// A package whose marker does not hold is not installed; the others are,
/// from wheels given by path relative to the lock.
#[test]
fn marker_excludes_a_package() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let demo = context.wheel("demo", "1.0");
    let windows = context.wheel("windows-only", "1.0");
    let lock = format!(
        "{HEAD}{}{}",
        wheel_package(
            "demo",
            "wheels/demo-1.0-py3-none-any.whl",
            &sha256(&demo),
            None
        ),
        wheel_package(
            "windows-only",
            "wheels/windows_only-1.0-py3-none-any.whl",
            &sha256(&windows),
            Some("sys_platform == 'win32'")
        ),
    );
    context.write("pylock.toml", &lock);
    let output = context.pip_sync().arg("pylock.toml").output().unwrap();
    success(&context, &output);
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// A wheel whose hash is not the lock's is refused, and nothing changes.
#[test]
fn hash_mismatch_fails() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let lock = format!(
        "{HEAD}{}",
        wheel_package(
            "demo",
            "wheels/demo-1.0-py3-none-any.whl",
            &"0".repeat(64),
            None
        )
    );
    context.write("pylock.toml", &lock);
    let output = context.pip_sync().arg("pylock.toml").output().unwrap();
    let stderr = context.filtered(&output);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.to_lowercase().contains("hash"), "{stderr}");
    assert!(context.installed().is_empty());
}

/// A malformed lock, and a package with no wheel for this platform, are
/// errors naming the file (and the package).
#[test]
fn malformed_lock_names_the_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.write(
        "pylock.toml",
        "lock-version = \"1.0\"\n[[packages]\nname = 1\n",
    );
    let output = context.pip_sync().arg("pylock.toml").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = context.filtered(&output);
    assert!(
        stderr.contains("error: `pylock.toml` is not a valid PEP 751 lock file"),
        "{stderr}"
    );

    let lock = format!(
        "{HEAD}{}",
        wheel_package(
            "native",
            "wheels/native-1.0-cp311-cp311-win_amd64.whl",
            &"0".repeat(64),
            None
        )
    );
    context.write("pylock.dev.toml", &lock);
    let output = context.pip_sync().arg("pylock.dev.toml").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] environment at .venv
    error: `pylock.dev.toml`: package `native` has no wheel for this environment (native-1.0-cp311-cp311-win_amd64.whl) and no `sdist`
    ");
}

/// A `directory` entry (editable) is built beside hashed wheels: it has no
/// file to hash, so pip's `--require-hashes` rule does not apply to it.
#[test]
fn directory_entry_beside_hashed_wheels() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let demo = context.wheel("demo", "1.0");
    puffin_test_support::ProjectBuilder::new("local", "0.1").write(&context.root.join("local"));
    let lock = format!(
        "{HEAD}{}[[packages]]\nname = \"local\"\ndirectory = {{ path = \"local\", editable = true }}\n",
        wheel_package(
            "demo",
            "wheels/demo-1.0-py3-none-any.whl",
            &sha256(&demo),
            None
        ),
    );
    context.write("pylock.toml", &lock);
    let output = context.pip_sync().arg("pylock.toml").output().unwrap();
    success(&context, &output);
    assert_eq!(context.installed(), ["demo==1.0", "local==0.1"]);
}
