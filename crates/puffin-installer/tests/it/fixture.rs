//! A local index, a cache directory and virtual environments, for syncs
//! through the library.

use fs_err as fs;
use puffin_cache::Cache;
use puffin_interpreter::{Interpreter, PythonEnvironment};
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

/// A local index serving some wheels, a cache directory and a virtual
/// environment of the `python3` on `PATH`.
pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) server: IndexServer,
    pub(crate) cache_dir: std::path::PathBuf,
    pub(crate) venv: std::path::PathBuf,
    base: Interpreter,
}

impl Fixture {
    /// The index serves `demo 1.0`, whose module sets `VALUE = 42`.
    pub(crate) fn new() -> Option<Self> {
        Self::serving(&[WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "VALUE = 42\n")])
    }

    /// The index serves `wheels`; `None` (after `Skipping: ...`) without a
    /// `python3`.
    pub(crate) fn serving(wheels: &[WheelBuilder]) -> Option<Self> {
        let Ok(python) = which::which("python3") else {
            println!("Skipping: no python3 on PATH");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let wheel_dir = dir.path().join("wheels");
        fs::create_dir_all(&wheel_dir).unwrap();
        for wheel in wheels {
            wheel.build(&wheel_dir);
        }
        let server = IndexServer::start(IndexServerOptions::new(&wheel_dir));
        let cache_dir = dir.path().join("cache");
        let base = Interpreter::query(&python, &Cache::from_path(&cache_dir)).unwrap();
        let mut fixture = Self {
            dir,
            server,
            cache_dir,
            venv: std::path::PathBuf::new(),
            base,
        };
        fixture.venv = fixture.new_venv("venv");
        Some(fixture)
    }

    /// A new virtual environment `name` in the fixture's directory.
    pub(crate) fn new_venv(&self, name: &str) -> std::path::PathBuf {
        let venv = self.dir.path().join(name);
        gourgeist::create_venv(&venv, &self.base, &gourgeist::VenvOptions::default()).unwrap();
        venv
    }

    /// The environment of `venv`.
    pub(crate) fn environment(&self, venv: &std::path::Path) -> PythonEnvironment {
        let options = puffin_interpreter::DiscoveryOptions::new(self.dir.path()).with_python(Some(
            puffin_interpreter::venv_python(venv).display().to_string(),
        ));
        PythonEnvironment::discover(&options, &self.cache()).unwrap()
    }

    pub(crate) fn cache(&self) -> Cache {
        Cache::from_path(&self.cache_dir)
    }

    /// Sync options that use the fixture's index.
    pub(crate) fn options(&self) -> puffin_installer::SyncOptions {
        let mut options = puffin_installer::SyncOptions::default();
        options.index.index_url = Some(self.server.url());
        options
    }
}

/// Requirements read from `lines` (one requirement each).
pub(crate) fn requirements(lines: &[&str]) -> puffin_installer::SyncRequirements {
    puffin_installer::SyncRequirements {
        requirements: lines
            .iter()
            .map(|line| puffin_installer::SyncRequirement {
                requirement: line.parse().unwrap(),
                hashes: Vec::new(),
                origin: "test".to_string(),
                build: None,
            })
            .collect(),
        ..Default::default()
    }
}
