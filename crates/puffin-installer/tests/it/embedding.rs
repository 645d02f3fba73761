//! The embedding example (`examples/sync.rs`) syncs a requirements file into
//! a virtual environment against a local index, through the library alone.

// Tests print `Skipping: <why>` when a fixture is missing.
#![allow(clippy::print_stdout)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/sync.rs"]
mod example;

use std::process::Command;

use fs_err as fs;
use puffin_cache::Cache;
use puffin_interpreter::Interpreter;
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

/// A local index serving `demo 1.0` (whose module sets `VALUE = 42`), a
/// cache directory and a virtual environment of the `python3` on `PATH`.
struct Fixture {
    dir: tempfile::TempDir,
    server: IndexServer,
    cache_dir: std::path::PathBuf,
    venv: std::path::PathBuf,
}

impl Fixture {
    fn new() -> Option<Self> {
        let Ok(python) = which::which("python3") else {
            println!("Skipping: no python3 on PATH");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let wheels = dir.path().join("wheels");
        fs::create_dir_all(&wheels).unwrap();
        WheelBuilder::new("demo", "1.0")
            .file("demo/__init__.py", "VALUE = 42\n")
            .build(&wheels);
        let server = IndexServer::start(IndexServerOptions::new(&wheels));
        let cache_dir = dir.path().join("cache");
        let base = Interpreter::query(&python, &Cache::from_path(&cache_dir)).unwrap();
        let venv = dir.path().join("venv");
        gourgeist::create_venv(&venv, &base, &gourgeist::VenvOptions::default()).unwrap();
        Some(Self {
            dir,
            server,
            cache_dir,
            venv,
        })
    }
}

#[test]
fn the_embedding_example_syncs_a_requirements_file() {
    let Some(Fixture {
        dir,
        server,
        cache_dir,
        venv,
    }) = Fixture::new()
    else {
        return;
    };
    let requirements = dir.path().join("requirements.txt");
    fs::write(&requirements, "demo==1.0\n").unwrap();

    let report = example::sync_file(&requirements, &venv, &cache_dir, Some(server.url())).unwrap();
    assert_eq!(report.installed.len(), 1);
    let output = Command::new(venv.join("bin/python"))
        .args(["-c", "import demo; print(demo.VALUE)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "42");

    let again = example::sync_file(&requirements, &venv, &cache_dir, Some(server.url())).unwrap();
    assert!(again.is_noop());
}

/// Records the events a sync reports.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl puffin_installer::Reporter for Recorder {
    fn on_plan(&self, plan: &puffin_installer::Plan) {
        self.push(format!("plan: install {}", plan.install.len()));
    }
    fn on_download_start(&self, name: &str, _size: Option<u64>) -> usize {
        self.push(format!("download start: {name}"));
        7
    }
    fn on_download_progress(&self, id: usize, bytes: u64) {
        assert_eq!(id, 7);
        assert!(bytes > 0);
    }
    fn on_download_complete(&self, id: usize) {
        self.push(format!("download complete: {id}"));
    }
    fn on_unzip_complete(&self, wheel: &distribution_filename::WheelFilename) {
        self.push(format!("unzipped: {wheel}"));
    }
    fn on_install_complete(&self, wheel: &distribution_filename::WheelFilename) {
        self.push(format!("installed: {wheel}"));
    }
    fn on_phase(&self, phase: puffin_installer::Phase) {
        let name = match phase {
            puffin_installer::Phase::Prepared { downloaded, .. } => {
                format!("prepared ({downloaded} downloaded)")
            }
            puffin_installer::Phase::Uninstalled { count, .. } => format!("uninstalled {count}"),
            puffin_installer::Phase::Installed { count, .. } => format!("installed {count}"),
            puffin_installer::Phase::Compiled { count, .. } => format!("compiled {count}"),
        };
        self.push(format!("phase: {name}"));
    }
}

impl Recorder {
    fn push(&self, event: String) {
        self.0.lock().unwrap().push(event);
    }
}

/// A sync reports its plan, downloads (with bytes), unzips, installs and
/// phases through the reporter, in order.
#[test]
fn a_sync_reports_its_progress() {
    let Some(Fixture {
        dir,
        server,
        cache_dir,
        venv,
    }) = Fixture::new()
    else {
        return;
    };
    let cache = Cache::from_path(cache_dir);
    let options = puffin_interpreter::DiscoveryOptions::new(dir.path()).with_python(Some(
        puffin_interpreter::venv_python(&venv).display().to_string(),
    ));
    let environment = puffin_interpreter::PythonEnvironment::discover(&options, &cache).unwrap();
    let requirements = puffin_installer::SyncRequirements {
        requirements: vec![puffin_installer::SyncRequirement {
            requirement: "demo==1.0".parse().unwrap(),
            hashes: Vec::new(),
            origin: "test".to_string(),
            build: None,
        }],
        ..Default::default()
    };
    let mut options = puffin_installer::SyncOptions::default();
    options.index.index_url = Some(server.url());
    let recorder = std::sync::Arc::new(Recorder::default());
    puffin_installer::Sync::new(&environment, &cache)
        .with_options(options)
        .with_reporter(recorder.clone())
        .run(&requirements)
        .unwrap();
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(
        events,
        [
            "plan: install 1",
            "download start: demo-1.0-py3-none-any.whl",
            "download complete: 7",
            "unzipped: demo-1.0-py3-none-any.whl",
            "phase: prepared (1 downloaded)",
            "installed: demo-1.0-py3-none-any.whl",
            "phase: installed 1",
        ]
    );
}
