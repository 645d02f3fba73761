//! All-or-nothing changes to an environment: a journal in site-packages
//! records every file an install adds and every file an install or uninstall
//! replaces, so that a failed, cancelled or killed run can be undone.
//!
//! The journal is the directory `<purelib>/.puffin-txn/`. Each install or
//! uninstall of one distribution is an *operation* `<n>-install` or
//! `<n>-uninstall`, kept in two entries of the journal: `<op>.paths` (every
//! path it may touch, NUL-terminated, written before the path is touched)
//! and a directory `<op>.moved/` holding, as `<op>.moved/<i>`, what was at
//! path `i` before (made on the op's first move: a fresh install has none).
//! Files are moved aside by rename, never copied. (Journals of earlier
//! versions kept an op in a directory `<op>/` with `paths`, `moved/` and a
//! `linking` file; recovery reads them too.)
//!
//! Nothing is fsync'd per file: only the journal's state changes are, each
//! before the step that depends on it, so that after a power loss recovery
//! finds everything it needs:
//!
//! 1. begun: the journal directory exists (site-packages fsync'd);
//! 2. an op recorded paths: the `.paths` file (fdatasync), and on its first
//!    record the journal (fsync: the file's entry), before any of those
//!    paths is touched, so every file moved aside has its path;
//! 3. an install op moved aside what was at its destinations: `.moved/`
//!    (its entry fsync'd in the journal when it is made, before the first
//!    rename into it) is fsync'd before the linking record (`L`) is appended
//!    to `.paths`, and the record (fdatasync) before the first file is
//!    linked, so a durable record always means the destinations hold only
//!    new files;
//! 4. committed: the environment's filesystem is synced (`syncfs` on Linux,
//!    one call: the linked files and RECORDs are on disk) before the journal
//!    is renamed to `.puffin-txn-committed`, and site-packages is fsync'd
//!    after, so a durable commit always means a complete new environment.
//!
//! A rename is one metadata update of the filesystem's journal (ext4, XFS),
//! so making its target directory durable also makes the removal from its
//! source directory durable; the source directories are not fsync'd.
//!
//! An install op first moves aside whatever is at its destinations, then
//! appends the linking record, then links. Rolling it back removes its
//! destinations only when the record exists (everything there is new),
//! truncates it away (fdatasync), then renames back what was moved. An
//! uninstall op moves its files aside instead of deleting them; rolling it
//! back renames them back. Ops are undone in reverse order, and every step
//! can be repeated, so a rollback that is itself killed is finished by
//! [`recover`].

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use fs_err as fs;
use rayon::prelude::*;
use tracing::{debug, trace, warn};

use crate::{Error, Layout};

/// The journal directory's name inside purelib.
pub const JOURNAL_DIR: &str = ".puffin-txn";
/// The journal's name once the transaction committed.
const COMMITTED_DIR: &str = ".puffin-txn-committed";
/// The suffix of an op's list of paths, `<n>-<kind>.paths` in the journal.
const PATHS_SUFFIX: &str = ".paths";
/// The suffix of an op's directory of what it moved aside.
const MOVED_SUFFIX: &str = ".moved";
/// Appended to an install op's paths once it moved aside everything at its
/// destinations (no path is empty, so it is no path).
const LINKING_RECORD: &[u8] = b"L\0";
/// Journals of earlier versions kept each op in a directory `<n>-<kind>/`
/// holding these; recovery still reads them.
const OLD_PATHS_FILE: &str = "paths";
const OLD_MOVED_DIR: &str = "moved";
const OLD_LINKING_MARKER: &str = "linking";
/// Ops with at least this many paths move them aside in parallel.
const PARALLEL_THRESHOLD: usize = 200;

/// The bit of [`Cancellation`] set while a transaction changes the environment.
const CHANGING: u8 = 1;
/// The bit of [`Cancellation`] set once cancelled.
const CANCELLED: u8 = 2;

/// A flag that asks running work to stop: checked between file operations,
/// it makes the current transaction fail and roll back. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Cancellation(Arc<AtomicU8>);

impl Cancellation {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the work to stop. Returns whether a transaction is changing the
    /// environment: then wait for its rollback; otherwise nothing was
    /// changed and no transaction will begin, so the caller may exit at once.
    pub fn cancel(&self) -> bool {
        self.0.fetch_or(CANCELLED, Ordering::SeqCst) & CHANGING != 0
    }

