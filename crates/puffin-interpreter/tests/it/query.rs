//! The interpreter query and its cache.

use std::time::{Duration, SystemTime};

use fs_err as fs;
use puffin_cache::{Cache, CacheBucket};
use puffin_interpreter::Interpreter;

use crate::common::{answer, fake_python, real_python, runs, write_script};

/// The second query of an unchanged interpreter starts no process; touching
/// the interpreter (a new modification time) makes the next query run it.
#[test]
fn the_answer_is_cached_until_the_interpreter_changes() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let python = temp.path().join("usr/bin/python3");
    fake_python(
        &python,
        &answer(&temp.path().join("usr"), &temp.path().join("usr"), None),
    );

    let first = Interpreter::query(&python, &cache).unwrap();
    assert_eq!(runs(&python), 1);
    let second = Interpreter::query(&python, &cache).unwrap();
    assert_eq!(runs(&python), 1, "the cached answer was not used");
    assert_eq!(first, second);

    let entries: Vec<_> = fs::read_dir(cache.bucket(CacheBucket::Interpreter))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].ends_with(".json"), "{entries:?}");

    let file = fs::File::options().write(true).open(&python).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    drop(file);
    Interpreter::query(&python, &cache).unwrap();
    assert_eq!(
        runs(&python),
        2,
        "a changed interpreter was not queried again"
    );
    Interpreter::query(&python, &cache).unwrap();
    assert_eq!(runs(&python), 2);
}

/// The key is the path as given, not the file it resolves to: two symlinks to
/// one interpreter are two entries, because a virtual environment's
/// `bin/python` answers differently from its target.
#[test]
fn symlinks_are_cached_separately() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let python = temp.path().join("usr/bin/python3");
    fake_python(
        &python,
        &answer(&temp.path().join("usr"), &temp.path().join("usr"), None),
    );
    let link = temp.path().join("python-link");
    std::os::unix::fs::symlink(&python, &link).unwrap();

    Interpreter::query(&python, &cache).unwrap();
    Interpreter::query(&link, &cache).unwrap();
    assert_eq!(runs(&python), 2);
    Interpreter::query(&link, &cache).unwrap();
    assert_eq!(runs(&python), 2);
}

/// A version manager's shim (pyenv, asdf) chooses its interpreter at each
/// run, so its answer is never cached.
#[test]
fn shims_are_not_cached() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let shim = temp.path().join("shims/python3");
    fake_python(
        &shim,
        &answer(&temp.path().join("usr"), &temp.path().join("usr"), None),
    );
    Interpreter::query(&shim, &cache).unwrap();
    Interpreter::query(&shim, &cache).unwrap();
    assert_eq!(runs(&shim), 2);
    assert!(!cache.bucket(CacheBucket::Interpreter).exists());
}

/// A malformed cache entry is replaced, not an error.
#[test]
fn a_corrupt_entry_is_a_miss() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let python = temp.path().join("usr/bin/python3");
    fake_python(
        &python,
        &answer(&temp.path().join("usr"), &temp.path().join("usr"), None),
    );
    Interpreter::query(&python, &cache).unwrap();
    for entry in fs::read_dir(cache.bucket(CacheBucket::Interpreter)).unwrap() {
        fs::write(entry.unwrap().path(), "{ not json").unwrap();
    }
    Interpreter::query(&python, &cache).unwrap();
    assert_eq!(runs(&python), 2);
    Interpreter::query(&python, &cache).unwrap();
    assert_eq!(runs(&python), 2);
}

#[test]
fn missing_interpreter() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let err = Interpreter::query(&temp.path().join("nope/python"), &cache).unwrap_err();
    let text = err
        .to_string()
        .replace(&temp.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(text, @"No Python interpreter at `[TEMP]/nope/python`");
}

