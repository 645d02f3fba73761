//! Fetching git repositories into the cache and checking out commits.
//!
//! Layout of the `git-v0` bucket:
//!
//! - `db/<digest>/`: one bare repository per repository URL (the digest of
//!   [`GitUrl::canonical`]), holding the remote's `HEAD`, branches and tags
//!   under `refs/puffin/` (`HEAD`, `heads/*`, `tags/*`, `commits/*`);
//! - `db/<digest>.lock`: locked exclusively while the database is created,
//!   fetched into, or checked out from;
//! - `checkouts/<digest>/<commit>/`: a checkout of one commit (with its own
//!   `.git`, so that tools such as `setuptools-scm` see the history), with
//!   submodules; published by renaming a complete temporary directory
//!   (`checkouts/<digest>/.tmp*`), so a half-written checkout is never visible.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_fs::{LockMode, LockedFile};
use tracing::{debug, instrument};

use super::command::{Git, default_program, git_dir_arg};
use super::url::GitUrl;
use crate::error::{Error, GitError};

/// How git is run.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// The git program: `git` (found on `PATH`) by default.
    pub program: PathBuf,
}

impl Default for GitOptions {
    fn default() -> Self {
        Self {
            program: default_program(),
        }
    }
}

/// A checkout of one commit of a repository, in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCheckout {
    /// The full commit hash (40 lowercase hexadecimal digits, 64 in a
    /// SHA-256 repository).
    pub commit: String,
    /// The root of the checkout (the repository's top, whatever the URL's
    /// subdirectory).
    pub path: PathBuf,
    /// The URL's `#subdirectory=`, normalized.
    pub subdirectory: Option<String>,
}

impl GitCheckout {
    /// The root of the project's source tree: the checkout with the URL's
    /// subdirectory applied.
    pub fn source_root(&self) -> PathBuf {
        match &self.subdirectory {
            Some(subdirectory) => self.path.join(subdirectory),
            None => self.path.clone(),
        }
    }
}

/// Check out `url` in the cache (`cache_root_git` is
/// `cache.bucket(CacheBucket::Git)`) with the `git` found on `PATH`; see
/// [`fetch_with`].
pub fn fetch(cache_root_git: &Path, url: &GitUrl, offline: bool) -> Result<GitCheckout, Error> {
    fetch_with(cache_root_git, url, offline, &GitOptions::default())
}

/// Check out `url` in the cache, fetching what is missing.
///
/// The revision is resolved to a commit: none is the remote's `HEAD`; else a
/// branch, then a tag, then a full or abbreviated commit hash, in that order.
/// A full commit hash that is already checked out needs neither git nor the
/// network; one already in the repository's database needs no fetch. Any
/// other revision is fetched anew (branches move), except `offline`, where
/// the database answers from its last fetch, and a revision it cannot
/// resolve is an error.
///
/// If the commit has a `.gitmodules`, `git submodule update --init
/// --recursive` runs in the checkout before it is published (best effort in
/// what it supports: relative submodule URLs resolve against the repository
/// URL without its credentials, and `file://` submodules are allowed only
/// when the repository itself is a `file://` one). Its failure is an error.
///
/// git runs with `GIT_TERMINAL_PROMPT=0`, no askpass program and no standard
/// input, so a missing HTTP credential fails instead of prompting; the user's
/// git configuration (credential helpers, `insteadOf`) applies. `ssh` is run
/// as the user configured it (a key needing a passphrase may still ask on the
/// terminal). Errors carry git's standard error, credentials masked.
#[instrument(skip_all, fields(url = %url))]
pub fn fetch_with(
    cache_root_git: &Path,
    url: &GitUrl,
    offline: bool,
    options: &GitOptions,
) -> Result<GitCheckout, Error> {
    let key = puffin_cache::digest(url.canonical().as_bytes());
    let source = Source {
        git: Git {
            program: &options.program,
            url: url.redacted(),
        },
        url,
        db: cache_root_git.join("db").join(&key),
        checkouts: cache_root_git.join("checkouts").join(&key),
        offline,
    };
    let full_commit = url.rev().filter(|rev| is_full_commit(rev));
    if let Some(commit) = full_commit {
        let path = source.checkouts.join(commit.to_ascii_lowercase());
        if path.is_dir() {
            debug!(commit, "The commit is checked out already");
            return source.checkout(commit.to_ascii_lowercase(), path);
        }
    }
    let lock_path = cache_root_git.join("db").join(format!("{key}.lock"));
    create_dir_all(lock_path.parent().unwrap_or(cache_root_git))?;
    let _lock = LockedFile::acquire(&lock_path, LockMode::Exclusive, || {
        debug!(lock = %lock_path.display(), "Waiting for another process using the repository");
    })
    .map_err(|err| GitError::Cache {
        action: "lock",
        path: lock_path.clone(),
        err,
    })?;
    source.ensure_db()?;
    let commit = source.resolve()?;
    let path = source.checkouts.join(&commit);
    if !path.is_dir() {
        source.create_checkout(&commit, &path)?;
    }
    source.checkout(commit, path)
}

