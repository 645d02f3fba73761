//! PEP 751 markers: PEP 508 plus `"<name>" in extras` and
//! `"<name>" in dependency_groups` (and `not in`), which `pep508_rs` does not
//! know. They are rewritten into `extra == "<name>"` (`!=` for `not in`) for
//! extras and `extra == "dependency-group-<name>"` for groups, and evaluated
//! with the selected extras and groups as the extras list.

use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree};

/// The prefix that turns a group name into an extra name.
const GROUP_PREFIX: &str = "dependency-group-";

/// A parsed lock marker.
#[derive(Debug, Clone)]
pub(crate) struct LockMarker(MarkerTree);

impl LockMarker {
    /// Parse a marker of a lock, or `None` when it is invalid.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        MarkerTree::from_str(&rewrite(text)).ok().map(Self)
    }

    /// Whether the marker holds in `env` with these extras and groups
    /// selected.
    pub(crate) fn evaluate(&self, env: &MarkerEnvironment, selected: &[ExtraName]) -> bool {
        self.0.evaluate(env, selected)
    }
}

/// The extras list that stands for selected extras and groups.
pub(crate) fn selected(extras: &[String], groups: &[String]) -> Vec<ExtraName> {
    extras
        .iter()
        .map(String::clone)
        .chain(groups.iter().map(|group| format!("{GROUP_PREFIX}{group}")))
        .filter_map(|name| ExtraName::from_str(&name).ok())
        .collect()
}

/// Replace every `<quoted> [not] in extras|dependency_groups` of `text`.
fn rewrite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(quote_at) = rest.find(['"', '\'']) {
        let quote = rest[quote_at..].chars().next().unwrap_or('"');
        let Some(length) = rest[quote_at + 1..].find(quote) else {
            break;
        };
        let value = &rest[quote_at + 1..quote_at + 1 + length];
        let after = &rest[quote_at + length + 2..];
        out.push_str(&rest[..quote_at]);
        match membership(after) {
            Some((negated, group, consumed)) => {
                let operator = if negated { "!=" } else { "==" };
                let prefix = if group { GROUP_PREFIX } else { "" };
                out.push_str(&format!("extra {operator} \"{prefix}{value}\""));
                rest = &after[consumed..];
            }
            None => {
                out.push_str(&rest[quote_at..quote_at + length + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// After a quoted string: `in extras`, `not in dependency_groups`, ...;
/// whether negated, whether a group, and how many bytes it spans.
fn membership(after: &str) -> Option<(bool, bool, usize)> {
    let words: Vec<&str> = after.split_whitespace().take(3).collect();
    let (negated, variable) = match words.as_slice() {
        ["not", "in", variable, ..] => (true, *variable),
        ["in", variable, ..] => (false, *variable),
        _ => return None,
    };
    let variable = variable.trim_end_matches(')');
    let group = match variable {
        "extras" => false,
        "dependency_groups" => true,
        _ => return None,
    };
    let end = after.find(variable)? + variable.len();
    Some((negated, group, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_extras_and_groups() {
        assert_eq!(
            rewrite("'dev' in dependency_groups and sys_platform == 'linux'"),
            "extra == \"dependency-group-dev\" and sys_platform == 'linux'"
        );
        assert_eq!(rewrite("(\"cli\" not in extras)"), "(extra != \"cli\")");
        assert_eq!(
            rewrite("python_version >= '3.8'"),
            "python_version >= '3.8'"
        );
    }
}
