//! Integration tests of environment discovery and the interpreter query.

// Tests print `Skipping: <why>` when a fixture is missing.
#![allow(clippy::print_stdout)]

mod common;
mod discovery;
mod query;
