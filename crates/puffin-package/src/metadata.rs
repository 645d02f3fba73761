use std::borrow::Cow;
use std::str::FromStr;

use distribution_filename::PackageName;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::Requirement;

use crate::MetadataError;

/// The fields puffin uses from a [core metadata] file (`METADATA`, `PKG-INFO`),
/// for every `Metadata-Version` from 1.0 to 2.4.
///
/// [core metadata]: https://packaging.python.org/en/latest/specifications/core-metadata/
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `Name`, normalized.
    pub name: PackageName,
    /// `Version`.
    pub version: Version,
    /// Every `Requires-Dist`, in file order, with their markers (including
    /// `extra == "..."` markers, for the caller to evaluate).
    pub requires_dist: Vec<Requirement>,
    /// `Requires-Python`, if present.
    pub requires_python: Option<VersionSpecifiers>,
    /// Every `Provides-Extra`, as written.
    pub provides_extras: Vec<String>,
}

/// One header field: its name, its unfolded value and the line it starts on.
struct Field<'a> {
    name: &'a str,
    value: Cow<'a, str>,
    line: usize,
}

/// Split the header section of an RFC 822 style message into fields.
///
/// The header section ends at the first empty line (the body, e.g. the
/// description, follows) or, as Python's `email` parser does, at the first
/// line that is neither a `Name: value` field nor a continuation line.
/// Continuation lines (starting with a space or a tab) are unfolded into the
/// previous field's value.
fn fields(text: &str) -> Vec<Field<'_>> {
    let mut fields: Vec<Field<'_>> = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(field) = fields.last_mut() {
                field.value.to_mut().push_str(line);
                continue;
            }
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            break;
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            break;
        }
        fields.push(Field {
            name,
            value: Cow::Borrowed(value.trim_start_matches([' ', '\t'])),
            line: index + 1,
        });
    }
    for field in &mut fields {
        let trimmed = field.value.trim_end();
        if trimmed.len() != field.value.len() {
            field.value = Cow::Owned(trimmed.to_string());
        }
    }
    fields
}

