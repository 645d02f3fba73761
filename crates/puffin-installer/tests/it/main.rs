//! Integration tests of puffin-installer.

// Tests print `Skipping: <why>` when a fixture is missing.
#![allow(clippy::print_stdout)]

mod embedding;
mod fixture;
mod sync;
