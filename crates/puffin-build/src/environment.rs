//! The temporary directory of a build and its isolated environment.

use std::path::Path;

use fs_err as fs;
use gourgeist::{VenvOptions, create_venv};
use puffin_cache::Cache;
use puffin_interpreter::{DiscoveryOptions, Interpreter, PythonEnvironment};
use tracing::debug;

use crate::BuildError;

/// A new temporary directory for one build in `temp_root` (created if
/// missing), removed when dropped.
pub(crate) fn temp_build_dir(temp_root: &Path) -> Result<tempfile::TempDir, BuildError> {
    let io_error = |err| BuildError::Io {
        action: "create a build directory in",
        path: temp_root.to_path_buf(),
        err,
    };
    fs::create_dir_all(temp_root).map_err(io_error)?;
    tempfile::Builder::new()
        .prefix("build-")
        .tempdir_in(temp_root)
        .map_err(io_error)
}

/// Create the isolated build environment `<temp>/env` from `base`.
///
/// `gourgeist` lays the environment out without running Python; it is then
/// described by a query of its own interpreter (one Python process), cached
/// in `<temp>/interpreter-cache` so nothing about a throwaway environment
/// reaches the real cache. Both run on the blocking pool.
pub(crate) async fn create_build_env(
    base: &Interpreter,
    temp: &Path,
) -> Result<PythonEnvironment, BuildError> {
    let base = base.clone();
    let root = temp.join("env");
    let cache = Cache::from_path(temp.join("interpreter-cache"));
    let task = tokio::task::spawn_blocking(move || {
        let start = std::time::Instant::now();
        create_venv(&root, &base, &VenvOptions::default()).map_err(|err| {
            BuildError::CreateEnvironment {
                path: root.clone(),
                err,
            }
        })?;
        // `--python .` from the environment's root: its interpreter.
        let options = DiscoveryOptions::new(&root)
            .with_python(Some(".".to_string()))
            .with_read_only(true);
        let environment = PythonEnvironment::discover(&options, &cache)
            .map_err(|err| BuildError::QueryEnvironment { path: root, err })?;
        debug!(
            root = %environment.root().display(),
            elapsed_ms = start.elapsed().as_millis(),
            "Created the build environment"
        );
        Ok(environment)
    });
    match task.await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => Err(BuildError::Io {
            action: "create the build environment in",
            path: temp.to_path_buf(),
            err: std::io::Error::other(err),
        }),
    }
}
