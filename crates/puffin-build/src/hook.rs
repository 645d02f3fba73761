//! Running one backend hook in a Python process, through `shim.py`.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fs_err as fs;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tracing::debug;

use crate::pyproject::BuildSystem;
use crate::{BuildError, BuildOutput};

/// The script that imports the backend and calls one hook (see its
/// docstring for the protocol).
const SHIM: &str = include_str!("shim.py");

/// The environment variables of a hook process, beyond the inherited ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct HookEnv {
    /// Set (or replaced).
    pub(crate) set: Vec<(OsString, OsString)>,
    /// Removed.
    pub(crate) remove: Vec<OsString>,
}

/// What a hook call gave back.
#[derive(Debug)]
pub(crate) enum HookOutcome {
    /// The hook's return value.
    Value(serde_json::Value),
    /// The backend does not define this (optional) hook.
    Missing,
}

/// What the shim writes to its result file.
#[derive(Debug, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum ShimResult {
    Ok { value: serde_json::Value },
    Missing,
    ImportError { message: String },
    Error { message: String },
}

/// Calls the hooks of one backend for one build, each in its own process.
pub(crate) struct HookRunner<'a> {
    /// The build environment's interpreter.
    pub(crate) python: PathBuf,
    /// The working directory of the hooks (absolute).
    pub(crate) source_tree: &'a Path,
    /// Where the shim, the hooks' inputs, results and output files go.
    pub(crate) scratch: PathBuf,
    /// The backend.
    pub(crate) build_system: &'a BuildSystem,
    /// The process environment.
    pub(crate) env: HookEnv,
    /// The longest a hook process may run.
    pub(crate) timeout: Option<Duration>,
    /// Bounds how many hook processes run at once.
    pub(crate) semaphore: &'a Semaphore,
    /// Numbers the files of each call.
    pub(crate) calls: AtomicUsize,
}

