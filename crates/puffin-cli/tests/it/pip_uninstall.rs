//! `puffin pip-uninstall`.
