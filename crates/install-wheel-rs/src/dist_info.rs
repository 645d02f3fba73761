//! The wheel's `.dist-info` directory: finding it and reading `WHEEL` and
//! `METADATA` ([binary distribution format], "the .dist-info directory").
//!
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use distribution_filename::{PackageName, WheelFilename};
use fs_err as fs;
use pep440_rs::Version;

use crate::{Error, WheelManifest, read_record};

/// Something odd about a wheel that did not stop the install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallWarning {
    /// The wheel declares a newer minor `Wheel-Version` than 1.0 ([PEP 427]: "a
    /// wheel installer should warn if the minor version is greater than what it
    /// supports").
    ///
    /// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#installing-a-wheel-distribution-1-0-py32-none-any-whl
    NewerWheelVersion {
        /// The `WHEEL` file.
        path: PathBuf,
        /// The declared version, e.g. `1.9`.
        version: String,
    },
}

impl fmt::Display for InstallWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NewerWheelVersion { path, version } => write!(
                f,
                "`{}` declares Wheel-Version {version}, newer than the 1.0 puffin knows; installed it anyway",
                path.display()
            ),
        }
    }
}

/// The `{name}-{version}` stem of a `.dist-info` or `.data` directory name, if
/// it names the wheel's project and version (compared normalized, as PEP 503
/// and PEP 440 say, so `Foo_Bar-1.0.dist-info` matches `foo_bar-1.0-...whl`).
pub(crate) fn stem_matches(stem: &str, filename: &WheelFilename) -> bool {
    let Some((name, version)) = stem.split_once('-') else {
        return false;
    };
    PackageName::new(name).is_ok_and(|name| name == filename.name)
        && Version::from_str(version).is_ok_and(|version| version == filename.version)
}

/// Find the one `.dist-info` directory among the wheel's top-level directories.
pub(crate) fn find_dist_info<'a>(
    top_level_dirs: impl IntoIterator<Item = &'a str>,
    wheel_dir: &Path,
    filename: &WheelFilename,
) -> Result<String, Error> {
    let found: Vec<&str> = top_level_dirs
        .into_iter()
        .filter(|dir| dir.ends_with(".dist-info"))
        .collect();
    match found.as_slice() {
        [] => Err(Error::MissingDistInfo {
            filename: filename.to_string(),
            wheel_dir: wheel_dir.to_path_buf(),
            expected: filename.dist_info_dir(),
        }),
        [dist_info] => {
            if stem_matches(dist_info.trim_end_matches(".dist-info"), filename) {
                Ok((*dist_info).to_string())
            } else {
                Err(Error::DistInfoMismatch {
                    filename: filename.to_string(),
                    path: wheel_dir.join(dist_info),
                    expected: filename.dist_info_dir(),
                })
            }
        }
        _ => Err(Error::MultipleDistInfo {
            filename: filename.to_string(),
            wheel_dir: wheel_dir.to_path_buf(),
            found: found.iter().map(ToString::to_string).collect(),
            expected: filename.dist_info_dir(),
        }),
    }
}

/// Every top-level `.data` directory must be the wheel's own
/// `{name}-{version}.data`.
pub(crate) fn check_data_dirs<'a>(
    top_level_dirs: impl IntoIterator<Item = &'a str>,
    wheel_dir: &Path,
    filename: &WheelFilename,
) -> Result<(), Error> {
    for dir in top_level_dirs {
        if let Some(stem) = dir.strip_suffix(".data")
            && !stem_matches(stem, filename)
        {
            return Err(Error::DataDirMismatch {
                filename: filename.to_string(),
                path: wheel_dir.join(dir),
                expected: filename.data_dir(),
            });
        }
    }
    Ok(())
}

/// Files next to RECORD that RECORD cannot list: itself and its signatures.
const RECORD_FILES: [&str; 3] = ["RECORD", "RECORD.jws", "RECORD.p7s"];

