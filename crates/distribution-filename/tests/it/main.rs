//! Integration tests for `distribution-filename`.

mod properties;