#[test]
fn failing_interpreter() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let python = temp.path().join("python");
    write_script(
        &python,
        "echo 'Fatal Python error: init_fs_encoding' >&2\nexit 1\n",
    );
    let err = Interpreter::query(&python, &cache).unwrap_err();
    let text = err
        .to_string()
        .replace(&temp.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(text, @r"
    Querying the Python interpreter at `[TEMP]/python` failed (exit status: 1):
    Fatal Python error: init_fs_encoding
    ");
    // A failure is not cached.
    assert!(!cache.bucket(CacheBucket::Interpreter).exists());
}

#[test]
fn interpreter_printing_garbage() {
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let python = temp.path().join("python");
    write_script(&python, "echo 'Python 2.7.18'\n");
    let err = Interpreter::query(&python, &cache).unwrap_err();
    let text = err
        .to_string()
        .replace(&temp.path().display().to_string(), "[TEMP]");
    insta::assert_snapshot!(text, @"The Python interpreter at `[TEMP]/python` gave an answer puffin cannot read: Python 2.7.18");
}

/// The script runs on a real interpreter and its answer is consistent.
#[test]
fn real_interpreter() {
    let Some(python) = real_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let interpreter = Interpreter::query(&python, &cache).unwrap();
    let (major, minor, _) = interpreter.python_version;
    assert_eq!(major, 3);
    assert_eq!(
        interpreter.markers.python_version().string,
        format!("{major}.{minor}")
    );
    assert!(interpreter.pointer_size == 32 || interpreter.pointer_size == 64);
    assert!(interpreter.scheme.purelib.is_absolute());
    assert!(interpreter.base_interpreter().is_absolute());
    assert!(
        interpreter
            .version()
            .to_string()
            .starts_with(&interpreter.python_version_string()),
        "{} vs {}",
        interpreter.version(),
        interpreter.python_version_string()
    );
}

/// A virtual environment made by `python3 -m venv` is described as one, with
/// its own site-packages.
#[test]
fn real_virtual_environment() {
    let Some(python) = real_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let venv = temp.path().join("venv");
    let status = std::process::Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    if !status.success() {
        println!("Skipping: `python3 -m venv` failed (no venv module?)");
        return;
    }
    let interpreter = Interpreter::query(&venv.join("bin/python"), &cache).unwrap();
    assert!(interpreter.is_virtualenv());
    assert_eq!(
        fs::canonicalize(&interpreter.prefix).unwrap(),
        fs::canonicalize(&venv).unwrap()
    );
    assert!(interpreter.scheme.purelib.starts_with(&interpreter.prefix));
    assert!(interpreter.scheme.purelib.is_dir());
    // Outside a virtual environment PEP 668 applies; inside, the marker file
    // of the base installation does not matter (see discovery).
    assert_ne!(interpreter.base_interpreter(), venv.join("bin/python"));
}

/// Issue 12: `sysconfig` names the base interpreter's include directory in a
/// virtual environment, so wheels' headers were installed into
/// `/usr/include/python3.X`. Every scheme directory, headers included, lies
/// inside the environment, where pip puts headers.
#[test]
fn real_virtual_environment_scheme_stays_inside() {
    let Some(python) = real_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(temp.path().join("cache"));
    let venv = temp.path().join("venv");
    let status = std::process::Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    if !status.success() {
        println!("Skipping: `python3 -m venv` failed (no venv module?)");
        return;
    }
    let interpreter = Interpreter::query(&venv.join("bin/python"), &cache).unwrap();
    let scheme = &interpreter.scheme;
    for dir in [
        &scheme.purelib,
        &scheme.platlib,
        &scheme.scripts,
        &scheme.data,
        &scheme.include,
    ] {
        assert!(
            dir.starts_with(&interpreter.prefix),
            "{} is outside {}",
            dir.display(),
            interpreter.prefix.display()
        );
    }
    let (major, minor, _) = interpreter.python_version;
    assert_eq!(
        scheme.include,
        interpreter
            .prefix
            .join("include")
            .join("site")
            .join(format!("python{major}.{minor}"))
    );
}

/// Before Python 3.11, `sys._base_executable` in a virtual environment is the
/// environment's own interpreter; the script then finds the base through
/// `pyvenv.cfg`'s `home`, so an environment made from it does not chain to
/// the first one.
#[test]
fn base_executable_of_an_old_virtual_environment() {
    let Some(python) = real_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let venv = temp.path().join("venv");
    let status = std::process::Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    if !status.success() {
        println!("Skipping: `python3 -m venv` failed (no venv module?)");
        return;
    }
    let script = include_str!("../../src/query.py").replace(
        "if __name__ == \"__main__\":\n    main()",
        "sys._base_executable = sys.executable\nprint(base_executable())",
    );
    let output = std::process::Command::new(venv.join("bin/python"))
        .args(["-I", "-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let base = std::path::PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    assert!(!base.starts_with(&venv), "{}", base.display());
    assert!(base.is_file(), "{}", base.display());
}