    /// Whether [`Cancellation::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed) & CANCELLED != 0
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<(), TransactionError> {
        if self.is_cancelled() {
            return Err(TransactionError::Cancelled);
        }
        Ok(())
    }

    /// Mark a transaction as changing the environment, unless cancelled.
    fn start_changing(&self) -> Result<(), TransactionError> {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |state| {
                (state & CANCELLED == 0).then_some(state | CHANGING)
            })
            .map(|_| ())
            .map_err(|_| TransactionError::Cancelled)
    }

    fn stop_changing(&self) {
        self.0.fetch_and(!CHANGING, Ordering::SeqCst);
    }
}

/// What can go wrong in a transaction.
#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    /// The work was cancelled (Ctrl-C); the transaction is rolled back.
    #[error("The operation was cancelled")]
    Cancelled,
    /// A journal of an unfinished transaction is in the way.
    #[error(
        "The environment has an unfinished transaction at `{path}`: run any puffin command that changes the environment to finish it"
    )]
    Unfinished {
        /// The journal directory.
        path: PathBuf,
    },
    /// A file could not be moved into the journal.
    #[error("Failed to move `{from}` aside to `{to}`")]
    MoveAside {
        /// The file in the environment.
        from: PathBuf,
        /// Its place in the journal.
        to: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
    /// A file could not be restored from the journal.
    #[error("Failed to restore `{to}` from `{from}`")]
    Restore {
        /// The file in the journal.
        from: PathBuf,
        /// Its place in the environment.
        to: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
    /// The journal could not be written or read.
    #[error("Failed to update the journal at `{path}`")]
    Journal {
        /// The journal file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        err: io::Error,
    },
}

impl TransactionError {
    fn journal(path: &Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |err| Self::Journal {
            path: path.to_path_buf(),
            err,
        }
    }
}

/// What a rollback undid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollback {
    /// Files and `.dist-info` directories added by the transaction, removed.
    pub removed: usize,
    /// Files and `.dist-info` directories put back where they were.
    pub restored: usize,
}

impl fmt::Display for Rollback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.removed == 0 && self.restored == 0 {
            return f.write_str("nothing had changed yet");
        }
        let files = |count: usize| if count == 1 { "file" } else { "files" };
        write!(
            f,
            "{} new {} removed, {} {} put back",
            self.removed,
            files(self.removed),
            self.restored,
            files(self.restored)
        )
    }
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// An interrupted transaction that had not committed was rolled back:
    /// the environment is as it was before it.
    RolledBack(Rollback),
    /// A transaction that had committed was interrupted while it removed its
    /// journal: the removal was finished.
    Completed,
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RolledBack(rollback) => write!(
                f,
                "Rolled back an interrupted change to the environment ({rollback})"
            ),
            Self::Completed => f.write_str(
                "Finished the cleanup of an interrupted change to the environment, which had completed",
            ),
        }
    }
}

/// A change to one environment that commits or rolls back as a whole. Pass
/// it to [`crate::install_wheel`] (in [`crate::InstallOptions`]) and
/// [`crate::uninstall_wheel_with`]; the ops of one transaction may run in
/// parallel. Dropped without [`Transaction::commit`], it rolls back.
#[derive(Debug)]
pub struct Transaction {
    journal: PathBuf,
    /// The journal directory, open for fsyncs of its entries (an `open` and
    /// a `close` fewer per op).
    #[cfg(unix)]
    journal_dir: fs::File,
    roots: Vec<PathBuf>,
    /// The `roots` that existed when the transaction began.
    existing_roots: Vec<PathBuf>,
    next_op: AtomicUsize,
    cancellation: Cancellation,
    finished: bool,
}

