//! The linker: puts the files of an unzipped wheel from the cache into an
//! environment by cloning, hardlinking or copying them.
//!
//! The decision is explicit state ([`Attempt`]): the first file of a wheel
//! probes the mode with a real link and, on a capability error, falls back
//! along [`LinkMode::next_mode`]. Once a mode is confirmed, a capability error
//! on a later file does not leave a wheel half linked and half copied: the
//! files already linked are removed and the whole wheel is copied. The
//! [`Linker`] remembers per (cache filesystem, target directory) which mode
//! worked, so later wheels skip the failing attempt, and hands out the
//! fallback warning once.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use tracing::{debug, trace};

pub(crate) use puffin_fs::{FileMode, temp_name, temp_sibling};
use puffin_fs::{create_new_with_mode, replace_via_temp};

use crate::{Cancellation, Error, LinkError, TransactionError};

/// How files go from the cache into an environment.
///
/// The default is [`LinkMode::Clone`] on macOS (APFS clones are cheap and
/// independent of the cache) and [`LinkMode::Hardlink`] elsewhere (most Linux
/// filesystems cannot clone; a hardlink costs no space or time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum LinkMode {
    /// Copy-on-write clone (`FICLONE` on Linux, `clonefile` on macOS): an
    /// independent file sharing the cache's extents.
    #[cfg_attr(target_os = "macos", default)]
    Clone,
    /// A hardlink to the cache file: the same inode. Never write to an
    /// installed file in place.
    #[cfg_attr(not(target_os = "macos"), default)]
    Hardlink,
    /// A full copy, which keeps the permission bits.
    Copy,
}

impl LinkMode {
    /// The mode to try when this one is not possible between the cache and the
    /// environment: Clone → Hardlink → Copy. Copy has no fallback.
    pub fn next_mode(self) -> Option<Self> {
        match self {
            Self::Clone => Some(Self::Hardlink),
            Self::Hardlink => Some(Self::Copy),
            Self::Copy => None,
        }
    }

    /// Whether `err` from this mode means "this mode is not possible here"
    /// rather than a real failure: another filesystem (`EXDEV`), a refused link
    /// (`EPERM`, `EACCES`, e.g. `fs.protected_hardlinks`), no support
    /// (`ENOTSUP`/`EOPNOTSUPP`), or too many links to the cache file (`EMLINK`).
    /// A clone also fails with `ENOTTY` or `EINVAL` on filesystems without the
    /// ioctl. A copy has no capability errors.
    fn is_capability_error(self, err: &io::Error) -> bool {
        if self == Self::Copy {
            return false;
        }
        if err.kind() == io::ErrorKind::Unsupported {
            return true;
        }
        let Some(code) = err.raw_os_error() else {
            return false;
        };
        let common = [
            libc::EXDEV,
            libc::EPERM,
            libc::EACCES,
            libc::ENOTSUP,
            libc::EOPNOTSUPP,
            libc::EMLINK,
        ];
        common.contains(&code)
            || (self == Self::Clone && [libc::ENOTTY, libc::EINVAL].contains(&code))
    }
}

impl fmt::Display for LinkMode {
    /// The verb, which is also the command-line value: `clone`, `hardlink`, `copy`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Clone => "clone",
            Self::Hardlink => "hardlink",
            Self::Copy => "copy",
        })
    }
}

/// Where a wheel's linking stands: the first file decides the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// The mode has not linked a file yet: a capability error moves on to
    /// [`LinkMode::next_mode`].
    Initial(LinkMode),
    /// The mode linked the first file: a later capability error means this
    /// one file cannot be linked (e.g. `EMLINK`), and the wheel is copied.
    Confirmed(LinkMode),
}

/// A fallback from the requested link mode, reported once per run for each
/// (cache filesystem, target directory). Its `Display` is the warning to show.
#[derive(Debug)]
pub struct LinkFallback {
    /// The mode that failed.
    pub from: LinkMode,
    /// The mode used instead.
    pub to: LinkMode,
    /// The unzipped wheel in the cache.
    pub source_dir: PathBuf,
    /// The environment directory the files went to.
    pub target_dir: PathBuf,
    /// Why `from` failed.
    pub err: io::Error,
}

