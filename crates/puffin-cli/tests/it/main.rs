//! Integration tests of the `puffin` binary, one module per command.

// Tests print `Skipping: <why>` when a fixture is missing.
#![allow(clippy::print_stdout)]

mod common;
mod conformance;
mod hostile_inputs;
mod pip_compile;
mod pip_freeze;
mod pip_sync;
mod pip_uninstall;
mod reliability;
mod store;
mod venv;
