//! One requirement line: PEP 508, or a bare wheel path or URL.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use distribution_filename::WheelFilename;
use pep508_rs::Requirement;
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

/// Parse the requirement part of a line (without trailing options).
pub(crate) fn parse_requirement(
    context: &FileContext<'_>,
    line: &LogicalLine,
    offset: usize,
    text: &str,
) -> Result<Requirement, RequirementsTxtError> {
    let whole = || context.location(line, offset, offset + text.len());
    // pip separates the markers of a URL or path with `; ` (a `;` may appear
    // inside a URL).
    let (target, marker) = match text.find("; ") {
        Some(index) => (text[..index].trim_end(), Some(text[index + 1..].trim())),
        None => (text, None),
    };
    let (target, extras) = match target
        .strip_suffix(']')
        .and_then(|rest| rest.rsplit_once('['))
    {
        Some((path, extras)) => (path, Some(extras)),
        None => (target, None),
    };
    let is_pep508_direct = text
        .split_once('@')
        .is_some_and(|(name, _)| !name.contains(['/', '\\', ':']));
    let looks_like_path = target.starts_with(['.', '/', '\\', '~'])
        || target.contains(['/', '\\'])
        || target.to_ascii_lowercase().ends_with(".whl");
    if is_pep508_direct || !(is_url(target) || looks_like_path) {
        if let Some((index, len, reason)) = pep508_panic_guard(text) {
            let start = offset + index;
            return Err(RequirementsTxtError::Requirement {
                location: context.location(line, start, start + len),
                reason,
            });
        }
        return Requirement::from_str(text).map_err(|err| {
            let start = offset + err.start.min(text.len());
            RequirementsTxtError::Requirement {
                location: context.location(line, start, start + err.len),
                reason: redact_text(&err.message.to_string()).into_owned(),
            }
        });
    }
    // The extension is judged without a URL's fragment (`#sha256=...`) or query.
    let lowercase = if is_url(target) {
        target.split(['#', '?']).next().unwrap_or(target)
    } else {
        target
    }
    .to_ascii_lowercase();
    // The target may hold an expanded `${PASSWORD}`: reasons show it redacted.
    let shown = redact_text(target);
    let unsupported = |reason: String| RequirementsTxtError::UnsupportedRequirement {
        location: whole(),
        reason,
    };
    if !lowercase.ends_with(".whl") {
        let what = if lowercase.starts_with("git+")
            || lowercase.starts_with("hg+")
            || lowercase.starts_with("svn+")
            || lowercase.starts_with("bzr+")
        {
            "a version control URL"
        } else if [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
            .iter()
            .any(|extension| lowercase.ends_with(extension))
        {
            "a source distribution"
        } else {
            "a source tree"
        };
        return Err(unsupported(format!(
            "`{shown}` is {what}, which would have to be built; puffin installs wheels only (build a wheel first, or use `-e` for a local project)"
        )));
    }
    let url = if is_url(target) {
        Url::parse(target).map_err(|err| RequirementsTxtError::Requirement {
            location: whole(),
            reason: format!("`{shown}` is not a valid URL: {err}"),
        })?
    } else {
        let path = normalize(&context.working_dir.join(target));
        Url::from_file_path(&path).map_err(|()| RequirementsTxtError::Requirement {
            location: whole(),
            reason: format!("`{}` cannot be turned into a file URL", path.display()),
        })?
    };
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
