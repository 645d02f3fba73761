//! Shared helpers of the CLI tests: a temporary project with a fresh virtual
//! environment, a cache and a wheels directory; `puffin` commands isolated from
//! the caller's environment; output filters for snapshots; wheels, indexes and
//! requirements files built by the tests.
//!
//! ```ignore
//! let Some(context) = TestContext::new() else { return };
//! context.wheel("demo", "1.0");
//! let requirements = context.requirements("demo==1.0\n");
//! let output = context
//!     .pip_sync()
//!     .arg(&requirements)
//!     .args(["--no-index", "--find-links"])
//!     .arg(&context.wheels)
//!     .output()
//!     .unwrap();
//! insta::assert_snapshot!(context.filtered(&output), @"...");
//! ```

// Every test module uses a different subset of the helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use assert_cmd::cargo::cargo_bin;
use fs_err as fs;
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

/// Environment variables that change what `puffin` does; removed from every
/// command (any variable starting with one of these prefixes).
const ISOLATED_PREFIXES: &[&str] = &["PIP_", "PUFFIN_", "UV_"];

/// Single environment variables removed from every command.
const ISOLATED_VARIABLES: &[&str] = &[
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "RUST_LOG",
    "XDG_CONFIG_DIRS",
];

/// A temporary project: `root` holds a virtual environment (`.venv`), a
/// cache (`cache/`), a directory of test wheels (`wheels/`) and whatever files
/// the test writes. Everything is removed when the context is dropped.
pub(crate) struct TestContext {
    temp: tempfile::TempDir,
    /// The project directory (canonical), the working directory of commands.
    pub(crate) root: PathBuf,
    /// The virtual environment `puffin venv` created (`<root>/.venv`).
    pub(crate) venv: PathBuf,
    /// The cache directory passed with `--cache-dir` (`<root>/cache` unless
    /// the context was made with [`TestContext::with_cache_dir`]).
    pub(crate) cache: PathBuf,
    /// Where [`TestContext::wheel`] and [`TestContext::build`] put wheels.
    pub(crate) wheels: PathBuf,
    /// The base interpreter the environments are made from.
    pub(crate) python: PathBuf,
    /// Extra `(from, to)` replacements of [`TestContext::filter`], applied
    /// before the built-in ones.
    filters: Mutex<Vec<(String, String)>>,
}

impl TestContext {
    /// A project with a fresh `.venv` and the cache inside the temporary
    /// directory; `None` (after printing `Skipping: ...`) without `python3` on
    /// `PATH`.
    pub(crate) fn new() -> Option<Self> {
        Self::build_context(None)
    }

    /// Like [`TestContext::new`], with the cache at `cache` (e.g. on another
    /// filesystem); the directory is created if needed.
    pub(crate) fn with_cache_dir(cache: &Path) -> Option<Self> {
        Self::build_context(Some(cache.to_path_buf()))
    }

    /// Like [`TestContext::new`], with the whole project (environment and
    /// cache) in a temporary directory under `base` (e.g. another
    /// filesystem).
    pub(crate) fn new_in(base: &Path) -> Option<Self> {
        let mut context = Self::without_venv_in(Some(base))?;
        context.venv = context.create_venv(".venv");
        Some(context)
    }

    /// Like [`TestContext::new`], but without creating `.venv`.
    pub(crate) fn without_venv() -> Option<Self> {
        Self::without_venv_in(None)
    }

    fn without_venv_in(base: Option<&Path>) -> Option<Self> {
        let python = find_python3()?;
        let temp = match base {
            Some(base) => tempfile::tempdir_in(base).unwrap(),
            None => tempfile::tempdir().unwrap(),
        };
        let root = fs::canonicalize(temp.path()).unwrap();
        let cache = root.join("cache");
        let wheels = root.join("wheels");
        fs::create_dir_all(&wheels).unwrap();
        Some(Self {
            venv: root.join(".venv"),
            cache,
            wheels,
            python,
            root,
            temp,
            filters: Mutex::new(Vec::new()),
        })
    }

    fn build_context(cache: Option<PathBuf>) -> Option<Self> {
        let mut context = Self::without_venv()?;
        if let Some(cache) = cache {
            fs::create_dir_all(&cache).unwrap();
            context.cache = fs::canonicalize(&cache).unwrap();
        }
        let venv = context.create_venv(".venv");
        context.venv = venv;
        Some(context)
    }

    /// Create another virtual environment `<root>/<name>` with `puffin venv`
    /// (sharing the interpreter cache) and return its path.
    pub(crate) fn create_venv(&self, name: &str) -> PathBuf {
        let output = self
            .isolated(Command::new(cargo_bin!("puffin")))
            .arg("venv")
            .arg(name)
            .arg("--python")
            .arg(&self.python)
            .arg("--cache-dir")
            .arg(&self.cache)
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "puffin venv {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.root.join(name)
    }

