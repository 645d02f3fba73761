//! The options of pip's requirements files and their parsing.

use crate::error::RequirementsTxtError;
use crate::lines::LogicalLine;
use crate::parse::FileContext;

/// A whitespace-separated token of a logical line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub(crate) text: &'a str,
    pub(crate) start: usize,
}

pub(crate) fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (index, ch) in text.char_indices() {
        if ch.is_whitespace() {
            if let Some(begin) = start.take() {
                tokens.push(Token {
                    text: &text[begin..index],
                    start: begin,
                });
            }
        } else if start.is_none() {
            start = Some(index);
        }
    }
    if let Some(begin) = start {
        tokens.push(Token {
            text: &text[begin..],
            start: begin,
        });
    }
    tokens
}

/// The options pip accepts in requirements files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionKind {
    Requirement,
    Constraint,
    Editable,
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    NoIndex,
    Pre,
    RequireHashes,
    TrustedHost,
    Hash,
    OnlyBinary,
    PreferBinary,
    NoBinary,
    UseFeature,
    GlobalOption,
    ConfigSettings,
    InstallOption,
    AlwaysUnzip,
}

/// `(long name, short name, takes a value, kind)`.
const OPTIONS: &[(&str, Option<char>, bool, OptionKind)] = &[
    ("requirement", Some('r'), true, OptionKind::Requirement),
    ("constraint", Some('c'), true, OptionKind::Constraint),
    ("editable", Some('e'), true, OptionKind::Editable),
    ("index-url", Some('i'), true, OptionKind::IndexUrl),
    ("extra-index-url", None, true, OptionKind::ExtraIndexUrl),
    ("find-links", Some('f'), true, OptionKind::FindLinks),
    ("no-index", None, false, OptionKind::NoIndex),
    ("pre", None, false, OptionKind::Pre),
    ("require-hashes", None, false, OptionKind::RequireHashes),
    ("trusted-host", None, true, OptionKind::TrustedHost),
    ("hash", None, true, OptionKind::Hash),
    ("only-binary", None, true, OptionKind::OnlyBinary),
    ("prefer-binary", None, false, OptionKind::PreferBinary),
    ("no-binary", None, true, OptionKind::NoBinary),
    ("use-feature", None, true, OptionKind::UseFeature),
    ("global-option", None, true, OptionKind::GlobalOption),
    (
        "config-settings",
        Some('C'),
        true,
        OptionKind::ConfigSettings,
    ),
    ("install-option", None, true, OptionKind::InstallOption),
    ("always-unzip", Some('Z'), false, OptionKind::AlwaysUnzip),
];

/// An option with its value and where it is on the logical line.
#[derive(Debug)]
pub(crate) struct ParsedOption {
    pub(crate) kind: OptionKind,
    /// The option as written, e.g. `--index-url` or `-i`.
    pub(crate) name: String,
    pub(crate) value: Option<String>,
    /// Byte range of the option and its value.
    pub(crate) start: usize,
    pub(crate) value_start: usize,
    pub(crate) end: usize,
}

