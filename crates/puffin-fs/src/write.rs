use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A name for a temporary sibling of `path`, unique within this process and
/// unlikely to collide with other processes.
pub fn temp_sibling(path: &Path, prefix: &str) -> PathBuf {
    let name = temp_name(prefix);
    match path.parent() {
        Some(parent) => parent.join(name),
        None => PathBuf::from(name),
    }
}

/// `{prefix}{pid}-{counter}-{nanos}` in hexadecimal.
pub fn temp_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}{:x}-{count:x}-{nanos:x}", std::process::id())
}

/// Create `dst` (which exists) afresh with `create` on a temporary name in the
/// same directory (`.puffin-tmp-*`), then rename it over `dst`. Errors are
/// raw, for the caller to wrap with both paths.
pub fn replace_via_temp(dst: &Path, create: impl Fn(&Path) -> io::Result<()>) -> io::Result<()> {
    let mut tries = 0;
    let temp = loop {
        let temp = temp_sibling(dst, ".puffin-tmp-");
        match create(&temp) {
            Ok(()) => break temp,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
            Err(err) => return Err(err),
        }
    };
    #[allow(clippy::disallowed_methods)] // The raw error is wrapped with both paths by the caller.
    if let Err(err) = std::fs::rename(&temp, dst) {
        let _ = std::fs::remove_file(&temp);
        return Err(err);
    }
    // POSIX: renaming a hardlink over another link to the same inode does
    // nothing and leaves the temporary name behind (a reinstall from the same
    // cache entry).
    #[allow(clippy::disallowed_methods)] // A missing file is the usual case.
    match std::fs::remove_file(&temp) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Create the new file `dst` with `mode` at creation (the umask applies),
/// which saves the `fchmod` a copy or clone would need afterwards.
pub fn create_new_with_mode(dst: &Path, mode: u32) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(dst)
}

/// The permissions of a file written by [`write_fresh`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// `0o666 & !umask`, as pip creates `RECORD`, `INSTALLER`, `REQUESTED` and
    /// `direct_url.json`.
    Regular,
    /// `0o777 & !umask`, plus every execute bit, as pip makes scripts
    /// executable.
    Executable,
}

/// Write a file with the given mode, replacing an existing file through a
/// temporary file and a rename (never truncating it in place). Errors are
/// raw, for the caller to name the path.
pub fn write_fresh(path: &Path, contents: &[u8], mode: FileMode) -> io::Result<()> {
    let create = |target: &Path| -> io::Result<()> {
        let mut file = create_new_with_mode(
            target,
            match mode {
                FileMode::Regular => 0o666,
                FileMode::Executable => 0o777,
            },
        )?;
        let mut result = file.write_all(contents);
        if result.is_ok() && mode == FileMode::Executable {
            result = add_execute_bits(&file);
        }
        if result.is_err() {
            #[allow(clippy::disallowed_methods)] // Best-effort cleanup.
            let _ = std::fs::remove_file(target);
        }
        result
    };
    match create(path) {
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => replace_via_temp(path, create),
        result => result,
    }
}

/// Set every execute bit of a file created with the umask applied, so that
/// a script runs for everyone who may read it.
#[cfg(unix)]
fn add_execute_bits(file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file.metadata()?.permissions().mode() & 0o777;
    file.set_permissions(std::fs::Permissions::from_mode(mode | 0o111))
}

#[cfg(not(unix))]
fn add_execute_bits(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    /// Replacing a hardlinked file leaves the other link unchanged.
    #[test]
    fn write_fresh_never_writes_through_a_hardlink() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let installed = dir.path().join("installed");
        fs_err::write(&cache, "original").unwrap();
        fs_err::hard_link(&cache, &installed).unwrap();
        write_fresh(&installed, b"new", FileMode::Regular).unwrap();
        assert_eq!(fs_err::read_to_string(&cache).unwrap(), "original");
        assert_eq!(fs_err::read_to_string(&installed).unwrap(), "new");
        assert_eq!(fs_err::metadata(&cache).unwrap().nlink(), 1);
        let leftovers: Vec<_> = fs_err::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temporary file is left");
    }

    #[test]
    fn executables_get_every_execute_bit() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("script");
        write_fresh(&script, b"#!/bin/sh\n", FileMode::Executable).unwrap();
        assert!(crate::is_executable(&fs_err::metadata(&script).unwrap()));
    }
}