impl LinkFallback {
    /// Why `from` is not possible here, and how to make it possible, from
    /// the error: a clone fails with `EXDEV` only across filesystems, and
    /// otherwise because the filesystem has no copy-on-write support (ext4
    /// answers `EOPNOTSUPP`); a hardlink fails across filesystems or when
    /// the system refuses it (`fs.protected_hardlinks`).
    fn cause(&self) -> &'static str {
        let code = self.err.raw_os_error();
        let exdev = code == Some(libc::EXDEV);
        match self.from {
            LinkMode::Clone if !exdev => "the filesystem does not support copy-on-write clones",
            LinkMode::Hardlink if matches!(code, Some(libc::EPERM | libc::EACCES)) => {
                "the system does not permit hardlinks to the cache's files"
            }
            LinkMode::Hardlink if code == Some(libc::EMLINK) => {
                "a file of the cache has too many links"
            }
            _ if exdev => "the cache is on another filesystem than the environment",
            _ => "the filesystem does not support it",
        }
    }
}

impl fmt::Display for LinkFallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exdev = self.err.raw_os_error() == Some(libc::EXDEV);
        write!(
            f,
            "Failed to {} files from the cache `{}` to `{}`: {} ({}); falling back to {}{}. ",
            self.from,
            self.source_dir.display(),
            self.target_dir.display(),
            self.cause(),
            self.err,
            self.to,
            if self.to == LinkMode::Copy {
                ", which is slower and uses more disk space"
            } else {
                ""
            },
        )?;
        if exdev {
            write!(
                f,
                "To fix this, put the cache on the same filesystem as the environment with --cache-dir, or pass --link-mode={} to silence this warning",
                self.to
            )
        } else {
            write!(f, "Pass --link-mode={} to silence this warning", self.to)
        }
    }
}

/// The key the linker remembers outcomes under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LinkKey {
    /// `st_dev` of the unzipped wheel directory: the cache's filesystem.
    cache_dev: u64,
    /// The environment directory the wheel goes to (its site-packages).
    target_dir: PathBuf,
}

#[derive(Debug, Default)]
struct LinkerState {
    /// The mode that last worked for each key, when it is not the requested one.
    outcomes: HashMap<LinkKey, LinkMode>,
    /// Keys whose fallback was already reported.
    warned: HashSet<LinkKey>,
}

/// A test-only fault: what happens when linking (not copying) the file at
/// position `index` of every wheel, instead of linking it.
#[derive(Debug, Clone, Copy)]
struct Fault {
    index: usize,
    action: FaultAction,
}

/// What a test fault (see [`Linker::with_fault`]) does.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Fail with this raw OS error (e.g. `libc::EIO`).
    Fail(i32),
    /// Abort the process, as SIGKILL would: nothing is rolled back, so the
    /// next command finds the journal.
    Abort,
}

/// A test-only fault injected into every wheel a [`Linker`] links: see
/// [`Linker::with_fault`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkFault {
    /// How many files of a wheel are placed before the fault.
    pub after_files: usize,
    /// What the fault does.
    pub action: FaultAction,
}

/// Links the files of wheels into environments. One `Linker` is shared by all
/// wheels of a run (it is `Sync`), so that each (cache filesystem, target
/// directory) pays for a failing link attempt once and warns once.
#[derive(Debug)]
pub struct Linker {
    mode: LinkMode,
    state: Mutex<LinkerState>,
    fault: Option<Fault>,
    cancellation: Option<Cancellation>,
}

impl Default for Linker {
    /// A linker with the platform's default [`LinkMode`].
    fn default() -> Self {
        Self::new(LinkMode::default())
    }
}

/// One file to put into place.
#[derive(Debug, Clone)]
pub(crate) struct LinkTask {
    /// The file in the cache.
    pub(crate) src: PathBuf,
    /// Where it goes.
    pub(crate) dst: PathBuf,
    /// Whether the file is executable (from the cache manifest): clones and
    /// copies are created with the right mode instead of being chmodded.
    pub(crate) executable: bool,
}

