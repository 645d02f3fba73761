//! Finding (or creating) the target environment, shared by the `pip-*` commands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use puffin_cache::Cache;
use puffin_installer::SitePackages;
use puffin_interpreter::{DiscoveryOptions, Interpreter, PythonEnvironment, find_python};

use crate::commands::UserError;
use crate::printer::Printer;

/// How to find the environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct EnvironmentRequest {
    /// `--python`.
    pub(crate) python: Option<String>,
    /// `--system`.
    pub(crate) system: bool,
    /// `--break-system-packages`: change an `EXTERNALLY-MANAGED` Python anyway.
    pub(crate) break_system_packages: bool,
    /// The command only reads the environment (freeze, check).
    pub(crate) read_only: bool,
    /// Create `.venv` in the working directory when no environment is found.
    pub(crate) create_if_missing: bool,
    /// Use the first `python3` on `PATH` when no environment is found (for a
    /// read-only use of the interpreter, e.g. `--target`).
    pub(crate) system_fallback: bool,
}

/// Find the target environment; with `create_if_missing`, create `.venv` in the
/// working directory with the first `python3` on `PATH` when there is none, and
/// say so.
pub(crate) fn find_environment(
    request: &EnvironmentRequest,
    cache: &Cache,
    printer: Printer,
) -> anyhow::Result<PythonEnvironment> {
    let options = DiscoveryOptions::from_process_env()?
        .with_python(request.python.clone())
        .with_system(request.system)
        .with_break_system_packages(request.break_system_packages)
        .with_read_only(request.read_only);
    match PythonEnvironment::discover(&options, cache) {
        Ok(environment) => Ok(environment),
        Err(puffin_interpreter::Error::NoEnvironment { cwd }) if request.create_if_missing => {
            let python = find_python(None, &options).map_err(interpreter_error)?;
            let base = Interpreter::query(&python, cache).map_err(interpreter_error)?;
            let path = cwd.join(".venv");
            printer.status(format_args!(
                "No environment found: creating one at .venv with Python {} ({})",
                base.python_version_string(),
                base.sys_executable.display()
            ));
            gourgeist::create_venv(&path, &base, &gourgeist::VenvOptions::default())
                .with_context(|| format!("Failed to create `{}`", path.display()))?;
            PythonEnvironment::discover(&options, cache).map_err(interpreter_error)
        }
        // `--target` and `--prefix` only need an interpreter: without an
        // environment, the first `python3` on `PATH`.
        Err(puffin_interpreter::Error::NoEnvironment { .. })
            if request.read_only && request.system_fallback =>
        {
            PythonEnvironment::discover(&options.with_system(true), cache)
                .map_err(interpreter_error)
        }
        Err(err) => Err(interpreter_error(err)),
    }
}

/// Errors a person fixes by pointing puffin elsewhere exit 2.
pub(crate) fn interpreter_error(err: puffin_interpreter::Error) -> anyhow::Error {
    use puffin_interpreter::Error;
    match err {
        Error::Spawn { .. }
        | Error::QueryFailed { .. }
        | Error::QueryOutput { .. }
        | Error::InterpreterMetadata { .. }
        | Error::CurrentDir(_) => anyhow::Error::new(err),
        _ => UserError(err.to_string()).into(),
    }
}

/// The installed distributions of an environment, with the inventory's
/// warnings printed.
pub(crate) fn site_packages(
    environment: &PythonEnvironment,
    printer: Printer,
) -> anyhow::Result<SitePackages> {
    let site_packages = read_site_packages(environment)?;
    for warning in site_packages.warnings() {
        printer.warn(warning);
    }
    Ok(site_packages)
}

/// The installed distributions of an environment.
pub(crate) fn read_site_packages(
    environment: &PythonEnvironment,
) -> Result<SitePackages, puffin_installer::SitePackagesError> {
    let dirs = environment.site_packages_dirs();
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    SitePackages::from_dirs(&dirs)
}

/// The environment a read-only command (freeze, check) looks at, and what is
/// installed in it; never creates one.
pub(crate) fn read_environment(
    python: Option<String>,
    system: bool,
    global: &crate::GlobalArgs,
    printer: Printer,
) -> anyhow::Result<(PythonEnvironment, SitePackages)> {
    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let environment = find_environment(
        &EnvironmentRequest {
            python,
            system,
            break_system_packages: false,
            read_only: true,
            create_if_missing: false,
            system_fallback: false,
        },
        &cache,
        printer,
    )?;
    let site_packages = site_packages(&environment, printer)?;
    Ok((environment, site_packages))
}

/// A path for display: relative to the working directory when it is below it.
pub(crate) fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|relative| !relative.as_os_str().is_empty())
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Durations as uv prints them: `12ms` below a second, `1.23s` above.
pub(crate) fn elapsed(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{:.2}s", duration.as_secs_f64())
    }
}

/// `1 package` / `3 packages`.
pub(crate) fn packages(count: usize) -> String {
    if count == 1 {
        "1 package".to_string()
    } else {
        format!("{count} packages")
    }
}

/// Open the cache the global options name.
/// An error of a command that used `cache`, with what to do about it when
/// it failed because the cache cannot be written (a read-only cache works
/// as long as everything needed is in it).
pub(crate) fn cache_write_hint(err: anyhow::Error, cache: &Cache) -> anyhow::Error {
    let root = cache.root().display().to_string();
    let not_writable = err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            )
        })
    });
    let in_cache = err.chain().any(|cause| cause.to_string().contains(&root));
    if not_writable && in_cache {
        err.context(format!(
            "The cache at `{root}` cannot be written, and this sync needs to add to it; \
             pass --no-cache to use a temporary cache, or --cache-dir <DIR> for a writable one"
        ))
    } else {
        err
    }
}

pub(crate) fn open_cache(cache_dir: Option<PathBuf>, no_cache: bool) -> anyhow::Result<Cache> {
    let cache = Cache::from_settings(cache_dir, no_cache).context("Failed to open the cache")?;
    cache.init().with_context(|| {
        format!(
            "Failed to create the cache at `{}`; pass another with --cache-dir, or use none with --no-cache",
            cache.root().display()
        )
    })?;
    Ok(cache)
}