    /// Remove the variables of [`ISOLATED_PREFIXES`] and
    /// [`ISOLATED_VARIABLES`], point pip's config to nothing, and run in the
    /// project directory.
    fn isolated(&self, mut command: Command) -> Command {
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else {
                continue;
            };
            if ISOLATED_PREFIXES
                .iter()
                .any(|prefix| key.starts_with(prefix))
                || ISOLATED_VARIABLES.contains(&key)
            {
                command.env_remove(key);
            }
        }
        command
            .current_dir(&self.root)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("XDG_CONFIG_HOME", self.root.join(".config"))
            .env("NO_COLOR", "1");
        command
    }

    /// `puffin <subcommand>` in the project, with the test's cache, targeting
    /// `.venv` through `VIRTUAL_ENV`, without colour, isolated from the
    /// caller's pip, puffin and conda settings.
    pub(crate) fn command(&self, subcommand: &str) -> assert_cmd::Command {
        self.command_in(subcommand, &self.venv)
    }

    /// [`TestContext::command`] targeting another environment.
    pub(crate) fn command_in(&self, subcommand: &str, venv: &Path) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_command_in(subcommand, venv))
    }

    /// [`TestContext::command_in`] as a [`std::process::Command`], e.g. to
    /// `spawn` several at once.
    pub(crate) fn std_command_in(&self, subcommand: &str, venv: &Path) -> Command {
        let mut command = self.std_command_without_env(subcommand);
        command.env("VIRTUAL_ENV", venv);
        command
    }

    /// [`TestContext::command`] with no environment selected: puffin
    /// discovers one (or creates `.venv`) itself.
    pub(crate) fn command_without_env(&self, subcommand: &str) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_command_without_env(subcommand))
    }

    fn std_command_without_env(&self, subcommand: &str) -> Command {
        let mut command = self.isolated(Command::new(cargo_bin!("puffin")));
        command.arg(subcommand).arg("--cache-dir").arg(&self.cache);
        command
    }

    /// [`TestContext::std_command_in`] with another cache directory.
    pub(crate) fn std_command_with_cache(
        &self,
        subcommand: &str,
        venv: &Path,
        cache: &Path,
    ) -> Command {
        let mut command = self.isolated(Command::new(cargo_bin!("puffin")));
        command
            .arg(subcommand)
            .arg("--cache-dir")
            .arg(cache)
            .env("VIRTUAL_ENV", venv);
        command
    }

    /// `puffin pip-sync` (add the requirements file and options).
    pub(crate) fn pip_sync(&self) -> assert_cmd::Command {
        self.command("pip-sync")
    }

    /// `puffin pip-sync --no-index --find-links <wheels>` (add the
    /// requirements file).
    pub(crate) fn pip_sync_local(&self) -> assert_cmd::Command {
        let mut command = self.pip_sync();
        command
            .arg("--no-index")
            .arg("--find-links")
            .arg(&self.wheels);
        command
    }

    /// `puffin pip-freeze`.
    pub(crate) fn pip_freeze(&self) -> assert_cmd::Command {
        self.command("pip-freeze")
    }

    /// `puffin pip-uninstall` (add names or `-r FILE`).
    pub(crate) fn pip_uninstall(&self) -> assert_cmd::Command {
        self.command("pip-uninstall")
    }

    /// Replace `from` with `to` in [`TestContext::filter`] output (e.g. a
    /// server's URL with `[INDEX]`).
    pub(crate) fn add_filter(&self, from: impl Into<String>, to: impl Into<String>) {
        self.filters.lock().unwrap().push((from.into(), to.into()));
    }

    /// `text` with the test's own filters applied, then the cache directory
    /// replaced with `[CACHE]`, the project directory with `[TEMP]`, durations
    /// (`in 12ms`, `in 1.23s`) with `in [TIME]`, the Python version of
    /// `Python 3.x.y` with `Python [VERSION]`, the interpreter path of
    /// `with Python 3.x.y (/path)` with `[PYTHON]`, `/lib/python3.x/` with
    /// `/lib/python[X.Y]/`, and the hashed keys of cache entries
    /// (`[CACHE]/<bucket>/<kind>/<16 hex digits>/`) with `[KEY]`, and the
    /// archive digests naming store entries with `[SHA256]`.
    pub(crate) fn filter(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (from, to) in self.filters.lock().unwrap().iter() {
            text = text.replace(from.as_str(), to);
        }
        text = text.replace(&self.cache.display().to_string(), "[CACHE]");
        text = text.replace(&self.root.display().to_string(), "[TEMP]");
        // The non-canonical spelling of the temporary directory, if it differs.
        text = text.replace(&self.temp.path().display().to_string(), "[TEMP]");
        let time = regex::Regex::new(r"\bin \d+(\.\d+)?(ms|s)\b").unwrap();
        text = time.replace_all(&text, "in [TIME]").into_owned();
        let version = regex::Regex::new(r"Python \d+\.\d+\.\d+[a-z0-9+]*").unwrap();
        text = version.replace_all(&text, "Python [VERSION]").into_owned();
        let interpreter = regex::Regex::new(r"Python \[VERSION\] \(/[^)]*\)").unwrap();
        text = interpreter
            .replace_all(&text, "Python [VERSION] ([PYTHON])")
            .into_owned();
        let lib = regex::Regex::new(r"/lib/python\d+\.\d+t?/").unwrap();
        text = lib.replace_all(&text, "/lib/python[X.Y]/").into_owned();
        // Store entries, named by the SHA-256 of their archive.
        let entry = regex::Regex::new(r"\[CACHE\]/(wheels-v\d+)/([^/]+)/[0-9a-f]{64}\b").unwrap();
        text = entry
            .replace_all(&text, "[CACHE]/$1/$2/[SHA256]")
            .into_owned();
        // Cache keys (hashes of URLs, paths and modification times).
        let key = regex::Regex::new(r"\[CACHE\]/([a-z0-9-]+)/([a-z]+)/[0-9a-f]{16}/").unwrap();
        key.replace_all(&text, "[CACHE]/$1/$2/[KEY]/").into_owned()
    }

    /// The command's stderr, filtered (see [`TestContext::filter`]).
    pub(crate) fn filtered(&self, output: &Output) -> String {
        self.filter(&String::from_utf8_lossy(&output.stderr))
    }

    /// The command's stdout, filtered (see [`TestContext::filter`]).
    pub(crate) fn filtered_stdout(&self, output: &Output) -> String {
        self.filter(&String::from_utf8_lossy(&output.stdout))
    }

    /// Build `builder`'s wheel into the wheels directory; returns its path.
    pub(crate) fn build(&self, builder: &WheelBuilder) -> PathBuf {
        builder.build(&self.wheels)
    }

    /// [`simple_wheel`] of `name` at `version` built into the wheels
    /// directory; returns its path.
    pub(crate) fn wheel(&self, name: &str, version: &str) -> PathBuf {
        self.build(&simple_wheel(name, version))
    }

    /// An index server on 127.0.0.1 over the wheels directory (files added
    /// later are served too); its URL is filtered as `[INDEX]` and its root
    /// as `[SERVER]`.
    pub(crate) fn server(&self) -> IndexServer {
        self.server_with(IndexServerOptions::new(&self.wheels))
    }

    /// [`TestContext::server`] with options (`wheels_dir` is kept as given).
    pub(crate) fn server_with(&self, options: IndexServerOptions) -> IndexServer {
        let server = IndexServer::start(options);
        self.add_filter(server.url(), "[INDEX]");
        self.add_filter(server.base_url(), "[SERVER]");
        server
    }

    /// Write `contents` to `<root>/<name>` and return the path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.root.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, contents).unwrap();
        path
    }

    /// Write `<root>/requirements.txt`.
    pub(crate) fn requirements(&self, contents: &str) -> PathBuf {
        self.write("requirements.txt", contents)
    }

    /// `.venv`'s `site-packages` directory.
    pub(crate) fn site_packages(&self) -> PathBuf {
        site_packages(&self.venv)
    }

    /// Run `python -c code` in `.venv`.
    pub(crate) fn python(&self, code: &str) -> Output {
        run_python(&self.venv, code)
    }

    /// Run `python -c code` in `.venv`; panics with its stderr if it fails,
    /// returns its trimmed stdout.
    pub(crate) fn assert_python(&self, code: &str) -> String {
        assert_python(&self.venv, code)
    }

    /// The distributions installed in `.venv`, as sorted `name==version`
    /// lines (names as their METADATA spells them).
    pub(crate) fn installed(&self) -> Vec<String> {
        installed(&self.venv)
    }
}

