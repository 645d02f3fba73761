use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use pep440_rs::Version;

use crate::{InvalidNameError, PackageName};

/// A parsed wheel filename ([PEP 427], "file name convention"):
/// `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`.
///
/// Each tag may be a compressed tag set (`py2.py3`), kept here as its parts.
///
/// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    /// The normalized project name.
    pub name: PackageName,
    /// The project version.
    pub version: Version,
    /// The optional build tag, which breaks ties between otherwise equal wheels.
    pub build_tag: Option<BuildTag>,
    /// The python tags, e.g. `["py2", "py3"]`.
    pub python_tag: Vec<String>,
    /// The ABI tags, e.g. `["cp311"]`.
    pub abi_tag: Vec<String>,
    /// The platform tags, e.g. `["manylinux_2_17_x86_64", "manylinux2014_x86_64"]`.
    pub platform_tag: Vec<String>,
}

/// The build tag of a wheel: it must start with a digit; wheels are ordered by
/// that leading number, then by the rest of the tag as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuildTag {
    number: u64,
    suffix: String,
}

impl BuildTag {
    /// The leading number of the build tag.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl Ord for BuildTag {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.number, &self.suffix).cmp(&(other.number, &other.suffix))
    }
}

impl PartialOrd for BuildTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BuildTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.number, self.suffix)
    }
}

/// A string that is not a valid wheel filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WheelFilenameError {
    /// The filename does not end in `.whl`.
    #[error("`{0}` is not a wheel filename: it must end in `.whl`")]
    NotAWheel(String),
    /// The filename does not have five or six dash-separated parts.
    #[error(
        "`{0}` is not a valid wheel filename: expected `{{name}}-{{version}}(-{{build}})?-{{python}}-{{abi}}-{{platform}}.whl`"
    )]
    WrongShape(String),
    /// The name part is not a valid project name.
    #[error("`{filename}` is not a valid wheel filename")]
    InvalidName {
        /// The filename.
        filename: String,
        /// Why the name is invalid.
        #[source]
        err: InvalidNameError,
    },
    /// The version part is not a valid PEP 440 version.
    #[error("`{filename}` is not a valid wheel filename: `{version}` is not a PEP 440 version")]
    InvalidVersion {
        /// The filename.
        filename: String,
        /// The version part.
        version: String,
    },
    /// The build tag does not start with a digit.
    #[error(
        "`{filename}` is not a valid wheel filename: the build tag `{build_tag}` must start with a digit"
    )]
    InvalidBuildTag {
        /// The filename.
        filename: String,
        /// The build tag part.
        build_tag: String,
    },
    /// A character that cannot be in a file name (a path separator, a control
    /// character, or one Windows forbids): the filename is joined into cache
    /// paths, and an index link with `%2F` would otherwise escape them.
    #[error(
        "`{}` is not a valid wheel filename: it contains {}, which cannot be in a file name",
        filename.escape_debug(), describe_character(*character)
    )]
    UnsafeCharacter {
        /// The filename.
        filename: String,
        /// The first unsafe character.
        character: char,
    },
    /// A tag set has an empty part.
    #[error("`{filename}` is not a valid wheel filename: the tag `{tag}` has an empty part")]
    EmptyTag {
        /// The filename.
        filename: String,
        /// The tag set with an empty part.
        tag: String,
    },
}

impl FromStr for WheelFilename {
    type Err = WheelFilenameError;

    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        if let Some(character) = unsafe_character(filename) {
            return Err(WheelFilenameError::UnsafeCharacter {
                filename: filename.to_string(),
                character,
            });
        }
        let stem = filename
            .strip_suffix(".whl")
            .ok_or_else(|| WheelFilenameError::NotAWheel(filename.to_string()))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build_tag, python, abi, platform) = match parts.as_slice() {
            [name, version, python, abi, platform] => (name, version, None, python, abi, platform),
            [name, version, build, python, abi, platform] => {
                (name, version, Some(*build), python, abi, platform)
            }
            _ => return Err(WheelFilenameError::WrongShape(filename.to_string())),
        };
        let name = PackageName::new(name).map_err(|err| WheelFilenameError::InvalidName {
            filename: filename.to_string(),
            err,
        })?;
        let version =
            Version::from_str(version).map_err(|_| WheelFilenameError::InvalidVersion {
                filename: filename.to_string(),
                version: (*version).to_string(),
            })?;
        let build_tag = build_tag
            .map(|tag| parse_build_tag(tag, filename))
            .transpose()?;
        let split_tag = |tag: &str| -> Result<Vec<String>, WheelFilenameError> {
            let parts: Vec<String> = tag.split('.').map(ToString::to_string).collect();
            if parts.iter().any(String::is_empty) {
                return Err(WheelFilenameError::EmptyTag {
                    filename: filename.to_string(),
                    tag: tag.to_string(),
                });
            }
            Ok(parts)
        };
        Ok(Self {
            name,
            version,
            build_tag,
            python_tag: split_tag(python)?,
            abi_tag: split_tag(abi)?,
            platform_tag: split_tag(platform)?,
        })
    }
}

