//! `puffin pip-freeze`.
