//! `pip-sync`'s arguments as the library's [`SyncOptions`].

use std::path::PathBuf;

use puffin_client::{IndexArgs, Refresh};
#[cfg(debug_assertions)]
use puffin_installer::FaultAction;
use puffin_installer::{
    CompileOptions, InstallTarget, LinkFault, Reinstall, SyncOptions, TargetPython,
};

use super::PipSyncArgs;

impl PipSyncArgs {
    /// Where to install.
    pub(super) fn install_target(&self) -> InstallTarget {
        let absolute = |dir: &PathBuf| std::path::absolute(dir).unwrap_or(dir.clone());
        match (&self.target, &self.prefix) {
            (Some(dir), _) => InstallTarget::Directory(absolute(dir)),
            (None, Some(dir)) => InstallTarget::Prefix(absolute(dir)),
            (None, None) => InstallTarget::Environment,
        }
    }

    /// The library's options.
    pub(super) fn options(&self) -> SyncOptions {
        let reinstall = if self.reinstall {
            Reinstall::All
        } else if self.reinstall_package.is_empty() {
            Reinstall::None
        } else {
            Reinstall::Packages(self.reinstall_package.iter().cloned().collect())
        };
        let refresh = if self.refresh {
            Refresh::All
        } else if self.refresh_package.is_empty() {
            Refresh::None
        } else {
            Refresh::Packages(self.refresh_package.iter().cloned().collect())
        };
        SyncOptions {
            link_mode: self.link_mode.unwrap_or_default(),
            reinstall,
            offline: self.offline,
            refresh,
            dry_run: self.dry_run || self.check,
            require_hashes: self.require_hashes,
            index: IndexArgs {
                index_url: self.index_url.clone(),
                extra_index_urls: self.extra_index_url.clone(),
                find_links: self.find_links.clone(),
                no_index: self.no_index,
                network: self.network.to_client(),
            },
            compile_bytecode: self.compile_bytecode.then(|| CompileOptions {
                timeout: std::time::Duration::from_secs(self.compile_timeout),
                ..CompileOptions::default()
            }),
            target: self.install_target(),
            python: TargetPython {
                platform: self.python_platform.clone(),
                version: self.python_version,
            },
            build: self.build.options(),
            fix_orphans: self.fix,
            keep_unlisted: false,
            fault: test_fault(),
        }
    }
}

/// Test hook, in debug builds only: `PUFFIN_TEST_FAULT_AFTER_FILES=N` makes
/// linking file `N` of every wheel fail with EIO, and
/// `PUFFIN_TEST_ABORT_AFTER_FILES=N` aborts the process there (as SIGKILL
/// would). A release build never reads these variables.
#[cfg(debug_assertions)]
fn test_fault() -> Option<LinkFault> {
    let after = |name: &str| std::env::var(name).ok()?.parse::<usize>().ok();
    if let Some(after_files) = after("PUFFIN_TEST_FAULT_AFTER_FILES") {
        return Some(LinkFault {
            after_files,
            action: FaultAction::Fail(libc::EIO),
        });
    }
    after("PUFFIN_TEST_ABORT_AFTER_FILES").map(|after_files| LinkFault {
        after_files,
        action: FaultAction::Abort,
    })
}

/// Release builds have no test hooks.
#[cfg(not(debug_assertions))]
fn test_fault() -> Option<LinkFault> {
    None
}
