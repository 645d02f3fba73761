//! `puffin venv`: the output, the environment it creates, and its errors.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use fs_err as fs;

/// A project directory and a cache inside a temporary directory.
struct Context {
    temp: tempfile::TempDir,
    python: PathBuf,
}

impl Context {
    /// `None` (after printing why) when there is no `python3` on `PATH`.
    fn new() -> Option<Self> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let Some(python) = std::env::split_paths(&path)
            .map(|dir| dir.join("python3"))
            .find(|candidate| candidate.is_file())
        else {
            println!("Skipping: no `python3` on PATH");
            return None;
        };
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir(temp.path().join("project")).unwrap();
        Some(Self { temp, python })
    }

    fn project(&self) -> PathBuf {
        self.temp.path().join("project")
    }

    /// `puffin venv` in the project, with the test's cache and bash as the
    /// shell.
    fn venv(&self) -> assert_cmd::Command {
        let mut command = cargo_bin_cmd!("puffin");
        command
            .arg("venv")
            .current_dir(self.project())
            .env("PUFFIN_CACHE_DIR", self.temp.path().join("cache"))
            .env("SHELL", "/bin/bash")
            .env_remove("RUST_LOG")
            .env_remove("VIRTUAL_ENV");
        command
    }

    /// stderr with the temporary directory and the interpreter's version and
    /// path replaced.
    fn filtered(&self, output: &std::process::Output) -> String {
        let stderr = String::from_utf8(output.stderr.clone()).unwrap();
        let stderr = stderr.replace(&self.temp.path().display().to_string(), "[TEMP]");
        let using = regex::Regex::new(r"Using Python \d+\.\d+\.\d+\S* interpreter at: .*").unwrap();
        using
            .replace_all(&stderr, "Using Python [VERSION] interpreter at: [PYTHON]")
            .into_owned()
    }
}

/// `python -c code` inside the environment at `root` succeeds.
fn assert_python_runs(root: &Path, code: &str) {
    let output = Command::new(root.join("bin/python"))
        .args(["-c", code])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn creates_dot_venv_by_default() {
    let Some(context) = Context::new() else {
        return;
    };
    let output = context.venv().output().unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] interpreter at: [PYTHON]
    Creating virtual environment at: .venv
    Activate with: source .venv/bin/activate
    ");
    assert!(output.stdout.is_empty());
    assert_python_runs(
        &context.project().join(".venv"),
        "import sys; assert sys.prefix != sys.base_prefix",
    );
}

#[test]
fn an_existing_environment_is_replaced_only_with_clear() {
    let Some(context) = Context::new() else {
        return;
    };
    context.venv().assert().success();
    let marker = context.project().join(".venv/lib/marker");
    fs::write(&marker, "").unwrap();

    let output = context.venv().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] interpreter at: [PYTHON]
    Creating virtual environment at: .venv
    error: `[TEMP]/project/.venv` already exists and is not empty; pass `--clear` to replace it
    ");
    assert!(marker.exists());

    context.venv().arg("--clear").assert().success();
    assert!(!marker.exists());
    assert_python_runs(
        &context.project().join(".venv"),
        "import sys; assert sys.prefix != sys.base_prefix",
    );
}

#[test]
fn a_path_and_an_interpreter() {
    let Some(context) = Context::new() else {
        return;
    };
    let output = context
        .venv()
        .args(["my env", "--python"])
        .arg(&context.python)
        .args(["--prompt", "demo"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] interpreter at: [PYTHON]
    Creating virtual environment at: my env
    Activate with: source 'my env/bin/activate'
    ");
    let root = context.project().join("my env");
    assert_python_runs(&root, "import sys; assert sys.prefix != sys.base_prefix");
    let activate = Command::new("bash")
        .arg("-c")
        .arg("source 'my env/bin/activate' && echo \"$VIRTUAL_ENV|$VIRTUAL_ENV_PROMPT\"")
        .current_dir(context.project())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(activate.stdout).unwrap().trim(),
        format!("{}|demo", root.display())
    );
}

#[test]
fn the_activation_hint_follows_the_shell() {
    let Some(context) = Context::new() else {
        return;
    };
    let output = context
        .venv()
        .env("SHELL", "/usr/bin/fish")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered(&output), @r"
    Using Python [VERSION] interpreter at: [PYTHON]
    Creating virtual environment at: .venv
    Activate with: source .venv/bin/activate.fish
    ");
}

#[test]
fn quiet_prints_nothing() {
    let Some(context) = Context::new() else {
        return;
    };
    let output = context.venv().arg("--quiet").output().unwrap();
    assert!(output.status.success());
    assert_eq!(context.filtered(&output), "");
    assert!(context.project().join(".venv/pyvenv.cfg").is_file());
}

/// `--seed` installs the newest pip from the index, through pip-sync's
/// pipeline: a stand-in `pip` wheel served from 127.0.0.1, runnable as
/// `python -m pip --version` afterwards.
#[test]
fn seed_installs_pip_from_the_index() {
    let Some(context) = Context::new() else {
        return;
    };
    let wheels = context.temp.path().join("wheels");
    fs::create_dir(&wheels).unwrap();
    for version in ["1.0", "2.0"] {
        puffin_test_support::WheelBuilder::new("pip", version)
            .file("pip/__init__.py", format!("__version__ = '{version}'\n"))
            .file(
                "pip/__main__.py",
                "import pip, sys\nprint('pip', pip.__version__, 'from', sys.prefix)\n",
            )
            .build(&wheels);
    }
    let server = puffin_test_support::IndexServer::start(
        puffin_test_support::IndexServerOptions::new(&wheels),
    );
    let output = context
        .venv()
        .arg("--seed")
        .env("PUFFIN_INDEX_URL", server.url())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = context.filtered(&output);
    assert!(stderr.contains(" + pip==2.0"), "{stderr}");
    assert!(!stderr.contains("not pinned"), "{stderr}");

    let pip = Command::new(context.project().join(".venv/bin/python"))
        .args(["-m", "pip", "--version"])
        .output()
        .unwrap();
    assert!(pip.status.success());
    assert!(String::from_utf8_lossy(&pip.stdout).starts_with("pip 2.0 from "));
}

#[test]
fn a_missing_interpreter() {
    let Some(context) = Context::new() else {
        return;
    };
    let output = context
        .venv()
        .args(["--python", "/nonexistent/python3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output), @"error: No Python interpreter at `/nonexistent/python3`");

    let output = context
        .venv()
        .args(["--python", "python9.99"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output), @"error: No Python interpreter named `python9.99` found on PATH");
}

/// The interpreter is queried once: later runs read the cached answer and
/// start no Python process.
#[test]
fn a_second_run_starts_no_python() {
    let Some(context) = Context::new() else {
        return;
    };
    let counter = context.temp.path().join("runs");
    let wrapper = context.temp.path().join("bin/python3");
    fs::create_dir_all(wrapper.parent().unwrap()).unwrap();
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec '{}' \"$@\"\n",
            counter.display(),
            context.python.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    for name in ["first", "second", "third"] {
        context
            .venv()
            .arg(name)
            .arg("--python")
            .arg(&wrapper)
            .assert()
            .success();
        assert_python_runs(
            &context.project().join(name),
            "import sys; assert sys.prefix != sys.base_prefix",
        );
    }
    let runs = fs::read_to_string(&counter).unwrap().lines().count();
    assert_eq!(runs, 1);
}
