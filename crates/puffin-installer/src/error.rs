use std::io;
use std::path::PathBuf;

use install_wheel_rs::Rollback;

use crate::{InstallFailure, PlanError, SitePackagesError, UninstallFailure};

/// An error of a sync, or of one of its steps.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A requirements file does not exist.
    #[error(
        "Requirements file `{}` not found: pass the path of a requirements file (e.g. one written by pip-compile)",
        .0.display()
    )]
    RequirementsNotFound(PathBuf),
    /// A requirements file is invalid.
    #[error(transparent)]
    Requirements(Box<requirements_txt::RequirementsTxtError>),
    /// A PEP 751 lock file is invalid or does not fit the environment.
    #[error(transparent)]
    Lock(Box<puffin_lock::LockError>),
    /// A requirement must be built, and building is off (`--no-build`).
    #[error(
        "`{requirement}` ({origin}) would have to be built from source, and building is off (--no-build)"
    )]
    NoBuild {
        /// The requirement, credentials redacted.
        requirement: String,
        /// Where it was written.
        origin: String,
    },
    /// A path or URL to build points to nothing that can be built.
    #[error(
        "`{requirement}` ({origin}) is not a wheel, a source archive (`.tar.gz`, `.zip`), a project directory or a `git+` URL"
    )]
    NotBuildable {
        /// The requirement, credentials redacted.
        requirement: String,
        /// Where it was written.
        origin: String,
    },
    /// `-e` was given for something that is not a project directory.
    #[error(
        "`-e` ({origin}) needs a project directory, not {what}: remove `-e`, or check it out and pass its path"
    )]
    NotEditable {
        /// What was given, e.g. `a git URL`.
        what: String,
        /// Where it was written.
        origin: String,
    },
    /// A project directory or a local source archive does not exist.
    #[error("`{}` ({origin}) does not exist", path.display())]
    SourceNotFound {
        /// The directory.
        path: PathBuf,
        /// Where it was written.
        origin: String,
    },
    /// A requirement names another project than its source.
    #[error("The requirement ({origin}) names `{name}`, but the project is `{found}`")]
    SourceNameMismatch {
        /// The name the requirement gives.
        name: distribution_filename::PackageName,
        /// The project's own name.
        found: distribution_filename::PackageName,
        /// Where it was written.
        origin: String,
    },
    /// A build produced something that cannot be installed.
    #[error("The wheel built for the requirement ({origin}) cannot be installed: `{}`: {reason}", path.display())]
    BuiltWheel {
        /// The built wheel.
        path: PathBuf,
        /// Where the requirement was written.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A build from source failed (its error says `Failed to build: ...`).
    #[error(transparent)]
    Build(Box<puffin_build::Error>),
    /// A source could not be unpacked, checked out or cached.
    #[error("Failed to prepare the source of the requirement ({origin})")]
    Source {
        /// Where the requirement was written.
        origin: String,
        /// Why.
        #[source]
        err: Box<puffin_source::Error>,
    },
    /// A `-C key=value` setting is malformed.
    #[error("Invalid config setting `{value}`: {reason}")]
    InvalidConfigSetting {
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A project's `pyproject.toml` is invalid.
    #[error("Invalid `{}`: {reason}", path.display())]
    Pyproject {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        reason: String,
    },
    /// Hash-checking mode is on and some requirements have no `--hash`.
    #[error(
        "Hash-checking mode is on (--require-hashes, or a --hash in the requirements), so every requirement needs a --hash; these have none:\n{}",
        origins.iter().map(|origin| format!("  {origin}")).collect::<Vec<_>>().join("\n")
    )]
    MissingHashes {
        /// Where each requirement without a hash was written.
        origins: Vec<String>,
    },
    /// The requirements cannot be planned.
    #[error(transparent)]
    Plan(Box<PlanError>),
    /// The package indexes are misconfigured.
    #[error(transparent)]
    IndexLocations(Box<puffin_client::ClientError>),
    /// No wheel could be selected for a requirement.
    #[error("Failed to find `{name}` ({origin})")]
    Find {
        /// The requirement's name.
        name: String,
        /// Where it was written.
        origin: String,
        /// Why.
        #[source]
        err: Box<puffin_client::ClientError>,
    },
    /// A wheel could not be downloaded (or its hash did not match).
    #[error("Failed to download `{filename}` ({origin})")]
    Download {
        /// The wheel filename.
        filename: String,
        /// Where the requirement was written.
        origin: String,
        /// Why.
        #[source]
        err: Box<puffin_client::ClientError>,
    },
    /// A local wheel file could not be read.
    #[error("Failed to read the wheel `{}` ({origin})", path.display())]
    ReadWheel {
        /// The wheel file.
        path: PathBuf,
        /// Where the requirement was written.
        origin: String,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// The HTTP client could not be set up.
    #[error(transparent)]
    Client(Box<puffin_client::ClientError>),
    /// The wheel store failed.
    #[error(transparent)]
    Store(Box<puffin_store::StoreError>),
    /// Wheels failed to install; each failure names its wheel.
    #[error("{} packages failed to install", .0.len())]
    Install(Vec<InstallFailure>),
    /// A distribution could not be uninstalled.
    #[error(transparent)]
    Uninstall(Box<UninstallFailure>),
    /// The installed distributions could not be read.
    #[error(transparent)]
    SitePackages(Box<SitePackagesError>),
    /// The cache could not be locked.
    #[error(transparent)]
    Cache(Box<puffin_cache::CacheError>),
    /// The environment could not be locked, or a killed run's leftovers not
    /// removed from it.
    #[error("Failed to prepare the environment at `{}`", path.display())]
    Environment {
        /// The environment root or site-packages directory.
        path: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// The interpreter could not compute the scheme of `--prefix`.
    #[error("Failed to compute the install scheme of the prefix `{}`", prefix.display())]
    PrefixScheme {
        /// The prefix.
        prefix: PathBuf,
        /// Why.
        #[source]
        err: Box<puffin_interpreter::Error>,
    },
    /// The platform's wheel tags could not be computed.
    #[error("Failed to compute the wheel tags of this platform")]
    Tags(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bytecode compile worker could not be started.
    #[error("Failed to start `{}` to compile bytecode", python.display())]
    Compile {
        /// The interpreter.
        python: PathBuf,
        /// Why.
        #[source]
        err: io::Error,
    },
    /// The async runtime could not be started, or a task of it failed.
    #[error("Failed to run the download tasks")]
    Runtime(#[source] io::Error),
    /// The sync failed while it changed the environment, and every change
    /// was undone: the environment is as it was before.
    #[error("The environment was restored to its state before the sync ({rollback})")]
    RolledBack {
        /// Why the sync failed.
        #[source]
        err: Box<Error>,
        /// What the rollback undid.
        rollback: Rollback,
    },
    /// The sync was cancelled (Ctrl-C); the changes it had made, if any,
    /// were undone.
    #[error("The sync was cancelled; the environment is as it was before it")]
    Cancelled {
        /// What the rollback undid; `None` when nothing had changed yet.
        rollback: Option<Rollback>,
    },
    /// The sync failed, and undoing its changes failed too: the journal is
    /// kept, and the next puffin command that locks the environment
    /// finishes the rollback.
    #[error(
        "Failed to restore the environment after this error: {err}. The next puffin command that changes the environment finishes the rollback"
    )]
    RollbackFailed {
        /// Why the sync failed.
        err: Box<Error>,
        /// Why the rollback failed.
        #[source]
        rollback_err: Box<install_wheel_rs::Error>,
    },
    /// The orphans (see [`crate::Orphans`]) could not be moved into the
    /// journal.
    #[error(
        "Failed to remove the files in `{}` that belong to no installed distribution",
        path.display()
    )]
    RemoveOrphans {
        /// The site-packages directory.
        path: PathBuf,
        /// Why.
        #[source]
        err: Box<install_wheel_rs::Error>,
    },
    /// The environment's transaction could not begin, commit or be
    /// recovered.
    #[error("Failed to change the environment at `{}`", path.display())]
    Transaction {
        /// The site-packages directory holding the journal.
        path: PathBuf,
        /// Why.
        #[source]
        err: Box<install_wheel_rs::Error>,
    },
}

