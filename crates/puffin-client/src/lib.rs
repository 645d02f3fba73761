//! TODO: see docs/ARCHITECTURE.md for this crate's job and API.