/// Parse option tokens like pip's `optparse` does: `--name=value`,
/// `--name value`, `-xvalue`, `-x value`, and unambiguous prefixes of long
/// names (`--extra-index`).
pub(crate) fn parse_options(
    context: &FileContext<'_>,
    line: &LogicalLine,
    tokens: &[Token<'_>],
) -> Result<Vec<ParsedOption>, RequirementsTxtError> {
    let mut options = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let token = tokens[index];
        let token_end = token.start + token.text.len();
        index += 1;
        let unknown = || RequirementsTxtError::UnknownOption {
            location: context.location(line, token.start, token_end),
            option: token
                .text
                .split('=')
                .next()
                .unwrap_or(token.text)
                .to_string(),
        };
        let (spec, name, inline_value, inline_start) =
            if let Some(long) = token.text.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (long, None),
                };
                let exact = OPTIONS.iter().find(|spec| spec.0 == name);
                let spec = match exact {
                    Some(spec) => spec,
                    None => {
                        let mut candidates = OPTIONS
                            .iter()
                            .filter(|spec| !name.is_empty() && spec.0.starts_with(name));
                        match (candidates.next(), candidates.next()) {
                            (Some(spec), None) => spec,
                            _ => return Err(unknown()),
                        }
                    }
                };
                (
                    spec,
                    format!("--{}", spec.0),
                    value,
                    token.start + 2 + name.len() + 1,
                )
            } else if let Some(short) = token.text.strip_prefix('-') {
                let mut chars = short.chars();
                let Some(letter) = chars.next() else {
                    return Err(unknown());
                };
                let Some(spec) = OPTIONS.iter().find(|spec| spec.1 == Some(letter)) else {
                    return Err(unknown());
                };
                let rest = chars.as_str();
                let value = (!rest.is_empty()).then_some(rest);
                (
                    spec,
                    format!("-{letter}"),
                    value,
                    token.start + 1 + letter.len_utf8(),
                )
            } else {
                return Err(RequirementsTxtError::Requirement {
                    location: context.location(line, token.start, token_end),
                    reason: "expected an option; put each requirement on its own line".to_string(),
                });
            };
        let (_, _, takes_value, kind) = *spec;
        let (value, value_start, end) = match (takes_value, inline_value) {
            (true, Some(value)) if !value.is_empty() => (Some(value), inline_start, token_end),
            (true, _) => {
                let Some(next) = tokens.get(index) else {
                    return Err(RequirementsTxtError::MissingValue {
                        location: context.location(line, token.start, token_end),
                        option: name,
                    });
                };
                index += 1;
                (Some(next.text), next.start, next.start + next.text.len())
            }
            (false, Some(_)) => {
                return Err(RequirementsTxtError::UnsupportedOption {
                    location: context.location(line, token.start, token_end),
                    reason: format!("`{name}` takes no value"),
                    option: name,
                });
            }
            (false, None) => (None, token_end, token_end),
        };
        options.push(ParsedOption {
            kind,
            name,
            value: value.map(|value| unquote(value).to_string()),
            start: token.start,
            value_start,
            end,
        });
    }
    Ok(options)
}

/// Remove one pair of matching quotes, as pip's `shlex` splitting would.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|value| value.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// Check a `--hash` value: pip accepts `sha256`, `sha384` and `sha512`.
pub(crate) fn validate_hash(value: &str) -> Result<(), String> {
    let expected = "expected `--hash=<algorithm>:<hex digest>` with sha256, sha384 or sha512, e.g. `--hash=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae`";
    let Some((algorithm, digest)) = value.split_once(':') else {
        return Err(format!(
            "`{value}` has no `:` between algorithm and digest; {expected}"
        ));
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "unsupported hash algorithm `{algorithm}`; {expected}"
            ));
        }
    };
    if digest.len() != length || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "a {algorithm} digest is {length} hexadecimal characters, got `{digest}`; {expected}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_with_offsets() {
        let tokens = tokenize("  -r\tfile.txt  x ");
        let found: Vec<(&str, usize)> = tokens.iter().map(|t| (t.text, t.start)).collect();
        assert_eq!(found, [("-r", 2), ("file.txt", 5), ("x", 15)]);
    }

    #[test]
    fn validates_hashes() {
        let digest = "a".repeat(64);
        assert!(validate_hash(&format!("sha256:{digest}")).is_ok());
        assert!(validate_hash(&format!("sha256:{}", digest.to_uppercase())).is_ok());
        assert!(validate_hash(&format!("sha384:{}", "0".repeat(96))).is_ok());
        assert!(validate_hash(&format!("sha512:{}", "0".repeat(128))).is_ok());
        assert!(validate_hash(&format!("sha256={digest}")).is_err());
        assert!(validate_hash(&format!("md5:{}", "0".repeat(32))).is_err());
        assert!(validate_hash(&format!("sha256:{}", "g".repeat(64))).is_err());
        assert!(validate_hash("sha256:").is_err());
    }

    #[test]
    fn removes_matching_quotes_only() {
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("'x'"), "x");
        assert_eq!(unquote("'x\""), "'x\"");
        assert_eq!(unquote("\""), "\"");
    }
}
