//! Checking the unzipped files against the wheel's RECORD ([PEP 427],
//! "The .dist-info directory"; [recording installed projects], "The RECORD
//! file").
//!
//! Every file except RECORD and its signatures must be listed with a hash;
//! RECORD must list nothing that the archive lacks.
//!
//! [PEP 427]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use distribution_filename::WheelFilename;
use install_wheel_rs::RecordEntry;

use super::names::normalize_path;
use super::{UnzipError, UnzipWarning};

/// The files next to RECORD that sign it and so cannot be listed in it.
const RECORD_SIGNATURES: [&str; 2] = ["RECORD.jws", "RECORD.p7s"];

/// Find `<name>-<version>.dist-info/RECORD` among the archive's file paths
/// (normalized). A wheel normally has one `.dist-info` directory; if there are
/// several, the one named like the wheel wins (compared loosely, since build
/// tools spell names and versions in several ways).
pub(crate) fn find_record<'a>(
    wheel: &Path,
    filename: &WheelFilename,
    files: impl Iterator<Item = &'a str>,
) -> Result<&'a str, UnzipError> {
    let candidates: Vec<&str> = files
        .filter(|path| {
            path.split_once('/')
                .is_some_and(|(dir, file)| dir.ends_with(".dist-info") && file == "RECORD")
        })
        .collect();
    let expected = format!("{}/RECORD", filename.dist_info_dir());
    match candidates.as_slice() {
        [] => Err(UnzipError::MissingRecord {
            wheel: wheel.to_path_buf(),
            expected,
        }),
        [record] => Ok(record),
        _ => {
            let key = loose_key(&expected);
            let matching: Vec<&str> = candidates
                .iter()
                .copied()
                .filter(|candidate| loose_key(candidate) == key)
                .collect();
            match matching.as_slice() {
                [record] => Ok(record),
                _ => Err(UnzipError::AmbiguousRecord {
                    wheel: wheel.to_path_buf(),
                    records: candidates.iter().map(ToString::to_string).collect(),
                }),
            }
        }
    }
}

/// `Foo.Bar-1.0.dist-info/RECORD` and `foo_bar-1.0.dist-info/RECORD` compare equal.
fn loose_key(path: &str) -> String {
    path.to_lowercase().replace(['-', '.'], "_")
}

/// The rows of a wheel's RECORD, by normalized path.
#[derive(Debug)]
pub(crate) struct RecordIndex {
    /// The normalized path of RECORD itself.
    record_path: String,
    rows: HashMap<String, RecordEntry>,
    /// Rows in RECORD order, to report the first missing one.
    order: Vec<String>,
}

impl RecordIndex {
    /// Index the parsed rows of the RECORD found at `record_path`.
    pub(crate) fn new(record_path: &str, entries: Vec<RecordEntry>) -> Self {
        let mut rows = HashMap::with_capacity(entries.len());
        let mut order = Vec::with_capacity(entries.len());
        for entry in entries {
            // A path with `..` cannot name an archive entry; keep it as written
            // so that it is reported as missing.
            let path = normalize_path(&entry.path).unwrap_or_else(|| entry.path.clone());
            if let Entry::Vacant(vacant) = rows.entry(path) {
                order.push(vacant.key().clone());
                vacant.insert(entry);
            }
        }
        Self {
            record_path: record_path.to_string(),
            rows,
            order,
        }
    }

    /// Whether `path` is RECORD or one of its signatures, which RECORD cannot hash.
    fn is_unhashable(&self, path: &str) -> bool {
        if path == self.record_path {
            return true;
        }
        let dir = self
            .record_path
            .strip_suffix("RECORD")
            .unwrap_or(&self.record_path);
        path.strip_prefix(dir)
            .is_some_and(|file| RECORD_SIGNATURES.contains(&file))
    }

    /// Fail on the first RECORD row naming a file the archive does not have.
    /// Rows for directories are tolerated.
    pub(crate) fn check_all_present(
        &self,
        wheel: &Path,
        files: &HashSet<&str>,
        dirs: &HashSet<&str>,
    ) -> Result<(), UnzipError> {
        for path in &self.order {
            if files.contains(path.as_str())
                || dirs.contains(path.as_str())
                || self.rows[path].path.ends_with('/')
                || self.is_unhashable(path)
            {
                continue;
            }
            return Err(UnzipError::MissingFromArchive {
                wheel: wheel.to_path_buf(),
                entry: self.rows[path].path.clone(),
            });
        }
        Ok(())
    }