/// The first `python3` on `PATH`, or `None` after printing `Skipping: ...`.
fn find_python3() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join("python3"))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        println!("Skipping: no `python3` on PATH");
    }
    found
}

/// A pure-Python wheel of `name` at `version` with one module (the name with
/// `-` and `.` as `_`) whose `VERSION` is `version`.
pub(crate) fn simple_wheel(name: &str, version: &str) -> WheelBuilder {
    let module = module_name(name);
    WheelBuilder::new(name, version).file(
        &format!("{module}/__init__.py"),
        format!("VERSION = {version:?}\n"),
    )
}

/// The import name of [`simple_wheel`]'s module.
pub(crate) fn module_name(name: &str) -> String {
    name.replace(['-', '.'], "_").to_lowercase()
}

/// The `site-packages` directory of the environment at `venv`.
pub(crate) fn site_packages(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let mut found: Vec<PathBuf> = fs::read_dir(&lib)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages"))
        .filter(|path| path.is_dir())
        .collect();
    assert_eq!(found.len(), 1, "one site-packages in {}", lib.display());
    found.pop().unwrap()
}

/// Run `python -c code` in the environment at `venv`.
pub(crate) fn run_python(venv: &Path, code: &str) -> Output {
    Command::new(venv.join("bin/python"))
        .args(["-c", code])
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .output()
        .unwrap()
}

