//! Where an environment keeps each kind of installed file.

use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::Error;
use puffin_fs::normalize_path;

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
    /// The root for C headers, e.g. `venv/include/site/python3.12` in a
    /// virtual environment (never the base interpreter's `include`, which
    /// `sysconfig` reports there). A wheel's headers go to
    /// `include/<project name>/`, as pip does.
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

    /// The scheme directories with their `sysconfig` names.
    fn named_dirs(&self) -> [(&'static str, &Path); 5] {
        [
            ("purelib", &self.purelib),
            ("platlib", &self.platlib),
            ("scripts", &self.scripts),
            ("data", &self.data),
            ("include", &self.include),
        ]
    }
}

/// An environment as the installer sees it: its root, its interpreter and
/// its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The environment's root (`sys.prefix`): every scheme directory lies
    /// under it (see [`Layout::check`]).
    pub prefix: PathBuf,
    /// The interpreter that launchers and rewritten `#!python` shebangs run,
    /// e.g. `venv/bin/python`.
    pub sys_executable: PathBuf,
    /// The interpreter's `(major, minor)` version.
    pub python_version: (u8, u8),
    /// Where each kind of file goes.
    pub scheme: Scheme,
}

impl Layout {
    /// Check that every scheme directory lies under [`Layout::prefix`], so
    /// that no install writes outside the environment (a virtual environment
    /// whose `include` pointed at the base interpreter's headers put them into
    /// `/usr/include`).
    ///
    /// Paths are compared lexically first and, when that fails, with symlinks
    /// resolved (a prefix reached through a symlink).
    pub fn check(&self) -> Result<(), Error> {
        let prefix = normalize_path(&self.prefix);
        for (name, dir) in self.scheme.named_dirs() {
            if normalize_path(dir).starts_with(&prefix) || resolves_under(dir, &self.prefix) {
                continue;
            }
            return Err(Error::SchemeOutsidePrefix {
                name,
                path: dir.to_path_buf(),
                prefix: self.prefix.clone(),
            });
        }
        Ok(())
    }
}

/// Whether `dir`, or its nearest existing ancestor, resolves under `prefix`
/// once symlinks are followed.
fn resolves_under(dir: &Path, prefix: &Path) -> bool {
    let Ok(prefix) = fs::canonicalize(prefix) else {
        return false;
    };
    let mut existing = dir;
    let mut rest = Vec::new();
    loop {
        if let Ok(resolved) = fs::canonicalize(existing) {
            let full = rest
                .iter()
                .rev()
                .fold(resolved, |path: PathBuf, part| path.join(part));
            return normalize_path(&full).starts_with(&prefix);
        }
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            return false;
        };
        rest.push(name.to_os_string());
        existing = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(include: &str) -> Layout {
        let site_packages = PathBuf::from("/venv/lib/python3.12/site-packages");
        Layout {
            prefix: PathBuf::from("/venv"),
            sys_executable: PathBuf::from("/venv/bin/python"),
            python_version: (3, 12),
            scheme: Scheme {
                purelib: site_packages.clone(),
                platlib: site_packages,
                scripts: PathBuf::from("/venv/bin"),
                data: PathBuf::from("/venv"),
                include: PathBuf::from(include),
            },
        }
    }

    /// A virtual environment's `sysconfig` names the base interpreter's
    /// include directory: installing headers there wrote into the system
    /// Python.
    #[test]
    fn scheme_outside_the_prefix_is_refused() {
        layout("/venv/include/site/python3.12").check().unwrap();
        let err = layout("/usr/include/python3.12").check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "The install scheme's `include` directory `/usr/include/python3.12` is outside the environment `/venv`: puffin never installs files outside the environment"
        );
        assert!(layout("/venv/../usr/include").check().is_err());
    }
}
