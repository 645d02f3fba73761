//! Python projects for build tests: a `pyproject.toml` naming an in-tree
//! PEP 517/660 backend (`backend-path`), so that a build needs no index.

use std::path::{Path, PathBuf};

use fs_err as fs;

/// The test backend, written to `_backend/puffin_test_backend.py`.
pub const PROJECT_BACKEND: &str = include_str!("project_backend.py");

/// Writes a project built by puffin's test backend.
///
/// The project's package `<name>/__init__.py` sets `VERSION`; its wheel holds
/// the package, and its editable wheel a `.pth` file pointing at the project.
#[derive(Debug, Clone)]
pub struct ProjectBuilder {
    name: String,
    version: String,
    requires_dist: Vec<String>,
    build_requires: Vec<String>,
    imports: Vec<String>,
    fail: bool,
    static_name: bool,
}

impl ProjectBuilder {
    /// A project `name` at `version`.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            requires_dist: Vec::new(),
            build_requires: Vec::new(),
            imports: Vec::new(),
            fail: false,
            static_name: true,
        }
    }

    /// Add a `Requires-Dist` to the built metadata.
    #[must_use]
    pub fn requires_dist(mut self, requirement: &str) -> Self {
        self.requires_dist.push(requirement.to_string());
        self
    }

    /// Add a build requirement (`[build-system] requires`).
    #[must_use]
    pub fn build_requires(mut self, requirement: &str) -> Self {
        self.build_requires.push(requirement.to_string());
        self
    }

    /// Import `module` during every build (it must come from a build
    /// requirement).
    #[must_use]
    pub fn build_imports(mut self, module: &str) -> Self {
        self.imports.push(module.to_string());
        self
    }

    /// Make every build fail after printing 60 lines.
    #[must_use]
    pub fn failing(mut self) -> Self {
        self.fail = true;
        self
    }

    /// Leave `[project] name` out, so that only a build tells the name.
    #[must_use]
    pub fn dynamic_name(mut self) -> Self {
        self.static_name = false;
        self
    }

    /// The importable package's directory name.
    pub fn package(&self) -> String {
        self.name.replace('-', "_")
    }

    /// Write the project into `dir` (created); returns `dir`.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let package = self.package();
        fs::create_dir_all(dir.join("_backend")).unwrap();
        fs::create_dir_all(dir.join(&package)).unwrap();
        fs::write(dir.join("_backend/puffin_test_backend.py"), PROJECT_BACKEND).unwrap();
        fs::write(
            dir.join(&package).join("__init__.py"),
            format!("VERSION = {:?}\n", self.version),
        )
        .unwrap();
        fs::write(dir.join("pyproject.toml"), self.pyproject()).unwrap();
        dir.to_path_buf()
    }

    fn pyproject(&self) -> String {
        let list = |items: &[String]| {
            let quoted: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let project = if self.static_name {
            format!(
                "[project]\nname = {:?}\nversion = {:?}\n\n",
                self.name, self.version
            )
        } else {
            String::new()
        };
        format!(
            "{project}[build-system]\nrequires = {}\nbuild-backend = \"puffin_test_backend\"\nbackend-path = [\"_backend\"]\n\n\
             [tool.puffin-test]\nname = {:?}\nversion = {:?}\nrequires_dist = {}\npackage = {:?}\nfail = {}\nimports = {}\n",
            list(&self.build_requires),
            self.name,
            self.version,
            list(&self.requires_dist),
            self.package(),
            self.fail,
            list(&self.imports),
        )
    }

    /// Write the project as an sdist `<name>-<version>.tar.gz` into `dir`;
    /// returns its path.
    pub fn sdist(&self, dir: &Path) -> PathBuf {
        let stem = format!("{}-{}", self.package(), self.version);
        let staging = tempfile::tempdir().unwrap();
        let root = self.write(&staging.path().join(&stem));
        fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("{stem}.tar.gz"));
        let file = fs::File::create(&path).unwrap();
        let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut archive = tar::Builder::new(encoder);
        archive.append_dir_all(&stem, &root).unwrap();
        archive.into_inner().unwrap().finish().unwrap();
        path
    }
}