impl Transaction {
    /// Start a transaction on the environment `layout`: create its journal
    /// in purelib (fsync'd). Fails when `cancellation` is already set, or
    /// when an unfinished journal exists (call [`recover`] first, while
    /// holding the environment's lock).
    pub fn begin(layout: &Layout, cancellation: Cancellation) -> Result<Self, Error> {
        let site_packages = &layout.scheme.purelib;
        for name in [JOURNAL_DIR, COMMITTED_DIR] {
            let path = site_packages.join(name);
            if fs::symlink_metadata(&path).is_ok() {
                return Err(TransactionError::Unfinished { path }.into());
            }
        }
        cancellation.start_changing()?;
        let journal = site_packages.join(JOURNAL_DIR);
        let created = fs::create_dir_all(site_packages)
            .and_then(|()| fs::create_dir(&journal))
            .and_then(|()| sync_dir(site_packages))
            .map_err(TransactionError::journal(&journal));
        #[cfg(unix)]
        let created = created
            .and_then(|()| fs::File::open(&journal).map_err(TransactionError::journal(&journal)));
        let journal_dir = match created {
            Ok(journal_dir) => journal_dir,
            Err(err) => {
                cancellation.stop_changing();
                return Err(err.into());
            }
        };
        #[cfg(not(unix))]
        let () = journal_dir;
        debug!(journal = %journal.display(), "Began a transaction");
        let roots: Vec<PathBuf> = layout.scheme.dirs().map(Path::to_path_buf).to_vec();
        let existing_roots = roots.iter().filter(|root| root.is_dir()).cloned().collect();
        Ok(Self {
            journal,
            #[cfg(unix)]
            journal_dir,
            roots,
            existing_roots,
            next_op: AtomicUsize::new(0),
            cancellation,
            finished: false,
        })
    }

    /// The flag that cancels this transaction's work.
    pub fn cancellation(&self) -> &Cancellation {
        &self.cancellation
    }

    /// Make the changes permanent: sync the environment's filesystem (so
    /// the new files are on disk), rename the journal to committed
    /// (fsync'd), then remove it with everything moved aside. A failure to
    /// remove it is left to the next [`recover`].
    pub fn commit(mut self) -> Result<(), Error> {
        self.finished = true;
        let committed = self.journal.with_file_name(COMMITTED_DIR);
        let result = sync_filesystem(&self.journal)
            .and_then(|()| fs::rename(&self.journal, &committed))
            .and_then(|()| sync_dir(self.journal.parent().unwrap_or(Path::new("."))))
            .map_err(TransactionError::journal(&self.journal));
        if let Err(err) = result {
            self.cancellation.stop_changing();
            return Err(err.into());
        }
        debug!("Committed the transaction");
        // Still "changing" while the journal goes: a signal now must not
        // exit in the middle of it (the sync has committed and finishes).
        if let Err(err) = fs::remove_dir_all(&committed) {
            warn!(%err, "Failed to remove the journal of a committed transaction");
        }
        self.cancellation.stop_changing();
        Ok(())
    }

    /// Undo every op, newest first, then remove the journal. On an error the
    /// journal is kept, for [`recover`] to try again.
    pub fn rollback(mut self) -> Result<Rollback, Error> {
        self.finished = true;
        let result = roll_back_journal(&self.journal, &self.roots);
        self.cancellation.stop_changing();
        result
    }

    /// Remove `files` (absolute paths in the environment) as part of the
    /// transaction: they are moved into the journal, put back by a
    /// rollback and deleted by the commit; directories left empty are
    /// removed (and recreated by a rollback that puts files back into
    /// them). Missing files and directories among `files` are skipped.
    /// Returns how many files were moved.
    pub fn remove_files(&self, files: &[PathBuf]) -> Result<usize, Error> {
        let removed = self.op(OpKind::Uninstall)?.remove_files(files)?;
        let parents: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|file| file.parent().map(Path::to_path_buf))
            .collect();
        remove_empty_dirs(&parents, &self.roots);
        Ok(removed)
    }

    /// Make the journal's entries durable (a state change of the journal).
    fn sync_journal(&self) -> Result<(), Error> {
        #[cfg(unix)]
        self.journal_dir
            .sync_all()
            .map_err(TransactionError::journal(&self.journal))?;
        Ok(())
    }

    /// Start an op of `kind`.
    pub(crate) fn op(&self, kind: OpKind) -> Result<Op<'_>, Error> {
        let number = self.next_op.fetch_add(1, Ordering::Relaxed);
        let name = format!("{number:06}-{}", kind.name());
        let moved = self.journal.join(format!("{name}{MOVED_SUFFIX}"));
        let paths_file = self.journal.join(format!("{name}{PATHS_SUFFIX}"));
        let file = fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&paths_file)
            .map_err(TransactionError::journal(&paths_file))?;
        Ok(Op {
            transaction: self,
            moved,
            moved_made: AtomicBool::new(false),
            state: Mutex::new(OpState {
                file,
                count: 0,
                paths_file,
            }),
        })
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.finished {
            // A panic or an early return of the embedder: never leave the
            // environment half changed.
            if let Err(err) = roll_back_journal(&self.journal, &self.roots) {
                warn!(%err, "Failed to roll back a dropped transaction");
            }
            self.cancellation.stop_changing();
        }
    }
}

