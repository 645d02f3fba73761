//! Resolutions against the local test index.

mod index;
