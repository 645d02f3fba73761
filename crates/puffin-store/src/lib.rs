//! The wheel store: every unzipped wheel is kept once, under the SHA-256 of
//! the archive it came from, and small pointer records map where an archive
//! came from to that digest.
//!
//! Layout below the cache's wheels bucket (`wheels-v1/`):
//!
//! - `<name>/<sha256 hex>/`: an entry, the unzipped wheel plus its
//!   `.puffin-manifest.json` (written before the entry's single atomic
//!   publish). Top-level names starting with `.puffin-` are refused in
//!   wheels, so nothing a wheel ships collides with the store's bookkeeping.
//! - `<name>/pointers/<kind>-<digest of the source>/<wheel stem>`: a pointer,
//!   holding the hex SHA-256 of the archive that source last served. Kinds
//!   are `index` (an index or find-links page and a filename), `url` (a direct
//!   URL) and `path` (a local file, keyed by path, size, times and inode).
//!   A pointer is replaced atomically when a source serves other bytes.
//! - `.tmp/`: every temporary directory and file (downloads, unzips, entries
//!   being removed, pointers being written), so that one sweep finds every
//!   leftover of a killed run.
//!
//! [`WheelStore`] owns all of it: finding, verifying, publishing, replacing
//! and removing entries, and the sweep.

mod error;
mod origin;
mod store;
mod sweep;

pub use error::StoreError;
pub use origin::WheelOrigin;
pub use puffin_unzip::{EntryStatus, UnzipWarning};
pub use store::{Published, StoredWheel, WheelStore};
pub use sweep::SweepReport;
