//! Where an environment keeps each kind of installed file.

use std::path::{Path, PathBuf};

/// The install scheme of an environment: one directory per kind of file, as
/// `sysconfig.get_paths()` reports them ([binary distribution format], "the
/// `.data` directory").
///
/// [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-data-directory
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    /// Pure-Python modules, e.g. `venv/lib/python3.12/site-packages`.
    pub purelib: PathBuf,
    /// Platform-specific modules; the same directory as `purelib` in a venv
    /// on most systems.
    pub platlib: PathBuf,
    /// Scripts and entry point launchers, e.g. `venv/bin`.
    pub scripts: PathBuf,
    /// Data files, usually the environment's root, e.g. `venv`.
    pub data: PathBuf,
    /// The root for C headers, e.g. `venv/include/site/python3.12`. A wheel's
    /// headers go to `include/<project name>/`, as pip does.
    pub include: PathBuf,
}

impl Scheme {
    /// The scheme directories, in the order purelib, platlib, scripts, data,
    /// include.
    pub fn dirs(&self) -> [&Path; 5] {
        [
            &self.purelib,
            &self.platlib,
            &self.scripts,
            &self.data,
            &self.include,
        ]
    }
}

/// An environment as the installer sees it: its interpreter and its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The interpreter that launchers and rewritten `#!python` shebangs run,
    /// e.g. `venv/bin/python`.
    pub sys_executable: PathBuf,
    /// The interpreter's `(major, minor)` version.
    pub python_version: (u8, u8),
    /// Where each kind of file goes.
    pub scheme: Scheme,
}