/// Check that the wheel's RECORD lists every file of the wheel ([PEP 427]:
/// "during extraction, wheel installers verify all the hashes in RECORD
/// against the file contents", and every file but RECORD and its signatures
/// has a row). An empty RECORD, or a file without a row, is refused: nothing
/// vouches for that file. Hashes are checked when the wheel is unzipped.
///
/// [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory
pub(crate) fn check_record(
    wheel_dir: &Path,
    manifest: &WheelManifest,
    dist_info: &str,
) -> Result<(), Error> {
    let record_path = wheel_dir.join(dist_info).join("RECORD");
    let file = match fs::File::open(&record_path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(Error::MissingDistInfoFile { path: record_path });
        }
        Err(err) => return Err(err.into()),
    };
    let rows = read_record(io::BufReader::new(file)).map_err(|err| Error::InvalidRecord {
        path: record_path.clone(),
        err,
    })?;
    if rows.is_empty() {
        return Err(Error::EmptyRecord { path: record_path });
    }
    let listed: HashSet<String> = rows
        .iter()
        .map(|row| normalize_record_path(&row.path))
        .collect();
    for file in &manifest.files {
        let own = file
            .path
            .strip_prefix(dist_info)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|name| RECORD_FILES.contains(&name));
        if !own && !listed.contains(&file.path) {
            return Err(Error::NotInRecord {
                file: file.path.clone(),
                record: record_path,
            });
        }
    }
    Ok(())
}

/// A RECORD path in the form of the manifest's: `/`-separated without `.` or
/// empty components (`./demo//x.py` is `demo/x.py`).
fn normalize_record_path(path: &str) -> String {
    path.split('/')
        .filter(|part| !matches!(*part, "" | "."))
        .collect::<Vec<_>>()
        .join("/")
}

/// Parse RFC 822 style headers (`Key: value`, continuation lines start with
/// whitespace) up to the first blank line.
fn parse_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

fn header<'a>(headers: &'a [(String, String)], key: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, value)| value.as_str())
}

fn read_dist_info_file(path: &Path) -> Result<String, Error> {
    match puffin_fs::read_small(path, 8 * 1024) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(Error::MissingDistInfoFile {
            path: path.to_path_buf(),
        }),
        Err(err) => Err(err.into()),
    }
}

/// What `WHEEL` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WheelFile {
    /// `Root-Is-Purelib`: whether the wheel's root goes to purelib (else platlib).
    pub(crate) root_is_purelib: bool,
    /// A warning for a newer minor `Wheel-Version`.
    pub(crate) warning: Option<InstallWarning>,
}

/// Read `WHEEL`: `Wheel-Version` must be 0.x or 1.x (a minor version newer
/// than 1.0 is a warning) and `Root-Is-Purelib` must be `true` or `false`.
pub(crate) fn read_wheel_file(path: &Path) -> Result<WheelFile, Error> {
    let headers = parse_headers(&read_dist_info_file(path)?);
    let invalid = |reason: String| Error::InvalidDistInfoFile {
        path: path.to_path_buf(),
        reason,
    };
    let version = header(&headers, "Wheel-Version")
        .ok_or_else(|| invalid("the `Wheel-Version` field is missing".to_string()))?;
    let (major, minor) = version
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)))
        .ok_or_else(|| {
            invalid(format!(
                "`Wheel-Version: {version}` is not a version of the form `1.0`"
            ))
        })?;
    // PEP 427: refuse a newer major version, warn on a newer minor one. Old
    // `0.x` wheels (written before the 1.0 specification) install as pip's
    // and uv's do.
    if major > 1 {
        return Err(Error::UnsupportedWheelVersion {
            path: path.to_path_buf(),
            version: version.to_string(),
        });
    }
    let warning = (major == 1 && minor > 0).then(|| InstallWarning::NewerWheelVersion {
        path: path.to_path_buf(),
        version: version.to_string(),
    });
    let purelib = header(&headers, "Root-Is-Purelib")
        .ok_or_else(|| invalid("the `Root-Is-Purelib` field is missing".to_string()))?;
    let root_is_purelib = if purelib.eq_ignore_ascii_case("true") {
        true
    } else if purelib.eq_ignore_ascii_case("false") {
        false
    } else {
        return Err(invalid(format!(
            "`Root-Is-Purelib: {purelib}` must be `true` or `false`"
        )));
    };
    Ok(WheelFile {
        root_is_purelib,
        warning,
    })
}

