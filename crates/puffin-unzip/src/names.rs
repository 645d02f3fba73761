//! Entry names: which names a wheel may contain, and their normal form.
//!
//! PEP 427 archives use `/`-separated relative paths. Anything that could
//! land outside the extraction directory, or mean different things on
//! different platforms, is refused rather than "sanitized": a wheel that needs
//! it is broken or hostile, and guessing would install something its author
//! did not ship.

use std::fmt;

use install_wheel_rs::MANIFEST_FILENAME;

/// Top-level names starting with this are the store's bookkeeping (the
/// manifest, and whatever a later format adds), never a wheel's content.
const RESERVED_PREFIX: &str = ".puffin-";

/// Whether a normalized path is a top-level name the store reserves.
fn is_reserved(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or(path);
    top == MANIFEST_FILENAME || top.starts_with(RESERVED_PREFIX)
}

/// Why an entry name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryNameError {
    /// Nothing is left after removing `.` and empty components.
    Empty,
    /// It starts with `/` or a drive letter (`C:`).
    Absolute,
    /// It has a `..` component.
    ParentDir,
    /// It contains `\`, a separator on Windows.
    Backslash,
    /// It contains a NUL or another control character.
    ControlCharacter(char),
    /// It is the cache manifest, which puffin writes itself.
    Reserved,
}

impl fmt::Display for EntryNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "is empty"),
            Self::Absolute => write!(f, "is an absolute path"),
            Self::ParentDir => write!(f, "contains a `..` component, which would escape the wheel"),
            Self::Backslash => write!(f, "contains a backslash; wheel paths must be `/`-separated"),
            Self::ControlCharacter(c) => {
                write!(f, "contains the control character U+{:04X}", u32::from(*c))
            }
            Self::Reserved => write!(
                f,
                "is reserved for puffin's wheel store (top-level names starting with `.puffin-`)"
            ),
        }
    }
}

/// An entry name in normal form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryName {
    /// The relative, `/`-separated path with `.` and empty components removed.
    pub(crate) path: String,
    /// Whether the name ends with `/`, the zip convention for directories.
    pub(crate) is_dir: bool,
}

/// Check an archive entry name and bring it into normal form: `./a//b` and
/// `a/b` name the same file.
pub(crate) fn normalize_entry_name(name: &str) -> Result<EntryName, EntryNameError> {
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(EntryNameError::ControlCharacter(c));
    }
    if name.contains('\\') {
        return Err(EntryNameError::Backslash);
    }
    if name.starts_with('/') || has_drive_prefix(name) {
        return Err(EntryNameError::Absolute);
    }
    let path = normalize_path(name).ok_or(EntryNameError::ParentDir)?;
    if path.is_empty() {
        return Err(EntryNameError::Empty);
    }
    // `./C:x` becomes `C:x`: the drive is checked in the normal form too.
    if has_drive_prefix(&path) {
        return Err(EntryNameError::Absolute);
    }
    if is_reserved(&path) {
        return Err(EntryNameError::Reserved);
    }
    Ok(EntryName {
        path,
        is_dir: name.ends_with('/'),
    })
}

/// Remove `.` and empty components; `None` if there is a `..` component.
/// Used for RECORD paths too, so that both sides compare in the same form.
pub(crate) fn normalize_path(path: &str) -> Option<String> {
    let mut normal = String::with_capacity(path.len());
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => return None,
            component => {
                if !normal.is_empty() {
                    normal.push('/');
                }
                normal.push_str(component);
            }
        }
    }
    Some(normal)
}

/// An entry name for messages: control characters escaped, the rest as is.
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

    fn normal(name: &str) -> Result<(String, bool), EntryNameError> {
        normalize_entry_name(name).map(|name| (name.path, name.is_dir))
    }

    #[test]
    fn normalizes_dot_and_empty_components() {
        assert_eq!(normal("a/b.py"), Ok(("a/b.py".to_string(), false)));
        assert_eq!(normal("./a//b.py"), Ok(("a/b.py".to_string(), false)));
        assert_eq!(normal("a/./b/"), Ok(("a/b".to_string(), true)));
        assert_eq!(normal("a..b/c..py"), Ok(("a..b/c..py".to_string(), false)));
    }

    #[test]
    fn refuses_escaping_and_ambiguous_names() {
        assert_eq!(normal("/etc/passwd"), Err(EntryNameError::Absolute));
        assert_eq!(normal("C:/x"), Err(EntryNameError::Absolute));
        assert_eq!(normal("c:x"), Err(EntryNameError::Absolute));
        // Regression: `./` hid the drive, and the normal form was `a:`.
        assert_eq!(normal("./a:"), Err(EntryNameError::Absolute));
        assert_eq!(normal(".//C:/x"), Err(EntryNameError::Absolute));
        assert_eq!(normal("a/../../b"), Err(EntryNameError::ParentDir));
        assert_eq!(normal("a/.."), Err(EntryNameError::ParentDir));
        assert_eq!(normal("a\\..\\b"), Err(EntryNameError::Backslash));
        assert_eq!(normal("a\0b"), Err(EntryNameError::ControlCharacter('\0')));
        assert_eq!(normal("a\nb"), Err(EntryNameError::ControlCharacter('\n')));
        assert_eq!(
            normal("a\u{85}b"),
            Err(EntryNameError::ControlCharacter('\u{85}'))
        );
        assert_eq!(normal("./"), Err(EntryNameError::Empty));
        assert_eq!(normal(MANIFEST_FILENAME), Err(EntryNameError::Reserved));
        assert!(MANIFEST_FILENAME.starts_with(RESERVED_PREFIX));
        assert_eq!(
            normal(".puffin-archive-sha256"),
            Err(EntryNameError::Reserved)
        );
        assert_eq!(normal(".puffin-x/y.py"), Err(EntryNameError::Reserved));
        // Only at the root: it is an ordinary name elsewhere.
        assert!(normal(&format!("pkg/{MANIFEST_FILENAME}")).is_ok());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            /// Entry names come from the archive: any name is refused or
            /// brought into a normal form that stays inside the target, and
            /// normalizing that form again changes nothing.
            #[test]
            fn normal_forms_are_safe_and_stable(
                name in prop_oneof!["\\PC{0,40}", "[a-zA-Z:./\\\\]{0,16}", "(\\.{0,2}/){0,3}[A-Za-z]:?[a-z/]{0,6}"]
            ) {
                if let Ok(normal) = normalize_entry_name(&name) {
                    prop_assert!(!normal.path.is_empty());
                    prop_assert!(!normal.path.starts_with('/'));
                    prop_assert!(!normal.path.contains('\\'));
                    prop_assert!(normal.path.split('/').all(|part| !matches!(part, "" | "." | "..")));
                    prop_assert!(!has_drive_prefix(&normal.path));
                    let again = normalize_entry_name(&normal.path).unwrap();
                    prop_assert_eq!(again.path, normal.path);
                }
            }
        }
    }
}
