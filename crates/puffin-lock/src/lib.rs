//! PEP 751 lock files (`pylock.toml`): the format as serde types
//! ([`PyLock`], written by `pip-compile -o pylock.toml`), reading one with
//! every error naming the file and the package ([`PyLock::read`]), and
//! choosing what to install from it for one environment
//! ([`PyLock::select`]: markers, `requires-python`, `environments`, the
//! wheel whose tags fit best, else the sdist; `vcs`, `directory` and
//! `archive` entries as sources to build).
//!
//! The crate knows nothing of installing: `puffin-installer` turns the
//! [`LockedDist`]s into the requirements of a sync.
//!
//! [PEP 751]: https://packaging.python.org/en/latest/specifications/pylock-toml/

mod error;
mod marker;
mod model;
mod read;
mod select;

pub use error::LockError;
pub use model::{LockDirectory, LockFile, LockPackage, LockVcs, PyLock};
pub use read::is_lock_file;
pub use select::{LockTarget, LockedDist, LockedSource, Selection};