/// The kind of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Install,
    Uninstall,
}

impl OpKind {
    fn name(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Uninstall => "uninstall",
        }
    }
}

/// What was at a path when an op moved it aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aside {
    /// It was moved into the journal.
    Moved,
    /// Nothing was there.
    Missing,
    /// A directory, which is left alone (a file entry never replaces one).
    Directory,
}

/// Which directories are missing, with as few probes as possible: the
/// answers are kept by the directory's bytes (hashing a `Path` parses its
/// components), and a directory whose parent is missing is missing too.
/// The walk up stops at the environment's directories (`roots`): they are
/// probed themselves, not their parents up to `/`, and those that existed
/// when the transaction began (`existing`) are not probed at all (nothing
/// removes them).
struct MissingDirs<'a> {
    known: HashMap<&'a OsStr, bool>,
    roots: &'a [PathBuf],
}

impl<'a> MissingDirs<'a> {
    fn new(roots: &'a [PathBuf], existing: &'a [PathBuf]) -> Self {
        Self {
            known: existing
                .iter()
                .map(|dir| (dir.as_os_str(), false))
                .collect(),
            roots,
        }
    }

    fn is_missing(&mut self, dir: &'a Path) -> bool {
        if let Some(&missing) = self.known.get(dir.as_os_str()) {
            return missing;
        }
        let parent_missing = dir
            .parent()
            .filter(|parent| {
                !self.roots.iter().any(|root| root == dir)
                    && self
                        .roots
                        .iter()
                        .any(|root| puffin_fs::is_within(parent, root))
            })
            .is_some_and(|parent| self.is_missing(parent));
        #[allow(clippy::disallowed_methods)] // A probe: missing is the usual case.
        let missing = parent_missing || std::fs::symlink_metadata(dir).is_err();
        self.known.insert(dir.as_os_str(), missing);
        missing
    }
}

/// The kind of entry a path of an op is: a file, or a `.dist-info`
/// directory (moved and removed whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathKind {
    File,
    DistInfo,
}

struct OpState {
    file: fs::File,
    count: usize,
    paths_file: PathBuf,
}

/// One install or uninstall in a transaction.
pub(crate) struct Op<'a> {
    transaction: &'a Transaction,
    moved: PathBuf,
    /// Whether `moved/` exists: it is made on the first move, so a fresh
    /// install (nothing to move) costs no directory, fsync or cleanup.
    moved_made: AtomicBool,
    state: Mutex<OpState>,
}

impl OpState {
    /// Append `bytes` to the paths file and make them durable (fdatasync).
    fn append(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(TransactionError::journal(&self.paths_file))?;
        Ok(())
    }
}

