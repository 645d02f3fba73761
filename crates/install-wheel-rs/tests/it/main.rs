//! Integration tests: real wheels (built by `puffin-test-support`) installed
//! into temporary environment layouts.

#![allow(clippy::print_stdout)] // `Skipping: ...` messages.

mod common;
mod conformance;
mod errors;
mod install;
mod link_modes;
mod transaction;
mod uninstall;