/// Read `METADATA` and check that `Name` and `Version` are the wheel
/// filename's. Returns the name as written in METADATA.
pub(crate) fn read_metadata(path: &Path, filename: &WheelFilename) -> Result<String, Error> {
    let headers = parse_headers(&read_dist_info_file(path)?);
    let invalid = |reason: String| Error::InvalidDistInfoFile {
        path: path.to_path_buf(),
        reason,
    };
    let name = header(&headers, "Name")
        .ok_or_else(|| invalid("the `Name` field is missing".to_string()))?;
    let version = header(&headers, "Version")
        .ok_or_else(|| invalid("the `Version` field is missing".to_string()))?;
    let mismatch = |field, found: &str, expected: String| Error::MetadataMismatch {
        path: path.to_path_buf(),
        filename: filename.to_string(),
        field,
        found: found.to_string(),
        expected,
    };
    let normalized = PackageName::new(name).map_err(|err| invalid(err.to_string()))?;
    if normalized != filename.name {
        return Err(mismatch("Name", name, filename.name.to_string()));
    }
    let parsed = Version::from_str(version)
        .map_err(|_| invalid(format!("`Version: {version}` is not a PEP 440 version")))?;
    if parsed != filename.version {
        return Err(mismatch("Version", version, filename.version.to_string()));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_stop_at_the_body_and_join_continuations() {
        let headers =
            parse_headers("Name: demo\nSummary: one\n  two\nVersion: 1.0\n\nBody: not a header\n");
        assert_eq!(header(&headers, "summary"), Some("one\ntwo"));
        assert_eq!(header(&headers, "Version"), Some("1.0"));
        assert_eq!(header(&headers, "Body"), None);
    }

    #[test]
    fn stems_compare_normalized() {
        let filename: WheelFilename = "foo_bar-1.0-py3-none-any.whl".parse().unwrap();
        assert!(stem_matches("Foo.Bar-1.0.0", &filename));
        assert!(!stem_matches("foo_bar-1.1", &filename));
        assert!(!stem_matches("foo", &filename));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            /// Headers of any text (METADATA and WHEEL come from the wheel).
            #[test]
            fn header_parsing_never_panics(text in prop_oneof!["\\PC{0,200}", "([A-Za-z-]{0,8}:?[ \t]?\\PC{0,12}\n){0,8}"]) {
                let headers = parse_headers(&text);
                let _ = header(&headers, "Name");
                for (key, _) in &headers {
                    prop_assert!(!key.contains('\n'));
                }
            }

            /// Directory names of any spelling are compared without panicking.
            #[test]
            fn stems_never_panic(stem in "\\PC{0,40}") {
                let filename: WheelFilename = "demo-1.0-py3-none-any.whl".parse().unwrap();
                let _ = stem_matches(&stem, &filename);
                let dirs = [format!("{}.dist-info", stem), format!("{}.data", stem)];
                let _ = find_dist_info(dirs.iter().map(String::as_str), Path::new("w"), &filename);
                let _ = check_data_dirs(dirs.iter().map(String::as_str), Path::new("w"), &filename);
            }

            /// WHEEL and METADATA files with any version and flag values.
            #[test]
            fn wheel_and_metadata_files_never_panic(
                version in "\\PC{0,12}",
                purelib in "\\PC{0,8}",
                name in "\\PC{0,12}",
                other in "\\PC{0,40}",
            ) {
                let temp = tempfile::tempdir().unwrap();
                let wheel = temp.path().join("WHEEL");
                fs::write(&wheel, format!("Wheel-Version: {}\nRoot-Is-Purelib: {}\n{}", version, purelib, other)).unwrap();
                if let Ok(parsed) = read_wheel_file(&wheel) {
                    // `0.<minor>` or `1.<minor>`, and only a newer 1.x warns.
                    let (major, minor) = version.trim().split_once('.').unwrap();
                    let (major, minor): (u32, u32) = (major.parse().unwrap(), minor.parse().unwrap());
                    prop_assert!(major <= 1);
                    prop_assert_eq!(parsed.warning.is_some(), major == 1 && minor > 0);
                }
                let metadata = temp.path().join("METADATA");
                fs::write(&metadata, format!("Name: {}\nVersion: {}\n{}", name, version, other)).unwrap();
                let filename: WheelFilename = "demo-1.0-py3-none-any.whl".parse().unwrap();
                if read_metadata(&metadata, &filename).is_ok() {
                    prop_assert_eq!(PackageName::new(name.trim()).unwrap(), filename.name);
                }
            }
        }
    }
}
