//! The sync pipeline as a library: [`Sync`] makes an environment contain
//! exactly what some requirements list, reporting progress through a
//! [`Reporter`]. Its steps are public too: the inventory of what is installed
//! ([`SitePackages`]), the [`Plan`], the [`Preparer`] that turns missing
//! distributions into verified entries of the wheel store (find, download,
//! hash, unzip, publish), the parallel [`Installer`] and [`Uninstaller`], and
//! the [`EnvironmentLock`]. A sync changes the environment in one
//! transaction: on an error or a [`Cancellation`] it is rolled back, and a
//! run that was killed is finished by [`recover_environment`] under the next
//! lock. Files of installs interrupted before the journal existed are
//! [`Orphans`]: reported in the [`SyncReport`] and, with
//! [`SyncOptions::fix_orphans`], removed in the sync's transaction.

mod build;
mod check;
mod compile;
mod error;
mod installer;
mod lock;
mod orphans;
mod plan;
mod preparer;
mod pylock;
mod reporter;
mod requirements;
mod site_packages;
mod sources;
mod sync;
mod target;
mod uninstaller;

pub use build::{BuildOptions, Builds};
pub use check::{
    FileProblem, FilesReport, RequirementProblem, check_files, check_requirements, unowned_files,
};
pub use compile::{CompileOptions, CompileReport, compile_bytecode};
pub use error::Error;
pub use install_wheel_rs::{Cancellation, FaultAction, LinkFault, Recovery, Rollback};
pub use installer::{CachedWheel, InstallFailure, InstallReport, Installer};
pub use lock::{EnvironmentLock, LOCK_FILENAME, clean_leftovers, recover_environment};
pub use orphans::{Orphans, find_orphans};
pub use plan::{
    InstallReason, PROTECTED_PACKAGES, Plan, PlanError, PlanOptions, PlannedInstall,
    PlannedRequirement, Reinstall, SyncRequirement, WheelSource, exact_pin,
};
pub use preparer::{PrepareOptions, Prepared, Preparer};
pub use reporter::{Lock, Phase, Reporter, SilentReporter};
pub use site_packages::{
    InstalledDist, InstalledKind, SitePackages, SitePackagesError, SitePackagesWarning,
};
pub use sources::{BuildSource, GitSource};
pub use sync::{Sync, SyncOptions, SyncReport, SyncRequirements};
pub use target::{InstallTarget, TargetPython};
pub use uninstaller::{UninstallFailure, Uninstaller};
