//! Reading a requirements file with bounds: only regular files (and
//! `/dev/stdin`), at most [`MAX_FILE_SIZE`] bytes, decoded from UTF-8 or, with
//! a byte order mark, UTF-16 or UTF-32 as pip does.

use std::io::Read;
use std::path::Path;

use fs_err as fs;

use crate::error::{FileError, InvalidEncoding};

/// The largest requirements file read, in bytes (64 MiB).
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// The longest logical line (after joining `\` continuations), in bytes (1 MiB).
pub const MAX_LINE_LENGTH: usize = 1024 * 1024;

/// Read and decode the file at `path`.
///
/// The file type is checked before the file is opened: a FIFO would block the
/// open and `/dev/zero` never ends. `/dev/stdin` is read (up to the limit)
/// whatever it is, so that `-r /dev/stdin` works with a pipe.
pub(crate) fn read_file(path: &Path) -> Result<String, FileError> {
    let bytes = if path == Path::new("/dev/stdin") {
        read_bounded(std::io::stdin().lock(), 0)?
    } else {
        let metadata = fs::metadata(path)?;
        if let Some(kind) = not_a_file(&metadata.file_type()) {
            return Err(FileError::NotAFile { kind });
        }
        if metadata.len() > MAX_FILE_SIZE {
            return Err(FileError::TooLarge {
                limit: MAX_FILE_SIZE,
            });
        }
        // Sized for the file as it was, plus one byte to see its end: two
        // reads, not a doubling series from 32 bytes.
        let capacity = usize::try_from(metadata.len()).map_or(0, |len| len + 1);
        read_bounded(fs::File::open(path)?, capacity)?
    };
    decode(&bytes)
}

/// Read at most [`MAX_FILE_SIZE`] bytes, failing if there are more (the file
/// may grow after its size was checked), into a buffer of `capacity` bytes
/// to begin with.
fn read_bounded(reader: impl Read, capacity: usize) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(FileError::TooLarge {
            limit: MAX_FILE_SIZE,
        });
    }
    Ok(bytes)
}

/// What a file is when it is not a regular file, e.g. `a directory`.
fn not_a_file(file_type: &std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("a device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Decode a file: a UTF-32 or UTF-16 byte order mark selects that encoding
/// (pip's `auto_decode` honours them), anything else must be UTF-8 (a UTF-8
/// byte order mark is removed later, with the lines).
fn decode(bytes: &[u8]) -> Result<String, FileError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE, 0, 0]) {
        return decode_utf32(rest, u32::from_le_bytes, "UTF-32LE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0, 0, 0xFE, 0xFF]) {
        return decode_utf32(rest, u32::from_be_bytes, "UTF-32BE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes, "UTF-16LE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes, "UTF-16BE");
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(err) => Err(utf8_error(bytes, err.valid_up_to())),
    }
}

/// The error for invalid UTF-8 at `offset`, with a guess at the encoding.
fn utf8_error(bytes: &[u8], offset: usize) -> FileError {
    let nul_bytes = bytes.iter().take(4096).filter(|b| **b == 0).count();
    let hint = if nul_bytes * 4 > bytes.len().min(4096) {
        "it looks like UTF-16 without a byte order mark; save it as UTF-8"
    } else {
        "it may be Latin-1 or another legacy encoding; save it as UTF-8"
    };
    encoding_error(InvalidEncoding {
        encoding: "UTF-8",
        offset,
        line: line_of(bytes, offset),
        byte: format!("0x{:02X}", bytes[offset]),
        hint,
    })
}

fn encoding_error(invalid: InvalidEncoding) -> FileError {
    FileError::Encoding(Box::new(invalid))
}

/// The 1-based line of a byte offset, counting `\n`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

fn decode_utf16(
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
    encoding: &'static str,
) -> Result<String, FileError> {
    let mut text = String::with_capacity(bytes.len() / 2);
    // Offsets in the file count the two bytes of the byte order mark.
    let mut offset = 2;
    let invalid = |text: &str, offset, byte, hint| {
        encoding_error(InvalidEncoding {
            encoding,
            offset,
            line: text.matches('\n').count() + 1,
            byte,
            hint,
        })
    };
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    for decoded in char::decode_utf16(units) {
        let Ok(ch) = decoded else {
            let byte = format!(
                "an unpaired surrogate 0x{:04X}",
                unit([bytes[offset - 2], bytes[offset - 1]])
            );
            return Err(invalid(&text, offset, byte, "the file is damaged"));
        };
        offset += ch.len_utf16() * 2;
        text.push(ch);
    }
    if bytes.len() % 2 == 1 {
        let byte = "an odd last byte".to_string();
        return Err(invalid(&text, offset, byte, "the file is cut short"));
    }
    Ok(text)
}

fn decode_utf32(
    bytes: &[u8],
    unit: fn([u8; 4]) -> u32,
    encoding: &'static str,
) -> Result<String, FileError> {
    let mut text = String::with_capacity(bytes.len() / 4);
    let mut line = 1;
    for (index, chunk) in bytes.chunks(4).enumerate() {
        let value = <[u8; 4]>::try_from(chunk).ok().map(unit);
        let Some(ch) = value.and_then(char::from_u32) else {
            return Err(encoding_error(InvalidEncoding {
                encoding,
                offset: 4 + index * 4,
                line,
                byte: value.map_or("a cut-short unit".to_string(), |v| format!("0x{v:08X}")),
                hint: "the file is damaged",
            }));
        };
        line += usize::from(ch == '\n');
        text.push(ch);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, bom: [u8; 2], big_endian: bool) -> Vec<u8> {
        let mut bytes = bom.to_vec();
        for unit in text.encode_utf16() {
            bytes.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        bytes
    }

    #[test]
    fn decodes_byte_order_marks() {
        let text = "flask==2.0\ncafé\n";
        assert_eq!(decode(&utf16(text, [0xFF, 0xFE], false)).unwrap(), text);
        assert_eq!(decode(&utf16(text, [0xFE, 0xFF], true)).unwrap(), text);
        let mut utf32 = vec![0xFF, 0xFE, 0, 0];
        for ch in text.chars() {
            utf32.extend(u32::from(ch).to_le_bytes());
        }
        assert_eq!(decode(&utf32).unwrap(), text);
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
    }

    #[test]
    fn names_the_encoding_problem_and_the_byte() {
        let err = decode(b"flask==2.0\ncaf\xe9\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid UTF-8 at byte offset 14 (line 2): 0xE9; it may be Latin-1 or another legacy encoding; save it as UTF-8"
        );
        let without_bom: Vec<u8> = utf16("flask==2.0\n", [0xFF, 0xFE], false)[2..].to_vec();
        let mut bad = without_bom.clone();
        bad.push(0xFF);
        bad.push(0xFF);
        let err = decode(&bad).unwrap_err();
        assert!(
            err.to_string().contains("UTF-16 without a byte order mark"),
            "{err}"
        );
        let mut odd = utf16("x\ny", [0xFE, 0xFF], true);
        odd.extend([0xD8, 0x00, 0x00, 0x41]);
        let err = decode(&odd).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid UTF-16BE at byte offset 8 (line 2): an unpaired surrogate 0xD800; the file is damaged"
        );
    }
}
