use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::BuildOutput;

/// A failed build: displays `Failed to build: <display>`; its cause (a
/// [`BuildError`]) says why, and when the backend ran, the cause's own cause
/// is the end of what it printed ([`BuildOutput`]).
///
/// Every failure of this crate is a failed build of something, so the one
/// line naming it lives here once and the reasons are the [`BuildError`]
/// enum, rather than each variant repeating the name.
#[derive(Debug, thiserror::Error)]
#[error("Failed to build: {display}")]
pub struct Error {
    display: String,
    #[source]
    kind: Box<BuildError>,
}

impl Error {
    pub(crate) fn new(display: &str, kind: BuildError) -> Self {
        Self {
            display: display.to_string(),
            kind: Box::new(kind),
        }
    }

    /// What was being built, as the caller named it (`<name> @ <version>` or a
    /// path).
    pub fn display_name(&self) -> &str {
        &self.display
    }

    /// Why the build failed.
    pub fn kind(&self) -> &BuildError {
        &self.kind
    }

    /// The end of the backend's output, when the backend ran and failed.
    pub fn output(&self) -> Option<&BuildOutput> {
        self.kind.output()
    }
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `pyproject.toml` exists but cannot be read.
    #[error("Failed to read `{}`", path.display())]
    ReadPyproject {
        /// `pyproject.toml`.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },

    /// `pyproject.toml` is not valid TOML.
    #[error("`{}` is not valid TOML", path.display())]
    ParsePyproject {
        /// `pyproject.toml`.
        path: PathBuf,
        /// Where and why parsing failed.
        #[source]
        err: Box<toml::de::Error>,
    },

    /// The `[build-system]` table breaks PEP 517/518.
    #[error("Invalid `[build-system]` table in `{}`: {reason}", path.display())]
    InvalidBuildSystem {
        /// `pyproject.toml`.
        path: PathBuf,
        /// What is wrong, and what is expected.
        reason: String,
    },

    /// An entry of `build-system.requires` is not a PEP 508 requirement.
    #[error("Invalid requirement `{requirement}` in `build-system.requires` of `{}`", path.display())]
    InvalidRequirement {
        /// `pyproject.toml`.
        path: PathBuf,
        /// The entry.
        requirement: String,
        /// The parse error.
        #[source]
        err: Box<pep508_rs::Pep508Error>,
    },

    /// A `backend-path` entry leaves the source tree.
    #[error(
        "`backend-path` entry `{entry}` in `{}` is outside the source tree; PEP 517 requires every entry to be a relative path inside the directory holding `pyproject.toml`",
        path.display()
    )]
    BackendPathOutsideTree {
        /// `pyproject.toml`.
        path: PathBuf,
        /// The entry as written.
        entry: String,
    },

    /// A file or directory the build needs could not be created, read or
    /// written.
    #[error("Failed to {action} `{}`", path.display())]
    Io {
        /// What was being done (`create the build directory`, ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },

    /// The isolated build environment could not be created.
    #[error("Failed to create the build environment at `{}`", path.display())]
    CreateEnvironment {
        /// The environment's root.
        path: PathBuf,
        /// Why.
        #[source]
        err: gourgeist::Error,
    },

    /// The new build environment's interpreter could not be queried.
    #[error("Failed to query the interpreter of the build environment at `{}`", path.display())]
    QueryEnvironment {
        /// The environment's root.
        path: PathBuf,
        /// Why.
        #[source]
        err: puffin_interpreter::Error,
    },

    /// Installing build requirements into the build environment failed.
    #[error("Failed to install the build requirements ({requirements}) into `{}`", path.display())]
    Install {
        /// The requirements, comma separated.
        requirements: String,
        /// The build environment's root.
        path: PathBuf,
        /// Why (from the [`crate::BuildContext`]).
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The build environment's interpreter could not be started.
    #[error("Failed to run `{}` for the `{hook}` hook", python.display())]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// The hook.
        hook: String,
        /// Why.
        #[source]
        err: io::Error,
    },

    /// The backend could not be imported (or was not loaded from
    /// `backend-path`).
    #[error("Failed to import the build backend `{backend}`: {message}")]
    BackendImport {
        /// `build-backend`.
        backend: String,
        /// The exception (`ModuleNotFoundError: No module named 'x'`).
        message: String,
        /// What the backend process printed (with the traceback).
        #[source]
        output: BuildOutput,
    },

    /// A hook raised an exception.
    #[error("The build backend `{backend}` failed in `{hook}`: {message}")]
    HookFailed {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
        /// The exception (`ValueError: ...`).
        message: String,
        /// What the backend process printed (with the traceback).
        #[source]
        output: BuildOutput,
    },

    /// The backend process ended without reporting a result (`sys.exit`, a
    /// crash, a signal).
    #[error("The build backend `{backend}` exited with {status} during `{hook}` without a result")]
    ProcessFailed {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
        /// How the process ended.
        status: ExitStatus,
        /// What the backend process printed.
        #[source]
        output: BuildOutput,
    },

    /// A hook ran longer than the build timeout; its process group was killed.
    #[error(
        "The build backend `{backend}` did not finish `{hook}` within {} seconds and was killed",
        timeout.as_secs_f64()
    )]
    Timeout {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
        /// The timeout.
        timeout: Duration,
        /// What the backend process printed until then.
        #[source]
        output: BuildOutput,
    },

    /// The backend lacks a mandatory hook (`build_wheel`).
    #[error("The build backend `{backend}` has no `{hook}` hook")]
    MissingHook {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
    },

    /// An editable build was asked of a backend without PEP 660 hooks.
    #[error(
        "The build backend `{backend}` does not support editable installs (it has no `build_editable` hook, PEP 660)"
    )]
    EditableUnsupported {
        /// `build-backend`.
        backend: String,
    },

    /// A hook returned something of the wrong type, or wrote no readable
    /// result.
    #[error("The build backend `{backend}` returned an invalid result from `{hook}`: {reason}")]
    InvalidResult {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
        /// What was wrong.
        reason: String,
    },

    /// `get_requires_for_build_*` returned a string that is not a PEP 508
    /// requirement.
    #[error(
        "The build backend `{backend}` returned an invalid requirement `{requirement}` from `{hook}`"
    )]
    InvalidHookRequirement {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
        /// The string.
        requirement: String,
        /// The parse error.
        #[source]
        err: Box<pep508_rs::Pep508Error>,
    },

    /// A hook returned a name that is not a plain file name in the output
    /// directory (a `/`, `..`), or that names nothing there.
    #[error(
        "The build backend `{backend}` returned `{name}` from `{hook}`, which is not a {expected} in `{}`",
        directory.display()
    )]
    UnexpectedOutput {
        /// `build-backend`.
        backend: String,
        /// The hook.
        hook: String,
        /// What the hook returned.
        name: String,
        /// What it should have named (`wheel file`, `.dist-info directory`).
        expected: &'static str,
        /// The directory it should be in.
        directory: PathBuf,
    },

    /// The built wheel's name is not a valid wheel filename.
    #[error("The build backend `{backend}` built `{name}`, which is not a valid wheel filename")]
    InvalidWheelFilename {
        /// `build-backend`.
        backend: String,
        /// The file name.
        name: String,
        /// Why.
        #[source]
        err: distribution_filename::WheelFilenameError,
    },

    /// The wheel built for its metadata could not be read.
    #[error("Failed to read the metadata of the built wheel `{}`", path.display())]
    ReadWheel {
        /// The wheel.
        path: PathBuf,
        /// Why.
        #[source]
        err: zip::result::ZipError,
    },

    /// The wheel built for its metadata has no `.dist-info/METADATA`.
    #[error("The built wheel `{}` has no `.dist-info` directory with a `METADATA` file", path.display())]
    NoDistInfo {
        /// The wheel.
        path: PathBuf,
    },
}

impl BuildError {
    /// The end of the backend's output, when the backend ran and failed.
    pub fn output(&self) -> Option<&BuildOutput> {
        match self {
            Self::BackendImport { output, .. }
            | Self::HookFailed { output, .. }
            | Self::ProcessFailed { output, .. }
            | Self::Timeout { output, .. } => Some(output),
            _ => None,
        }
    }

    /// Whether the backend was killed for running past the timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}
