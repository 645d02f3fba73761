//! Integration tests of the `puffin` binary, one module per command.

// Tests print `Skipping: <why>` when a fixture is missing.
#![allow(clippy::print_stdout)]

mod bytecode;
mod checks;
mod common;
mod conformance;
mod constraints_and_cache;
mod hostile_inputs;
mod network;
mod output;
mod pip_compile;
mod pip_freeze;
mod pip_install;
mod pip_sync;
mod pip_uninstall;
mod pylock;
mod reliability;
mod sources;
mod store;
mod target;
mod venv;
