use std::error::Error as StdError;
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use fs_err as fs;
use pep508_rs::Requirement;
use puffin_interpreter::{Interpreter, PythonEnvironment};
use tokio::sync::Semaphore;
use tracing::{Instrument, debug, debug_span};

use crate::environment::{create_build_env, temp_build_dir};
use crate::hook::{HookEnv, HookOutcome, HookRunner};
use crate::metadata::{BuiltMetadata, check_dist_info, dist_info_from_wheel};
use crate::pyproject::BuildSystem;
use crate::{BuildError, ConfigSettings, Error};

/// The variable that bounds how many builds run their backend at once.
pub const CONCURRENT_BUILDS_VAR: &str = "PUFFIN_CONCURRENT_BUILDS";

/// The future [`BuildContext::install`] returns.
pub type InstallFuture<'a> =
    Pin<Box<dyn Future<Output = Result<(), Box<dyn StdError + Send + Sync>>> + Send + 'a>>;

/// What a build needs from the rest of puffin, implemented by
/// `puffin-installer` (resolve with the resolver, install with the sync
/// pipeline). A trait so that `puffin-build` does not depend on the
/// installer (which depends on it).
pub trait BuildContext: Send + Sync {
    /// The interpreter build environments are created from (the target's
    /// base Python).
    fn interpreter(&self) -> &Interpreter;

    /// Resolve `requirements` for the environment at `venv` and install them
    /// into it.
    ///
    /// The second call of a build (for what `get_requires_for_build_*`
    /// added) passes the build system's requirements again, followed by the
    /// additions, so an implementation that syncs the environment to exactly
    /// the requirements it is given keeps the first ones.
    fn install<'a>(
        &'a self,
        requirements: &'a [Requirement],
        venv: &'a PythonEnvironment,
    ) -> InstallFuture<'a>;
}

/// What to build from a source tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildKind {
    /// A wheel (`build_wheel`, PEP 517).
    Wheel,
    /// An editable wheel (`build_editable`, [PEP 660]).
    ///
    /// [PEP 660]: https://peps.python.org/pep-0660/
    Editable,
}

impl BuildKind {
    fn get_requires_hook(self) -> &'static str {
        match self {
            Self::Wheel => "get_requires_for_build_wheel",
            Self::Editable => "get_requires_for_build_editable",
        }
    }

    fn build_hook(self) -> &'static str {
        match self {
            Self::Wheel => "build_wheel",
            Self::Editable => "build_editable",
        }
    }
}

/// Where the backend runs.
// One value per `Builder`: its size does not matter, and boxing the
// environment would only make callers write `Box::new`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Isolation {
    /// In a new virtual environment holding only the build requirements,
    /// removed after the build (the default, as pip's build isolation).
    Isolated,
    /// In this environment, installing nothing (`--no-build-isolation`: the
    /// build requirements must already be there).
    Shared(PythonEnvironment),
}

/// How builds run.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Where the backend runs.
    pub isolation: Isolation,
    /// `-C key=value`, passed to every hook.
    pub config_settings: ConfigSettings,
    /// The longest one backend process (one hook) may run before its process
    /// group is killed; `None` for no limit.
    pub timeout: Option<Duration>,
    /// Where each build makes its temporary directory (its environment, the
    /// hooks' files and logs): pass `cache.bucket(CacheBucket::Builds)`.
    pub temp_root: PathBuf,
}

impl BuildOptions {
    /// Isolated builds without settings or timeout, in `temp_root`.
    pub fn new(temp_root: impl Into<PathBuf>) -> Self {
        Self {
            isolation: Isolation::Isolated,
            config_settings: ConfigSettings::default(),
            timeout: None,
            temp_root: temp_root.into(),
        }
    }

    /// Set where the backend runs.
    #[must_use]
    pub fn with_isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }

    /// Set the config settings.
    #[must_use]
    pub fn with_config_settings(mut self, config_settings: ConfigSettings) -> Self {
        self.config_settings = config_settings;
        self
    }

    /// Set the timeout of each backend process.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Builds wheels, editable wheels and metadata from source trees on disk
