//! The embedding example (`examples/sync.rs`) syncs a requirements file into
//! a virtual environment against a local index, through the library alone.

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/sync.rs"]
mod example;

use std::process::Command;

use fs_err as fs;

use crate::fixture::{Fixture, requirements};

#[test]
fn the_embedding_example_syncs_a_requirements_file() {
    let Some(fixture) = Fixture::new() else {
        return;
    };
    let (venv, cache_dir, url) = (&fixture.venv, &fixture.cache_dir, fixture.server.url());
    let requirements = fixture.dir.path().join("requirements.txt");
    fs::write(&requirements, "demo==1.0\n").unwrap();

    let report = example::sync_file(&requirements, venv, cache_dir, Some(url.clone())).unwrap();
    assert_eq!(report.installed.len(), 1);
    let output = Command::new(venv.join("bin/python"))
        .args(["-c", "import demo; print(demo.VALUE)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "42");

    let again = example::sync_file(&requirements, venv, cache_dir, Some(url)).unwrap();
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
    let Some(fixture) = Fixture::new() else {
        return;
    };
    let cache = fixture.cache();
    let environment = fixture.environment(&fixture.venv);
    let requirements = requirements(&["demo==1.0"]);
    let options = fixture.options();
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
