//! Local file headers ([APPNOTE.TXT] 4.3.7), read by hand.
//!
//! Readers disagree about which copy of an entry's metadata is authoritative:
//! we (like the zip crate) trust the central directory, streaming extractors
//! trust the local headers. A wheel whose two copies disagree unpacks into
//! different files depending on the tool, so it is refused. The zip crate can
//! check this too, but only with generic messages; here every field is
//! compared and the mismatch named.
//!
//! [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT

use std::io::{self, Read, Seek, SeekFrom};

use super::names::printable;

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
/// The fixed part of a local header, signature included.
const FIXED_LEN: usize = 30;
/// General purpose flag bit 0: the entry is encrypted.
const FLAG_ENCRYPTED: u16 = 1;
/// General purpose flag bit 3: CRC and sizes follow the data in a data
/// descriptor, and are zero in the local header.
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
/// The zip64 extended information extra field.
const EXTRA_ZIP64: u16 = 0x0001;
/// The Info-ZIP Unicode Path extra field, which overrides the name.
const EXTRA_UNICODE_PATH: u16 = 0x7075;

/// What the central directory says about an entry.
#[derive(Debug, Clone)]
pub(crate) struct CentralValues<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) method: u16,
    pub(crate) encrypted: bool,
    pub(crate) crc: u32,
    pub(crate) compressed_size: u64,
    pub(crate) uncompressed_size: u64,
}

/// A field whose local and central values differ, both formatted for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub(crate) field: &'static str,
    pub(crate) local: String,
    pub(crate) central: String,
}

/// What can go wrong with a local header.
#[derive(Debug)]
pub(crate) enum LocalHeaderError {
    /// The bytes could not be read (including: the archive ends first).
    Io(io::Error),
    /// There is no local header signature at the offset.
    Signature(u32),
    /// A field differs from the central directory.
    Mismatch(Mismatch),
}

impl From<io::Error> for LocalHeaderError {
    fn from(err: io::Error) -> Self {
        Self::Io(err)
    }
}

/// Read the local header at `offset` and compare it with the central directory;
/// returns the offset of the entry's data, which follows the header.
pub(crate) fn check_local_header(
    reader: &mut (impl Read + Seek),
    offset: u64,
    central: &CentralValues<'_>,
) -> Result<u64, LocalHeaderError> {
    reader.seek(SeekFrom::Start(offset))?;
    // One read for the fixed part, the name and (usually) the extra field.
    let mut reader = io::BufReader::with_capacity(FIXED_LEN + central.name.len() + 64, reader);
    let mut fixed = [0u8; FIXED_LEN];
    reader.read_exact(&mut fixed)?;
    let u16_at = |at: usize| u16::from_le_bytes([fixed[at], fixed[at + 1]]);
    let u32_at =
        |at: usize| u32::from_le_bytes([fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]]);

    let signature = u32_at(0);
    if signature != LOCAL_HEADER_SIGNATURE {
        return Err(LocalHeaderError::Signature(signature));
    }
    let flags = u16_at(6);
    let method = u16_at(8);
    let crc = u32_at(14);
    let compressed_size = u32_at(18);
    let uncompressed_size = u32_at(22);
    let mut name = vec![0u8; usize::from(u16_at(26))];
    reader.read_exact(&mut name)?;
    let mut extra = vec![0u8; usize::from(u16_at(28))];
    reader.read_exact(&mut extra)?;

    let unicode_name = find_extra(&extra, EXTRA_UNICODE_PATH)
        // Version (1 byte), CRC-32 of the standard name (4 bytes), UTF-8 name.
        .filter(|field| field.len() > 5 && field[0] == 1)
        .map(|field| &field[5..]);
    let local_name = unicode_name.unwrap_or(&name);
    if local_name != central.name {
        return Err(mismatch(
            "the name",
            format!("`{}`", printable(&String::from_utf8_lossy(local_name))),
            format!("`{}`", printable(&String::from_utf8_lossy(central.name))),
        ));
    }
    if method != central.method {
        return Err(mismatch(
            "the compression method",
            method.to_string(),
            central.method.to_string(),
        ));
    }
    let encrypted = flags & FLAG_ENCRYPTED != 0;
    if encrypted != central.encrypted {
        return Err(mismatch(
            "the encryption flag",
            encrypted.to_string(),
            central.encrypted.to_string(),
        ));
    }

    // With a data descriptor the local CRC and sizes may be zero; if they are
    // set anyway, they must agree.
    let deferred = flags & FLAG_DATA_DESCRIPTOR != 0;
    let (compressed_size, uncompressed_size) =
        zip64_sizes(&extra, compressed_size, uncompressed_size);
    if !(deferred && crc == 0) && crc != central.crc {
        return Err(mismatch(
            "the CRC-32",
            format!("{crc:#010x}"),
            format!("{:#010x}", central.crc),
        ));
    }
    if !(deferred && compressed_size == 0) && compressed_size != central.compressed_size {
        return Err(mismatch(
            "the compressed size",
            compressed_size.to_string(),
            central.compressed_size.to_string(),
        ));
    }
    if !(deferred && uncompressed_size == 0) && uncompressed_size != central.uncompressed_size {
        return Err(mismatch(
            "the uncompressed size",
            uncompressed_size.to_string(),
            central.uncompressed_size.to_string(),
        ));
    }
    Ok(offset + (FIXED_LEN + name.len() + extra.len()) as u64)
}

