//! Uninstall many distributions from one environment, in parallel, through
//! their RECORD files (`installed-files.txt` for an `.egg-info`).

use install_wheel_rs::{Layout, Transaction, Uninstallation};
use rayon::prelude::*;
use tracing::instrument;

use crate::{InstalledDist, InstalledKind};

/// A distribution that could not be uninstalled.
#[derive(Debug, thiserror::Error)]
pub enum UninstallFailure {
    /// The distribution has no list of its files (an `.egg-info` without
    /// `installed-files.txt`, from distutils or an old `setup.py install`).
    #[error(
        "Cannot uninstall `{name}` {version}: it was installed without a list of its files (`{}` has no `installed-files.txt`); remove it with the tool that installed it",
        path.display()
    )]
    NoRecord {
        /// The distribution name.
        name: String,
        /// The distribution version.
        version: String,
        /// Its `.egg-info`.
        path: std::path::PathBuf,
    },
    /// Removing its files failed.
    #[error("Failed to uninstall: {name} @ {version}")]
    Uninstall {
        /// The distribution name.
        name: String,
        /// The distribution version.
        version: String,
        /// Why.
        #[source]
        err: Box<install_wheel_rs::Error>,
    },
}

/// Uninstalls distributions from the environment described by a [`Layout`].
#[derive(Debug)]
pub struct Uninstaller<'a> {
    layout: &'a Layout,
    transaction: Option<&'a Transaction>,
}

impl<'a> Uninstaller<'a> {
    /// An uninstaller for the environment described by `layout`.
    pub fn new(layout: &'a Layout) -> Self {
        Self {
            layout,
            transaction: None,
        }
    }

    /// Uninstall within `transaction`: files are moved into its journal
    /// (deleted when it commits, put back when it rolls back).
    #[must_use]
    pub fn with_transaction(mut self, transaction: &'a Transaction) -> Self {
        self.transaction = Some(transaction);
        self
    }

    /// Uninstall every distribution, across distributions in parallel (their
    /// files are disjoint). Every distribution is attempted; the results are
    /// in the order given.
    #[instrument(skip_all, fields(dists = dists.len()))]
    pub fn uninstall(
        &self,
        dists: &[&InstalledDist],
    ) -> Vec<Result<Uninstallation, UninstallFailure>> {
        dists
            .par_iter()
            .map(|dist| {
                // An `.egg-info` is removed through its `installed-files.txt`
                // (as pip does); without one (distutils, or a bare
                // directory) nothing says which files are its own.
                if dist.kind == InstalledKind::EggInfo && !dist.has_record() {
                    return Err(UninstallFailure::NoRecord {
                        name: dist.name.to_string(),
                        version: dist.version.to_string(),
                        path: dist.path.clone(),
                    });
                }
                install_wheel_rs::uninstall_wheel_with(self.layout, &dist.path, self.transaction)
                    .map_err(|err| UninstallFailure::Uninstall {
                        name: dist.name.to_string(),
                        version: dist.version.to_string(),
                        err: Box::new(err),
                    })
            })
            .collect()
    }

    /// [`Uninstaller::uninstall`], returning the first failure once every
    /// distribution was attempted. Files a RECORD lists outside the
    /// environment are left alone and logged.
    pub fn uninstall_all(&self, dists: &[&InstalledDist]) -> Result<(), UninstallFailure> {
        let mut first_failure = None;
        for result in self.uninstall(dists) {
            match result {
                Ok(uninstallation) => {
                    for skipped in &uninstallation.skipped {
                        tracing::warn!(path = %skipped.display(), "Not removed: the RECORD entry points outside the environment");
                    }
                }
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        first_failure.map_or(Ok(()), Err)
    }
}