/// ([PEP 517], [PEP 518], [PEP 660]).
///
/// At most a fixed number of backend processes run at once (a semaphore);
/// the environment setup and the installs of build requirements run outside
/// it, so a build whose requirements need builds themselves cannot deadlock
/// waiting for its own permit.
///
/// [PEP 517]: https://peps.python.org/pep-0517/
/// [PEP 518]: https://peps.python.org/pep-0518/
/// [PEP 660]: https://peps.python.org/pep-0660/
#[derive(Debug)]
pub struct Builder {
    options: BuildOptions,
    semaphore: Semaphore,
}

impl Builder {
    /// A builder running as many backends at once as
    /// `PUFFIN_CONCURRENT_BUILDS` says (a positive integer), by default the
    /// number of cores.
    pub fn new(options: BuildOptions) -> Self {
        Self {
            options,
            semaphore: Semaphore::new(default_concurrency()),
        }
    }

    /// Run at most `builds` backends at once (at least one).
    #[must_use]
    pub fn with_concurrency(self, builds: usize) -> Self {
        Self {
            semaphore: Semaphore::new(builds.max(1)),
            ..self
        }
    }

    /// The options every build uses.
    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Build a wheel (or editable wheel) from `source_tree` into `out_dir`
    /// (created if missing); returns the wheel's path, inside `out_dir`.
    /// `display` names the build in errors: `<name> @ <version>` or the path.
    pub async fn build(
        &self,
        ctx: &dyn BuildContext,
        source_tree: &Path,
        kind: BuildKind,
        out_dir: &Path,
        display: &str,
    ) -> Result<PathBuf, Error> {
        let start = Instant::now();
        let name = display;
        let wheel = self
            .build_inner(ctx, source_tree, kind, out_dir)
            .instrument(debug_span!("build", build = name, ?kind))
            .await
            .map_err(|err| Error::new(display, err))?;
        debug!(
            wheel = %wheel.display(),
            elapsed_ms = start.elapsed().as_millis(),
            "Built"
        );
        Ok(wheel)
    }

    async fn build_inner(
        &self,
        ctx: &dyn BuildContext,
        source_tree: &Path,
        kind: BuildKind,
        out_dir: &Path,
    ) -> Result<PathBuf, BuildError> {
        let (source_tree, out_dir) = absolute_dirs(source_tree, out_dir)?;
        let build_system = BuildSystem::read(&source_tree)?;
        let session = self
            .setup(ctx, &source_tree, &build_system, kind.get_requires_hook())
            .await?;
        session.build_wheel(kind, &out_dir).await
    }

    /// The core metadata of the project in `source_tree`, prepared in
    /// `out_dir` (created if missing).
    ///
    /// Calls `prepare_metadata_for_build_wheel`; when the backend lacks that
    /// optional hook, builds the wheel into `out_dir` and unpacks its
    /// `.dist-info` directory next to it (PEP 517: "If a build frontend needs
    /// this information and the method is not defined, it should call
    /// `build_wheel` and look at the resulting metadata directly"). The wheel
    /// is returned too ([`BuiltMetadata::wheel`]), so a caller that needs it
    /// need not build again.
    pub async fn metadata(
        &self,
        ctx: &dyn BuildContext,
        source_tree: &Path,
        out_dir: &Path,
        display: &str,
    ) -> Result<BuiltMetadata, Error> {
        let start = Instant::now();
        let name = display;
        let metadata = self
            .metadata_inner(ctx, source_tree, out_dir)
            .instrument(debug_span!("metadata", build = name))
            .await
            .map_err(|err| Error::new(display, err))?;
        debug!(
            dist_info = %metadata.dist_info.display(),
            elapsed_ms = start.elapsed().as_millis(),
            "Prepared metadata"
        );
        Ok(metadata)
    }

