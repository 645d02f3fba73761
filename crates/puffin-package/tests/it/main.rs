//! Integration tests for `puffin-package`.

mod properties;
