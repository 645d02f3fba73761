//! Building wheels from source for a sync: git checkouts, metadata of
//! unnamed projects, and wheels, through `puffin-source` and `puffin-build`.

use std::path::PathBuf;

use distribution_filename::PackageName;
use puffin_cache::Cache;
use url::Url;

use crate::{BuildSource, Error, GitSource};

/// How sources are built.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Never build: a requirement that needs a build is an error.
    pub no_build: bool,
    /// pip's `--no-binary` values, in order, command line after files.
    pub no_binary: Vec<String>,
    /// pip's `--only-binary` values, in order, command line after files.
    pub only_binary: Vec<String>,
    /// Build in the target environment, installing nothing for the build.
    pub no_build_isolation: bool,
    /// `-C key=value` settings for the build backend.
    pub config_settings: Vec<String>,
    /// Constraints files for the build requirements.
    pub build_constraints: Vec<PathBuf>,
    /// How long one build may take.
    pub timeout: Option<std::time::Duration>,
}

/// The builds of one sync.
pub(crate) struct Builds<'a> {
    #[allow(dead_code)]
    pub(crate) cache: &'a Cache,
    #[allow(dead_code)]
    pub(crate) options: &'a BuildOptions,
}

impl Builds<'_> {
    /// Fetch a `git+` URL and check out the commit its revision names.
    pub(crate) fn git_checkout(&self, url: &Url, origin: &str) -> Result<GitSource, Error> {
        Err(self.unavailable(url.as_str(), origin))
    }

    /// The name of a project that does not say it statically: from the
    /// metadata its build backend prepares.
    pub(crate) fn metadata_name(
        &self,
        source: &BuildSource,
        origin: &str,
    ) -> Result<PackageName, Error> {
        Err(self.unavailable(&format!("{source:?}"), origin))
    }

    /// Build (or find in the cache) the wheel of a source; its path.
    pub(crate) async fn build_wheel(
        &self,
        name: &PackageName,
        source: &BuildSource,
        origin: &str,
    ) -> Result<PathBuf, Error> {
        Err(self.unavailable(&format!("{name} ({source:?})"), origin))
    }

    fn unavailable(&self, what: &str, origin: &str) -> Error {
        Error::NoBuild {
            requirement: puffin_redact::redact_text(what).into_owned(),
            origin: origin.to_string(),
        }
    }
}

/// The filename of a built wheel, checked: a valid wheel filename, for the
/// requirement's project, with tags the environment supports.
pub(crate) fn built_filename(
    wheel: &std::path::Path,
    requirement: &crate::PlannedRequirement,
    tags: &platform_tags::Tags,
) -> Result<distribution_filename::WheelFilename, Error> {
    let invalid = |reason: String| Error::BuiltWheel {
        path: wheel.to_path_buf(),
        origin: requirement.origin.clone(),
        reason,
    };
    let name = wheel
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let filename: distribution_filename::WheelFilename =
        name.parse().map_err(|err| invalid(format!("{err}")))?;
    if filename.name != requirement.name {
        return Err(invalid(format!(
            "the build made a wheel for `{}`, not `{}`",
            filename.name, requirement.name
        )));
    }
    if !tags.is_compatible(&filename) {
        return Err(invalid(
            "the build made a wheel whose tags this environment does not support".to_string(),
        ));
    }
    Ok(filename)
}
