//! One module per subcommand; each has an `Args` struct and a `run` function.

use std::process::ExitCode;

use crate::printer::Printer;

pub(crate) mod build_args;
pub(crate) mod clean;
pub(crate) mod compile_lock;
pub(crate) mod compile_output;
pub(crate) mod environment;
pub(crate) mod network_args;
pub(crate) mod output;
pub(crate) mod pip_check;
pub(crate) mod pip_compile;
pub(crate) mod pip_freeze;
pub(crate) mod pip_install;
pub(crate) mod pip_sync;
pub(crate) mod pip_uninstall;
pub(crate) mod progress;
pub(crate) mod resolve;
pub(crate) mod sync_report;
pub(crate) mod venv;

/// How a command ended: 0 on success, 1 when an install failed, 2 on bad usage
/// or input, 128 + the signal's number when cancelled by a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    Success,
    Failure,
    Error,
    Signal(u8),
}

impl ExitStatus {
    /// Errors caused by what the user gave (a bad file, a missing environment)
    /// exit 2; everything else exits 1.
    pub(crate) fn from_error(err: &anyhow::Error) -> Self {
        if err.chain().any(|cause| {
            cause.is::<UserError>()
                || cause.is::<InvalidInput>()
                || cause
                    .downcast_ref::<puffin_installer::Error>()
                    .is_some_and(puffin_installer::Error::is_user_error)
        }) {
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
            ExitStatus::Signal(code) => ExitCode::from(code),
        }
    }
}

/// Marks an error as the user's input being wrong (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UserError(pub(crate) String);

/// A library error as the CLI reports it: failed installs are printed one
/// by one, all but the first here, and the first is returned (with the count
/// when there were several).
pub(crate) fn installer_error(err: puffin_installer::Error, printer: Printer) -> anyhow::Error {
    let puffin_installer::Error::Install(failures) = err else {
        return anyhow::Error::new(err);
    };
    let count = failures.len();
    let mut failures = failures.into_iter();
    let Some(first) = failures.next() else {
        return anyhow::anyhow!("No package failed to install");
    };
    for other in failures {
        printer.error(&anyhow::Error::new(other));
    }
    let err = anyhow::Error::new(first);
    if count > 1 {
        err.context(format!("{count} packages failed to install"))
    } else {
        err
    }
}

/// [`UserError`] for an error with causes, which are printed as `Caused by:`
/// lines (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct InvalidInput(pub(crate) Box<dyn std::error::Error + Send + Sync>);

/// Print why a sync failed and what became of the environment.
pub(crate) fn sync_failed(
    err: puffin_installer::Error,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    match err {
        puffin_installer::Error::RolledBack { err, rollback } => {
            let err = installer_error(*err, printer);
            printer.error(&err);
            printer.status(format_args!(
                "The environment was restored to its state before the sync ({rollback})"
            ));
            Ok(ExitStatus::from_error(&err))
        }
        puffin_installer::Error::Cancelled { rollback } => {
            match rollback {
                Some(rollback) => printer.status(format_args!(
                    "Cancelled: the environment was restored to its state before the sync ({rollback})"
                )),
                None => printer.status("Cancelled: the environment was not changed"),
            }
            Ok(ExitStatus::Signal(
                crate::signals::exit_code().unwrap_or(130),
            ))
        }
        err => Err(installer_error(err, printer)),
    }
}
