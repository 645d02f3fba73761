use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A project name normalized as [PEP 503] says: lowercase, with every run of
/// `-`, `_` and `.` replaced by a single `-`.
///
/// Two names that normalize to the same [`PackageName`] name the same project.
///
/// [PEP 503]: https://peps.python.org/pep-0503/#normalized-names
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

/// A string that is not a valid project name ([core metadata], `Name`).
///
/// [core metadata]: https://packaging.python.org/en/latest/specifications/core-metadata/#name
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid package name: names start and end with a letter or digit and contain only letters, digits, `-`, `_` and `.`"
)]
pub struct InvalidNameError(String);

impl PackageName {
    /// Validate and normalize a project name.
    pub fn new(name: &str) -> Result<Self, InvalidNameError> {
        let bytes = name.as_bytes();
        let valid_edge = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        if !valid_edge(bytes.first())
            || !valid_edge(bytes.last())
            || !bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(InvalidNameError(name.to_string()));
        }
        let mut normalized = String::with_capacity(name.len());
        let mut in_separator_run = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !in_separator_run {
                    normalized.push('-');
                }
                in_separator_run = true;
            } else {
                normalized.push(c.to_ascii_lowercase());
                in_separator_run = false;
            }
        }
        Ok(Self(normalized))
    }

    /// The normalized name, e.g. `typing-extensions`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as it appears in `.dist-info` and `.data` directory names and in
    /// wheel filenames: the normalized name with `-` replaced by `_`, e.g.
    /// `typing_extensions` ([binary distribution format], "escaping").
    ///
    /// [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#escaping-and-unicode
    pub fn as_dist_info_name(&self) -> Cow<'_, str> {
        if self.0.contains('-') {
            Cow::Owned(self.0.replace('-', "_"))
        } else {
            Cow::Borrowed(&self.0)
        }
    }
}

impl FromStr for PackageName {
    type Err = InvalidNameError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::new(name)
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PackageName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for PackageName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PackageName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::new(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_separator_runs() {
        for (input, expected) in [
            ("Flask", "flask"),
            ("typing_extensions", "typing-extensions"),
            ("zope.interface", "zope-interface"),
            ("Foo.-_Bar", "foo-bar"),
            ("a", "a"),
        ] {
            assert_eq!(PackageName::new(input).unwrap().as_str(), expected);
        }
    }

    #[test]
    fn dist_info_name_uses_underscores() {
        let name = PackageName::new("Typing.Extensions").unwrap();
        assert_eq!(name.as_dist_info_name(), "typing_extensions");
    }

    #[test]
    fn rejects_invalid_names() {
        for input in ["", "-a", "a-", "a b", "a/b", "ä"] {
            assert!(
                PackageName::new(input).is_err(),
                "{input:?} should be invalid"
            );
        }
    }
}
