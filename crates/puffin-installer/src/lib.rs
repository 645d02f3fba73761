//! TODO: see docs/ARCHITECTURE.md for this crate's job and API.

mod unzip;

pub use unzip::{
    EntryNameError, EntryStatus, UnzipError, UnzipOutcome, UnzipWarning, clean_stale_temp_dirs,
    unzip_wheel, verify_entry,
};
