use std::path::{Component, Path, PathBuf};

/// Resolve `.` and `..` lexically, without touching the filesystem (`..` at
/// the root stays at the root), for checking where a path points.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other.as_os_str()),
        }
    }
    normalized
}

/// Whether `path` is `dir` or lies below it, comparing bytes.
///
/// For paths made by joining names onto `dir` (no `.`, `..` or doubled
/// separators between them), the answer of [`Path::starts_with`], which
/// parses both into components: a cost that shows in a profile when it is
/// asked for each of 80,000 installed files. Any other pair can only be
/// answered `false` where `Path::starts_with` says `true`, so use it where
/// a `false` costs time, not safety.
pub fn is_within(path: &Path, dir: &Path) -> bool {
    let path = path.as_os_str().as_encoded_bytes();
    let mut dir = dir.as_os_str().as_encoded_bytes();
    while dir.len() > 1
        && dir
            .last()
            .is_some_and(|&byte| std::path::is_separator(byte.into()))
    {
        dir = &dir[..dir.len() - 1];
    }
    let Some(rest) = path.strip_prefix(dir) else {
        return false;
    };
    rest.is_empty()
        || dir
            .last()
            .is_some_and(|&byte| std::path::is_separator(byte.into()))
        || std::path::is_separator(rest[0].into())
}

/// Whether any execute bit of the file is set (never, off Unix).
#[cfg(unix)]
pub fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

/// Whether any execute bit of the file is set (never, off Unix).
#[cfg(not(unix))]
pub fn is_executable(_metadata: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_parent_components() {
        assert_eq!(
            normalize_path(Path::new("/venv/lib/site-packages/../../../etc/passwd")),
            Path::new("/etc/passwd")
        );
        assert_eq!(
            normalize_path(Path::new("/a/./b/../../../..")),
            Path::new("/")
        );
    }

    #[test]
    fn is_within_agrees_with_starts_with_on_joined_paths() {
        let cases = [
            (
                "/venv/lib/site-packages/a/b.py",
                "/venv/lib/site-packages",
                true,
            ),
            ("/venv/lib/site-packages", "/venv/lib/site-packages", true),
            ("/venv/lib/site-packages", "/venv/lib/site-packages/", true),
            (
                "/venv/lib/site-packages-extra/x",
                "/venv/lib/site-packages",
                false,
            ),
            ("/venv/lib", "/venv/lib/site-packages", false),
            ("/anything", "/", true),
            ("relative/dir/file", "relative/dir", true),
            ("relative/dirx", "relative/dir", false),
        ];
        for (path, dir, expected) in cases {
            let (path, dir) = (Path::new(path), Path::new(dir));
            assert_eq!(is_within(path, dir), expected, "{path:?} in {dir:?}");
            assert_eq!(path.starts_with(dir), expected, "{path:?} in {dir:?}");
        }
    }
}