/// What linking one wheel did.
#[derive(Debug)]
pub(crate) struct LinkReport {
    /// The mode used for every file.
    pub(crate) mode: LinkMode,
    /// The fallback warning, if this wheel is the first to fall back.
    pub(crate) fallback: Option<LinkFallback>,
}

/// Wheels with more files than this are linked in parallel once the mode is
/// confirmed.
const PARALLEL_THRESHOLD: usize = 200;

impl Linker {
    /// A linker that tries `mode` first and falls back along
    /// [`LinkMode::next_mode`].
    pub fn new(mode: LinkMode) -> Self {
        Self {
            mode,
            state: Mutex::new(LinkerState::default()),
            fault: None,
            cancellation: None,
        }
    }

    /// Stop linking, between two files, once `cancellation` is set: the
    /// install fails with [`TransactionError::Cancelled`].
    #[must_use]
    pub fn with_cancellation(mut self, cancellation: Cancellation) -> Self {
        self.cancellation = Some(cancellation);
        self
    }

    /// `Err(Cancelled)` once the cancellation is set.
    fn check_cancelled(&self) -> Result<(), TransactionError> {
        self.cancellation
            .as_ref()
            .map_or(Ok(()), Cancellation::check)
    }

    /// The requested mode.
    pub fn mode(&self) -> LinkMode {
        self.mode
    }

    /// Test hook: linking (cloning or hardlinking, never copying) the file at
    /// position `index` of every wheel fails with the raw OS error `errno`,
    /// e.g. `libc::EXDEV`. `index` 0 fails the probe; a later one simulates a
    /// file that cannot be linked although the others could.
    #[doc(hidden)]
    #[must_use]
    pub fn with_fault_after(mut self, index: usize, errno: i32) -> Self {
        self.fault = Some(Fault {
            index,
            action: FaultAction::Fail(errno),
        });
        self
    }

