//! Integration tests for `requirements-txt`.

mod markers;
mod properties;
mod snapshots;