impl Error {
    /// Whether the error is about what the user gave (requirements, options,
    /// configuration) rather than a failure of the work itself: the CLI exits
    /// 2 for these, 1 otherwise.
    pub fn is_user_error(&self) -> bool {
        if let Self::RolledBack { err, .. } = self {
            return err.is_user_error();
        }
        matches!(
            self,
            Self::RequirementsNotFound(_)
                | Self::Requirements(_)
                | Self::Lock(_)
                | Self::NoBuild { .. }
                | Self::NotBuildable { .. }
                | Self::NotEditable { .. }
                | Self::SourceNotFound { .. }
                | Self::SourceNameMismatch { .. }
                | Self::Pyproject { .. }
                | Self::InvalidConfigSetting { .. }
                | Self::MissingHashes { .. }
                | Self::Plan(_)
                | Self::IndexLocations(_)
                | Self::ReadWheel { .. }
        )
    }
}

/// Boxed sources keep [`Error`] small; these keep `?` working.
macro_rules! boxed_from {
    ($($variant:ident($source:ty)),* $(,)?) => {
        $(impl From<$source> for Error {
            fn from(err: $source) -> Self {
                Self::$variant(Box::new(err))
            }
        })*
    };
}

boxed_from!(
    Plan(PlanError),
    Store(puffin_store::StoreError),
    Requirements(requirements_txt::RequirementsTxtError),
    Lock(puffin_lock::LockError),
    Uninstall(UninstallFailure),
    SitePackages(SitePackagesError),
    Cache(puffin_cache::CacheError),
);
