//! Which environment discovery picks, and its errors.

use std::path::Path;

use fs_err as fs;
use puffin_cache::Cache;
use puffin_interpreter::{DiscoveryOptions, EnvironmentSource, Error, PythonEnvironment};

use crate::common::{fake_system, fake_venv};

/// A temporary directory with a cache and a working directory inside.
struct Fixture {
    temp: tempfile::TempDir,
    cache: Cache,
}

impl Fixture {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(temp.path().join("cache"));
        fs::create_dir_all(temp.path().join("project/sub/dir")).unwrap();
        Self { temp, cache }
    }

    fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Options searching from `project/sub/dir`, with an empty environment.
    fn options(&self) -> DiscoveryOptions {
        DiscoveryOptions::new(self.path().join("project/sub/dir"))
    }

    fn discover(&self, options: &DiscoveryOptions) -> Result<PythonEnvironment, Error> {
        PythonEnvironment::discover(options, &self.cache)
    }

    fn error(&self, options: &DiscoveryOptions) -> String {
        let err = self.discover(options).unwrap_err();
        err.to_string()
            .replace(&self.path().display().to_string(), "[TEMP]")
    }
}

#[test]
fn python_flag_beats_everything() {
    let fixture = Fixture::new();
    let base = fixture.path().join("base");
    let flagged = fake_venv(&fixture.path().join("flagged"), &base);
    fake_venv(&fixture.path().join("active"), &base);
    fake_venv(&fixture.path().join("project/.venv"), &base);
    let options = fixture
        .options()
        .with_python(Some(flagged.display().to_string()))
        .with_env("VIRTUAL_ENV", fixture.path().join("active"));
    let env = fixture.discover(&options).unwrap();
    assert_eq!(env.source(), &EnvironmentSource::PythonFlag);
    assert_eq!(env.root(), fixture.path().join("flagged"));
    assert_eq!(env.interpreter().python_version_string(), "3.12.1");
}

#[test]
fn python_flag_accepts_an_environment_directory_and_a_relative_path() {
    let fixture = Fixture::new();
    let root = fixture.path().join("project/sub/dir/env");
    fake_venv(&root, &fixture.path().join("base"));
    for request in ["env", "./env", "env/bin/python"] {
        let options = fixture.options().with_python(Some(request.to_string()));
        let env = fixture.discover(&options).unwrap();
        assert_eq!(env.root(), root, "{request}");
    }
}

#[test]
fn python_flag_looks_names_and_versions_up_on_path() {
    let fixture = Fixture::new();
    let bin = fixture.path().join("base/bin");
    let root = fixture.path().join("venv");
    fake_venv(&root, &fixture.path().join("base"));
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(root.join("bin/python"), bin.join("python3.12")).unwrap();
    std::os::unix::fs::symlink(root.join("bin/python"), bin.join("mypython")).unwrap();
    for request in ["3.12", "mypython"] {
        let options = fixture
            .options()
            .with_python(Some(request.to_string()))
            .with_env("PATH", &bin);
        let env = fixture.discover(&options).unwrap();
        assert_eq!(env.root(), root, "{request}");
    }
    let options = fixture
        .options()
        .with_python(Some("3.99".to_string()))
        .with_env("PATH", &bin);
    insta::assert_snapshot!(fixture.error(&options), @"No Python interpreter named `python3.99` found on PATH");
}

#[test]
fn python_flag_missing_interpreter() {
    let fixture = Fixture::new();
    let options = fixture
        .options()
        .with_python(Some("/nonexistent/python3".to_string()));
    insta::assert_snapshot!(fixture.error(&options), @"No Python interpreter at `/nonexistent/python3`");
}

#[test]
fn virtual_env_beats_conda_and_dot_venv() {
    let fixture = Fixture::new();
    let base = fixture.path().join("base");
    fake_venv(&fixture.path().join("active"), &base);
    fake_venv(&fixture.path().join("project/.venv"), &base);
    let options = fixture
        .options()
        .with_env("VIRTUAL_ENV", fixture.path().join("active"))
        .with_env("CONDA_PREFIX", fixture.path().join("active"));
    let env = fixture.discover(&options).unwrap();
    assert_eq!(env.source(), &EnvironmentSource::VirtualEnv);
    assert_eq!(env.source().to_string(), "VIRTUAL_ENV");
    assert_eq!(env.root(), fixture.path().join("active"));
}

