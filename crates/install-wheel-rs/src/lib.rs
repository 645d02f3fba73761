//! Install one unzipped wheel into one Python environment.
//!
//! TODO(linker): the installer, linker, entry points, `.data` and uninstall land
//! here; see `docs/ARCHITECTURE.md`.

mod manifest;
mod record;

pub use manifest::{MANIFEST_FILENAME, ManifestError, ManifestFile, WheelManifest, hash_file};
pub use record::{RecordEntry, RecordError, read_record, write_record};