/// Whether a revision is a full commit hash (SHA-1 or SHA-256).
fn is_full_commit(rev: &str) -> bool {
    matches!(rev.len(), 40 | 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

fn create_dir_all(path: &Path) -> Result<(), GitError> {
    fs::create_dir_all(path).map_err(|err| GitError::Cache {
        action: "create",
        path: path.to_path_buf(),
        err,
    })
}

/// One fetch of one URL.
struct Source<'a> {
    git: Git<'a>,
    url: &'a GitUrl,
    /// The bare database.
    db: PathBuf,
    /// The directory of the repository's checkouts.
    checkouts: PathBuf,
    offline: bool,
}

impl Source<'_> {
    fn offline_error(&self) -> GitError {
        GitError::Offline {
            url: self.git.url.clone(),
            rev: self.url.rev().map(str::to_string),
        }
    }

    /// The result for a checkout at `path`, after checking the subdirectory.
    fn checkout(&self, commit: String, path: PathBuf) -> Result<GitCheckout, Error> {
        let checkout = GitCheckout {
            commit,
            path,
            subdirectory: self.url.subdirectory().map(str::to_string),
        };
        if let Some(subdirectory) = &checkout.subdirectory
            && !checkout.source_root().is_dir()
        {
            return Err(GitError::MissingSubdirectory {
                url: self.git.url.clone(),
                commit: checkout.commit,
                subdirectory: subdirectory.clone(),
            }
            .into());
        }
        Ok(checkout)
    }

    /// Create the bare database if it is missing: initialized in a temporary
    /// directory and renamed into place, so a database is always complete.
    fn ensure_db(&self) -> Result<(), GitError> {
        if self.db.join("HEAD").is_file() {
            return Ok(());
        }
        if self.offline {
            return Err(self.offline_error());
        }
        let parent = self.db.parent().unwrap_or(&self.db);
        let temp = tempfile::Builder::new()
            .prefix(".tmp")
            .tempdir_in(parent)
            .map_err(|err| GitError::Cache {
                action: "create a temporary directory in",
                path: parent.to_path_buf(),
                err,
            })?;
        self.git.run(&[
            OsStr::new("init"),
            OsStr::new("--bare"),
            OsStr::new("--quiet"),
            temp.path().as_os_str(),
        ])?;
        fs::rename(temp.path(), &self.db).map_err(|err| GitError::Cache {
            action: "publish the repository database",
            path: self.db.clone(),
            err,
        })?;
        let _ = temp.keep();
        Ok(())
    }

    /// `git --git-dir=<db> <args>`.
    fn db_args<'s>(&self, db_arg: &'s OsStr, args: &[&'s OsStr]) -> Vec<&'s OsStr> {
        let mut all = vec![db_arg];
        all.extend_from_slice(args);
        all
    }

    /// The commit `rev` names in the database, if any.
    fn rev_parse(&self, rev: &str) -> Result<Option<String>, GitError> {
        let db_arg = git_dir_arg(&self.db);
        let spec = format!("{rev}^{{commit}}");
        let args = self.db_args(
            &db_arg,
            &[
                OsStr::new("rev-parse"),
                OsStr::new("--verify"),
                OsStr::new("--quiet"),
                OsStr::new("--end-of-options"),
                OsStr::new(&spec),
            ],
        );
        let commit = self.git.query(&args)?;
        Ok(commit.filter(|commit| is_full_commit(commit)))
    }

    /// Resolve the URL's revision to a full commit, fetching if needed.
    fn resolve(&self) -> Result<String, GitError> {
        let rev = self.url.rev();
        if let Some(commit) = rev.filter(|rev| is_full_commit(rev)) {
            let commit = commit.to_ascii_lowercase();
            if self.rev_parse(&commit)?.is_some() {
                return Ok(commit);
            }
            if self.offline {
                return Err(self.offline_error());
            }
            // Servers may refuse a commit by hash; the refs then bring it.
            let refspec = format!("+{commit}:refs/puffin/commits/{commit}");
            if !self.fetch_refspecs(&[&refspec], false)? {
                self.fetch_all()?;
            }
        } else if !self.offline {
            self.fetch_all()?;
        }
        match self.resolve_in_db(rev)? {
            Some(commit) => Ok(commit),
            None if self.offline => Err(self.offline_error()),
            None => Err(GitError::UnknownRev {
                url: self.git.url.clone(),
                rev: rev.unwrap_or("HEAD").to_string(),
            }),
        }
    }

    /// The commit of a revision in the database: `HEAD`, then a branch, a
    /// tag, or a (possibly abbreviated) commit hash.
    fn resolve_in_db(&self, rev: Option<&str>) -> Result<Option<String>, GitError> {
        let Some(rev) = rev else {
            return self.rev_parse("refs/puffin/HEAD");
        };
        for namespace in ["refs/puffin/heads", "refs/puffin/tags"] {
            if let Some(commit) = self.rev_parse(&format!("{namespace}/{rev}"))? {
                return Ok(Some(commit));
            }
        }
        if rev.len() >= 4 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.rev_parse(&rev.to_ascii_lowercase());
        }
        Ok(None)
    }

    /// Fetch the remote's `HEAD`, branches and tags.
    fn fetch_all(&self) -> Result<(), GitError> {
        let refspecs = [
            "+HEAD:refs/puffin/HEAD",
            "+refs/heads/*:refs/puffin/heads/*",
            "+refs/tags/*:refs/puffin/tags/*",
        ];
        self.fetch_refspecs(&refspecs, true).map(drop)
    }

    /// Fetch `refspecs` into the database. A failure is an error if `report`,
    /// else `Ok(false)`.
    fn fetch_refspecs(&self, refspecs: &[&str], report: bool) -> Result<bool, GitError> {
        debug!(url = %self.git.url, ?refspecs, "Fetching");
        let db_arg = git_dir_arg(&self.db);
        let mut args = self.db_args(
            &db_arg,
            &[
                OsStr::new("fetch"),
                OsStr::new("--force"),
                OsStr::new("--quiet"),
                OsStr::new("--no-tags"),
                OsStr::new("--"),
                OsStr::new(self.url.repository().as_str()),
            ],
        );
        args.extend(refspecs.iter().map(OsStr::new));
        if report {
            self.git.run(&args).map(|_| true)
        } else {
            Ok(self.git.query(&args)?.is_some())
        }
    }

    /// Check `commit` out from the database into `path`: cloned (objects
    /// hardlinked) into a temporary directory next to it, its submodules
    /// updated, then renamed into place. A concurrent process that published
    /// the same checkout first wins; that is not an error.
    fn create_checkout(&self, commit: &str, path: &Path) -> Result<(), GitError> {
        create_dir_all(&self.checkouts)?;
        let temp = tempfile::Builder::new()
            .prefix(".tmp")
            .tempdir_in(&self.checkouts)
            .map_err(|err| GitError::Cache {
                action: "create a temporary directory in",
                path: self.checkouts.clone(),
                err,
            })?;
        let work = temp.path().as_os_str();
        let run = |args: &[&str]| {
            let mut all = vec![OsStr::new("-C"), work];
            all.extend(args.iter().map(OsStr::new));
            self.git.run(&all)
        };
        self.git.run(&[
            OsStr::new("clone"),
            OsStr::new("--local"),
            OsStr::new("--no-checkout"),
            OsStr::new("--quiet"),
            OsStr::new("--"),
            self.db.as_os_str(),
            work,
        ])?;
        run(&["checkout", "--quiet", "--detach", commit])?;
        // Relative submodule URLs resolve against this, not the database.
        run(&["remote", "set-url", "origin", &self.url.canonical()])?;
        if temp.path().join(".gitmodules").is_file() {
            debug!(commit, "Updating submodules");
            let allow_file = if self.url.repository().scheme() == "file" {
                "protocol.file.allow=always"
            } else {
                "protocol.file.allow=user"
            };
            run(&[
                "-c",
                allow_file,
                "submodule",
                "update",
                "--init",
                "--recursive",
            ])?;
        }
        match fs::rename(temp.path(), path) {
            Ok(()) => {
                let _ = temp.keep();
                Ok(())
            }
            Err(_) if path.is_dir() => Ok(()),
            Err(err) => Err(GitError::Cache {
                action: "publish the checkout",
                path: path.to_path_buf(),
                err,
            }),
        }
    }
}
