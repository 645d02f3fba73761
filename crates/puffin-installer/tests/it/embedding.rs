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

#[test]
fn the_embedding_example_syncs_a_requirements_file() {
    let Ok(python) = which::which("python3") else {
        println!("Skipping: no python3 on PATH");
        return;
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
