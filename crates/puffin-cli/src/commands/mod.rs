//! One module per subcommand; each has an `Args` struct and a `run` function.

use std::process::ExitCode;

pub(crate) mod clean;
pub(crate) mod environment;
pub(crate) mod pip_check;
pub(crate) mod pip_freeze;
pub(crate) mod pip_sync;
pub(crate) mod pip_uninstall;
pub(crate) mod progress;
pub(crate) mod venv;

/// How a command ended: 0 on success, 1 when an install failed, 2 on bad usage
/// or input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    Success,
    Failure,
    Error,
}

impl ExitStatus {
    /// Errors caused by what the user gave (a bad file, a missing environment)
    /// exit 2; everything else exits 1.
    pub(crate) fn from_error(err: &anyhow::Error) -> Self {
        if err
            .chain()
            .any(|cause| cause.is::<UserError>() || cause.is::<InvalidInput>())
        {
            Self::Error
        } else {
            Self::Failure
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

/// Marks an error as the user's input being wrong (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UserError(pub(crate) String);

/// [`UserError`] for an error with causes, which are printed as `Caused by:`
/// lines (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct InvalidInput(pub(crate) Box<dyn std::error::Error + Send + Sync>);
