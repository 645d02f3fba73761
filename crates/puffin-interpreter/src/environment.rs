use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use puffin_cache::Cache;
use tracing::debug;

use crate::{Error, Interpreter};

/// How to find the target environment: what the user asked for and the
/// process state discovery reads (environment variables and the working
/// directory), held here so tests can set them without touching the process.
#[derive(Debug, Clone, Default)]
pub struct DiscoveryOptions {
    /// `--python`: a path to an interpreter (or to an environment directory),
    /// a program name looked up on `PATH`, or a version such as `3.12`
    /// (looked up as `python3.12`).
    pub python: Option<String>,
    /// `--system`: use the first `python3` (or `python`) on `PATH` when no
    /// `--python` is given, and allow an interpreter that is not a virtual
    /// environment.
    pub system: bool,
    /// The command only reads the environment (`pip-freeze`, `pip-check`):
    /// skip the checks that guard against changing a system Python.
    pub read_only: bool,
    /// `--break-system-packages`: change an interpreter marked
    /// `EXTERNALLY-MANAGED` (PEP 668) anyway (it still needs `--system`).
    pub break_system_packages: bool,
    /// Where the search for `.venv` starts.
    pub cwd: PathBuf,
    /// The environment variables discovery may read (`VIRTUAL_ENV`,
    /// `CONDA_PREFIX`, `PATH`).
    pub env: HashMap<String, OsString>,
}

impl DiscoveryOptions {
    /// Options with no variables set, searching from `cwd`.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        Self {
            cwd: cwd.into(),
            ..Self::default()
        }
    }

    /// Options reading this process's working directory and environment.
    pub fn from_process_env() -> Result<Self, Error> {
        let cwd = std::env::current_dir().map_err(Error::CurrentDir)?;
        let env = std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value)))
            .collect();
        Ok(Self {
            env,
            ..Self::new(cwd)
        })
    }

    /// Set `--break-system-packages`.
    #[must_use]
    pub fn with_break_system_packages(mut self, break_system_packages: bool) -> Self {
        self.break_system_packages = break_system_packages;
        self
    }

    /// Set `--python`.
    #[must_use]
    pub fn with_python(mut self, python: Option<String>) -> Self {
        self.python = python;
        self
    }

    /// Set `--system`.
    #[must_use]
    pub fn with_system(mut self, system: bool) -> Self {
        self.system = system;
        self
    }

    /// Mark the command as only reading the environment.
    #[must_use]
    pub fn with_read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Set one environment variable.
    #[must_use]
    pub fn with_env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.insert(key.to_string(), value.into());
        self
    }

    /// A variable's value; an empty value counts as unset.
    fn var(&self, key: &str) -> Option<&OsStr> {
        self.env
            .get(key)
            .map(OsString::as_os_str)
            .filter(|value| !value.is_empty())
    }

    /// A path-valued variable, made absolute against `cwd`.
    fn path_var(&self, key: &str) -> Option<PathBuf> {
        self.var(key).map(|value| self.cwd.join(value))
    }
}

/// How the target environment was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvironmentSource {
    /// `--python`.
    PythonFlag,
    /// The `VIRTUAL_ENV` variable (an activated virtual environment).
    VirtualEnv,
    /// The `CONDA_PREFIX` variable (an activated conda environment).
    CondaPrefix,
    /// A `.venv` directory in the working directory or one of its parents.
    DotVenv {
        /// The directory holding `.venv`.
        dir: PathBuf,
    },
    /// The first Python on `PATH`, with `--system`.
    System,
}

impl fmt::Display for EnvironmentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PythonFlag => f.write_str("--python"),
            Self::VirtualEnv => f.write_str("VIRTUAL_ENV"),
            Self::CondaPrefix => f.write_str("CONDA_PREFIX"),
            Self::DotVenv { dir } => write!(f, ".venv in {}", dir.display()),
            Self::System => f.write_str("the system Python on PATH"),
        }
    }
}

/// The environment puffin works on: its root, its interpreter and how it was
/// found.
#[derive(Debug, Clone)]
pub struct PythonEnvironment {
    root: PathBuf,
    interpreter: Interpreter,
    source: EnvironmentSource,
}