fn mismatch(field: &'static str, local: String, central: String) -> LocalHeaderError {
    LocalHeaderError::Mismatch(Mismatch {
        field,
        local,
        central,
    })
}

/// The sizes, taken from the zip64 extra field where the 32-bit fields are
/// saturated. In a local header the zip64 field holds both sizes,
/// uncompressed first (APPNOTE 4.5.3).
fn zip64_sizes(extra: &[u8], compressed: u32, uncompressed: u32) -> (u64, u64) {
    let mut sizes = (u64::from(compressed), u64::from(uncompressed));
    if compressed != u32::MAX && uncompressed != u32::MAX {
        return sizes;
    }
    let Some(field) = find_extra(extra, EXTRA_ZIP64) else {
        return sizes;
    };
    let u64_at = |at: usize| {
        field
            .get(at..at + 8)
            .map(|bytes| u64::from_le_bytes(bytes.try_into().expect("eight bytes")))
    };
    if field.len() >= 16 {
        sizes = (u64_at(8).unwrap_or_default(), u64_at(0).unwrap_or_default());
    } else if uncompressed == u32::MAX {
        sizes.1 = u64_at(0).unwrap_or(sizes.1);
    } else {
        sizes.0 = u64_at(0).unwrap_or(sizes.0);
    }
    sizes
}

/// The data of the first extra field with `id`.
fn find_extra(mut extra: &[u8], id: u16) -> Option<&[u8]> {
    while extra.len() >= 4 {
        let field_id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let data = extra.get(4..4 + len)?;
        if field_id == id {
            return Some(data);
        }
        extra = &extra[4 + len..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip64_local_sizes() {
        let mut extra = Vec::new();
        extra.extend_from_slice(&EXTRA_ZIP64.to_le_bytes());
        extra.extend_from_slice(&16u16.to_le_bytes());
        extra.extend_from_slice(&5_000_000_000u64.to_le_bytes());
        extra.extend_from_slice(&4_000_000_000u64.to_le_bytes());
        assert_eq!(
            zip64_sizes(&extra, u32::MAX, u32::MAX),
            (4_000_000_000, 5_000_000_000)
        );
        assert_eq!(zip64_sizes(&extra, 7, 9), (7, 9));
        assert_eq!(zip64_sizes(&[], u32::MAX, 9), (u64::from(u32::MAX), 9));
    }

    #[test]
    fn finds_extra_fields_and_stops_at_truncated_ones() {
        let extra = [0x34, 0x12, 1, 0, 0xaa, 0x01, 0x00, 2, 0, 0xbb, 0xcc];
        assert_eq!(find_extra(&extra, 0x1234), Some(&[0xaa][..]));
        assert_eq!(find_extra(&extra, 0x0001), Some(&[0xbb, 0xcc][..]));
        assert_eq!(find_extra(&extra[..10], 0x0001), None);
    }
}