impl HookRunner<'_> {
    /// Write the shim into the scratch directory (created if missing).
    pub(crate) fn write_shim(&self) -> Result<(), BuildError> {
        let path = self.shim_path();
        fs::create_dir_all(&self.scratch)
            .and_then(|()| fs::write(&path, SHIM))
            .map_err(|err| io_error("write the build shim", &path, err))
    }

    fn shim_path(&self) -> PathBuf {
        self.scratch.join("puffin_build_shim.py")
    }

    fn backend(&self) -> String {
        self.build_system.backend.clone()
    }

    /// Call `hook` with positional `args` (as `pyproject_hooks` calls them,
    /// so backends may name their parameters as they like).
    pub(crate) async fn call(
        &self,
        hook: &str,
        args: serde_json::Value,
    ) -> Result<HookOutcome, BuildError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let input = self.scratch.join(format!("{call}-{hook}.input.json"));
        let result = self.scratch.join(format!("{call}-{hook}.result.json"));
        let output = self.scratch.join(format!("{call}-{hook}.output.log"));
        let request = serde_json::json!({
            "backend": self.build_system.backend,
            "backend_path": self
                .build_system
                .backend_path
                .iter()
                .map(|path| path.to_string_lossy())
                .collect::<Vec<_>>(),
            "hook": hook,
            "args": args,
        });
        fs::write(&input, request.to_string())
            .map_err(|err| io_error("write the hook input", &input, err))?;

        let _permit = self.semaphore.acquire().await.expect("never closed");
        let start = Instant::now();
        debug!(hook, backend = %self.build_system.backend, "Running a build hook");
        let status = self.run(hook, &input, &result, &output).await?;
        debug!(
            hook,
            elapsed_ms = start.elapsed().as_millis(),
            %status,
            "The build hook finished"
        );
        self.outcome(hook, status, &result, &output)
    }

    /// The shim's command for one call: in the source tree, stdout and
    /// stderr both appended to the `output` file, in a process group of its
    /// own so a timeout (or a cancelled build) kills whatever the backend
    /// started too (compilers, `make -j`).
    fn command(
        &self,
        input: &Path,
        result: &Path,
        output: &Path,
    ) -> Result<tokio::process::Command, BuildError> {
        let stdout = fs::File::create(output)
            .map_err(|err| io_error("create the build log", output, err))?;
        let stderr = stdout
            .try_clone()
            .map_err(|err| io_error("create the build log", output, err))?;
        let mut command = tokio::process::Command::new(&self.python);
        command
            .arg(self.shim_path())
            .arg(input)
            .arg(result)
            .current_dir(self.source_tree)
            .stdin(Stdio::null())
            .stdout(Stdio::from(stdout.into_parts().0))
            .stderr(Stdio::from(stderr.into_parts().0))
            .kill_on_drop(true);
        for (key, value) in &self.env.set {
            command.env(key, value);
        }
        for key in &self.env.remove {
            command.env_remove(key);
        }
        #[cfg(unix)]
        command.process_group(0);
        Ok(command)
    }

    /// Run the shim for one call, killing its process group on timeout.
    async fn run(
        &self,
        hook: &str,
        input: &Path,
        result: &Path,
        output: &Path,
    ) -> Result<ExitStatus, BuildError> {
        let mut command = self.command(input, result, output)?;
        let mut child = command.spawn().map_err(|err| BuildError::Spawn {
            python: self.python.clone(),
            hook: hook.to_string(),
            err,
        })?;
        let mut group = ProcessGroup(child.id());
        let waited = match self.timeout {
            Some(timeout) => tokio::time::timeout(timeout, child.wait()).await.ok(),
            None => Some(child.wait().await),
        };
        let status = match waited {
            Some(status) => {
                group.disarm();
                status
            }
            None => {
                debug!(hook, "The build hook timed out; killing its process group");
                group.kill();
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(BuildError::Timeout {
                    backend: self.backend(),
                    hook: hook.to_string(),
                    timeout: self.timeout.unwrap_or_default(),
                    output: read_output(output),
                });
            }
        };
        status.map_err(|err| io_error("wait for the build backend process", &self.python, err))
    }

    /// Turn the process's status and result file into an outcome.
    fn outcome(
        &self,
        hook: &str,
        status: ExitStatus,
        result: &Path,
        output: &Path,
    ) -> Result<HookOutcome, BuildError> {
        let parsed = fs::read(result)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<ShimResult>(&bytes).ok());
        let hook = hook.to_string();
        match parsed {
            Some(ShimResult::Ok { value }) => Ok(HookOutcome::Value(value)),
            Some(ShimResult::Missing) => Ok(HookOutcome::Missing),
            Some(ShimResult::ImportError { message }) => Err(BuildError::BackendImport {
                backend: self.backend(),
                message,
                output: read_output(output),
            }),
            Some(ShimResult::Error { message }) => Err(BuildError::HookFailed {
                backend: self.backend(),
                hook,
                message,
                output: read_output(output),
            }),
            None if status.success() => Err(BuildError::InvalidResult {
                backend: self.backend(),
                hook,
                reason: format!("no readable result in `{}`", result.display()),
            }),
            None => Err(BuildError::ProcessFailed {
                backend: self.backend(),
                hook,
                status,
                output: read_output(output),
            }),
        }
    }
}

/// The end of a hook's output; an unreadable log becomes a line saying so.
fn read_output(path: &Path) -> BuildOutput {
    BuildOutput::read(path).unwrap_or_else(|err| {
        BuildOutput::from_text(&format!(
            "(the build log `{}` could not be read: {err})",
            path.display()
        ))
    })
}

fn io_error(action: &'static str, path: &Path, err: io::Error) -> BuildError {
    BuildError::Io {
        action,
        path: path.to_path_buf(),
        err,
    }
}

/// The process group a hook process leads, killed when this is dropped
/// before [`ProcessGroup::disarm`] (a timeout, or a cancelled build).
struct ProcessGroup(Option<u32>);

impl ProcessGroup {
    /// The process ended normally; leave whatever it started alone.
    fn disarm(&mut self) {
        self.0 = None;
    }

    /// Kill every process in the group.
    fn kill(&mut self) {
        if let Some(id) = self.0.take() {
            kill_group(id);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn kill_group(id: u32) {
    let Ok(group) = libc::pid_t::try_from(id) else {
        return;
    };
    // SAFETY: `killpg` takes plain integers and touches no memory of ours.
    // The group is the one the child leads (`process_group(0)`), and the
    // child has not been reaped yet, so the id cannot name another group.
    unsafe {
        libc::killpg(group, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_id: u32) {
    // Without process groups, `kill_on_drop` and `start_kill` end the child.
}