    /// Compare one unzipped file with its row: a wrong hash or size is an
    /// error, a missing row or an unverifiable hash a warning.
    pub(crate) fn check_file(
        &self,
        wheel: &Path,
        path: &str,
        sha256: &str,
        size: u64,
    ) -> Result<Option<UnzipWarning>, UnzipError> {
        if self.is_unhashable(path) {
            return Ok(None);
        }
        let Some(row) = self.rows.get(path) else {
            return Ok(Some(UnzipWarning::NotInRecord {
                entry: path.to_string(),
            }));
        };
        let warning = match row.hash.as_deref().map(|hash| hash.split_once('=')) {
            Some(Some(("sha256", expected))) => {
                // Some old tools pad the digest; the spec says no padding.
                let expected = expected.trim_end_matches('=');
                if expected != sha256 {
                    return Err(UnzipError::RecordHashMismatch {
                        wheel: wheel.to_path_buf(),
                        entry: path.to_string(),
                        expected: expected.to_string(),
                        actual: sha256.to_string(),
                    });
                }
                None
            }
            Some(Some((algorithm, _))) => Some(UnzipWarning::UnverifiedHash {
                entry: path.to_string(),
                algorithm: algorithm.to_string(),
            }),
            Some(None) | None => Some(UnzipWarning::NoHashInRecord {
                entry: path.to_string(),
            }),
        };
        if let Some(expected) = row.size
            && expected != size
        {
            return Err(UnzipError::RecordSizeMismatch {
                wheel: wheel.to_path_buf(),
                entry: path.to_string(),
                expected,
                actual: size,
            });
        }
        Ok(warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, hash: Option<&str>, size: Option<u64>) -> RecordEntry {
        RecordEntry {
            path: path.to_string(),
            hash: hash.map(ToString::to_string),
            size,
        }
    }

    #[test]
    fn signatures_and_record_itself_need_no_hash() {
        let index = RecordIndex::new(
            "demo-1.0.dist-info/RECORD",
            vec![row("demo-1.0.dist-info/RECORD", None, None)],
        );
        let wheel = Path::new("demo.whl");
        for path in [
            "demo-1.0.dist-info/RECORD",
            "demo-1.0.dist-info/RECORD.jws",
            "demo-1.0.dist-info/RECORD.p7s",
        ] {
            assert_eq!(index.check_file(wheel, path, "x", 1).unwrap(), None);
        }
        assert!(matches!(
            index.check_file(wheel, "demo-1.0.dist-info/OTHER", "x", 1),
            Ok(Some(UnzipWarning::NotInRecord { .. }))
        ));
    }

    #[test]
    fn other_algorithms_and_padding() {
        let index = RecordIndex::new(
            "d-1.dist-info/RECORD",
            vec![
                row("./a.py", Some("sha256=abc="), Some(3)),
                row("b.py", Some("sha512=zzz"), None),
                row("c.py", None, None),
            ],
        );
        let wheel = Path::new("d.whl");
        assert_eq!(index.check_file(wheel, "a.py", "abc", 3).unwrap(), None);
        assert!(index.check_file(wheel, "a.py", "abd", 3).is_err());
        assert!(index.check_file(wheel, "a.py", "abc", 4).is_err());
        assert_eq!(
            index.check_file(wheel, "b.py", "x", 1).unwrap(),
            Some(UnzipWarning::UnverifiedHash {
                entry: "b.py".to_string(),
                algorithm: "sha512".to_string()
            })
        );
        assert_eq!(
            index.check_file(wheel, "c.py", "x", 1).unwrap(),
            Some(UnzipWarning::NoHashInRecord {
                entry: "c.py".to_string()
            })
        );
    }

    #[test]
    fn prefers_the_dist_info_named_like_the_wheel() {
        let filename: WheelFilename = "foo_bar-1.0-py3-none-any.whl".parse().unwrap();
        let files = ["other-2.0.dist-info/RECORD", "Foo.Bar-1.0.dist-info/RECORD"];
        let record = find_record(Path::new("w.whl"), &filename, files.into_iter()).unwrap();
        assert_eq!(record, "Foo.Bar-1.0.dist-info/RECORD");
        let files = ["a-1.dist-info/RECORD", "b-1.dist-info/RECORD"];
        assert!(find_record(Path::new("w.whl"), &filename, files.into_iter()).is_err());
    }
}
