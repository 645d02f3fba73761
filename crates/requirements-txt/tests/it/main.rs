//! Integration tests for `requirements-txt`.

mod bounds;
mod markers;
mod properties;
mod snapshots;
