//! TODO: see docs/ARCHITECTURE.md for this crate's job and API.

mod site_packages;
mod unzip;

pub use site_packages::{
    InstalledDist, InstalledKind, SitePackages, SitePackagesError, SitePackagesWarning,
};
pub use unzip::{
    EntryNameError, EntryStatus, UnzipError, UnzipOutcome, UnzipWarning, clean_stale_temp_dirs,
    unzip_wheel, verify_entry,
};
