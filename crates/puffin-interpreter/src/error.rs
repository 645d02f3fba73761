use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Everything that can go wrong while finding an environment or querying its
/// interpreter. Each variant names the paths involved and, where a person can
/// fix it, says how.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--python` named a path that holds no interpreter.
    #[error("No Python interpreter at `{}`", path.display())]
    InterpreterNotFound {
        /// The path that was tried (absolute).
        path: PathBuf,
    },

    /// `--python` (or the system lookup) named a program that is not on `PATH`.
    #[error("No Python interpreter named `{name}` found on PATH")]
    InterpreterNotOnPath {
        /// The name that was looked up.
        name: String,
    },

    /// Starting the interpreter failed.
    #[error("Failed to run the Python interpreter at `{}`", path.display())]
    Spawn {
        /// The interpreter.
        path: PathBuf,
        /// Why the process could not start.
        #[source]
        err: io::Error,
    },

    /// The interpreter ran but the query script failed.
    #[error(
        "Querying the Python interpreter at `{}` failed ({status}):\n{stderr}",
        path.display()
    )]
    QueryFailed {
        /// The interpreter.
        path: PathBuf,
        /// Its exit status.
        status: ExitStatus,
        /// What it wrote on stderr.
        stderr: String,
    },

    /// The query script printed something that is not the expected JSON.
    #[error("The Python interpreter at `{}` gave an answer puffin cannot read: {stdout}", path.display())]
    QueryOutput {
        /// The interpreter.
        path: PathBuf,
        /// What it printed (cut to a few hundred characters).
        stdout: String,
        /// The parse error.
        #[source]
        err: serde_json::Error,
    },

    /// Reading the interpreter's file metadata (for the cache key) failed.
    #[error("Failed to read the metadata of the Python interpreter at `{}`", path.display())]
    InterpreterMetadata {
        /// The interpreter.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },

    /// The working directory could not be read.
    #[error("Failed to read the current directory")]
    CurrentDir(#[source] io::Error),

    /// `VIRTUAL_ENV` and `CONDA_PREFIX` are both set, to different places.
    #[error(
        "Both VIRTUAL_ENV (`{}`) and CONDA_PREFIX (`{}`) are set and point to different environments; \
         deactivate one of them (`deactivate` or `conda deactivate`) or choose one with `--python`",
        virtual_env.display(),
        conda_prefix.display()
    )]
    ConflictingEnvironments {
        /// The value of `VIRTUAL_ENV`.
        virtual_env: PathBuf,
        /// The value of `CONDA_PREFIX`.
        conda_prefix: PathBuf,
    },

    /// An environment named by a variable has no interpreter.
    #[error(
        "{variable} points to `{}`, but there is no Python interpreter at `{}`",
        root.display(),
        python.display()
    )]
    MissingEnvironmentPython {
        /// `VIRTUAL_ENV` or `CONDA_PREFIX`.
        variable: &'static str,
        /// The environment's root.
        root: PathBuf,
        /// Where its interpreter should be.
        python: PathBuf,
    },

    /// A `.venv` directory lacks `pyvenv.cfg` or its interpreter.
    #[error(
        "The virtual environment at `{}` is broken: `{}` is missing; recreate it with \
         `puffin venv --clear {}` or `python3 -m venv --clear {}`",
        root.display(),
        missing.display(),
        root.display(),
        root.display()
    )]
    BrokenVirtualEnv {
        /// The environment's root.
        root: PathBuf,
        /// The file that should be there.
        missing: PathBuf,
    },

    /// No `--python`, no `VIRTUAL_ENV`/`CONDA_PREFIX` and no `.venv` found.
    #[error(
        "No virtual environment found: VIRTUAL_ENV and CONDA_PREFIX are unset and there is no \
         `.venv` in `{}` or its parents; create one with `puffin venv`, or pass `--system` to use \
         the system Python",
        cwd.display()
    )]
    NoEnvironment {
        /// Where the search for `.venv` started.
        cwd: PathBuf,
    },

    /// Installing into an interpreter that is not a virtual environment
    /// without `--system`.
    #[error(
        "The Python at `{}` is not a virtual environment (its prefix is `{}`); pass `--system` \
         to use it anyway, or create a virtual environment with `puffin venv`",
        python.display(),
        prefix.display()
    )]
    NotAVirtualEnv {
        /// The interpreter.
        python: PathBuf,
        /// Its `sys.prefix`.
        prefix: PathBuf,
    },

    /// PEP 668: the environment's distributor manages it.
    #[error(
        "The Python environment at `{}` is externally managed (PEP 668), so puffin will not change it:\n{message}\n\
         Use a virtual environment instead: `puffin venv` (or pass --break-system-packages to override)",
        prefix.display()
    )]
    ExternallyManaged {
        /// The environment's `sys.prefix`.
        prefix: PathBuf,
        /// The `Error` message of its `EXTERNALLY-MANAGED` file.
        message: String,
    },
}
