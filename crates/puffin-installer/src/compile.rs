//! Compiling the `.py` files a sync installed to bytecode, with a pool of
//! long-lived interpreter processes fed paths on stdin (as `compileall`
//! would compile each file), so thousands of files cost a few interpreter
//! starts, not thousands.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::debug;

use crate::Error;

/// The worker: compiles each path it reads, answering one line per path
/// (`1` compiled, `0` not). `compileall.compile_file` mutes errors as pip
/// does; `PYC_INVALIDATION_MODE` (`timestamp`, `checked-hash`,
/// `unchecked-hash`) picks the mode, else `py_compile` honours
/// `SOURCE_DATE_EPOCH` itself.
const WORKER: &str = r#"
import compileall, os, py_compile, sys
mode = os.environ.get("PYC_INVALIDATION_MODE")
mode = py_compile.PycInvalidationMode[mode.upper().replace("-", "_")] if mode else None
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        ok = compileall.compile_file(path, quiet=2, force=True, invalidation_mode=mode)
    except Exception:
        ok = False
    sys.stdout.write("1\n" if ok else "0\n")
    sys.stdout.flush()
"#;

/// How to compile.
#[derive(Debug, Clone, Copy)]
pub struct CompileOptions {
    /// Worker processes (default: the number of cores).
    pub workers: usize,
    /// How long one file may take before its worker is killed and the file
    /// skipped.
    pub timeout: Duration,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, usize::from),
            timeout: Duration::from_secs(60),
        }
    }
}

/// What [`compile_bytecode`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CompileReport {
    /// Files compiled.
    pub compiled: usize,
    /// Files that did not compile (syntax errors, as `compileall` reports them).
    pub failed: usize,
    /// Files skipped because they took longer than the timeout.
    pub timed_out: usize,
}

/// Compile `files` with `python`, `options.workers` at a time.
pub fn compile_bytecode(
    python: &Path,
    files: Vec<PathBuf>,
    options: CompileOptions,
) -> Result<CompileReport, Error> {
    let queue = Arc::new(Mutex::new(VecDeque::from(files)));
    let workers = options.workers.max(1);
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let queue = queue.clone();
            let python = python.to_path_buf();
            std::thread::spawn(move || run_worker(&python, &queue, options.timeout))
        })
        .collect();
    let mut report = CompileReport::default();
    for handle in handles {
        let part = handle
            .join()
            .map_err(|_| Error::Runtime(std::io::Error::other("a compile worker panicked")))??;
        report.compiled += part.compiled;
        report.failed += part.failed;
        report.timed_out += part.timed_out;
    }
    Ok(report)
}

/// One interpreter process and the thread reading its answers.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<bool>,
}

impl Worker {
    fn start(python: &Path) -> Result<Self, Error> {
        let spawn_err = |err| Error::Compile {
            python: python.to_path_buf(),
            err,
        };
        let mut child = Command::new(python)
            .args(["-I", "-c", WORKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(spawn_err)?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| spawn_err(std::io::Error::other("no stdin")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| spawn_err(std::io::Error::other("no stdout")))?;
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line.trim() == "1").is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            answers,
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Compile paths from the queue until it is empty; a file that outlives the
/// timeout (or kills its interpreter) gets a fresh worker.
fn run_worker(
    python: &Path,
    queue: &Mutex<VecDeque<PathBuf>>,
    timeout: Duration,
) -> Result<CompileReport, Error> {
    let mut report = CompileReport::default();
    let mut worker: Option<Worker> = None;
    loop {
        let Some(path) = queue.lock().ok().and_then(|mut queue| queue.pop_front()) else {
            return Ok(report);
        };
        let current = match worker.as_mut() {
            Some(current) => current,
            None => worker.insert(Worker::start(python)?),
        };
        let line = format!("{}\n", path.display());
        let sent = current
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| current.stdin.flush());
        match sent.map(|()| current.answers.recv_timeout(timeout)) {
            Ok(Ok(true)) => report.compiled += 1,
            Ok(Ok(false)) => report.failed += 1,
            Ok(Err(RecvTimeoutError::Timeout)) => {
                debug!(path = %path.display(), "Compiling took too long; skipped");
                report.timed_out += 1;
                worker = None;
            }
            Ok(Err(RecvTimeoutError::Disconnected)) | Err(_) => {
                debug!(path = %path.display(), "The compile worker died; skipped");
                report.failed += 1;
                worker = None;
            }
        }
    }
}

/// The `.py` files the RECORDs of these `.dist-info` directories list, inside
/// `prefix` (a row pointing elsewhere is never compiled).
pub(crate) fn python_files(dist_infos: &[PathBuf], prefix: &Path) -> Vec<PathBuf> {
    let prefix = puffin_fs::normalize_path(prefix);
    let mut files = Vec::new();
    for dist_info in dist_infos {
        let Some(site_packages) = dist_info.parent() else {
            continue;
        };
        let Ok(record) = fs_err::read(dist_info.join("RECORD")) else {
            continue;
        };
        let Ok(rows) = install_wheel_rs::read_record(record.as_slice()) else {
            continue;
        };
        files.extend(
            rows.iter()
                .filter(|row| row.path.ends_with(".py"))
                .map(|row| puffin_fs::normalize_path(&site_packages.join(&row.path)))
                .filter(|path| path.starts_with(&prefix)),
        );
    }
    files
}