    /// Test hook: `fault` happens instead of linking (cloning or
    /// hardlinking, never copying) file `fault.after_files` of every wheel;
    /// see [`Linker::with_fault_after`].
    #[doc(hidden)]
    #[must_use]
    pub fn with_fault(mut self, fault: LinkFault) -> Self {
        self.fault = Some(Fault {
            index: fault.after_files,
            action: fault.action,
        });
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LinkerState> {
        // The state stays consistent even if a thread panicked holding it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Link `tasks` (cache files of `wheel_dir`) into the environment directory
    /// `target_dir` and its siblings. Every task's destination directory must
    /// exist. Returns the mode used for all of them.
    pub(crate) fn link_wheel(
        &self,
        wheel_dir: &Path,
        target_dir: &Path,
        tasks: &[LinkTask],
    ) -> Result<LinkReport, Error> {
        let key = LinkKey {
            cache_dev: device(wheel_dir)?,
            target_dir: target_dir.to_path_buf(),
        };
        let start = self
            .state()
            .outcomes
            .get(&key)
            .copied()
            .unwrap_or(self.mode);
        if start != self.mode {
            debug!(requested = %self.mode, mode = %start, target = %target_dir.display(), "Using the link mode that worked before");
        }
        let Some(first) = tasks.first() else {
            return Ok(LinkReport {
                mode: start,
                fallback: None,
            });
        };

        let (mode, probe_failure) = self.probe(start, first)?;
        let mut fallback = None;
        if let Some((from, err)) = probe_failure {
            self.state().outcomes.insert(key.clone(), mode);
            fallback = self.fallback_once(&key, || LinkFallback {
                from,
                to: mode,
                source_dir: wheel_dir.to_path_buf(),
                target_dir: target_dir.to_path_buf(),
                err,
            });
        }

        let Some((failed_index, failed)) = self.place_rest(mode, tasks)? else {
            return Ok(LinkReport { mode, fallback });
        };

        // A later file failed with a capability error: never leave the wheel
        // half linked. Remove what this wheel linked and copy all of it.
        debug!(%mode, error = %failed, file = %tasks[failed_index].dst.display(), "A later file cannot be linked: copying the whole wheel instead");
        self.undo(tasks, failed_index)?;
        for (index, task) in tasks.iter().enumerate() {
            self.check_cancelled()?;
            self.place(LinkMode::Copy, index, task)
                .map_err(|err| link_error(LinkMode::Copy, task, err))?;
        }
        let fallback = match fallback {
            // This wheel already fell back on its first file: it now ends at copy.
            Some(fallback) => Some(LinkFallback {
                to: LinkMode::Copy,
                ..fallback
            }),
            None => self.fallback_once(&key, || LinkFallback {
                from: mode,
                to: LinkMode::Copy,
                source_dir: wheel_dir.to_path_buf(),
                target_dir: target_dir.to_path_buf(),
                err: failed,
            }),
        };
        Ok(LinkReport {
            mode: LinkMode::Copy,
            fallback,
        })
    }

    /// Place the first file, which decides the mode: on a capability error,
    /// move along [`LinkMode::next_mode`] and retry. Returns the confirmed mode
    /// and, if the starting mode failed, why.
    fn probe(
        &self,
        start: LinkMode,
        first: &LinkTask,
    ) -> Result<(LinkMode, Option<(LinkMode, io::Error)>), Error> {
        let mut attempt = Attempt::Initial(start);
        let mut failure = None;
        loop {
            match attempt {
                Attempt::Initial(mode) => match self.place(mode, 0, first) {
                    Ok(()) => attempt = Attempt::Confirmed(mode),
                    Err(_) if self.check_cancelled().is_err() => {
                        return Err(TransactionError::Cancelled.into());
                    }
                    Err(err) if mode.is_capability_error(&err) => {
                        let next = mode.next_mode().expect("copy has no capability errors");
                        debug!(%mode, %next, error = %err, from = %first.src.display(), to = %first.dst.display(), "Link mode not possible here, falling back");
                        failure.get_or_insert((mode, err));
                        attempt = Attempt::Initial(next);
                    }
                    Err(err) => return Err(link_error(mode, first, err)),
                },
                Attempt::Confirmed(mode) => return Ok((mode, failure)),
            }
        }
    }

    /// Place every file after the first with the confirmed `mode`, in parallel
    /// for large wheels. A capability error is returned as a value (the caller
    /// switches to copying); any other error is a hard error.
    fn place_rest(
        &self,
        mode: LinkMode,
        tasks: &[LinkTask],
    ) -> Result<Option<(usize, io::Error)>, Error> {
        let place = |(index, task): (usize, &LinkTask)| {
            self.place(mode, index, task).map_err(|err| (index, err))
        };
        let failures: Vec<(usize, io::Error)> = if tasks.len() > PARALLEL_THRESHOLD {
            tasks
                .par_iter()
                .enumerate()
                .skip(1)
                .filter_map(|item| place(item).err())
                .collect()
        } else {
            // Sequentially, up to the first error.
            tasks
                .iter()
                .enumerate()
                .skip(1)
                .find_map(|item| place(item).err())
                .into_iter()
                .collect()
        };
        if !failures.is_empty() {
            self.check_cancelled()?;
        }
        let mut capability_failure = None;
        for (index, err) in failures {
            if !mode.is_capability_error(&err) {
                return Err(link_error(mode, &tasks[index], err));
            }
            capability_failure.get_or_insert((index, err));
        }
        Ok(capability_failure)
    }

    /// The fallback warning, unless one was already handed out for `key`.
    fn fallback_once(
        &self,
        key: &LinkKey,
        fallback: impl FnOnce() -> LinkFallback,
    ) -> Option<LinkFallback> {
        self.state().warned.insert(key.clone()).then(fallback)
    }

    /// Remove the files of `tasks` that were linked before the copy fallback.
    /// Files after a failure that were not placed are simply absent (or belong
    /// to an earlier install and get replaced by the copy).
    fn undo(&self, tasks: &[LinkTask], failed_index: usize) -> Result<(), Error> {
        for (index, task) in tasks.iter().enumerate() {
            if index == failed_index {
                continue;
            }
            #[allow(clippy::disallowed_methods)]
            // NotFound is expected; the error is wrapped with both paths.
            match std::fs::remove_file(&task.dst) {
                Ok(()) => trace!(path = %task.dst.display(), "Removed linked file"),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(LinkError::Undo {
                        path: task.dst.clone(),
                        from: task.src.clone(),
                        err,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Put one file into place with `mode`. An existing destination is
    /// replaced through a temporary file in the same directory and a rename,
    /// never truncated in place (which would write through a hardlink into the
    /// cache).
    fn place(&self, mode: LinkMode, index: usize, task: &LinkTask) -> io::Result<()> {
        if self.check_cancelled().is_err() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        if let Some(fault) = self.fault
            && mode != LinkMode::Copy
            && fault.index == index
        {
            match fault.action {
                FaultAction::Fail(errno) => return Err(io::Error::from_raw_os_error(errno)),
                FaultAction::Abort => std::process::abort(),
            }
        }
        trace!(%mode, from = %task.src.display(), to = %task.dst.display(), "Placing file");
        let file_mode = if task.executable { 0o755 } else { 0o644 };
        let create = |dst: &Path| match mode {
            LinkMode::Clone => clone_file(&task.src, dst, file_mode),
            LinkMode::Hardlink => hardlink_file(&task.src, dst),
            LinkMode::Copy => copy_file(&task.src, dst, file_mode),
        };
        match create(&task.dst) {
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                replace_via_temp(&task.dst, create)
            }
            result => result,
        }
    }
}

fn link_error(mode: LinkMode, task: &LinkTask, err: io::Error) -> Error {
    LinkError::Link {
        mode,
        from: task.src.clone(),
        to: task.dst.clone(),
        err,
    }
    .into()
}

#[cfg(unix)]
fn device(path: &Path) -> Result<u64, Error> {
    use std::os::unix::fs::MetadataExt;
    Ok(fs_err::metadata(path)?.dev())
}

#[cfg(not(unix))]
fn device(path: &Path) -> Result<u64, Error> {
    fs_err::metadata(path)?;
    Ok(0)
}

/// Hardlink `src` to the new path `dst`.
fn hardlink_file(src: &Path, dst: &Path) -> io::Result<()> {
    // A capability probe: the raw error (EXDEV, EPERM, EMLINK, ...) decides the
    // fallback, and the caller names both paths.
    #[allow(clippy::disallowed_methods)]
    std::fs::hard_link(src, dst)
}

/// Copy `src` to the new path `dst`, created with `mode` (the source's
/// permission bits, from the manifest; the umask applies as for any install).
fn copy_file(src: &Path, dst: &Path, mode: u32) -> io::Result<()> {
    #[allow(clippy::disallowed_methods)] // The caller names both paths.
    let mut from = std::fs::File::open(src)?;
    let mut to = create_new_with_mode(dst, mode)?;
    // `io::copy` between files uses `copy_file_range` where available.
    let result = io::copy(&mut from, &mut to).and_then(|_| to.flush());
    if result.is_err() {
        #[allow(clippy::disallowed_methods)] // Best-effort cleanup.
        let _ = std::fs::remove_file(dst);
    }
    result
}

/// Clone `src` to the new path `dst` with `FICLONE`: the ioctl shares the
/// extents but not the mode, so `dst` is created with `mode` (the source's
/// permission bits, from the manifest).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn clone_file(src: &Path, dst: &Path, mode: u32) -> io::Result<()> {
    #[allow(clippy::disallowed_methods)] // A capability probe; the caller names both paths.
    let from = std::fs::File::open(src)?;
    let to = create_new_with_mode(dst, mode)?;
    let result = reflink_copy::reflink_file(&from, &to);
    if result.is_err() {
        #[allow(clippy::disallowed_methods)] // Best-effort cleanup.
        let _ = std::fs::remove_file(dst);
    }
    result
}

/// Clone `src` to the new path `dst` (`clonefile` on macOS), then set the
/// source's permission bits explicitly.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn clone_file(src: &Path, dst: &Path, _mode: u32) -> io::Result<()> {
    reflink_copy::reflink(src, dst)?;
    #[allow(clippy::disallowed_methods)] // The caller names both paths.
    let permissions = std::fs::metadata(src)?.permissions();
    #[allow(clippy::disallowed_methods)] // The caller names both paths.
    std::fs::set_permissions(dst, permissions)
}

/// Write a file the installer generates (never a link into the cache) with
/// the given mode, replacing an existing file through a temporary file and a
/// rename ([`puffin_fs::write_fresh`]).
pub(crate) fn write_fresh(path: &Path, contents: &[u8], mode: FileMode) -> Result<(), LinkError> {
    puffin_fs::write_fresh(path, contents, mode).map_err(|err| LinkError::Write {
        path: path.to_path_buf(),
        err,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_chain_ends_in_copy() {
        assert_eq!(LinkMode::Clone.next_mode(), Some(LinkMode::Hardlink));
        assert_eq!(LinkMode::Hardlink.next_mode(), Some(LinkMode::Copy));
        assert_eq!(LinkMode::Copy.next_mode(), None);
    }

    #[test]
    fn capability_errors() {
        let exdev = io::Error::from_raw_os_error(libc::EXDEV);
        let enospc = io::Error::from_raw_os_error(libc::ENOSPC);
        let enotty = io::Error::from_raw_os_error(libc::ENOTTY);
        assert!(LinkMode::Hardlink.is_capability_error(&exdev));
        assert!(LinkMode::Clone.is_capability_error(&exdev));
        assert!(!LinkMode::Copy.is_capability_error(&exdev));
        assert!(!LinkMode::Hardlink.is_capability_error(&enospc));
        assert!(LinkMode::Clone.is_capability_error(&enotty));
        assert!(!LinkMode::Hardlink.is_capability_error(&enotty));
    }

    fn fallback(from: LinkMode, to: LinkMode, errno: i32) -> String {
        LinkFallback {
            from,
            to,
            source_dir: PathBuf::from("/cache/wheel"),
            target_dir: PathBuf::from("/venv/site-packages"),
            err: io::Error::from_raw_os_error(errno),
        }
        .to_string()
    }

    /// `--link-mode clone` on ext4 blamed "the cache on another filesystem"
    /// although cache and environment shared one: the real cause is a
    /// filesystem without copy-on-write support.
    #[test]
    fn fallback_messages_name_the_real_cause() {
        insta::assert_snapshot!(fallback(LinkMode::Clone, LinkMode::Hardlink, libc::EOPNOTSUPP), @"Failed to clone files from the cache `/cache/wheel` to `/venv/site-packages`: the filesystem does not support copy-on-write clones (Operation not supported (os error 95)); falling back to hardlink. Pass --link-mode=hardlink to silence this warning");
        insta::assert_snapshot!(fallback(LinkMode::Clone, LinkMode::Copy, libc::EXDEV), @"Failed to clone files from the cache `/cache/wheel` to `/venv/site-packages`: the cache is on another filesystem than the environment (Invalid cross-device link (os error 18)); falling back to copy, which is slower and uses more disk space. To fix this, put the cache on the same filesystem as the environment with --cache-dir, or pass --link-mode=copy to silence this warning");
        insta::assert_snapshot!(fallback(LinkMode::Hardlink, LinkMode::Copy, libc::EPERM), @"Failed to hardlink files from the cache `/cache/wheel` to `/venv/site-packages`: the system does not permit hardlinks to the cache's files (Operation not permitted (os error 1)); falling back to copy, which is slower and uses more disk space. Pass --link-mode=copy to silence this warning");
    }

    #[test]
    fn display_is_the_cli_value() {
        assert_eq!(LinkMode::Hardlink.to_string(), "hardlink");
        #[cfg(not(target_os = "macos"))]
        assert_eq!(LinkMode::default(), LinkMode::Hardlink);
    }
}
