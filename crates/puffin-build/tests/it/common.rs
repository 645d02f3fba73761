//! Fixtures: source trees with an in-tree test backend (`backend.py`), a
//! `BuildContext` that records what it is asked to install, and the real
//! Python on `PATH`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fs_err as fs;
use pep508_rs::Requirement;
use puffin_build::{BuildContext, BuildOptions, Builder, InstallFuture};
use puffin_cache::Cache;
use puffin_interpreter::{Interpreter, PythonEnvironment};

/// The test backend, written to `_backend/testbackend.py` of each tree.
const BACKEND: &str = include_str!("backend.py");

/// One install request: the requirements and the environment's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstallCall {
    pub(crate) requirements: Vec<String>,
    pub(crate) venv: PathBuf,
}

/// A build context that installs nothing and remembers what it was asked.
pub(crate) struct RecordingContext {
    interpreter: Interpreter,
    calls: Mutex<Vec<InstallCall>>,
}

impl RecordingContext {
    pub(crate) fn calls(&self) -> Vec<InstallCall> {
        self.calls.lock().unwrap().clone()
    }

    pub(crate) fn interpreter(&self) -> &Interpreter {
        &self.interpreter
    }
}

impl BuildContext for RecordingContext {
    fn interpreter(&self) -> &Interpreter {
        &self.interpreter
    }

    fn install<'a>(
        &'a self,
        requirements: &'a [Requirement],
        venv: &'a PythonEnvironment,
    ) -> InstallFuture<'a> {
        self.calls.lock().unwrap().push(InstallCall {
            requirements: requirements.iter().map(ToString::to_string).collect(),
            venv: venv.root().to_path_buf(),
        });
        Box::pin(async { Ok(()) })
    }
}

/// A test's directories: a cache, the builds' temporary root, an output
/// directory, and the context.
pub(crate) struct TestContext {
    pub(crate) temp: tempfile::TempDir,
    pub(crate) ctx: RecordingContext,
    pub(crate) cache: Cache,
}

impl TestContext {
    /// `None` (after printing why) when there is no `python3` on `PATH`.
    pub(crate) fn new() -> Option<Self> {
        let Ok(python) = which::which("python3") else {
            println!("Skipping: no `python3` on PATH");
            return None;
        };
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(temp.path().join("cache"));
        let interpreter = Interpreter::query(&python, &cache).unwrap();
        Some(Self {
            temp,
            ctx: RecordingContext {
                interpreter,
                calls: Mutex::new(Vec::new()),
            },
            cache,
        })
    }

    /// Where the builds make their temporary directories.
    pub(crate) fn temp_root(&self) -> PathBuf {
        self.temp.path().join("builds")
    }

    /// The output directory.
    pub(crate) fn out_dir(&self) -> PathBuf {
        self.temp.path().join("out")
    }

    /// Isolated build options in [`TestContext::temp_root`].
    pub(crate) fn options(&self) -> BuildOptions {
        BuildOptions::new(self.temp_root())
    }

    /// A builder with [`TestContext::options`].
    pub(crate) fn builder(&self) -> Builder {
        Builder::new(self.options())
    }

    /// A source tree `name` using the test backend, with `fixture` as its
    /// `fixture.json` and `requires` as its build requirements.
    pub(crate) fn tree(
        &self,
        name: &str,
        requires: &[&str],
        fixture: serde_json::Value,
    ) -> PathBuf {
        let root = self.temp.path().join(name);
        fs::create_dir_all(root.join("_backend")).unwrap();
        fs::write(root.join("_backend").join("testbackend.py"), BACKEND).unwrap();
        let requires = serde_json::to_string(requires).unwrap();
        fs::write(
            root.join("pyproject.toml"),
            format!(
                "[build-system]\nrequires = {requires}\nbuild-backend = \"testbackend\"\nbackend-path = [\"_backend\"]\n"
            ),
        )
        .unwrap();
        fs::write(root.join("fixture.json"), fixture.to_string()).unwrap();
        // Importable only if the source tree were on `sys.path`.
        fs::write(root.join("helper_in_tree.py"), "").unwrap();
        root
    }

    /// The hooks the backend ran in `tree`, in order.
    pub(crate) fn hooks(tree: &Path) -> Vec<String> {
        fs::read_to_string(tree.join("hooks.log"))
            .unwrap_or_default()
            .lines()
            .map(ToString::to_string)
            .collect()
    }

    /// What `hook` saw in `tree`.
    pub(crate) fn probe(tree: &Path, hook: &str) -> serde_json::Value {
        let text = fs::read_to_string(tree.join(format!("probe-{hook}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The entries left in the builds' temporary root.
    pub(crate) fn leftovers(&self) -> Vec<String> {
        match fs::read_dir(self.temp_root()) {
            Ok(entries) => entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// An error and its causes, one `Caused by:` line each, as the CLI prints
/// them.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str("\nCaused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The names of the files in a zip archive.
pub(crate) fn zip_names(path: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect()
}

/// One file of a zip archive.
pub(crate) fn zip_read(path: &Path, name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut entry = archive.by_name(name).unwrap();
    let mut text = String::new();
    entry.read_to_string(&mut text).unwrap();
    text
}