impl PythonEnvironment {
    /// Find the target environment, in this order:
    ///
    /// 1. `--python` (a path, a directory holding an environment, a name on
    ///    `PATH`, or a version such as `3.12`);
    /// 2. with `--system`, the first `python3` or `python` on `PATH`;
    /// 3. `VIRTUAL_ENV`, then `CONDA_PREFIX` (an error if both are set and
    ///    differ);
    /// 4. a `.venv` in the working directory or a parent, which must hold
    ///    `pyvenv.cfg` and `bin/python`.
    ///
    /// Finding none is [`Error::NoEnvironment`], which a caller may answer by
    /// creating `.venv`. Unless the options say the command only reads, an
    /// interpreter that is not a virtual environment (nor a conda
    /// environment) needs `--system`, and one whose distributor marks it
    /// `EXTERNALLY-MANAGED` (PEP 668) is refused even then.
    pub fn discover(options: &DiscoveryOptions, cache: &Cache) -> Result<Self, Error> {
        let environment = Self::find(options, cache)?;
        debug!(
            root = %environment.root.display(),
            source = %environment.source,
            "Found the target environment"
        );
        if !options.read_only {
            environment.check_writable(options.system, options.break_system_packages)?;
        }
        Ok(environment)
    }

    fn find(options: &DiscoveryOptions, cache: &Cache) -> Result<Self, Error> {
        if options.python.is_some() || options.system {
            let python = find_python(options.python.as_deref(), options)?;
            let source = if options.python.is_some() {
                EnvironmentSource::PythonFlag
            } else {
                EnvironmentSource::System
            };
            return Self::from_interpreter(&python, source, cache);
        }

        let virtual_env = options.path_var("VIRTUAL_ENV");
        let conda_prefix = options.path_var("CONDA_PREFIX");
        if let (Some(virtual_env), Some(conda_prefix)) = (&virtual_env, &conda_prefix)
            && virtual_env != conda_prefix
        {
            return Err(Error::ConflictingEnvironments {
                virtual_env: virtual_env.clone(),
                conda_prefix: conda_prefix.clone(),
            });
        }
        for (variable, root, source) in [
            ("VIRTUAL_ENV", virtual_env, EnvironmentSource::VirtualEnv),
            ("CONDA_PREFIX", conda_prefix, EnvironmentSource::CondaPrefix),
        ] {
            let Some(root) = root else { continue };
            let python = venv_python(&root);
            if !python.exists() {
                return Err(Error::MissingEnvironmentPython {
                    variable,
                    root,
                    python,
                });
            }
            let interpreter = Interpreter::query(&python, cache)?;
            return Ok(Self {
                root,
                interpreter,
                source,
            });
        }

        for dir in options.cwd.ancestors() {
            let root = dir.join(".venv");
            if !root.is_dir() {
                continue;
            }
            for missing in [root.join("pyvenv.cfg"), venv_python(&root)] {
                // `exists` follows symlinks: a `bin/python` pointing at a
                // removed interpreter is as broken as a missing one.
                if !missing.exists() {
                    return Err(Error::BrokenVirtualEnv { root, missing });
                }
            }
            let interpreter = Interpreter::query(&venv_python(&root), cache)?;
            return Ok(Self {
                root,
                interpreter,
                source: EnvironmentSource::DotVenv {
                    dir: dir.to_path_buf(),
                },
            });
        }

        Err(Error::NoEnvironment {
            cwd: options.cwd.clone(),
        })
    }

    /// An environment named by its interpreter: its root is `sys.prefix`.
    fn from_interpreter(
        python: &Path,
        source: EnvironmentSource,
        cache: &Cache,
    ) -> Result<Self, Error> {
        let interpreter = Interpreter::query(python, cache)?;
        Ok(Self {
            root: interpreter.prefix.clone(),
            interpreter,
            source,
        })
    }

    /// Refuse to change an interpreter that is not a virtual environment
    /// without `--system`, and one marked `EXTERNALLY-MANAGED` (PEP 668)
    /// unless `break_system_packages`. A virtual environment is never
    /// externally managed; a conda environment counts as an environment of
    /// its own.
    pub fn check_writable(&self, system: bool, break_system_packages: bool) -> Result<(), Error> {
        if self.interpreter.is_virtualenv() {
            return Ok(());
        }
        if let Some(message) = self
            .interpreter
            .externally_managed
            .as_ref()
            .filter(|_| !break_system_packages)
        {
            return Err(Error::ExternallyManaged {
                prefix: self.interpreter.prefix.clone(),
                message: message.clone(),
            });
        }
        if !system && self.source != EnvironmentSource::CondaPrefix {
            return Err(Error::NotAVirtualEnv {
                python: self.interpreter.sys_executable.clone(),
                prefix: self.interpreter.prefix.clone(),
            });
        }
        Ok(())
    }