impl Op<'_> {
    /// The op's paths file and count (a panic elsewhere leaves them usable).
    fn state(&self) -> std::sync::MutexGuard<'_, OpState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Record `paths` (each before it is touched); returns the index of the
    /// first. One write and one fdatasync (a state change of the journal:
    /// recovery needs the path of everything moved aside); the first record
    /// of an op also makes the file's entry in the journal durable.
    pub(crate) fn record<P: AsRef<Path>>(&self, paths: &[(PathKind, P)]) -> Result<usize, Error> {
        if paths.is_empty() {
            return Ok(self.state().count);
        }
        let mut bytes = Vec::new();
        for (entry, path) in paths {
            bytes.push(match entry {
                PathKind::File => b'f',
                PathKind::DistInfo => b'd',
            });
            bytes.extend_from_slice(&path_bytes(path.as_ref()));
            bytes.push(0);
        }
        let mut state = self.state();
        let first = state.count;
        state.append(&bytes)?;
        if first == 0 {
            self.transaction.sync_journal()?;
        }
        state.count += paths.len();
        Ok(first)
    }

    /// Move what is at `path` (recorded as `index`) into the journal, unless
    /// it is missing, or a directory and `entry` is a file.
    pub(crate) fn move_aside(
        &self,
        index: usize,
        entry: PathKind,
        path: &Path,
    ) -> Result<Aside, Error> {
        self.transaction.cancellation.check()?;
        let to = self.moved.join(index.to_string());
        #[allow(clippy::disallowed_methods)] // NotFound is the usual case: no message to build.
        let metadata = match std::fs::symlink_metadata(path) {
            Ok(metadata) => metadata,
            Err(err) if is_missing(&err) => return Ok(Aside::Missing),
            Err(err) => {
                return Err(TransactionError::MoveAside {
                    from: path.to_path_buf(),
                    to,
                    err,
                }
                .into());
            }
        };
        if metadata.is_dir() && entry == PathKind::File {
            return Ok(Aside::Directory);
        }
        self.make_moved_dir()?;
        #[allow(clippy::disallowed_methods)] // Wrapped with both paths.
        std::fs::rename(path, &to).map_err(|err| TransactionError::MoveAside {
            from: path.to_path_buf(),
            to,
            err,
        })?;
        trace!(path = %path.display(), "Moved aside");
        Ok(Aside::Moved)
    }

    /// The offsets in `paths` of those whose directory exists: only they
    /// can hold anything. Files come grouped by directory, so a directory
    /// is looked up once per run of its files.
    fn present<P: AsRef<Path>>(&self, paths: &[(PathKind, P)]) -> Vec<usize> {
        let mut missing_dirs =
            MissingDirs::new(&self.transaction.roots, &self.transaction.existing_roots);
        let mut last: Option<(&Path, bool)> = None;
        let mut present = Vec::new();
        for (offset, (_, path)) in paths.iter().enumerate() {
            let Some(parent) = path.as_ref().parent() else {
                present.push(offset);
                continue;
            };
            let missing = match last {
                Some((dir, missing)) if dir == parent => missing,
                _ => missing_dirs.is_missing(parent),
            };
            last = Some((parent, missing));
            if !missing {
                present.push(offset);
            }
        }
        present
    }

    /// Make the op's `.moved` directory before the first move, with its
    /// entry in the journal durable before anything is renamed into it.
    fn make_moved_dir(&self) -> Result<(), Error> {
        if self.moved_made.load(Ordering::Acquire) {
            return Ok(());
        }
        let _state = self.state();
        if !self.moved_made.load(Ordering::Acquire) {
            fs::create_dir(&self.moved).map_err(TransactionError::journal(&self.moved))?;
            self.transaction.sync_journal()?;
            self.moved_made.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Record the destinations of an install and move aside what is at
    /// them; after this, everything at them is the install's own.
    ///
    /// A path whose directory does not exist needs no look, and neither does
    /// a directory whose parent does not exist: a fresh install costs one
    /// `lstat` per directory that exists and per topmost missing one, not per
    /// file or per directory. (Uninstalls run before installs, so a missing
    /// directory never hid a file of the environment.)
    pub(crate) fn prepare_install<P: AsRef<Path> + Sync>(
        &self,
        paths: &[(PathKind, P)],
    ) -> Result<(), Error> {
        let first = self.record(paths)?;
        let present = self.present(paths);
        let aside = |&offset: &usize| {
            let (entry, path) = &paths[offset];
            self.move_aside(first + offset, *entry, path.as_ref())
                .map(|_| ())
        };
        // Only the looks are parallel: a fresh install has none to make.
        if present.len() >= PARALLEL_THRESHOLD {
            present.par_iter().try_for_each(aside)?;
        } else {
            present.iter().try_for_each(aside)?;
        }
        // The marker says "everything at the destinations is new": it must
        // not reach the disk before the moves do, and linking must not
        // start before it does.
        if self.moved_made.load(Ordering::Acquire) {
            sync_dir(&self.moved).map_err(TransactionError::journal(&self.moved))?;
        }
        self.state().append(LINKING_RECORD)
    }

    /// Record `files` and move each into the journal (missing ones and
    /// directories are skipped); returns how many were moved.
    pub(crate) fn remove_files(&self, files: &[PathBuf]) -> Result<usize, Error> {
        let entries: Vec<(PathKind, PathBuf)> = files
            .iter()
            .map(|file| (PathKind::File, file.clone()))
            .collect();
        let first = self.record(&entries)?;
        let mut moved = 0;
        for (offset, file) in files.iter().enumerate() {
            if self.move_aside(first + offset, PathKind::File, file)? == Aside::Moved {
                moved += 1;
            }
        }
        Ok(moved)
    }
}

/// Finish what an interrupted transaction left in the environment `layout`:
/// remove the journal of one that committed, roll back one that did not.
/// Call while holding the environment's lock, before any change. `None`
/// when there was nothing to do.
pub fn recover(layout: &Layout) -> Result<Option<Recovery>, Error> {
    let site_packages = &layout.scheme.purelib;
    let committed = site_packages.join(COMMITTED_DIR);
    let journal = site_packages.join(JOURNAL_DIR);
    let mut recovery = None;
    if fs::symlink_metadata(&committed).is_ok() {
        fs::remove_dir_all(&committed).map_err(TransactionError::journal(&committed))?;
        recovery = Some(Recovery::Completed);
    }
    if fs::symlink_metadata(&journal).is_ok() {
        let roots: Vec<PathBuf> = layout.scheme.dirs().map(Path::to_path_buf).to_vec();
        let rollback = roll_back_journal(&journal, &roots)?;
        recovery = Some(Recovery::RolledBack(rollback));
    }
    if let Some(recovery) = &recovery {
        debug!(%recovery, "Recovered an interrupted transaction");
    }
    Ok(recovery)
}

/// Undo the ops of the journal at `journal`, newest first, then remove it.
fn roll_back_journal(journal: &Path, roots: &[PathBuf]) -> Result<Rollback, Error> {
    let mut ops: Vec<OpFiles> = Vec::new();
    for entry in fs::read_dir(journal).map_err(TransactionError::journal(journal))? {
        let entry = entry.map_err(TransactionError::journal(journal))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        ops.extend(OpFiles::find(journal, &name));
    }
    ops.sort_by_key(|op| std::cmp::Reverse(op.number));
    let mut total = Rollback::default();
    let mut first_error = None;
    for op in &ops {
        match roll_back_op(op, roots) {
            Ok(rollback) => {
                total.removed += rollback.removed;
                total.restored += rollback.restored;
            }
            Err(err) => {
                warn!(op = %op.paths.display(), %err, "Failed to roll back an operation");
                first_error.get_or_insert(err);
            }
        }
    }
    if let Some(err) = first_error {
        return Err(err);
    }
    fs::remove_dir_all(journal).map_err(TransactionError::journal(journal))?;
    debug!(
        removed = total.removed,
        restored = total.restored,
        "Rolled back"
    );
    Ok(total)
}

/// Where one op of a journal keeps its records.
struct OpFiles {
    number: usize,
    kind: OpKind,
    /// The list of paths.
    paths: PathBuf,
    /// What it moved aside, as `<index>` (may not exist).
    moved: PathBuf,
    /// The linking marker of the old layout (a file); `None` when it is a
    /// record of `paths`.
    marker: Option<PathBuf>,
}

impl OpFiles {
    /// The op whose paths are the journal entry `name`: `<n>-<kind>.paths`,
    /// or an op directory `<n>-<kind>` of the old layout. `None` for other
    /// entries (such as `.moved` directories).
    fn find(journal: &Path, name: &str) -> Option<Self> {
        let (stem, old) = match name.strip_suffix(PATHS_SUFFIX) {
            Some(stem) => (stem, false),
            None => (name, true),
        };
        let (number, kind) = stem.split_once('-')?;
        let kind = match kind {
            "install" => OpKind::Install,
            "uninstall" => OpKind::Uninstall,
            _ => return None,
        };
        let number = number.parse().ok()?;
        Some(if old {
            let dir = journal.join(name);
            Self {
                number,
                kind,
                paths: dir.join(OLD_PATHS_FILE),
                moved: dir.join(OLD_MOVED_DIR),
                marker: Some(dir.join(OLD_LINKING_MARKER)),
            }
        } else {
            Self {
                number,
                kind,
                paths: journal.join(name),
                moved: journal.join(format!("{stem}{MOVED_SUFFIX}")),
                marker: None,
            }
        })
    }

    /// Whether an install op had moved aside everything at its
    /// destinations (so that they hold only new files).
    fn is_linking(&self, recorded: &Recorded) -> bool {
        match &self.marker {
            Some(marker) => fs::symlink_metadata(marker).is_ok(),
            None => recorded.linking_at.is_some(),
        }
    }

    /// Forget the linking marker, durably: from here on the destinations
    /// may hold restored files again.
    fn clear_linking(&self, recorded: &Recorded) -> Result<(), Error> {
        let result = match (&self.marker, recorded.linking_at) {
            (Some(marker), _) => fs::remove_file(marker).map_err(TransactionError::journal(marker)),
            (None, Some(offset)) => fs::OpenOptions::new()
                .write(true)
                .open(&self.paths)
                .and_then(|file| {
                    file.set_len(offset)?;
                    file.sync_data()
                })
                .map_err(TransactionError::journal(&self.paths)),
            (None, None) => Ok(()),
        };
        Ok(result?)
    }
}

/// Undo one op: remove what an install added (only once it moved aside
/// everything at its destinations), then rename back what was moved aside.
fn roll_back_op(op: &OpFiles, roots: &[PathBuf]) -> Result<Rollback, Error> {
    let recorded = read_paths(&op.paths)?;
    let mut rollback = Rollback::default();
    if op.kind == OpKind::Install && op.is_linking(&recorded) {
        let mut parents = BTreeSet::new();
        for (entry, path) in &recorded.paths {
            if remove_added(*entry, path)? {
                rollback.removed += 1;
            }
            if let Some(parent) = path.parent() {
                parents.insert(parent.to_path_buf());
            }
        }
        remove_empty_dirs(&parents, roots);
        op.clear_linking(&recorded)?;
    }
    for (index, (_, path)) in recorded.paths.iter().enumerate() {
        let from = op.moved.join(index.to_string());
        if fs::symlink_metadata(&from).is_err() {
            continue;
        }
        let restore = |err| TransactionError::Restore {
            from: from.clone(),
            to: path.clone(),
            err,
        };
        if let Some(parent) = path.parent() {
            #[allow(clippy::disallowed_methods)] // Wrapped with both paths.
            std::fs::create_dir_all(parent).map_err(restore)?;
        }
        #[allow(clippy::disallowed_methods)] // Wrapped with both paths.
        std::fs::rename(&from, path).map_err(restore)?;
        rollback.restored += 1;
    }
    Ok(rollback)
}

/// Remove what an install put at `path`: a file, or its `.dist-info`.
/// A directory at a file's path is not the install's (it failed there).
fn remove_added(entry: PathKind, path: &Path) -> Result<bool, Error> {
    #[allow(clippy::disallowed_methods)] // NotFound is the usual case.
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return Ok(false);
    };
    match (entry, metadata.is_dir()) {
        (PathKind::File, true) => Ok(false),
        (PathKind::DistInfo, true) => {
            fs::remove_dir_all(path)?;
            Ok(true)
        }
        (_, false) => {
            fs::remove_file(path)?;
            trace!(path = %path.display(), "Removed added file");
            Ok(true)
        }
    }
}

