//! Integration tests of `puffin-source`; fixtures are built by the tests.

// Tests print `Skipping: <why>` when something they need is missing.
#![allow(clippy::print_stdout)]

mod archive;
mod built_wheels;
mod fingerprint;
mod git;
