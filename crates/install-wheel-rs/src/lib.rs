//! Install one unzipped wheel into one Python environment, and uninstall it.
//!
//! [`install_wheel`] follows the [binary distribution format] (PEP 427/491):
//! it checks the wheel's `.dist-info`, links the files from the cache into the
//! environment's [`Scheme`] with a [`Linker`] (clone, hardlink or copy, with an
//! explicit fallback chain), writes launchers for entry points, and records the
//! install as [recording installed projects] (PEP 376/627) says, the
//! `.dist-info` last. [`uninstall_wheel`] removes what RECORD lists, confined to
//! the scheme directories. [`WheelManifest`] is the file list stored with each
//! unzipped wheel in the cache, so installs never walk the tree. A
//! [`Transaction`] makes many installs and uninstalls all-or-nothing: a
//! journal in site-packages lets it roll back on an error or a
//! [`Cancellation`], and lets [`recover`] finish one that was killed.
//!
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/

mod dist_info;
mod error;
mod install;
mod layout;
mod linker;
mod manifest;
mod record;
mod scripts;
mod transaction;
mod uninstall;

pub use dist_info::InstallWarning;
pub use error::{Error, LinkError};
pub use install::{InstallOptions, Installation, check_unpacked_wheel, install_wheel};
pub use layout::{Layout, Scheme};
pub use linker::{FaultAction, LinkFallback, LinkFault, LinkMode, Linker};
pub use manifest::{MANIFEST_FILENAME, ManifestError, ManifestFile, WheelManifest, hash_file};
pub use record::{RecordEntry, RecordError, read_record, write_record};
pub use transaction::{
    Cancellation, JOURNAL_DIR, Recovery, Rollback, Transaction, TransactionError, recover,
};
pub use uninstall::{Uninstallation, uninstall_wheel, uninstall_wheel_with};
