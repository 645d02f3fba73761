//! Resolutions against the local test index and find-links directories.

mod common;
mod find_links;
mod index;
mod python;
mod sources;
