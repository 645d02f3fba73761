//! puffin-build's integration tests: real builds with a tiny in-tree
//! backend, run by the real `python3`, with a build context that records
//! what it is asked to install and installs nothing.

#![allow(clippy::print_stdout)] // `Skipping: ...` messages.

mod build;
mod common;
mod failures;
mod metadata;