/// The first character of `filename` that is unsafe in a path component: `/`
/// and `\` (separators on Unix and Windows), control characters (NUL ends a
/// C string), and `<>:"|?*`, which Windows forbids.
pub(crate) fn unsafe_character(filename: &str) -> Option<char> {
    filename.chars().find(|c| {
        c.is_control() || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*')
    })
}

/// `` `/` `` for a visible character, `U+0000` for a control character.
fn describe_character(character: char) -> String {
    if character.is_control() {
        format!("the control character U+{:04X}", u32::from(character))
    } else {
        format!("`{character}`")
    }
}

fn parse_build_tag(tag: &str, filename: &str) -> Result<BuildTag, WheelFilenameError> {
    let digits = tag.bytes().take_while(u8::is_ascii_digit).count();
    let invalid = || WheelFilenameError::InvalidBuildTag {
        filename: filename.to_string(),
        build_tag: tag.to_string(),
    };
    if digits == 0 {
        return Err(invalid());
    }
    let number = tag[..digits].parse().map_err(|_| invalid())?;
    Ok(BuildTag {
        number,
        suffix: tag[digits..].to_string(),
    })
}

impl WheelFilename {
    /// Every `(python, abi, platform)` triple this wheel's compressed tag sets expand to.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.python_tag.iter().flat_map(move |python| {
            self.abi_tag.iter().flat_map(move |abi| {
                self.platform_tag
                    .iter()
                    .map(move |platform| (python.as_str(), abi.as_str(), platform.as_str()))
            })
        })
    }

    /// The name of the `.dist-info` directory this wheel must contain:
    /// `{name}-{version}.dist-info` with the name in its dist-info form.
    pub fn dist_info_dir(&self) -> String {
        format!(
            "{}-{}.dist-info",
            self.name.as_dist_info_name(),
            self.version
        )
    }

    /// The name of the optional `.data` directory: `{name}-{version}.data`.
    pub fn data_dir(&self) -> String {
        format!("{}-{}.data", self.name.as_dist_info_name(), self.version)
    }

    /// The filename without the `.whl` extension, in canonical form.
    pub fn stem(&self) -> String {
        let mut stem = format!("{}-{}", self.name.as_dist_info_name(), self.version);
        if let Some(build_tag) = &self.build_tag {
            stem.push('-');
            stem.push_str(&build_tag.to_string());
        }
        stem.push('-');
        stem.push_str(&self.python_tag.join("."));
        stem.push('-');
        stem.push_str(&self.abi_tag.join("."));
        stem.push('-');
        stem.push_str(&self.platform_tag.join("."));
        stem
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.whl", self.stem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compressed_tag_sets() {
        let wheel: WheelFilename = "six-1.16.0-py2.py3-none-any.whl".parse().unwrap();
        assert_eq!(wheel.name.as_str(), "six");
        assert_eq!(wheel.version.to_string(), "1.16.0");
        assert_eq!(wheel.python_tag, ["py2", "py3"]);
        assert_eq!(
            wheel.tags().collect::<Vec<_>>(),
            [("py2", "none", "any"), ("py3", "none", "any")]
        );
        assert_eq!(wheel.to_string(), "six-1.16.0-py2.py3-none-any.whl");
    }

    #[test]
    fn parses_build_tags_and_orders_them() {
        let a: WheelFilename = "foo-1.0-2-py3-none-any.whl".parse().unwrap();
        let b: WheelFilename = "foo-1.0-10b-py3-none-any.whl".parse().unwrap();
        assert!(a.build_tag < b.build_tag);
        assert!(
            "foo-1.0-x1-py3-none-any.whl"
                .parse::<WheelFilename>()
                .is_err()
        );
    }

    #[test]
    fn dist_info_dir_uses_escaped_name() {
        let wheel: WheelFilename = "Typing.Extensions-4.8.0-py3-none-any.whl".parse().unwrap();
        assert_eq!(wheel.dist_info_dir(), "typing_extensions-4.8.0.dist-info");
        assert_eq!(wheel.data_dir(), "typing_extensions-4.8.0.data");
    }

    #[test]
    fn rejects_malformed_filenames() {
        for input in [
            "foo-1.0.tar.gz",
            "foo-py3-none-any.whl",
            "foo-1.0-py3-none-any-extra-part.whl",
            "foo-not_a_version-py3-none-any.whl",
            "foo-1.0-py3..py2-none-any.whl",
        ] {
            assert!(input.parse::<WheelFilename>().is_err(), "{input}");
        }
    }
}