/// Remove the directories of `dirs` that are empty, deepest first, climbing
/// while they empty out; never a scheme directory or one of its parents.
pub(crate) fn remove_empty_dirs(dirs: &BTreeSet<PathBuf>, roots: &[PathBuf]) -> usize {
    let mut removed = 0;
    for dir in dirs.iter().rev() {
        let mut dir = dir.as_path();
        while roots
            .iter()
            .any(|root| dir != root && dir.starts_with(root))
            && !roots.iter().any(|root| root.starts_with(dir))
        {
            #[allow(clippy::disallowed_methods)] // Not empty is the usual failure.
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
            trace!(dir = %dir.display(), "Removed empty directory");
            removed += 1;
            let Some(parent) = dir.parent() else { break };
            dir = parent;
        }
    }
    removed
}

/// An op's paths file, read back.
#[derive(Debug, Default, PartialEq, Eq)]
struct Recorded {
    /// The paths, by index.
    paths: Vec<(PathKind, PathBuf)>,
    /// Where the linking record starts, when an install op wrote it.
    linking_at: Option<u64>,
}

/// Read an op's paths file. A last record without its NUL was cut short by
/// a kill and is ignored; a missing file means the op was killed while
/// being created and did nothing.
fn read_paths(file: &Path) -> Result<Recorded, Error> {
    let bytes = match fs::read(file) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Recorded::default()),
        Err(err) => return Err(TransactionError::journal(file)(err).into()),
    };
    let mut recorded = Recorded::default();
    let mut offset = 0;
    for part in bytes.split_inclusive(|byte| *byte == 0) {
        let start = offset;
        offset += part.len();
        let Some(record) = part.strip_suffix(&[0]) else {
            break;
        };
        match record.split_first() {
            Some((b'L', [])) => recorded.linking_at = Some(start as u64),
            Some((kind, path)) => {
                let entry = if *kind == b'd' {
                    PathKind::DistInfo
                } else {
                    PathKind::File
                };
                recorded.paths.push((entry, path_from_bytes(path)));
            }
            None => {}
        }
    }
    Ok(recorded)
}

