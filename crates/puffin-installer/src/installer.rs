//! Install many cached wheels into one environment, in parallel.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use distribution_filename::WheelFilename;
use install_wheel_rs::{
    InstallOptions, Layout, LinkFallback, LinkFault, LinkMode, Linker, Transaction,
};
use rayon::prelude::*;
use tracing::instrument;

use crate::{Reporter, SilentReporter};

/// A wheel unzipped in the cache, ready to be linked into the environment.
#[derive(Debug, Clone)]
pub struct CachedWheel {
    /// The wheel's filename.
    pub filename: WheelFilename,
    /// The unzipped cache entry.
    pub path: PathBuf,
    /// The `direct_url.json` document to record, for direct URL requirements.
    pub direct_url: Option<String>,
}

/// One wheel that failed to install.
#[derive(Debug, thiserror::Error)]
#[error("Failed to install: {name} @ {version}")]
pub struct InstallFailure {
    /// The distribution name.
    pub name: String,
    /// The distribution version.
    pub version: String,
    /// Why.
    #[source]
    pub err: Box<install_wheel_rs::Error>,
}

/// What an [`Installer`] run did.
#[derive(Debug, Default)]
pub struct InstallReport {
    /// How many wheels were installed with each link mode.
    pub link_modes: BTreeMap<String, usize>,
    /// The link fallback warning, at most one per run.
    pub fallback: Option<LinkFallback>,
    /// Warnings about odd but accepted wheels.
    pub warnings: Vec<String>,
    /// The installed wheels' names, in the order given.
    pub installed: Vec<WheelFilename>,
    /// The installed `.dist-info` directories, in the same order.
    pub dist_infos: Vec<PathBuf>,
}

/// Installs many cached wheels into one environment, across wheels in parallel.
///
/// ```text
/// Installer::new(&layout).with_link_mode(LinkMode::Hardlink).install(&wheels)
/// ```
pub struct Installer<'a> {
    layout: &'a Layout,
    link_mode: LinkMode,
    installer_name: &'a str,
    reporter: Arc<dyn Reporter>,
    transaction: Option<&'a Transaction>,
    fault: Option<LinkFault>,
}

impl<'a> Installer<'a> {
    /// An installer for the environment described by `layout`, linking with the
    /// platform's default mode.
    pub fn new(layout: &'a Layout) -> Self {
        Self {
            layout,
            link_mode: LinkMode::default(),
            installer_name: "puffin",
            reporter: Arc::new(SilentReporter),
            transaction: None,
            fault: None,
        }
    }

    /// Test hook: inject `fault` into the linking of every wheel (see
    /// [`install_wheel_rs::Linker::with_fault`]).
    #[doc(hidden)]
    #[must_use]
    pub fn with_fault(mut self, fault: Option<LinkFault>) -> Self {
        self.fault = fault;
        self
    }

    /// Install within `transaction`: what the wheels replace is moved into
    /// its journal, and linking stops when its cancellation is set.
    #[must_use]
    pub fn with_transaction(mut self, transaction: &'a Transaction) -> Self {
        self.transaction = Some(transaction);
        self
    }

    /// Report each installed wheel to `reporter`.
    #[must_use]
    pub fn with_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }

    /// Link files with this mode (falling back per wheel when it is not possible).
    #[must_use]
    pub fn with_link_mode(mut self, link_mode: LinkMode) -> Self {
        self.link_mode = link_mode;
        self
    }

    /// The name written to `INSTALLER`.
    #[must_use]
    pub fn with_installer_name(mut self, installer_name: &'a str) -> Self {
        self.installer_name = installer_name;
        self
    }

    /// Install every wheel. Every wheel is attempted; failures are returned
    /// together, each wrapped as `Failed to install: <name> @ <version>`.
    #[instrument(skip_all, fields(wheels = wheels.len()))]
    pub fn install(self, wheels: &[CachedWheel]) -> Result<InstallReport, Vec<InstallFailure>> {
        let mut linker = Linker::new(self.link_mode);
        if let Some(transaction) = self.transaction {
            linker = linker.with_cancellation(transaction.cancellation().clone());
        }
        if let Some(fault) = self.fault {
            linker = linker.with_fault(fault);
        }
        let results: Vec<_> = wheels
            .par_iter()
            .map(|wheel| {
                let options = InstallOptions {
                    direct_url: wheel.direct_url.as_deref(),
                    requested: true,
                    installer: self.installer_name,
                    transaction: self.transaction,
                };
                install_wheel_rs::install_wheel(
                    self.layout,
                    &wheel.path,
                    &wheel.filename,
                    &linker,
                    &options,
                )
                .inspect(|_| self.reporter.on_install_complete(&wheel.filename))
                .map_err(|err| InstallFailure {
                    name: wheel.filename.name.to_string(),
                    version: wheel.filename.version.to_string(),
                    err: Box::new(err),
                })
            })
            .collect();

        let mut report = InstallReport::default();
        let mut failures = Vec::new();
        for (wheel, result) in wheels.iter().zip(results) {
            match result {
                Ok(installation) => {
                    *report
                        .link_modes
                        .entry(format!("{:?}", installation.link_mode).to_lowercase())
                        .or_default() += 1;
                    if report.fallback.is_none() {
                        report.fallback = installation.fallback;
                    }
                    report.warnings.extend(
                        installation
                            .warnings
                            .iter()
                            .map(|warning| format!("{}: {warning}", wheel.filename)),
                    );
                    report.installed.push(wheel.filename.clone());
                    report.dist_infos.push(installation.dist_info.clone());
                }
                Err(failure) => failures.push(failure),
            }
        }
        if failures.is_empty() {
            Ok(report)
        } else {
            Err(failures)
        }
    }
}