    async fn metadata_inner(
        &self,
        ctx: &dyn BuildContext,
        source_tree: &Path,
        out_dir: &Path,
    ) -> Result<BuiltMetadata, BuildError> {
        let (source_tree, out_dir) = absolute_dirs(source_tree, out_dir)?;
        let build_system = BuildSystem::read(&source_tree)?;
        let session = self
            .setup(
                ctx,
                &source_tree,
                &build_system,
                "get_requires_for_build_wheel",
            )
            .await?;
        let hook = "prepare_metadata_for_build_wheel";
        let args = serde_json::json!([out_dir, session.config_settings()]);
        match session.runner.call(hook, args).await? {
            HookOutcome::Value(value) => {
                let name = value.as_str().ok_or_else(|| BuildError::InvalidResult {
                    backend: build_system.backend.clone(),
                    hook: hook.to_string(),
                    reason: format!("expected the name of a `.dist-info` directory, got {value}"),
                })?;
                check_dist_info(&build_system.backend, hook, name, &out_dir)
            }
            HookOutcome::Missing => {
                debug!("No `{hook}` hook: building the wheel for its metadata");
                let wheel = session.build_wheel(BuildKind::Wheel, &out_dir).await?;
                dist_info_from_wheel(&wheel, &out_dir)
            }
        }
    }

    /// Read nothing more from the tree; make the environment the backend
    /// runs in and install what the build needs into it.
    async fn setup<'a>(
        &'a self,
        ctx: &dyn BuildContext,
        source_tree: &'a Path,
        build_system: &'a BuildSystem,
        requires_hook: &str,
    ) -> Result<Session<'a>, BuildError> {
        debug!(
            backend = %build_system.backend,
            backend_path = ?build_system.backend_path,
            requires = %join(&build_system.requires),
            "Build system"
        );
        let temp = temp_build_dir(&self.options.temp_root)?;
        let environment = match &self.options.isolation {
            Isolation::Isolated => create_build_env(ctx.interpreter(), temp.path()).await?,
            Isolation::Shared(environment) => environment.clone(),
        };
        let isolated = matches!(self.options.isolation, Isolation::Isolated);
        let runner = HookRunner {
            python: environment.interpreter().sys_executable.clone(),
            source_tree,
            scratch: temp.path().join("hooks"),
            build_system,
            env: hook_env(&environment, isolated),
            timeout: self.options.timeout,
            semaphore: &self.semaphore,
            calls: AtomicUsize::new(0),
        };
        runner.write_shim()?;
        let session = Session {
            runner,
            options: &self.options,
            _temp: temp,
        };
        if isolated {
            install(ctx, &build_system.requires, &environment).await?;
            let added = session.get_requires(requires_hook).await?;
            if !added.is_empty() {
                let mut all = build_system.requires.clone();
                for requirement in added {
                    if !all.contains(&requirement) {
                        all.push(requirement);
                    }
                }
                install(ctx, &all, &environment).await?;
            }
        }
        Ok(session)
    }
}

/// The number of backends [`Builder::new`] lets run at once:
/// `PUFFIN_CONCURRENT_BUILDS` when it is a positive integer, else the number
/// of cores.
pub fn default_concurrency() -> usize {
    std::env::var(CONCURRENT_BUILDS_VAR)
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|builds| *builds > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1)
        })
}

/// One build's environment and temporary directory (removed on drop, so
/// also when the build fails or is cancelled).
struct Session<'a> {
    runner: HookRunner<'a>,
    options: &'a BuildOptions,
    _temp: tempfile::TempDir,
}