fn is_missing(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(libc::ENOTDIR)
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(path.as_os_str().as_bytes())
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Owned(path.to_string_lossy().into_owned().into_bytes())
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Make everything written to the filesystem holding `path` durable: on
/// Linux one `syncfs`, elsewhere an fsync of `path`'s directory.
fn sync_filesystem(path: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let dir = fs::File::open(path)?;
        // SAFETY: `syncfs` only reads the descriptor, which `dir` keeps open.
        #[allow(unsafe_code)]
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            // The caller names the path.
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    sync_dir(path)
}

/// Make a directory's entries durable (a state change of the journal).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk up stops at the nearest root (site-packages, not the prefix
    /// above it), and a root that existed at `begin` is not probed.
    #[test]
    fn missing_dirs_stop_at_the_nearest_root() {
        let root = tempfile::tempdir().unwrap();
        let prefix = root.path().to_path_buf();
        let site_packages = prefix.join("lib/site-packages");
        fs::create_dir_all(&site_packages).unwrap();
        let roots = [prefix.clone(), site_packages.clone()];
        let mut dirs = MissingDirs::new(&roots, &[]);
        let sub = site_packages.join("pkg/sub");
        assert!(dirs.is_missing(&sub));
        assert_eq!(dirs.known.get(site_packages.as_os_str()), Some(&false));
        // Between the two roots nothing was looked at.
        assert!(!dirs.known.contains_key(prefix.join("lib").as_os_str()));
        assert!(!dirs.known.contains_key(prefix.as_os_str()));
        // A root that existed when the transaction began is not probed.
        let gone = prefix.join("bin");
        let existing = [gone.clone()];
        let roots = [gone.clone()];
        let mut dirs = MissingDirs::new(&roots, &existing);
        let under = gone.join("sub");
        assert!(!dirs.is_missing(&gone));
        assert!(dirs.is_missing(&under));
    }

    /// A directory under a missing one is missing without a look; one that
    /// exists, or a file's parent, is found as it is.
    #[test]
    fn missing_dirs_follow_their_parents() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("a/b")).unwrap();
        let deep = root.path().join("x/y/z");
        let existing = root.path().join("a/b");
        let under_existing = root.path().join("a/c");
        let roots = [root.path().to_path_buf()];
        let mut dirs = MissingDirs::new(&roots, &[]);
        assert!(dirs.is_missing(&deep));
        assert!(!dirs.is_missing(&existing));
        assert!(dirs.is_missing(&under_existing));
        // Nothing above the root was looked at.
        let above = root.path().parent().unwrap();
        assert!(
            dirs.known
                .keys()
                .all(|dir| !above.starts_with(Path::new(dir)))
        );
        assert!(dirs.known.contains_key(root.path().as_os_str()));
        // The answers are kept: creating the directory now changes nothing.
        fs::create_dir_all(&deep).unwrap();
        assert!(dirs.is_missing(&deep));
        assert!(dirs.is_missing(deep.parent().unwrap()));
    }

    /// A kill while an op appended to its `paths` file leaves a last entry
    /// without its NUL: nothing was done to that path, so it is left out.
    #[test]
    fn a_cut_short_last_path_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("000000-install.paths");
        fs::write(&file, b"f/venv/a.py\0d/venv/demo-1.0.dist-info\0f/venv/b.p").unwrap();
        let expected = [
            (PathKind::File, PathBuf::from("/venv/a.py")),
            (
                PathKind::DistInfo,
                PathBuf::from("/venv/demo-1.0.dist-info"),
            ),
        ];
        let recorded = read_paths(&file).unwrap();
        assert_eq!(recorded.paths, expected);
        assert_eq!(recorded.linking_at, None);
        // The linking record is no path, and a cut-short one is no record.
        fs::write(&file, b"f/venv/a.py\0d/venv/demo-1.0.dist-info\0L").unwrap();
        assert_eq!(read_paths(&file).unwrap().linking_at, None);
        fs::write(&file, b"f/venv/a.py\0d/venv/demo-1.0.dist-info\0L\0").unwrap();
        let recorded = read_paths(&file).unwrap();
        assert_eq!(recorded.paths, expected);
        assert_eq!(recorded.linking_at, Some(38));
    }

    #[test]
    fn cancelling_before_a_transaction_lets_the_caller_exit() {
        let cancellation = Cancellation::new();
        assert!(!cancellation.cancel());
        assert!(cancellation.start_changing().is_err());

        let cancellation = Cancellation::new();
        cancellation.start_changing().unwrap();
        assert!(cancellation.cancel());
        assert!(cancellation.is_cancelled());
    }
}
