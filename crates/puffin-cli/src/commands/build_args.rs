//! The options of commands that may build from source.

use std::path::PathBuf;

use puffin_installer::BuildOptions;

/// How sources are built (`pip-sync`).
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct BuildArgs {
    /// Never build from source: a requirement that needs a build is an error
    /// (as `--only-binary :all:`).
    #[arg(long)]
    pub(crate) no_build: bool,

    /// Build these packages from source even when a wheel exists
    /// (`:all:`, `:none:` or comma-separated names).
    #[arg(long, value_name = "NAMES")]
    pub(crate) no_binary: Vec<String>,

    /// Never build these packages from source (`:all:`, `:none:` or
    /// comma-separated names).
    #[arg(long, value_name = "NAMES")]
    pub(crate) only_binary: Vec<String>,

    /// Build in the target environment instead of an isolated one: the build
    /// requirements must already be installed there.
    #[arg(long)]
    pub(crate) no_build_isolation: bool,

    /// Settings passed to the build backend (`-C key=value`, repeatable).
    #[arg(short = 'C', long = "config-settings", value_name = "KEY=VALUE")]
    pub(crate) config_settings: Vec<String>,

    /// Constrain the build requirements with this file (pip's constraints
    /// format).
    #[arg(long, value_name = "FILE")]
    pub(crate) build_constraints: Vec<PathBuf>,

    /// Seconds a build may take before it is stopped.
    #[arg(long, env = "PUFFIN_BUILD_TIMEOUT", value_name = "SECONDS")]
    pub(crate) build_timeout: Option<u64>,
}

impl BuildArgs {
    /// The library's options.
    pub(crate) fn options(&self) -> BuildOptions {
        BuildOptions {
            no_build: self.no_build,
            no_binary: self.no_binary.clone(),
            only_binary: self.only_binary.clone(),
            no_build_isolation: self.no_build_isolation,
            config_settings: self.config_settings.clone(),
            build_constraints: self.build_constraints.clone(),
            timeout: self.build_timeout.map(std::time::Duration::from_secs),
        }
    }
}
