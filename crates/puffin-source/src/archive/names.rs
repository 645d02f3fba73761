//! Entry names and link targets: which ones an archive may hold, and their
//! normal form.
//!
//! Anything that could land outside the target, or mean different things on
//! different platforms, is refused rather than "sanitized", as for wheels.

use crate::error::EntryError;

/// Check an entry name and bring it into normal form (`/`-separated, no `.`
/// or empty components): `./pkg-1.0//setup.py` is `pkg-1.0/setup.py`. The
/// result is empty for the archive root itself (`./`).
pub(crate) fn normalize_entry_name(name: &str) -> Result<String, EntryError> {
    check_characters(name)?;
    if name.starts_with('/') || has_drive_prefix(name) {
        return Err(EntryError::Absolute);
    }
    let mut normal = Vec::new();
    for component in name.split('/') {
        match component {
            "" | "." => {}
            ".." => return Err(EntryError::ParentDir),
            component => normal.push(component),
        }
    }
    let normal = normal.join("/");
    // `./C:x` becomes `C:x`: the drive is checked in the normal form too.
    if has_drive_prefix(&normal) {
        return Err(EntryError::Absolute);
    }
    Ok(normal)
}

/// Check the characters of a symbolic link's target; `..` is allowed here,
/// where the target is resolved against the tree.
pub(crate) fn check_link_target(target: &str) -> Result<(), EntryError> {
    if target.is_empty() || target.contains('\\') || target.chars().any(char::is_control) {
        return Err(EntryError::InvalidLinkTarget(printable(target)));
    }
    if target.starts_with('/') || has_drive_prefix(target) {
        return Err(EntryError::AbsoluteLinkTarget(printable(target)));
    }
    Ok(())
}

fn check_characters(name: &str) -> Result<(), EntryError> {
    if name.chars().any(char::is_control) {
        return Err(EntryError::ControlCharacter);
    }
    if name.contains('\\') {
        return Err(EntryError::Backslash);
    }
    Ok(())
}

/// A name for messages: control characters escaped, the rest as is.
pub(crate) fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// `C:`, `C:foo`: a path relative to a drive on Windows, absolute enough to
/// escape the target.
fn has_drive_prefix(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(
            normalize_entry_name("./pkg-1.0//setup.py").unwrap(),
            "pkg-1.0/setup.py"
        );
        assert_eq!(normalize_entry_name("./").unwrap(), "");
        assert_eq!(normalize_entry_name("pkg/").unwrap(), "pkg");
        assert_eq!(normalize_entry_name("a..b/c..py").unwrap(), "a..b/c..py");
        assert_eq!(
            normalize_entry_name("/etc/passwd"),
            Err(EntryError::Absolute)
        );
        assert_eq!(normalize_entry_name("C:/x"), Err(EntryError::Absolute));
        assert_eq!(normalize_entry_name("./c:x"), Err(EntryError::Absolute));
        assert_eq!(
            normalize_entry_name("a/../../b"),
            Err(EntryError::ParentDir)
        );
        assert_eq!(normalize_entry_name("a/.."), Err(EntryError::ParentDir));
        assert_eq!(normalize_entry_name("a\\..\\b"), Err(EntryError::Backslash));
        assert_eq!(
            normalize_entry_name("a\0b"),
            Err(EntryError::ControlCharacter)
        );
    }

    #[test]
    fn link_targets() {
        assert!(check_link_target("../README.md").is_ok());
        assert!(matches!(
            check_link_target("/tmp"),
            Err(EntryError::AbsoluteLinkTarget(_))
        ));
        assert!(matches!(
            check_link_target("D:\\x"),
            Err(EntryError::InvalidLinkTarget(_))
        ));
        assert!(matches!(
            check_link_target("c:x"),
            Err(EntryError::AbsoluteLinkTarget(_))
        ));
        assert!(matches!(
            check_link_target(""),
            Err(EntryError::InvalidLinkTarget(_))
        ));
    }
}
