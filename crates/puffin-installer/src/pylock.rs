//! PEP 751 lock files in a sync: what a lock installs is chosen for the
//! environment being synced ([`puffin_lock::PyLock::select`]: its markers
//! and wheel tags, which `--python-platform`/`--python-version` change),
//! then given to the plan like the lines of a requirements file: a wheel as
//! `name @ <url>` with the lock's hashes as `--hash` values (so the wheel is
//! checked), an `sdist` or `archive` as a source archive with its hashes, a
//! `vcs` entry as a `git+` URL at its commit, a `directory` as a project
//! path (editable if the lock says so). The `vcs` and `directory` entries
//! have no file to hash, and are exempt from pip's `--require-hashes` rule.

use std::path::Path;
use std::str::FromStr;

use pep508_rs::Requirement;
use puffin_lock::{LockError, LockTarget, LockedDist, LockedSource};
use requirements_txt::SourceEntry;
use url::Url;

use crate::{Error, Sync, SyncRequirement, SyncRequirements};

impl Sync<'_> {
    /// `requirements` with what their lock files install for this sync's
    /// target added; `None` (costing nothing) when there is no lock.
    pub(crate) fn expand_locks(
        &self,
        requirements: &SyncRequirements,
    ) -> Result<Option<SyncRequirements>, Error> {
        if requirements.locks.is_empty() {
            return Ok(None);
        }
        let tags = self.tags()?;
        let markers = self.markers();
        let python_version = self.python_version();
        let mut expanded = SyncRequirements {
            locks: Vec::new(),
            ..requirements.clone()
        };
        for (path, lock) in &requirements.locks {
            let target = LockTarget {
                path,
                markers: &markers,
                tags: &tags,
                python_version: &python_version,
            };
            let selection = lock.select(&target)?;
            for dist in selection.dists {
                add_dist(&mut expanded, path, dist)?;
            }
        }
        Ok(Some(expanded))
    }
}

/// One locked package as a requirement or a source to build.
fn add_dist(
    requirements: &mut SyncRequirements,
    path: &Path,
    dist: LockedDist,
) -> Result<(), Error> {
    let line = dist.line.unwrap_or(0);
    let origin = format!("{}:{line}", path.display());
    let source = |url: Url, editable| SourceEntry {
        target: url.to_string(),
        url,
        name: Some(dist.name.to_string()),
        extras: Vec::new(),
        marker: None,
        editable,
        hashes: dist.hashes.clone(),
        file: path.to_path_buf(),
        line,
    };
    let entry = match &dist.source {
        LockedSource::Wheel(url) => {
            let requirement = Requirement::from_str(&format!("{} @ {url}", dist.name))
                .map_err(|_| invalid(path, &dist, url.as_str()))?;
            requirements.requirements.push(SyncRequirement {
                requirement,
                hashes: dist.hashes.clone(),
                origin,
                build: None,
            });
            return Ok(());
        }
        LockedSource::Archive(url) => source(url.clone(), false),
        LockedSource::Git(url) => {
            requirements.hash_exempt.insert(origin);
            source(url.clone(), false)
        }
        LockedSource::Directory {
            path: dir,
            editable,
        } => {
            requirements.hash_exempt.insert(origin);
            let url = Url::from_file_path(dir)
                .map_err(|()| invalid(path, &dist, &dir.display().to_string()))?;
            source(url, *editable)
        }
    };
    requirements.sources.push(entry);
    Ok(())
}

/// A location of the lock that cannot be installed from.
fn invalid(path: &Path, dist: &LockedDist, value: &str) -> Error {
    Error::Lock(Box::new(LockError::Invalid {
        path: path.to_path_buf(),
        what: "the location",
        place: format!("package `{}`", dist.name),
        value: value.to_string(),
    }))
}
