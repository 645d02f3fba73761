//! Install many wheels into one environment: the inventory of what is
//! installed ([`SitePackages`]), the [`Plan`] of a sync, unzipping wheels into
//! the shared cache ([`unzip_wheel`], validated and published atomically),
//! finding warm cache entries without the network ([`find_cached_wheel`]), the
//! parallel [`Installer`], and the [`EnvironmentLock`].

mod check;
mod installer;
mod lock;
mod plan;
mod registry_cache;
mod site_packages;
mod uninstaller;
mod unzip;

pub use check::{FileProblem, FilesReport, RequirementProblem, check_files, check_requirements};
pub use installer::{CachedWheel, InstallFailure, InstallReport, Installer};
pub use lock::{EnvironmentLock, LOCK_FILENAME, clean_leftovers};
pub use plan::{
    InstallReason, PROTECTED_PACKAGES, Plan, PlanError, PlanOptions, PlannedInstall,
    PlannedRequirement, Reinstall, SyncRequirement, WheelSource, exact_pin,
};
pub use registry_cache::{
    ARCHIVE_HASH_FILENAME, CachedEntry, entry_manifest, find_cached_wheel, read_archive_hash,
    write_archive_hash,
};
pub use site_packages::{
    InstalledDist, InstalledKind, SitePackages, SitePackagesError, SitePackagesWarning,
};
pub use uninstaller::{UninstallFailure, Uninstaller};
pub use unzip::{
    EntryNameError, EntryStatus, UnzipError, UnzipOutcome, UnzipWarning, clean_stale_temp_dirs,
    unzip_wheel, verify_entry,
};