    /// The environment's root directory (`sys.prefix`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The environment's interpreter.
    pub fn interpreter(&self) -> &Interpreter {
        &self.interpreter
    }

    /// How the environment was found.
    pub fn source(&self) -> &EnvironmentSource {
        &self.source
    }

    /// The interpreter inside the environment (`bin/python`).
    pub fn python_executable(&self) -> PathBuf {
        venv_python(&self.root)
    }

    /// Where `install-wheel-rs` puts each kind of file in this environment.
    pub fn layout(&self) -> install_wheel_rs::Layout {
        let interpreter = self.interpreter();
        let scheme = &interpreter.scheme;
        install_wheel_rs::Layout {
            prefix: interpreter.prefix.clone(),
            sys_executable: self.python_executable(),
            python_version: (interpreter.python_version.0, interpreter.python_version.1),
            scheme: install_wheel_rs::Scheme {
                purelib: scheme.purelib.clone(),
                platlib: scheme.platlib.clone(),
                scripts: scheme.scripts.clone(),
                data: scheme.data.clone(),
                include: scheme.include.clone(),
            },
        }
    }

    /// The site-packages directories (purelib, then platlib when it differs).
    pub fn site_packages_dirs(&self) -> Vec<PathBuf> {
        let scheme = &self.interpreter().scheme;
        let mut dirs = vec![scheme.purelib.clone()];
        if scheme.platlib != scheme.purelib {
            dirs.push(scheme.platlib.clone());
        }
        dirs
    }
}

/// The interpreter of the environment at `root`.
pub fn venv_python(root: &Path) -> PathBuf {
    if cfg!(windows) {
        root.join("Scripts").join("python.exe")
    } else {
        root.join("bin").join("python")
    }
}

/// Find an interpreter by request, without querying it: `request` as
/// `--python` understands it (a path, an environment directory, a name on
/// `PATH`, a version such as `3.12` looked up as `python3.12`), or with no
/// request the first `python3`, else `python`, on `PATH`. This is how
/// `puffin venv` picks its base interpreter.
pub fn find_python(request: Option<&str>, options: &DiscoveryOptions) -> Result<PathBuf, Error> {
    match request {
        Some(request) => resolve_python_request(request, options),
        None => find_on_path("python3", options)
            .or_else(|_| find_on_path("python", options))
            .map_err(|_| Error::InterpreterNotOnPath {
                name: "python3".to_string(),
            }),
    }
}

/// Turn `--python` into an interpreter path.
fn resolve_python_request(request: &str, options: &DiscoveryOptions) -> Result<PathBuf, Error> {
    let is_version = !request.is_empty()
        && request.split('.').count() <= 3
        && request
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if is_version {
        return find_on_path(&format!("python{request}"), options);
    }
    let looks_like_path = request.contains(std::path::MAIN_SEPARATOR)
        || request.contains('/')
        || request.starts_with('.');
    if looks_like_path {
        let path = options.cwd.join(request);
        // A directory names an environment: use its interpreter.
        if path.is_dir() {
            return Ok(venv_python(&path));
        }
        if !path.exists() {
            return Err(Error::InterpreterNotFound { path });
        }
        return Ok(path);
    }
    find_on_path(request, options).or_else(|err| {
        // `--python .venv` without `./`: an environment directory.
        let dir = options.cwd.join(request);
        if venv_python(&dir).exists() {
            Ok(venv_python(&dir))
        } else {
            Err(err)
        }
    })
}

/// Look a program up on the options' `PATH`.
fn find_on_path(name: &str, options: &DiscoveryOptions) -> Result<PathBuf, Error> {
    which::which_in(name, options.var("PATH"), &options.cwd).map_err(|_| {
        Error::InterpreterNotOnPath {
            name: name.to_string(),
        }
    })
}
