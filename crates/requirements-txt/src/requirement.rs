//! One requirement line: PEP 508, or a bare wheel path or URL.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use distribution_filename::WheelFilename;
use pep508_rs::{MarkerTree, Requirement};
use puffin_package::pep508_panic_guard;
use puffin_redact::redact_text;
use url::Url;

use crate::error::RequirementsTxtError;
use crate::lines::LogicalLine;
use crate::parse::FileContext;

/// `scheme://...` (or `file:`): a URL rather than a path.
pub(crate) fn is_url(value: &str) -> bool {
    if value.starts_with("file:") {
        return true;
    }
    value.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// A requirement line's target: a PEP 508 requirement (wheel paths and URLs
/// become `name @ url`), or a path or URL that must be built first.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A named requirement.
    Named(Requirement),
    /// A project directory, a source archive or a VCS URL.
    Source(SourceTarget),
}

/// A path or URL to build, as [`crate::SourceEntry`] holds it.
#[derive(Debug)]
pub(crate) struct SourceTarget {
    pub(crate) target: String,
    pub(crate) url: Url,
    pub(crate) name: Option<String>,
    pub(crate) extras: Vec<String>,
    pub(crate) marker: Option<MarkerTree>,
}

/// Parse the requirement part of a line (without trailing options).
pub(crate) fn parse_requirement(
    context: &FileContext<'_>,
    line: &LogicalLine,
    offset: usize,
    text: &str,
) -> Result<Parsed, RequirementsTxtError> {
    let (target, _, _) = split_target(text);
    let is_pep508_direct = text
        .split_once('@')
        .is_some_and(|(name, _)| !name.contains(['/', '\\', ':']));
    let looks_like_path = target.starts_with(['.', '/', '\\', '~'])
        || target.contains(['/', '\\'])
        || target.to_ascii_lowercase().ends_with(".whl");
    if is_pep508_direct || !(is_url(target) || looks_like_path) {
        return parse_pep508(context, line, offset, text).map(Parsed::Named);
    }
    if !extension(target).ends_with(".whl") {
        return parse_source(context, line, offset, text).map(Parsed::Source);
    }
    parse_wheel_target(context, line, offset, text).map(Parsed::Named)
}

/// Split `target[extras] ; marker` (pip separates the markers of a URL or
/// path with `; `, since a `;` may appear inside a URL).
fn split_target(text: &str) -> (&str, Option<&str>, Option<&str>) {
    let (target, marker) = match text.find("; ") {
        Some(index) => (text[..index].trim_end(), Some(text[index + 1..].trim())),
        None => (text, None),
    };
    match target
        .strip_suffix(']')
        .and_then(|rest| rest.rsplit_once('['))
    {
        Some((path, extras)) => (path, Some(extras), marker),
        None => (target, None, marker),
    }
}

/// The lowercase target, without a URL's fragment (`#sha256=...`) or query.
fn extension(target: &str) -> String {
    if is_url(target) {
        target.split(['#', '?']).next().unwrap_or(target)
    } else {
        target
    }
    .to_ascii_lowercase()
}

fn parse_pep508(
    context: &FileContext<'_>,
    line: &LogicalLine,
    offset: usize,
    text: &str,
) -> Result<Requirement, RequirementsTxtError> {
    if let Some((index, len, reason)) = pep508_panic_guard(text) {
        let start = offset + index;
        return Err(RequirementsTxtError::Requirement {
            location: context.location(line, start, start + len),
            reason,
        });
    }
    Requirement::from_str(text).map_err(|err| {
        let start = offset + err.start.min(text.len());
        RequirementsTxtError::Requirement {
            location: context.location(line, start, start + err.len),
            reason: redact_text(&err.message.to_string()).into_owned(),
        }
    })
}

