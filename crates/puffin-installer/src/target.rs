//! Where a sync installs, and for which interpreter: the environment itself,
//! a plain directory (`--target`), pip's prefix scheme (`--prefix`), and
//! another platform or Python version for `--target` bundles.

use std::path::{Path, PathBuf};

use install_wheel_rs::{Layout, Scheme};
use pep440_rs::Version;
use pep508_rs::MarkerEnvironment;
use platform_tags::{Arch, Os, Platform, Tags};

use crate::{Error, Sync};

/// Where a sync installs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum InstallTarget {
    /// The environment's own site-packages.
    #[default]
    Environment,
    /// `--target DIR`: a plain directory to put on `PYTHONPATH`. Packages and
    /// data go into DIR, scripts into `DIR/bin`; only what is in DIR is
    /// kept or removed.
    Directory(PathBuf),
    /// `--prefix DIR`: pip's prefix scheme, computed by the interpreter.
    Prefix(PathBuf),
}

/// The interpreter a sync installs for, when it is not the environment's
/// own (`--python-platform`, `--python-version`): wheels are chosen for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetPython {
    /// The platform, e.g. from `manylinux2014_aarch64`.
    pub platform: Option<Platform>,
    /// The Python version `(major, minor)`.
    pub version: Option<(u8, u8)>,
}

impl TargetPython {
    /// Parse a `--python-version` such as `3.12` into `(3, 12)`.
    pub fn parse_version(value: &str) -> Result<(u8, u8), String> {
        let parse = || -> Option<(u8, u8)> {
            let (major, minor) = value.split_once('.')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        };
        parse().ok_or_else(|| format!("`{value}` is not a Python version such as `3.12`"))
    }
}

impl Sync<'_> {
    /// Where each kind of file goes, computed once per sync (`--prefix` asks
    /// the interpreter).
    pub(crate) fn layout(&self) -> Result<Layout, Error> {
        if let Some(layout) = self.layout.get() {
            return Ok(layout.clone());
        }
        let layout = self.compute_layout()?;
        Ok(self.layout.get_or_init(|| layout).clone())
    }

    fn compute_layout(&self) -> Result<Layout, Error> {
        let env_layout = self.environment.layout();
        let scheme = match &self.options.target {
            InstallTarget::Environment => return Ok(env_layout),
            InstallTarget::Directory(dir) => Scheme {
                purelib: dir.clone(),
                platlib: dir.clone(),
                scripts: dir.join("bin"),
                data: dir.clone(),
                include: dir.join("include"),
            },
            InstallTarget::Prefix(dir) => {
                let paths = self
                    .environment
                    .interpreter()
                    .prefix_scheme(dir)
                    .map_err(|err| Error::PrefixScheme {
                        prefix: dir.clone(),
                        err: Box::new(err),
                    })?;
                Scheme {
                    purelib: paths.purelib,
                    platlib: paths.platlib,
                    scripts: paths.scripts,
                    data: paths.data,
                    include: paths.include,
                }
            }
        };
        Ok(Layout {
            prefix: self.lock_root().to_path_buf(),
            scheme,
            ..env_layout
        })
    }

    /// The directories whose distributions the sync keeps or removes.
    pub(crate) fn site_packages_dirs(&self) -> Result<Vec<PathBuf>, Error> {
        if self.options.target == InstallTarget::Environment {
            return Ok(self.environment.site_packages_dirs());
        }
        let scheme = self.layout()?.scheme;
        let mut dirs = vec![scheme.purelib.clone()];
        if scheme.platlib != scheme.purelib {
            dirs.push(scheme.platlib);
        }
        Ok(dirs)
    }

    /// The directory whose `.lock` the sync holds.
    pub(crate) fn lock_root(&self) -> &Path {
        match &self.options.target {
            InstallTarget::Environment => self.environment.root(),
            InstallTarget::Directory(dir) | InstallTarget::Prefix(dir) => dir,
        }
    }

    /// The wheel tags of the interpreter installed for.
    pub(crate) fn tags(&self) -> Result<Tags, Error> {
        let interpreter = self.environment.interpreter();
        let target = &self.options.python;
        let platform = match &target.platform {
            Some(platform) => platform.clone(),
            None => Platform::current().map_err(|err| Error::Tags(Box::new(err)))?,
        };
        let Some((major, minor)) = target.version else {
            return interpreter
                .tags(&platform)
                .map_err(|err| Error::Tags(Box::new(err)));
        };
        let implementation_version = if interpreter.implementation_name == "cpython" {
            (major, minor)
        } else {
            interpreter.implementation_version
        };
        Tags::from_env(
            &platform,
            (major, minor),
            &interpreter.implementation_name,
            implementation_version,
            interpreter.gil_disabled,
            interpreter.debug,
        )
        .map_err(|err| Error::Tags(Box::new(err)))
    }

    /// The Python version installed for (`Requires-Python`).
    pub(crate) fn python_version(&self) -> Version {
        match self.options.python.version {
            Some((major, minor)) => Version::new([u64::from(major), u64::from(minor)]),
            None => self.environment.interpreter().version().clone(),
        }
    }

    /// The PEP 508 markers of the interpreter installed for: the
    /// environment's, with the target's Python version and platform.
    pub(crate) fn markers(&self) -> MarkerEnvironment {
        let markers = &self.environment.interpreter().markers;
        let target = &self.options.python;
        if target.platform.is_none() && target.version.is_none() {
            return markers.clone();
        }
        let Ok(serde_json::Value::Object(mut fields)) = serde_json::to_value(markers) else {
            return markers.clone();
        };
        if let Some((major, minor)) = target.version {
            fields.insert("python_version".into(), format!("{major}.{minor}").into());
            fields.insert(
                "python_full_version".into(),
                format!("{major}.{minor}.0").into(),
            );
        }
        if let Some(platform) = &target.platform {
            for (key, value) in platform_markers(platform) {
                fields.insert(key.into(), value.into());
            }
        }
        serde_json::from_value(serde_json::Value::Object(fields))
            .unwrap_or_else(|_| markers.clone())
    }
}

/// `sys_platform`, `platform_system`, `os_name` and `platform_machine` of a
/// platform.
fn platform_markers(platform: &Platform) -> [(&'static str, String); 4] {
    let (sys_platform, system, os_name) = match platform.os() {
        Os::Windows => ("win32", "Windows", "nt"),
        Os::Macos { .. } => ("darwin", "Darwin", "posix"),
        Os::FreeBsd { .. } => ("freebsd", "FreeBSD", "posix"),
        _ => ("linux", "Linux", "posix"),
    };
    let machine = match (platform.os(), platform.arch()) {
        (Os::Windows, Arch::X86_64) => "AMD64".to_string(),
        (Os::Windows | Os::Macos { .. }, Arch::Aarch64) => "arm64".to_string(),
        (_, arch) => arch.linux_name().to_string(),
    };
    [
        ("sys_platform", sys_platform.to_string()),
        ("platform_system", system.to_string()),
        ("os_name", os_name.to_string()),
        ("platform_machine", machine),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_versions() {
        assert_eq!(TargetPython::parse_version("3.12"), Ok((3, 12)));
        assert!(TargetPython::parse_version("3").is_err());
        assert!(TargetPython::parse_version("3.x").is_err());
    }
}
