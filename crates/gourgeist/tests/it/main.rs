//! Integration tests: environments created from a fake interpreter (layout,
//! `--clear`) and from the real Python on `PATH` (they must work).

// Tests print `Skipping: <why>` when no Python is available.
#![allow(clippy::print_stdout)]

mod layout;
mod real;
