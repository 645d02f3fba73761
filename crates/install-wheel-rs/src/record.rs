//! RECORD files ([recording installed projects], "The RECORD file"): a CSV file
//! with one row per installed file: path, `algorithm=digest`, size.
//!
//! [recording installed projects]: https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

/// One row of a RECORD file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEntry {
    /// The path, `/`-separated, relative to site-packages (may start with `../`
    /// for files outside it, such as scripts).
    pub path: String,
    /// The hash as `algorithm=urlsafe-base64-nopad-digest`, empty for RECORD itself.
    pub hash: Option<String>,
    /// The size in bytes, empty for RECORD itself.
    pub size: Option<u64>,
}

/// A RECORD that is not valid CSV of three columns.
#[derive(Debug, thiserror::Error)]
#[error("Invalid RECORD at row {row}: {reason}")]
pub struct RecordError {
    /// The 1-based row number.
    pub row: usize,
    /// What is wrong.
    pub reason: String,
}

/// Read every row of a RECORD file.
pub fn read_record(reader: impl Read) -> Result<Vec<RecordEntry>, RecordError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut entries = Vec::new();
    for (index, row) in csv.records().enumerate() {
        let row_number = index + 1;
        let row = row.map_err(|err| RecordError {
            row: row_number,
            reason: err.to_string(),
        })?;
        if row.iter().all(str::is_empty) {
            continue;
        }
        if row.len() > 3 {
            return Err(RecordError {
                row: row_number,
                reason: format!("expected 3 columns (path, hash, size), found {}", row.len()),
            });
        }
        let path = row.get(0).unwrap_or_default();
        if path.is_empty() {
            return Err(RecordError {
                row: row_number,
                reason: "the path is empty".to_string(),
            });
        }
        let hash = row.get(1).filter(|hash| !hash.is_empty());
        let size = match row.get(2).filter(|size| !size.is_empty()) {
            Some(size) => Some(size.parse::<u64>().map_err(|_| RecordError {
                row: row_number,
                reason: format!("the size `{size}` is not a number"),
            })?),
            None => None,
        };
        entries.push(RecordEntry {
            path: path.to_string(),
            hash: hash.map(ToString::to_string),
            size,
        });
    }
    Ok(entries)
}

/// Write RECORD rows as CSV, in the order given.
pub fn write_record(writer: impl Write, entries: &[RecordEntry]) -> std::io::Result<()> {
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(writer);
    for entry in entries {
        let size = entry.size.map(|size| size.to_string());
        csv.write_record([
            entry.path.as_str(),
            entry.hash.as_deref().unwrap_or_default(),
            size.as_deref().unwrap_or_default(),
        ])
        .map_err(std::io::Error::other)?;
    }
    csv.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rows_with_commas_and_empty_fields() {
        let text = "demo/__init__.py,sha256=abc,12\n\"odd,name.py\",sha256=def,3\ndemo-1.0.dist-info/RECORD,,\n";
        let entries = read_record(text.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].path, "odd,name.py");
        assert_eq!(entries[2].hash, None);
        let mut written = Vec::new();
        write_record(&mut written, &entries).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), text);
    }

    #[test]
    fn rejects_bad_sizes_and_extra_columns() {
        assert!(read_record("a.py,sha256=x,big\n".as_bytes()).is_err());
        assert!(read_record("a.py,sha256=x,1,extra\n".as_bytes()).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// Rows with any printable path (commas, quotes, spaces included),
        /// any hash and any size.
        fn entry() -> impl Strategy<Value = RecordEntry> {
            (
                prop_oneof!["\\PC{1,30}", "[a-z/,\"' ]{1,20}"],
                proptest::option::of("[ -~]{1,40}"),
                proptest::option::of(any::<u64>()),
            )
                .prop_map(|(path, hash, size)| RecordEntry { path, hash, size })
        }

        proptest! {
            /// A RECORD comes from the wheel: any bytes are an error at worst.
            #[test]
            fn reading_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = read_record(bytes.as_slice());
            }

            /// Text that looks like CSV, with quotes and line breaks.
            #[test]
            fn reading_csv_like_text_never_panics(text in "([a-z/.=\"\r\n,0-9-]{0,20}\n){0,8}") {
                let _ = read_record(text.as_bytes());
            }

            /// What puffin writes, it reads back unchanged.
            #[test]
            fn written_records_read_back(entries in proptest::collection::vec(entry(), 0..8)) {
                let mut bytes = Vec::new();
                write_record(&mut bytes, &entries).unwrap();
                prop_assert_eq!(read_record(bytes.as_slice()).unwrap(), entries);
            }
        }
    }
}