#[test]
fn conda_prefix_beats_dot_venv_and_needs_no_system_flag() {
    let fixture = Fixture::new();
    let conda = fixture.path().join("conda");
    // A conda environment is not a virtual environment.
    fake_system(&conda, None);
    std::os::unix::fs::symlink("python3", conda.join("bin/python")).unwrap();
    fake_venv(
        &fixture.path().join("project/.venv"),
        &fixture.path().join("base"),
    );
    let options = fixture.options().with_env("CONDA_PREFIX", &conda);
    let env = fixture.discover(&options).unwrap();
    assert_eq!(env.source(), &EnvironmentSource::CondaPrefix);
    assert_eq!(env.root(), conda);
    assert!(!env.interpreter().is_virtualenv());
}

#[test]
fn dot_venv_in_a_parent() {
    let fixture = Fixture::new();
    fake_venv(
        &fixture.path().join("project/.venv"),
        &fixture.path().join("base"),
    );
    let env = fixture.discover(&fixture.options()).unwrap();
    assert_eq!(env.root(), fixture.path().join("project/.venv"));
    assert_eq!(
        env.source()
            .to_string()
            .replace(&fixture.path().display().to_string(), "[TEMP]"),
        ".venv in [TEMP]/project"
    );
}

#[test]
fn the_nearest_dot_venv_wins() {
    let fixture = Fixture::new();
    let base = fixture.path().join("base");
    fake_venv(&fixture.path().join("project/.venv"), &base);
    fake_venv(&fixture.path().join("project/sub/.venv"), &base);
    let env = fixture.discover(&fixture.options()).unwrap();
    assert_eq!(env.root(), fixture.path().join("project/sub/.venv"));
}

#[test]
fn conflicting_variables() {
    let fixture = Fixture::new();
    let base = fixture.path().join("base");
    fake_venv(&fixture.path().join("a"), &base);
    fake_venv(&fixture.path().join("b"), &base);
    let options = fixture
        .options()
        .with_env("VIRTUAL_ENV", fixture.path().join("a"))
        .with_env("CONDA_PREFIX", fixture.path().join("b"));
    insta::assert_snapshot!(fixture.error(&options), @"Both VIRTUAL_ENV (`[TEMP]/a`) and CONDA_PREFIX (`[TEMP]/b`) are set and point to different environments; deactivate one of them (`deactivate` or `conda deactivate`) or choose one with `--python`");
}

#[test]
fn virtual_env_without_interpreter() {
    let fixture = Fixture::new();
    fs::create_dir_all(fixture.path().join("gone")).unwrap();
    let options = fixture
        .options()
        .with_env("VIRTUAL_ENV", fixture.path().join("gone"));
    insta::assert_snapshot!(fixture.error(&options), @"VIRTUAL_ENV points to `[TEMP]/gone`, but there is no Python interpreter at `[TEMP]/gone/bin/python`");
}

#[test]
fn empty_variables_count_as_unset() {
    let fixture = Fixture::new();
    fake_venv(
        &fixture.path().join("project/.venv"),
        &fixture.path().join("base"),
    );
    let options = fixture
        .options()
        .with_env("VIRTUAL_ENV", "")
        .with_env("CONDA_PREFIX", "");
    let env = fixture.discover(&options).unwrap();
    assert!(matches!(env.source(), EnvironmentSource::DotVenv { .. }));
}

#[test]
fn dot_venv_without_pyvenv_cfg() {
    let fixture = Fixture::new();
    let root = fixture.path().join("project/.venv");
    fake_venv(&root, &fixture.path().join("base"));
    fs::remove_file(root.join("pyvenv.cfg")).unwrap();
    insta::assert_snapshot!(fixture.error(&fixture.options()), @"The virtual environment at `[TEMP]/project/.venv` is broken: `[TEMP]/project/.venv/pyvenv.cfg` is missing; recreate it with `puffin venv --clear [TEMP]/project/.venv` or `python3 -m venv --clear [TEMP]/project/.venv`");
}

