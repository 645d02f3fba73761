//! Build wheels, editable wheels and metadata from a Python source tree
//! already on disk: puffin's build frontend ([PEP 517], [PEP 518],
//! [PEP 660]).
//!
//! [`Builder::build`] reads the tree's `pyproject.toml` (`[build-system]`,
//! with pip's defaults for a tree without one), creates an isolated
//! environment (or uses the target one, [`Isolation::Shared`]), has the
//! caller's [`BuildContext`] install the build requirements and what
//! `get_requires_for_build_*` adds, then calls the backend's hooks through a
//! small Python shim of its own, one process per hook, killed with its
//! process group after the [`BuildOptions::timeout`]. [`Builder::metadata`]
//! prepares the core metadata the same way, falling back to building the
//! wheel. A failure is an [`Error`] that displays `Failed to build: <what>`,
//! caused by a [`BuildError`] that carries the end of the backend's output
//! ([`BuildOutput`]).
//!
//! Unpacking source distributions and checking out repositories is the
//! caller's job; so are resolving and installing (through
//! [`BuildContext`], implemented by `puffin-installer`).
//!
//! [PEP 517]: https://peps.python.org/pep-0517/
//! [PEP 518]: https://peps.python.org/pep-0518/
//! [PEP 660]: https://peps.python.org/pep-0660/

mod builder;
mod config_settings;
mod environment;
mod error;
mod hook;
mod metadata;
mod output;
mod pyproject;

pub use builder::{
    BuildContext, BuildKind, BuildOptions, Builder, CONCURRENT_BUILDS_VAR, InstallFuture,
    Isolation, default_concurrency,
};
pub use config_settings::{ConfigSettingEntry, ConfigSettingError, ConfigSettings};
pub use error::{BuildError, Error};
pub use metadata::BuiltMetadata;
pub use output::{BuildOutput, OUTPUT_LINES};
