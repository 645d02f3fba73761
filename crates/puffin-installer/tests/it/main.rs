//! Integration tests of puffin-installer.

mod embedding;
