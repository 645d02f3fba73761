//! Which wheels an interpreter can install, and which it prefers.
//!
//! [`Platform::current`] detects the host (operating system with its glibc,
//! musl or macOS version, and CPU architecture). [`Tags::from_env`] turns a
//! platform and an interpreter description into the list of compatible
//! [platform compatibility tags], best first, in exactly the order of
//! `packaging.tags.sys_tags()`. [`Tags::compatibility`] ranks a
//! [`WheelFilename`](distribution_filename::WheelFilename) with a few hash
//! lookups, and [`best_wheel`] picks the best of several wheels.
//!
//! [platform compatibility tags]: https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/

mod platform;
mod platform_tag;
mod tags;

pub use platform::{Arch, Os, Platform, PlatformError};
pub use tags::{TagPriority, Tags, TagsError, best_wheel, platform_tags};