/// A path or URL to build: a `-e` value, or a bare line that is not a wheel.
pub(crate) fn parse_source(
    context: &FileContext<'_>,
    line: &LogicalLine,
    offset: usize,
    text: &str,
) -> Result<SourceTarget, RequirementsTxtError> {
    let whole = || context.location(line, offset, offset + text.len());
    let (target, extras, marker) = split_target(text);
    let lowercase = target.to_ascii_lowercase();
    if ["hg+", "svn+", "bzr+"]
        .iter()
        .any(|prefix| lowercase.starts_with(prefix))
    {
        return Err(RequirementsTxtError::UnsupportedRequirement {
            location: whole(),
            reason: format!(
                "`{}` is a Mercurial, Subversion or Bazaar URL; puffin supports `git+` URLs only",
                redact_text(target)
            ),
        });
    }
    let url = target_url(context, target).map_err(|reason| RequirementsTxtError::Requirement {
        location: whole(),
        reason,
    })?;
    let marker = marker
        .map(|marker| {
            // pep508_rs panics on some markers: check them as a requirement's.
            if let Some((_, _, reason)) = pep508_panic_guard(&format!("x ; {marker}")) {
                return Err(RequirementsTxtError::Requirement {
                    location: whole(),
                    reason,
                });
            }
            MarkerTree::from_str(marker).map_err(|err| RequirementsTxtError::Requirement {
                location: whole(),
                reason: format!("invalid marker `{marker}`: {err}"),
            })
        })
        .transpose()?;
    let name = url.fragment().and_then(|fragment| {
        fragment
            .split('&')
            .find_map(|pair| pair.strip_prefix("egg="))
            .map(str::to_string)
    });
    Ok(SourceTarget {
        target: target.to_string(),
        url,
        name,
        extras: extras
            .map(|extras| {
                extras
                    .split(',')
                    .map(|extra| extra.trim().to_string())
                    .filter(|extra| !extra.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        marker,
    })
}

/// The absolute URL of a path or URL target; `file:.` and other relative
/// `file:` URLs (as pip-compile writes them) are paths relative to the
/// working directory.
fn target_url(context: &FileContext<'_>, target: &str) -> Result<Url, String> {
    let shown = redact_text(target);
    let relative_file = target
        .strip_prefix("file:")
        .filter(|rest| !rest.starts_with("//"));
    if let Some(path) = relative_file.or((!is_url(target)).then_some(target)) {
        let path = normalize(&context.working_dir.join(path));
        return Url::from_file_path(&path)
            .map_err(|()| format!("`{}` cannot be turned into a file URL", path.display()));
    }
    Url::parse(target).map_err(|err| format!("`{shown}` is not a valid URL: {err}"))
}

/// A bare wheel path or URL, as `name @ url` named after the wheel filename.
fn parse_wheel_target(
    context: &FileContext<'_>,
    line: &LogicalLine,
    offset: usize,
    text: &str,
) -> Result<Requirement, RequirementsTxtError> {
    let whole = || context.location(line, offset, offset + text.len());
    let (target, extras, marker) = split_target(text);
    let url = target_url(context, target).map_err(|reason| RequirementsTxtError::Requirement {
        location: whole(),
        reason,
    })?;
    let filename = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .map(percent_decode)
        .unwrap_or_default();
    let wheel =
        WheelFilename::from_str(&filename).map_err(|err| RequirementsTxtError::Requirement {
            location: whole(),
            reason: err.to_string(),
        })?;
    let mut pep508 = wheel.name.to_string();
    if let Some(extras) = extras {
        pep508.push_str(&format!("[{extras}]"));
    }
    pep508.push_str(&format!(" @ {url}"));
    if let Some(marker) = marker {
        pep508.push_str(&format!(" ; {marker}"));
    }
    if let Some((_, _, reason)) = pep508_panic_guard(&pep508) {
        return Err(RequirementsTxtError::Requirement {
            location: whole(),
            reason,
        });
    }
    Requirement::from_str(&pep508).map_err(|err| RequirementsTxtError::Requirement {
        location: whole(),
        reason: format!("{} (in `{}`)", err.message, redact_text(&pep508)),
    })
}

/// Remove `.` and resolve `..` components without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// Decode `%XX` escapes (e.g. `%2B` for the `+` of a local version).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_urls() {
        assert!(is_url("http://127.0.0.1/x.whl"));
        assert!(is_url("git+https://127.0.0.1/repo"));
        assert!(is_url("file:relative.whl"));
        assert!(!is_url("./dist/x.whl"));
        assert!(!is_url("C:\\wheels\\x.whl"));
        assert!(!is_url("://x"));
    }

    #[test]
    fn guards_inputs_that_panic_pep508_rs() {
        assert_eq!(
            pep508_panic_guard("flask>=2 ; python_version >= \"3.8\""),
            None
        );
        assert_eq!(
            pep508_panic_guard("foo @ file:///tmp/caf\u{e9}/foo-1.0-py3-none-any.whl"),
            None
        );
        assert!(pep508_panic_guard("foo- >=1").is_some());
        assert!(pep508_panic_guard("foo ; python_version >= \"3.8\"\u{e9}").is_some());
        assert!(pep508_panic_guard("foo ; os_name == \"\u{e9}\"").is_some());
        // The marker's `@` does not start a URL.
        assert!(pep508_panic_guard("foo ; a @ \u{e9}").is_some());
    }

    #[test]
    fn normalizes_paths_lexically() {
        assert_eq!(
            normalize(Path::new("/a/./b/../c/x.whl")),
            PathBuf::from("/a/c/x.whl")
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("foo-1.0%2Bcpu-py3"), "foo-1.0+cpu-py3");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%2b"), "%zz+");
        // A sign is not a hex digit: `u8::from_str_radix` would read `+1`.
        assert_eq!(percent_decode("%+1x"), "%+1x");
    }
}
