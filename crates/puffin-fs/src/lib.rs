//! Filesystem helpers shared by puffin's crates, one copy each:
//!
//! - [`temp_name`] / [`temp_sibling`]: names for temporary files next to
//!   their target, unique within the process;
//! - [`replace_via_temp`] and [`write_fresh`]: replace a file by creating the
//!   new one under a temporary name and renaming it over the old, never by
//!   truncating in place (which would write through a hardlink into the
//!   cache);
//! - [`normalize_path`]: resolve `.` and `..` lexically; [`is_within`]: a
//!   byte-wise `Path::starts_with` for joined paths;
//! - [`is_executable`]: whether any execute bit is set;
//! - [`read_small`]: read a small file whole with the fewest system calls;
//! - [`LockedFile`]: an advisory lock (`flock`) on a file, shared or
//!   exclusive, released on drop.

mod lock;
mod paths;
mod read;
mod write;

pub use lock::{LockMode, LockedFile};
pub use paths::{is_executable, is_within, normalize_path};
pub use read::{read_small, read_small_to_string};
pub use write::{
    FileMode, create_new_with_mode, replace_via_temp, temp_name, temp_sibling, write_fresh,
};
