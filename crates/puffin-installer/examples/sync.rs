//! Sync a requirements file into a virtual environment through the library
//! alone, as `puffin pip-sync` does:
//!
//! ```text
//! cargo run -p puffin-installer --example sync -- requirements.txt .venv [--index-url URL]
//! ```

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use puffin_cache::Cache;
use puffin_installer::{Sync, SyncOptions, SyncReport, SyncRequirements};
use puffin_interpreter::{DiscoveryOptions, PythonEnvironment};

/// Sync `requirements` into the virtual environment at `venv`, with the
/// cache at `cache_dir` and packages from `index_url` (else as pip is configured).
pub fn sync_file(
    requirements: &Path,
    venv: &Path,
    cache_dir: &Path,
    index_url: Option<String>,
) -> Result<SyncReport, Box<dyn std::error::Error>> {
    let cache = Cache::from_settings(Some(cache_dir.to_path_buf()), false)?;
    let options = DiscoveryOptions::from_process_env()?.with_python(Some(
        puffin_interpreter::venv_python(venv).display().to_string(),
    ));
    let environment = PythonEnvironment::discover(&options, &cache)?;
    let cwd = std::env::current_dir()?;
    let (requirements, _warnings) = SyncRequirements::read(&[requirements.to_path_buf()], &cwd)?;
    let mut options = SyncOptions::default();
    options.index.index_url = index_url;
    Ok(Sync::new(&environment, &cache)
        .with_options(options)
        .run(&requirements)?)
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [requirements, venv, rest @ ..] = args.as_slice() else {
        return Err("usage: sync <requirements.txt> <venv> [--index-url URL]".into());
    };
    let index_url = rest
        .iter()
        .skip_while(|arg| *arg != "--index-url")
        .nth(1)
        .cloned();
    let cache = PathBuf::from(std::env::var("PUFFIN_CACHE_DIR").unwrap_or(".puffin-cache".into()));
    let report = sync_file(Path::new(requirements), Path::new(venv), &cache, index_url)?;
    println!(
        "kept {}, installed {}, removed {}",
        report.plan.satisfied.len(),
        report.installed.len(),
        report.plan.extraneous.len()
    );
    Ok(())
}