impl Session<'_> {
    /// PEP 517: "`config_settings` ... an arbitrary dictionary"; `None` when
    /// there are none, as pip passes.
    fn config_settings(&self) -> serde_json::Value {
        if self.options.config_settings.is_empty() {
            serde_json::Value::Null
        } else {
            self.options.config_settings.to_json()
        }
    }

    /// `get_requires_for_build_wheel` / `_editable`: a missing hook adds
    /// nothing (PEP 517 and PEP 660 make both optional).
    async fn get_requires(&self, hook: &str) -> Result<Vec<Requirement>, BuildError> {
        let backend = &self.runner.build_system.backend;
        let value = match self
            .runner
            .call(hook, serde_json::json!([self.config_settings()]))
            .await?
        {
            HookOutcome::Missing => return Ok(Vec::new()),
            HookOutcome::Value(value) => value,
        };
        let invalid = || BuildError::InvalidResult {
            backend: backend.clone(),
            hook: hook.to_string(),
            reason: format!("expected a list of requirement strings, got {value}"),
        };
        let strings = value.as_array().ok_or_else(invalid)?;
        let mut requirements = Vec::with_capacity(strings.len());
        for string in strings {
            let string = string.as_str().ok_or_else(invalid)?;
            let requirement = string
                .parse()
                .map_err(|err| BuildError::InvalidHookRequirement {
                    backend: backend.clone(),
                    hook: hook.to_string(),
                    requirement: string.to_string(),
                    err: Box::new(err),
                })?;
            requirements.push(requirement);
        }
        debug!(hook, requires = %join(&requirements), "The backend asked for more");
        Ok(requirements)
    }

    /// `build_wheel` / `build_editable` into `out_dir`.
    async fn build_wheel(&self, kind: BuildKind, out_dir: &Path) -> Result<PathBuf, BuildError> {
        let hook = kind.build_hook();
        let backend = self.runner.build_system.backend.clone();
        let args = serde_json::json!([out_dir, self.config_settings(), null]);
        let value = match self.runner.call(hook, args).await? {
            HookOutcome::Value(value) => value,
            HookOutcome::Missing => {
                return Err(match kind {
                    BuildKind::Wheel => BuildError::MissingHook {
                        backend,
                        hook: hook.to_string(),
                    },
                    BuildKind::Editable => BuildError::EditableUnsupported { backend },
                });
            }
        };
        let name = value.as_str().ok_or_else(|| BuildError::InvalidResult {
            backend: backend.clone(),
            hook: hook.to_string(),
            reason: format!("expected the wheel's file name, got {value}"),
        })?;
        crate::metadata::check_wheel(&backend, hook, name, out_dir)
    }
}

/// Install `requirements` (nothing to do for none).
async fn install(
    ctx: &dyn BuildContext,
    requirements: &[Requirement],
    environment: &PythonEnvironment,
) -> Result<(), BuildError> {
    if requirements.is_empty() {
        return Ok(());
    }
    let start = Instant::now();
    debug!(requires = %join(requirements), "Installing build requirements");
    ctx.install(requirements, environment)
        .await
        .map_err(|err| BuildError::Install {
            requirements: join(requirements),
            path: environment.root().to_path_buf(),
            err,
        })?;
    debug!(
        elapsed_ms = start.elapsed().as_millis(),
        "Installed build requirements"
    );
    Ok(())
}

fn join(requirements: &[Requirement]) -> String {
    requirements
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The variables of the backend processes: the environment's scripts first
/// on `PATH` (as activating it would), unbuffered output so stdout and
/// stderr interleave in order in the log, and for an isolated build no user
/// site-packages and no `PYTHONPATH` (as pip's isolated builds).
fn hook_env(environment: &PythonEnvironment, isolated: bool) -> HookEnv {
    let interpreter = environment.interpreter();
    let mut paths = vec![interpreter.scheme.scripts.clone()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    let mut env = HookEnv::default();
    if let Ok(path) = std::env::join_paths(paths) {
        env.set.push(("PATH".into(), path));
    }
    env.set.push(("PYTHONUNBUFFERED".into(), "1".into()));
    if interpreter.is_virtualenv() {
        env.set
            .push(("VIRTUAL_ENV".into(), environment.root().as_os_str().into()));
    }
    if isolated {
        env.set.push(("PYTHONNOUSERSITE".into(), "1".into()));
        env.remove.push(OsString::from("PYTHONPATH"));
    }
    env
}

/// The source tree and output directory made absolute (the backend runs in
/// the tree, so a relative output directory would move); the output
/// directory is created.
fn absolute_dirs(source_tree: &Path, out_dir: &Path) -> Result<(PathBuf, PathBuf), BuildError> {
    let absolute = |path: &Path| {
        std::path::absolute(path).map_err(|err| BuildError::Io {
            action: "resolve",
            path: path.to_path_buf(),
            err,
        })
    };
    let source_tree = absolute(source_tree)?;
    if !source_tree.is_dir() {
        return Err(BuildError::Io {
            action: "read the source tree",
            path: source_tree,
            err: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let out_dir = absolute(out_dir)?;
    fs::create_dir_all(&out_dir).map_err(|err| BuildError::Io {
        action: "create the output directory",
        path: out_dir.clone(),
        err,
    })?;
    Ok((source_tree, out_dir))
}
