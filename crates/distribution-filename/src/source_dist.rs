use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;

use crate::PackageName;

/// The archive format of a source distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceDistExtension {
    /// `.tar.gz`, the only format [PEP 625] allows for new uploads.
    ///
    /// [PEP 625]: https://peps.python.org/pep-0625/
    TarGz,
    /// `.zip`, found in older releases.
    Zip,
}

impl SourceDistExtension {
    /// The extension including its leading dot.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TarGz => ".tar.gz",
            Self::Zip => ".zip",
        }
    }
}

/// A parsed source distribution filename: `{name}-{version}.tar.gz` ([PEP 625]).
///
/// Older source distributions may have dashes inside the name; the version is
/// the part after the last dash that parses as a version.
///
/// [PEP 625]: https://peps.python.org/pep-0625/
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceDistFilename {
    /// The normalized project name.
    pub name: PackageName,
    /// The project version.
    pub version: Version,
    /// The archive format.
    pub extension: SourceDistExtension,
}

/// A string that is not a valid source distribution filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a source distribution filename: expected `{{name}}-{{version}}.tar.gz` or `.zip`"
)]
pub struct SourceDistFilenameError(String);

impl FromStr for SourceDistFilename {
    type Err = SourceDistFilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        let invalid = || SourceDistFilenameError(filename.escape_debug().to_string());
        if crate::wheel::unsafe_character(filename).is_some() {
            return Err(invalid());
        }
        let (stem, extension) = if let Some(stem) = filename.strip_suffix(".tar.gz") {
            (stem, SourceDistExtension::TarGz)
        } else if let Some(stem) = filename.strip_suffix(".zip") {
            (stem, SourceDistExtension::Zip)
        } else {
            return Err(invalid());
        };
        let (name, version) = stem.rsplit_once('-').ok_or_else(invalid)?;
        let name = PackageName::new(name).map_err(|_| invalid())?;
        let version = Version::from_str(version).map_err(|_| invalid())?;
        Ok(Self {
            name,
            version,
            extension,
        })
    }
}

impl fmt::Display for SourceDistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}{}",
            self.name.as_dist_info_name(),
            self.version,
            self.extension.as_str()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tar_gz_and_zip() {
        let sdist: SourceDistFilename = "Django-4.2.7.tar.gz".parse().unwrap();
        assert_eq!(sdist.name.as_str(), "django");
        assert_eq!(sdist.extension, SourceDistExtension::TarGz);
        let sdist: SourceDistFilename = "zope.interface-6.1.zip".parse().unwrap();
        assert_eq!(sdist.name.as_str(), "zope-interface");
        assert!("foo.tar.gz".parse::<SourceDistFilename>().is_err());
        assert!("foo-1.0.whl".parse::<SourceDistFilename>().is_err());
    }
}