/// Make common invalid `Requires-Python` values parse: `>=3.6.*` (a wildcard
/// with an ordered comparison), quotes around the value, and a trailing comma.
fn lenient_requires_python(value: &str) -> Option<VersionSpecifiers> {
    let fixed = value
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        .trim_end_matches(',')
        .split(',')
        .map(|specifier| {
            let specifier = specifier.trim();
            if specifier.starts_with("==") || specifier.starts_with("!=") {
                Cow::Borrowed(specifier)
            } else {
                Cow::Borrowed(specifier.strip_suffix(".*").unwrap_or(specifier))
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    VersionSpecifiers::from_str(&fixed).ok()
}

/// Inputs on which pep508_rs 0.9.2 panics instead of returning an error, as
/// `(byte offset, byte length, reason)`.
///
/// - A name ending in `.`, `-` or `_` followed by more text (`foo- >=1`): the
///   parser accepts it, then `PackageName::new` rejects it and it panics.
/// - A multi-byte character where the marker parser looks ahead
///   (`a ; python_version >= "3.8"é`): it counts characters as bytes and
///   slices inside the character. Outside the URL of `name @ url`, non-ASCII
///   characters are invalid or (in marker strings) unheard of.
pub fn pep508_panic_guard(text: &str) -> Option<(usize, usize, String)> {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .count();
    if name_len > 0 && matches!(text.as_bytes()[name_len - 1], b'.' | b'-' | b'_') {
        return Some((
            name_len - 1,
            1,
            format!(
                "package name `{}` must end with a letter or digit",
                &text[..name_len]
            ),
        ));
    }
    // Only the first `@`, before any `;`, starts the URL of `name @ url`.
    let mut url_possible = true;
    let mut in_url = false;
    let mut after_at = false;
    for (index, ch) in text.char_indices() {
        if in_url {
            in_url = !ch.is_whitespace();
        } else if after_at && !ch.is_whitespace() {
            after_at = false;
            in_url = true;
        } else if ch == '@' && url_possible {
            after_at = true;
            url_possible = false;
        } else if ch == ';' {
            url_possible = false;
        } else if !ch.is_ascii() {
            return Some((
                index,
                ch.len_utf8(),
                format!("unexpected character `{ch}`: names, versions and markers are ASCII"),
            ));
        }
    }
    None
}

impl Metadata {
    /// Parse a core metadata file.
    ///
    /// Bytes that are not UTF-8 are replaced (older metadata was sometimes
    /// written in Latin-1 in free-text fields). Field names are matched
    /// ignoring case. `Name` and `Version` are required; an invalid
    /// `Requires-Dist` is an error naming its line.
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let text = String::from_utf8_lossy(bytes);
        let mut name = None;
        let mut version = None;
        let mut requires_dist = Vec::new();
        let mut requires_python = None;
        let mut provides_extras = Vec::new();
        for field in fields(&text) {
            let value = field.value.as_ref();
            let is = |expected: &str| field.name.eq_ignore_ascii_case(expected);
            if is("Metadata-Version") {
                // Core metadata: a newer minor version must still be read; a
                // newer major version must not.
                let major = value.split('.').next().unwrap_or_default();
                if !matches!(major, "1" | "2") {
                    return Err(MetadataError::UnsupportedMetadataVersion(value.to_string()));
                }
            } else if is("Name") {
                name = Some(PackageName::new(value).map_err(MetadataError::InvalidName)?);
            } else if is("Version") {
                version = Some(Version::from_str(value).map_err(|err| {
                    MetadataError::InvalidVersion {
                        value: value.to_string(),
                        err,
                    }
                })?);
            } else if is("Requires-Dist") {
                if let Some((_, _, reason)) = pep508_panic_guard(value) {
                    return Err(MetadataError::InvalidRequirementText {
                        line: field.line,
                        value: value.to_string(),
                        reason,
                    });
                }
                let requirement = Requirement::from_str(value).map_err(|err| {
                    MetadataError::InvalidRequirement {
                        line: field.line,
                        value: value.to_string(),
                        err: Box::new(err),
                    }
                })?;
                requires_dist.push(requirement);
            } else if is("Requires-Python") {
                if value.is_empty() {
                    continue;
                }
                let specifiers = VersionSpecifiers::from_str(value).or_else(|err| {
                    lenient_requires_python(value).ok_or_else(|| {
                        MetadataError::InvalidRequiresPython {
                            line: field.line,
                            value: value.to_string(),
                            err,
                        }
                    })
                })?;
                requires_python = Some(specifiers);
            } else if is("Provides-Extra") {
                provides_extras.push(value.to_string());
            }
        }
        Ok(Self {
            name: name.ok_or(MetadataError::MissingField("Name"))?,
            version: version.ok_or(MetadataError::MissingField("Version"))?,
            requires_dist,
            requires_python,
            provides_extras,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    /// The error and its causes, one per line.
    fn chain(err: &dyn Error) -> String {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(err) = source {
            message.push_str(&format!("\n  Caused by: {err}"));
            source = err.source();
        }
        message
    }

    #[test]
    fn parses_metadata_2_1() {
        let metadata = Metadata::parse(
            b"Metadata-Version: 2.1\r\n\
              Name: Flask\r\n\
              Version: 3.0.0\r\n\
              Summary: A simple framework\r\n\
              Requires-Python: >=3.8\r\n\
              Requires-Dist: Werkzeug >=3.0.0\r\n\
              Requires-Dist: importlib-metadata >=3.6.0 ; python_version < \"3.10\"\r\n\
              Requires-Dist: asgiref >=3.2 ; extra == \"async\"\r\n\
              Provides-Extra: async\r\n\
              Provides-Extra: dotenv\r\n\
              \r\n\
              Name: not-a-header\r\n",
        )
        .unwrap();
        assert_eq!(metadata.name.as_str(), "flask");
        assert_eq!(metadata.version.to_string(), "3.0.0");
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.8");
        let requires: Vec<String> = metadata
            .requires_dist
            .iter()
            .map(ToString::to_string)
            .collect();
        insta::assert_debug_snapshot!(requires, @r#"
        [
            "werkzeug>=3.0.0",
            "importlib-metadata>=3.6.0 ; python_full_version < '3.10'",
            "asgiref>=3.2 ; extra == 'async'",
        ]
        "#);
        assert_eq!(metadata.provides_extras, ["async", "dotenv"]);
    }

    #[test]
    fn parses_metadata_1_0_with_folded_description() {
        let metadata = Metadata::parse(
            b"Metadata-Version: 1.0\n\
              name: six\n\
              Version: 1.16.0\n\
              Description: first line\n        |second line\n        |\n\
              Requires-Dist: foo\n \t(>=1.0)\n",
        )
        .unwrap();
        assert_eq!(metadata.name.as_str(), "six");
        assert_eq!(metadata.requires_dist[0].to_string(), "foo>=1.0");
        assert_eq!(metadata.requires_python, None);
    }

    #[test]
    fn accepts_common_invalid_requires_python() {
        let metadata =
            Metadata::parse(b"Name: a\nVersion: 1\nRequires-Python: >=3.6.*, <4\n").unwrap();
        assert_eq!(metadata.requires_python.unwrap().to_string(), ">=3.6, <4");
    }

    #[test]
    fn stops_at_the_first_line_that_is_not_a_header() {
        let metadata = Metadata::parse(
            b"Name: a\nVersion: 1\nthis is the body\nRequires-Dist: not parsed (\n",
        )
        .unwrap();
        assert!(metadata.requires_dist.is_empty());
    }

    /// pep508_rs 0.9.2 panics on these instead of returning an error; they
    /// must become errors.
    #[test]
    fn pep508_panics_become_errors() {
        for requirement in [
            "foo- >=1",
            "foo ; python_version >= \"3.8\"é",
            "a ; os_name == \"x\" é",
        ] {
            let metadata = format!("Name: a\nVersion: 1\nRequires-Dist: {requirement}\n");
            let err = Metadata::parse(metadata.as_bytes()).unwrap_err();
            assert!(
                matches!(err, MetadataError::InvalidRequirementText { line: 3, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn errors_name_the_field_and_line() {
        let cases: [&[u8]; 6] = [
            b"Metadata-Version: 2.1\nVersion: 1.0\n",
            b"Name: foo\nSummary: no version\n",
            b"Name: foo bar\nVersion: 1.0\n",
            b"Name: foo\nVersion: one\n",
            b"Name: foo\nVersion: 1.0\nRequires-Dist: bar\nRequires-Dist: baz >= = 2\n",
            b"Metadata-Version: 3.0\nName: foo\nVersion: 1.0\n",
        ];
        let rendered: Vec<String> = cases
            .iter()
            .map(|case| chain(&Metadata::parse(case).unwrap_err()))
            .collect();
        insta::assert_snapshot!(rendered.join("\n---\n"));
    }
}
