//! Integration tests of `puffin-source`; fixtures are built by the tests.

mod archive;
mod built_wheels;
mod fingerprint;
mod git;
