//! Reading a lock file: its name, its text, its version.

use std::path::Path;

use fs_err as fs;

use crate::{LockError, PyLock};

/// Whether `path` is named as a lock file: `pylock.toml` or
/// `pylock.<name>.toml` (PEP 751, "File Name": `^pylock\.([^.]+\.)?toml$`).
pub fn is_lock_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    match name
        .strip_prefix("pylock.")
        .and_then(|rest| rest.strip_suffix("toml"))
    {
        Some("") => true,
        Some(middle) => middle
            .strip_suffix('.')
            .is_some_and(|name| !name.is_empty() && !name.contains('.')),
        None => false,
    }
}

impl PyLock {
    /// Read and check the lock file at `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be read, is not a lock file, or has a
    /// `lock-version` other than 1.x (PEP 751: a reader MUST refuse a major
    /// version it does not know; a newer minor version is read).
    pub fn read(path: &Path) -> Result<Self, LockError> {
        let text = fs::read_to_string(path).map_err(|err| LockError::Read {
            path: path.to_path_buf(),
            err,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parse and check the text of the lock file at `path`.
    ///
    /// # Errors
    ///
    /// See [`PyLock::read`].
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, LockError> {
        let mut lock: Self = toml::from_str(text).map_err(|err| LockError::Parse {
            path: path.to_path_buf(),
            err: Box::new(err),
        })?;
        if lock.lock_version.split('.').next() != Some("1") {
            return Err(LockError::Version {
                path: path.to_path_buf(),
                version: lock.lock_version,
            });
        }
        let lines = package_lines(text);
        if lines.len() == lock.packages.len() {
            lock.package_lines = lines;
        }
        Ok(lock)
    }
}

/// The 1-based line of each `[[packages]]` header of `text`, in order; an
/// inline `packages = [...]` array has none.
fn package_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == "[[packages]]")
        .map(|(index, _)| index + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_names() {
        for name in ["pylock.toml", "pylock.dev.toml", "dir/pylock.spam.toml"] {
            assert!(is_lock_file(Path::new(name)), "{name}");
        }
        for name in [
            "pylock.a.b.toml",
            "pylock..toml",
            "pyproject.toml",
            "requirements.txt",
            "xpylock.toml",
        ] {
            assert!(!is_lock_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn package_lines_of_headers() {
        let text = "lock-version = \"1.0\"\n\n[[packages]]\nname = \"a\"\n  [[packages]]\n";
        assert_eq!(package_lines(text), [3, 5]);
    }
}