/// Run `python -c code` in the environment at `venv`; panics with its stderr
/// if it fails, returns its trimmed stdout.
pub(crate) fn assert_python(venv: &Path, code: &str) -> String {
    let output = run_python(venv, code);
    assert!(
        output.status.success(),
        "`python -c {code:?}` failed in {}:\n{}",
        venv.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Run `python -c code` in the environment at `venv` with bytecode writing
/// on (whatever `PYTHONDONTWRITEBYTECODE` says), so imports leave
/// `__pycache__` directories that no RECORD lists, as in real use; panics
/// with its stderr if it fails.
pub(crate) fn python_writing_bytecode(venv: &Path, code: &str) {
    let output = Command::new(venv.join("bin/python"))
        .args(["-c", code])
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`python -c {code:?}` failed in {}:\n{}",
        venv.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The distributions installed in the environment at `venv`, as sorted
/// `name==version` lines read from each `.dist-info/METADATA`.
pub(crate) fn installed(venv: &Path) -> Vec<String> {
    let mut dists: Vec<String> = fs::read_dir(site_packages(venv))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".dist-info"))
        .filter_map(|entry| {
            let metadata = fs::read_to_string(entry.path().join("METADATA")).ok()?;
            let field = |key: &str| {
                metadata
                    .lines()
                    .find_map(|line| line.strip_prefix(key))
                    .map(|value| value.trim().to_string())
            };
            Some(format!("{}=={}", field("Name:")?, field("Version:")?))
        })
        .collect();
    dists.sort();
    dists
}

/// User and group 65534 (nobody), which [`as_nobody`] switches to.
pub(crate) const NOBODY: u32 = 65534;

/// Whether commands can run as user 65534 with `setpriv`: this process is
/// root and `setpriv` (util-linux) is installed. Prints `Skipping: ...` when
/// not.
pub(crate) fn can_run_as_nobody() -> bool {
    // The effective user owns the files it creates.
    let probe = tempfile::NamedTempFile::new().unwrap();
    if std::os::unix::fs::MetadataExt::uid(&fs::metadata(probe.path()).unwrap()) != 0 {
        println!("Skipping: not running as root, so `setpriv` cannot switch to user 65534");
        return false;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        println!("Skipping: `setpriv` is not installed");
        return false;
    }
    true
}

/// A root-owned interpreter that user 65534 can run: `/usr/bin/python3`
/// (the `python3` on `PATH` may live in root's home), or `None` after
/// printing `Skipping: ...`.
pub(crate) fn root_owned_python() -> Option<PathBuf> {
    let python = PathBuf::from("/usr/bin/python3");
    match fs::metadata(&python) {
        Ok(metadata) if std::os::unix::fs::MetadataExt::uid(&metadata) == 0 => Some(python),
        _ => {
            println!("Skipping: no root-owned `/usr/bin/python3`");
            None
        }
    }
}

/// Run `puffin <args>` as user and group 65534 (nobody) with `setpriv`, in a
/// clean environment with `home` as its home and working directory.
pub(crate) fn as_nobody(home: &Path, args: &[&str], virtual_env: Option<&Path>) -> Output {
    as_nobody_with(home, args, virtual_env, &[])
}

/// [`as_nobody`] with extra environment variables.
pub(crate) fn as_nobody_with(
    home: &Path,
    args: &[&str],
    virtual_env: Option<&Path>,
    vars: &[(&str, &str)],
) -> Output {
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(cargo_bin!("puffin"))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .envs(vars.iter().copied())
        .current_dir(home);
    if let Some(venv) = virtual_env {
        command.env("VIRTUAL_ENV", venv);
    }
    command.output().unwrap()
}

/// Give `path` and everything below it to user and group 65534.
pub(crate) fn give_to_nobody(path: &Path) {
    std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    if fs::symlink_metadata(path).unwrap().is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            give_to_nobody(&entry.unwrap().path());
        }
    }
}
