//! The `[build-system]` table of `pyproject.toml` ([PEP 518], [PEP 517]).
//!
//! [PEP 518]: https://peps.python.org/pep-0518/#build-system-table
//! [PEP 517]: https://peps.python.org/pep-0517/#source-trees

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use fs_err as fs;
use pep508_rs::Requirement;
use toml::{Table, Value};

use crate::BuildError;

/// The backend pip uses for a tree without `build-backend`: setuptools,
/// running `setup.py` the way `setup.py bdist_wheel` would.
pub(crate) const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";

/// The build requirements pip uses for a tree without `[build-system]`.
pub(crate) const LEGACY_REQUIRES: &str = "setuptools>=40.8.0";

/// How to build a source tree: what to install and which backend to call.
#[derive(Debug, Clone)]
pub(crate) struct BuildSystem {
    /// `build-system.requires`.
    pub(crate) requires: Vec<Requirement>,
    /// `build-system.build-backend` (`module` or `module:object`).
    pub(crate) backend: String,
    /// `build-system.backend-path`, each entry absolute and inside the tree.
    pub(crate) backend_path: Vec<PathBuf>,
}

impl BuildSystem {
    /// Read `pyproject.toml` in `source_tree` (which must be absolute).
    ///
    /// As pip does: without the file, or without a `[build-system]` table,
    /// the legacy setuptools backend with `setuptools>=40.8.0`; with the
    /// table but no `build-backend`, the legacy backend with the table's
    /// `requires`. A table without `requires` is an error (PEP 518 makes it
    /// mandatory).
    pub(crate) fn read(source_tree: &Path) -> Result<Self, BuildError> {
        let path = source_tree.join("pyproject.toml");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Self::legacy()),
            Err(err) => return Err(BuildError::ReadPyproject { path, err }),
        };
        let table = Table::from_str(&text).map_err(|err| BuildError::ParsePyproject {
            path: path.clone(),
            err: Box::new(err),
        })?;
        let Some(build_system) = table.get("build-system") else {
            return Ok(Self::legacy());
        };
        let invalid = |reason: &str| BuildError::InvalidBuildSystem {
            path: path.clone(),
            reason: reason.to_string(),
        };
        let Value::Table(build_system) = build_system else {
            return Err(invalid("`build-system` must be a table"));
        };

        let requires = build_system.get("requires").ok_or_else(|| {
            invalid("the mandatory `requires` key is missing (use `requires = []` for none)")
        })?;
        let requires = string_list(requires)
            .ok_or_else(|| invalid("`requires` must be a list of strings"))?
            .into_iter()
            .map(|requirement| {
                Requirement::from_str(requirement).map_err(|err| BuildError::InvalidRequirement {
                    path: path.clone(),
                    requirement: requirement.to_string(),
                    err: Box::new(err),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let backend = match build_system.get("build-backend") {
            None => LEGACY_BACKEND.to_string(),
            Some(Value::String(backend)) if !backend.trim().is_empty() => {
                backend.trim().to_string()
            }
            Some(_) => return Err(invalid("`build-backend` must be a non-empty string")),
        };

        let backend_path = match build_system.get("backend-path") {
            None => Vec::new(),
            Some(entries) => string_list(entries)
                .ok_or_else(|| invalid("`backend-path` must be a list of strings"))?
                .into_iter()
                .map(|entry| backend_path_entry(source_tree, &path, entry))
                .collect::<Result<Vec<_>, _>>()?,
        };

        Ok(Self {
            requires,
            backend,
            backend_path,
        })
    }

    /// The build system of a tree that does not declare one.
    fn legacy() -> Self {
        Self {
            requires: vec![
                Requirement::from_str(LEGACY_REQUIRES).expect("the default requirement is valid"),
            ],
            backend: LEGACY_BACKEND.to_string(),
            backend_path: Vec::new(),
        }
    }
}

/// The strings of a TOML array, `None` when it is not an array of strings.
fn string_list(value: &Value) -> Option<Vec<&str>> {
    value
        .as_array()?
        .iter()
        .map(Value::as_str)
        .collect::<Option<Vec<_>>>()
}

/// One `backend-path` entry made absolute.
///
/// PEP 517: "Projects can specify that their backend code is hosted in-tree
/// ... paths must be relative to the project root and must not escape it."
/// As pip does, the entry is joined to the tree and normalized lexically
/// (`..` removed), and the result must be the tree or inside it; an absolute
/// entry is accepted only when it names a path inside the tree.
fn backend_path_entry(
    source_tree: &Path,
    pyproject: &Path,
    entry: &str,
) -> Result<PathBuf, BuildError> {
    let tree = puffin_fs::normalize_path(source_tree);
    let resolved = puffin_fs::normalize_path(&tree.join(entry));
    if !resolved.starts_with(&tree) {
        return Err(BuildError::BackendPathOutsideTree {
            path: pyproject.to_path_buf(),
            entry: entry.to_string(),
        });
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pyproject: Option<&str>) -> (tempfile::TempDir, Result<BuildSystem, BuildError>) {
        let temp = tempfile::tempdir().unwrap();
        if let Some(pyproject) = pyproject {
            fs::write(temp.path().join("pyproject.toml"), pyproject).unwrap();
        }
        let result = BuildSystem::read(temp.path());
        (temp, result)
    }

    fn requires(system: &BuildSystem) -> Vec<String> {
        system.requires.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn no_pyproject_is_the_legacy_backend() {
        let (_temp, system) = read(None);
        let system = system.unwrap();
        assert_eq!(system.backend, LEGACY_BACKEND);
        assert_eq!(requires(&system), ["setuptools>=40.8.0"]);
    }

    #[test]
    fn no_build_system_table_is_the_legacy_backend() {
        let (_temp, system) = read(Some("[project]\nname = \"a\"\n"));
        let system = system.unwrap();
        assert_eq!(system.backend, LEGACY_BACKEND);
        assert_eq!(requires(&system), ["setuptools>=40.8.0"]);
    }

    #[test]
    fn no_build_backend_keeps_the_requires() {
        let (_temp, system) = read(Some("[build-system]\nrequires = [\"flit_core>=3\"]\n"));
        let system = system.unwrap();
        assert_eq!(system.backend, LEGACY_BACKEND);
        assert_eq!(requires(&system), ["flit-core>=3"]);
    }

    #[test]
    fn backend_and_backend_path() {
        let (temp, system) = read(Some(
            "[build-system]\nrequires = []\nbuild-backend = \"b:obj\"\nbackend-path = [\"_backend\", \".\", \"x/../y\", \"\"]\n",
        ));
        let system = system.unwrap();
        assert_eq!(system.backend, "b:obj");
        assert!(system.requires.is_empty());
        assert_eq!(
            system.backend_path,
            [
                temp.path().join("_backend"),
                temp.path().to_path_buf(),
                temp.path().join("y"),
                temp.path().to_path_buf(),
            ]
        );
    }

    #[test]
    fn invalid_tables() {
        for (pyproject, expected) in [
            (
                "[build-system]\nbuild-backend = \"b\"\n",
                "mandatory `requires`",
            ),
            (
                "[build-system]\nrequires = \"setuptools\"\n",
                "list of strings",
            ),
            ("[build-system]\nrequires = [1]\n", "list of strings"),
            ("build-system = 1\n", "must be a table"),
            (
                "[build-system]\nrequires = []\nbuild-backend = 3\n",
                "non-empty string",
            ),
            (
                "[build-system]\nrequires = []\nbackend-path = \"x\"\n",
                "`backend-path` must be",
            ),
        ] {
            let (_temp, result) = read(Some(pyproject));
            let err = result.unwrap_err();
            assert!(
                matches!(err, BuildError::InvalidBuildSystem { .. }),
                "{pyproject}: {err:?}"
            );
            assert!(err.to_string().contains(expected), "{pyproject}: {err}");
            assert!(err.to_string().contains("pyproject.toml"), "{err}");
        }
    }

    #[test]
    fn invalid_requirement_names_it() {
        let (_temp, result) = read(Some("[build-system]\nrequires = [\"not a req!\"]\n"));
        let err = result.unwrap_err();
        assert!(
            matches!(&err, BuildError::InvalidRequirement { requirement, .. } if requirement == "not a req!"),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_toml_names_the_file() {
        let (temp, result) = read(Some("[build-system\n"));
        let err = result.unwrap_err();
        assert!(matches!(err, BuildError::ParsePyproject { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains(&temp.path().join("pyproject.toml").display().to_string())
        );
    }

    #[test]
    fn backend_path_must_stay_inside() {
        for entry in ["..", "../other", "a/../../b", "/etc", "./.."] {
            let (_temp, result) = read(Some(&format!(
                "[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\"{entry}\"]\n"
            )));
            let err = result.unwrap_err();
            assert!(
                matches!(&err, BuildError::BackendPathOutsideTree { entry: found, .. } if found == entry),
                "{entry}: {err:?}"
            );
        }
    }
}
