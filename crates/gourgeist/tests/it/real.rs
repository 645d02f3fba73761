//! Environments created for the real Python on `PATH` work: Python sees a
//! virtual environment, puffin can query it, and `activate` works in bash.

use std::path::{Path, PathBuf};
use std::process::Command;

use gourgeist::{VenvOptions, create_venv};
use puffin_cache::Cache;
use puffin_interpreter::Interpreter;

/// The real `python3` on `PATH`, queried, if any.
fn base(cache: &Cache) -> Option<Interpreter> {
    let Ok(python) = which::which("python3") else {
        println!("Skipping: no `python3` on PATH");
        return None;
    };
    Some(Interpreter::query(&python, cache).unwrap())
}

fn python_output(python: &Path, code: &str) -> String {
    let output = Command::new(python).args(["-c", code]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn python_runs_inside_the_environment() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let Some(base) = base(&cache) else { return };
    let layout = create_venv(&temp.path().join("venv"), &base, &VenvOptions::default()).unwrap();

    let prefix = python_output(
        &layout.python,
        "import sys; assert sys.prefix != sys.base_prefix; print(sys.prefix)",
    );
    assert_eq!(PathBuf::from(prefix), layout.root);
    let site = python_output(
        &layout.python,
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    );
    assert_eq!(PathBuf::from(site), layout.site_packages);
    for name in ["python3", &format!("python3.{}", base.python_version.1)] {
        let prefix = python_output(&layout.bin.join(name), "import sys; print(sys.prefix)");
        assert_eq!(PathBuf::from(prefix), layout.root, "{name}");
    }

    // puffin's own query sees the same.
    let interpreter = Interpreter::query(&layout.python, &cache).unwrap();
    assert!(interpreter.is_virtualenv());
    assert_eq!(interpreter.prefix, layout.root);
    assert_eq!(interpreter.scheme.purelib, layout.site_packages);
    assert_eq!(interpreter.python_version, base.python_version);
    // Issue 12: headers go inside the environment, not to the base
    // interpreter's include directory that `sysconfig` names.
    assert_eq!(interpreter.scheme.include, layout.include);
    assert!(layout.include.starts_with(&layout.root));
}

/// An environment made from an environment's interpreter points at the
/// real base installation, not at the first environment.
#[test]
fn an_environment_from_an_environment() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let Some(base) = base(&cache) else { return };
    let first = create_venv(&temp.path().join("first"), &base, &VenvOptions::default()).unwrap();
    let first_interpreter = Interpreter::query(&first.python, &cache).unwrap();
    let second = create_venv(
        &temp.path().join("second"),
        &first_interpreter,
        &VenvOptions::default(),
    )
    .unwrap();
    let target = fs_err::read_link(&second.python).unwrap();
    assert!(!target.starts_with(&first.root), "{}", target.display());
    let prefix = python_output(&second.python, "import sys; print(sys.prefix)");
    assert_eq!(PathBuf::from(prefix), second.root);
}

#[test]
fn activate_in_bash() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let Some(base) = base(&cache) else { return };
    if which::which("bash").is_err() {
        println!("Skipping: no bash on PATH");
        return;
    }
    let layout = create_venv(&temp.path().join("my venv"), &base, &VenvOptions::default()).unwrap();
    let script = r#"
        PS1='$ '
        old_path="$PATH"
        source "$1/bin/activate"
        echo "$VIRTUAL_ENV"
        echo "$VIRTUAL_ENV_PROMPT"
        echo "$PS1"
        command -v python
        deactivate
        echo "${VIRTUAL_ENV:-unset}"
        [ "$PATH" = "$old_path" ] && echo restored
        [ "$(type -t deactivate)" != function ] && echo gone
    "#;
    let output = Command::new("bash")
        .args(["-c", script, "bash"])
        .arg(&layout.root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout)
        .unwrap()
        .replace(&temp.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(stdout, @r"
    [TEMP]/my venv
    my venv
    (my venv) $ 
    [TEMP]/my venv/bin/python
    unset
    restored
    gone
    ");
}