#[test]
fn dot_venv_with_a_dangling_interpreter() {
    let fixture = Fixture::new();
    let root = fixture.path().join("project/.venv");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::write(root.join("pyvenv.cfg"), "home = /gone\n").unwrap();
    std::os::unix::fs::symlink("/gone/python3", root.join("bin/python")).unwrap();
    insta::assert_snapshot!(fixture.error(&fixture.options()), @"The virtual environment at `[TEMP]/project/.venv` is broken: `[TEMP]/project/.venv/bin/python` is missing; recreate it with `puffin venv --clear [TEMP]/project/.venv` or `python3 -m venv --clear [TEMP]/project/.venv`");
}

#[test]
fn nothing_found() {
    let fixture = Fixture::new();
    let err = fixture.discover(&fixture.options()).unwrap_err();
    assert!(matches!(err, Error::NoEnvironment { .. }));
    insta::assert_snapshot!(fixture.error(&fixture.options()), @"No virtual environment found: VIRTUAL_ENV and CONDA_PREFIX are unset and there is no `.venv` in `[TEMP]/project/sub/dir` or its parents; create one with `puffin venv`, or pass `--system` to use the system Python");
}

#[test]
fn system_python_needs_the_system_flag() {
    let fixture = Fixture::new();
    let python = fake_system(&fixture.path().join("usr"), None);
    let options = fixture
        .options()
        .with_python(Some(python.display().to_string()));
    insta::assert_snapshot!(fixture.error(&options), @"The Python at `[TEMP]/usr/bin/python` is not a virtual environment (its prefix is `[TEMP]/usr`); pass `--system` to use it anyway, or create a virtual environment with `puffin venv`");

    let env = fixture
        .discover(&options.clone().with_system(true))
        .unwrap();
    assert_eq!(env.root(), fixture.path().join("usr"));
    // Reading needs no flag.
    fixture.discover(&options.with_read_only(true)).unwrap();
}

#[test]
fn system_flag_uses_python3_on_path() {
    let fixture = Fixture::new();
    fake_system(&fixture.path().join("usr"), None);
    let options = fixture
        .options()
        .with_system(true)
        .with_env("PATH", fixture.path().join("usr/bin"));
    let env = fixture.discover(&options).unwrap();
    assert_eq!(env.source(), &EnvironmentSource::System);
    assert_eq!(env.root(), fixture.path().join("usr"));

    let options = fixture
        .options()
        .with_system(true)
        .with_env("PATH", fixture.path().join("empty"));
    insta::assert_snapshot!(fixture.error(&options), @"No Python interpreter named `python3` found on PATH");
}

#[test]
fn externally_managed_is_refused_even_with_the_system_flag() {
    let fixture = Fixture::new();
    let python = fake_system(
        &fixture.path().join("usr"),
        Some("To install Python packages system-wide, use the distribution's packages."),
    );
    let options = fixture
        .options()
        .with_python(Some(python.display().to_string()))
        .with_system(true);
    insta::assert_snapshot!(fixture.error(&options), @r"
    The Python environment at `[TEMP]/usr` is externally managed (PEP 668), so puffin will not change it:
    To install Python packages system-wide, use the distribution's packages.
    Use a virtual environment instead: `puffin venv` (or pass --break-system-packages to override)
    ");
    fixture
        .discover(&options.clone().with_read_only(true))
        .unwrap();
    // `--break-system-packages` overrides PEP 668, but still needs `--system`.
    fixture
        .discover(&options.clone().with_break_system_packages(true))
        .unwrap();
    let without_system = options.with_system(false).with_break_system_packages(true);
    assert!(matches!(
        fixture.discover(&without_system),
        Err(puffin_interpreter::Error::NotAVirtualEnv { .. })
    ));
}

/// A virtual environment is never externally managed, even when the stdlib
/// it shares with its base interpreter carries `EXTERNALLY-MANAGED`.
#[test]
fn a_virtual_environment_is_never_externally_managed() {
    let fixture = Fixture::new();
    let base = fixture.path().join("usr");
    let venv = fixture.path().join("venv");
    fs_err::create_dir_all(&venv).unwrap();
    fs_err::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    let python = venv.join("bin").join("python");
    crate::common::fake_python(
        &python,
        &crate::common::answer(&venv, &base, Some("Use the distribution's packages.")),
    );
    let options = fixture
        .options()
        .with_python(Some(python.display().to_string()));
    fixture.discover(&options).unwrap();
}
