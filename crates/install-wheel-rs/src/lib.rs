//! Install one unzipped wheel into one Python environment.
//!
//! TODO(linker): the installer, linker, RECORD, entry points, `.data` and
//! uninstall land here; see `docs/ARCHITECTURE.md`.

mod manifest;

pub use manifest::{MANIFEST_FILENAME, ManifestError, ManifestFile, WheelManifest, hash_file};
