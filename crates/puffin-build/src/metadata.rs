//! What the build hooks return: checking the names they give, and reading
//! the metadata out of a wheel.

use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::WheelFilename;
use fs_err as fs;

use crate::BuildError;

/// The core metadata of a project prepared from its source tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltMetadata {
    /// The `.dist-info` directory, inside the output directory.
    pub dist_info: PathBuf,
    /// The bytes of its `METADATA` file (core metadata, to parse with
    /// `puffin_package::Metadata::parse`).
    pub metadata: Vec<u8>,
    /// The wheel built to get the metadata, inside the output directory, when
    /// the backend has no `prepare_metadata_for_build_wheel` hook.
    pub wheel: Option<PathBuf>,
}

/// Whether `name` is one plain file name: no separator, not `.` or `..`.
///
/// PEP 517: the hooks "must return the basename (not the full path)" of what
/// they wrote in the directory they were given.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\\')
        && !name.contains('\0')
}

/// The wheel `hook` says it built: a plain name, a valid wheel filename, and
/// a file in `out_dir`.
pub(crate) fn check_wheel(
    backend: &str,
    hook: &str,
    name: &str,
    out_dir: &Path,
) -> Result<PathBuf, BuildError> {
    let unexpected = || BuildError::UnexpectedOutput {
        backend: backend.to_string(),
        hook: hook.to_string(),
        name: name.to_string(),
        expected: "wheel file",
        directory: out_dir.to_path_buf(),
    };
    if !is_plain_name(name) {
        return Err(unexpected());
    }
    WheelFilename::from_str(name).map_err(|err| BuildError::InvalidWheelFilename {
        backend: backend.to_string(),
        name: name.to_string(),
        err,
    })?;
    let path = out_dir.join(name);
    match fs::symlink_metadata(&path) {
        Ok(metadata) if metadata.is_file() => Ok(path),
        _ => Err(unexpected()),
    }
}

/// The `.dist-info` directory `prepare_metadata_for_build_wheel` says it
/// wrote: a plain name ending in `.dist-info`, a directory in `out_dir`
/// holding `METADATA`.
pub(crate) fn check_dist_info(
    backend: &str,
    hook: &str,
    name: &str,
    out_dir: &Path,
) -> Result<BuiltMetadata, BuildError> {
    let unexpected = || BuildError::UnexpectedOutput {
        backend: backend.to_string(),
        hook: hook.to_string(),
        name: name.to_string(),
        expected: "`.dist-info` directory with a `METADATA` file",
        directory: out_dir.to_path_buf(),
    };
    if !is_plain_name(name) || !name.ends_with(".dist-info") {
        return Err(unexpected());
    }
    let dist_info = out_dir.join(name);
    match fs::symlink_metadata(&dist_info) {
        Ok(metadata) if metadata.is_dir() => {}
        _ => return Err(unexpected()),
    }
    let metadata = fs::read(dist_info.join("METADATA")).map_err(|_| unexpected())?;
    Ok(BuiltMetadata {
        dist_info,
        metadata,
        wheel: None,
    })
}

/// Unpack the `.dist-info` directory of `wheel` into `out_dir`.
///
/// The directory is the top-level `*.dist-info` holding `METADATA`; when a
/// wheel has several, the one its filename names (PEP 427,
/// `{name}-{version}.dist-info`).
pub(crate) fn dist_info_from_wheel(
    wheel: &Path,
    out_dir: &Path,
) -> Result<BuiltMetadata, BuildError> {
    let zip_error = |err| BuildError::ReadWheel {
        path: wheel.to_path_buf(),
        err,
    };
    let file = fs::File::open(wheel).map_err(|err| io_error("open", wheel, err))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
    let dir = find_dist_info(&archive, wheel)?;

    let prefix = format!("{dir}/");
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        let Some(relative) = entry.enclosed_name() else {
            continue;
        };
        if entry.is_dir() || !entry.name().is_ok_and(|name| name.starts_with(&prefix)) {
            continue;
        }
        let target = out_dir.join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|err| io_error("create", parent, err))?;
        }
        let mut out = fs::File::create(&target).map_err(|err| io_error("create", &target, err))?;
        io::copy(&mut entry, &mut out).map_err(|err| io_error("write", &target, err))?;
    }

    let dist_info = out_dir.join(&dir);
    let metadata_path = dist_info.join("METADATA");
    let metadata = fs::read(&metadata_path).map_err(|err| io_error("read", &metadata_path, err))?;
    Ok(BuiltMetadata {
        dist_info,
        metadata,
        wheel: Some(wheel.to_path_buf()),
    })
}

/// The name of the wheel's `.dist-info` directory.
fn find_dist_info(archive: &zip::ZipArchive<fs::File>, wheel: &Path) -> Result<String, BuildError> {
    let mut candidates: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter_map(|name| {
            let (dir, rest) = name.split_once('/')?;
            (rest == "METADATA" && dir.ends_with(".dist-info") && is_plain_name(dir))
                .then(|| dir.to_string())
        })
        .collect();
    candidates.sort();
    candidates.dedup();
    let expected = wheel
        .file_name()
        .and_then(|name| WheelFilename::from_str(&name.to_string_lossy()).ok())
        .map(|filename| filename.dist_info_dir());
    let preferred = expected.and_then(|expected| {
        candidates
            .iter()
            .find(|dir| dir.eq_ignore_ascii_case(&expected))
            .cloned()
    });
    preferred
        .or_else(|| candidates.into_iter().next())
        .ok_or_else(|| BuildError::NoDistInfo {
            path: wheel.to_path_buf(),
        })
}

fn io_error(action: &'static str, path: &Path, err: io::Error) -> BuildError {
    BuildError::Io {
        action,
        path: path.to_path_buf(),
        err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        for name in ["a-1.0-py3-none-any.whl", "a-1.0.dist-info", "..."] {
            assert!(is_plain_name(name), "{name}");
        }
        for name in [
            "",
            ".",
            "..",
            "../a.whl",
            "sub/a.whl",
            "/abs.whl",
            "a\\b.whl",
        ] {
            assert!(!is_plain_name(name), "{name}");
        }
    }

    #[test]
    fn wheel_names_are_checked() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("a-1.0-py3-none-any.whl"), "").unwrap();
        fs::write(temp.path().join("b-1.0-py3-none-any.whl"), "").unwrap();
        fs::write(out.join("not-a-wheel.zip"), "").unwrap();

        let found = check_wheel("b", "build_wheel", "a-1.0-py3-none-any.whl", &out).unwrap();
        assert_eq!(found, out.join("a-1.0-py3-none-any.whl"));
        let escape = check_wheel("b", "build_wheel", "../b-1.0-py3-none-any.whl", &out);
        assert!(matches!(escape, Err(BuildError::UnexpectedOutput { .. })));
        let missing = check_wheel("b", "build_wheel", "c-1.0-py3-none-any.whl", &out);
        assert!(matches!(missing, Err(BuildError::UnexpectedOutput { .. })));
        let invalid = check_wheel("b", "build_wheel", "not-a-wheel.zip", &out);
        assert!(matches!(
            invalid,
            Err(BuildError::InvalidWheelFilename { .. })
        ));
    }
}
