//! A wheel's `METADATA` read with HTTP range requests, without downloading
//! the wheel: the end of the file (the zip's end-of-central-directory record
//! and, usually, the central directory and the `.dist-info` files, which
//! wheels put last), then, if needed, the central directory and the one
//! entry.
//!
//! The records are parsed here, with every offset and size checked against
//! the bytes fetched and the file's length, and bounded
//! ([`MAX_CENTRAL_DIRECTORY`], [`MAX_METADATA`]) before anything is
//! allocated, so a hostile archive cannot make us allocate much. Whatever is
//! odd (a server that ignores `Range`, zip64 records out of reach, an entry
//! that is neither stored nor deflated, a CRC that does not match) gives
//! `None`, and the caller downloads the whole wheel instead.
//!
//! Formats: [APPNOTE.TXT] sections 4.3.7 (local file header), 4.3.12
//! (central directory header), 4.3.14–4.3.16 (zip64 and classic end of
//! central directory records), 4.5.3 (zip64 extended information).
//!
//! [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT

use std::io::Read;

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, HeaderMap, HeaderValue, RANGE};
use tracing::debug;

use crate::auth::redact;
use crate::{ClientError, IndexFile, RegistryClient};

/// How much of the end of a wheel is asked for first: the end record, and
/// usually the central directory and the `.dist-info` entries.
const TAIL: u64 = 64 * 1024;

/// The largest central directory read (a wheel of 100,000 files has about
/// 10 MiB).
pub(crate) const MAX_CENTRAL_DIRECTORY: u64 = 16 * 1024 * 1024;

/// The largest `METADATA` read, compressed or not.
pub(crate) const MAX_METADATA: u64 = 16 * 1024 * 1024;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;

/// Bytes `start..start + bytes.len()` of a remote file.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) start: u64,
    pub(crate) bytes: Vec<u8>,
}

impl Fetched {
    /// `len` bytes at the file offset `offset`, if fetched.
    fn slice(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let from = usize::try_from(offset.checked_sub(self.start)?).ok()?;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        self.bytes.get(from..to)
    }
}

/// Where the central directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CentralDirectory {
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

/// The central directory's record of the `METADATA` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetadataEntry {
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Find the central directory from the last bytes of a file of `total`
/// bytes: the end record is the last 22 bytes plus its comment; a zip64
/// archive has a locator just before it, pointing at the zip64 end record,
/// which must be among the fetched bytes.
pub(crate) fn central_directory(tail: &Fetched, total: u64) -> Option<CentralDirectory> {
    let bytes = &tail.bytes;
    if tail.start + bytes.len() as u64 != total || bytes.len() < 22 {
        return None;
    }
    let lowest = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
    let eocd = (lowest..=bytes.len() - 22).rev().find(|&at| {
        u32_at(bytes, at) == Some(EOCD_SIGNATURE)
            && u16_at(bytes, at + 20).map(|comment| at + 22 + usize::from(comment))
                == Some(bytes.len())
    })?;
    let size = u64::from(u32_at(bytes, eocd + 12)?);
    let offset = u64::from(u32_at(bytes, eocd + 16)?);
    let directory = if size == u64::from(u32::MAX) || offset == u64::from(u32::MAX) {
        let locator = eocd.checked_sub(20)?;
        if u32_at(bytes, locator)? != ZIP64_LOCATOR_SIGNATURE {
            return None;
        }
        let record = tail.slice(u64_at(bytes, locator + 8)?, 56)?;
        if u32_at(record, 0)? != ZIP64_EOCD_SIGNATURE {
            return None;
        }
        CentralDirectory {
            size: u64_at(record, 40)?,
            offset: u64_at(record, 48)?,
        }
    } else {
        CentralDirectory { offset, size }
    };
    let end = directory.offset.checked_add(directory.size)?;
    (end <= total && directory.size > 0 && directory.size <= MAX_CENTRAL_DIRECTORY)
        .then_some(directory)
}

/// The `<name>.dist-info/METADATA` entry of a central directory; `None`
/// when there is not exactly one such top-level entry, or a record is cut.
pub(crate) fn find_metadata(directory: &[u8]) -> Option<MetadataEntry> {
    let mut found = None;
    let mut at = 0;
    while at < directory.len() {
        if u32_at(directory, at)? != CENTRAL_SIGNATURE {
            return None;
        }
        let name_len = usize::from(u16_at(directory, at + 28)?);
        let extra_len = usize::from(u16_at(directory, at + 30)?);
        let comment_len = usize::from(u16_at(directory, at + 32)?);
        let name = directory.get(at + 46..at + 46 + name_len)?;
        let extra = directory.get(at + 46 + name_len..at + 46 + name_len + extra_len)?;
        if is_metadata_name(name) {
            if found.is_some() {
                return None;
            }
            found = Some(central_entry(&directory[at..], extra)?);
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    found
}

/// `<something>.dist-info/METADATA`, at the top of the archive.
fn is_metadata_name(name: &[u8]) -> bool {
    name.strip_suffix(b".dist-info/METADATA")
        .is_some_and(|dir| !dir.is_empty() && !dir.contains(&b'/'))
}

/// A central directory header's sizes and offset, from the zip64 extra
/// field where the header says `0xFFFFFFFF` (in the field's order:
/// uncompressed size, compressed size, local header offset).
fn central_entry(header: &[u8], extra: &[u8]) -> Option<MetadataEntry> {
    let mut uncompressed = u64::from(u32_at(header, 24)?);
    let mut compressed = u64::from(u32_at(header, 20)?);
    let mut local_offset = u64::from(u32_at(header, 42)?);
    let zip64 = zip64_field(extra);
    let mut next = 0;
    for value in [&mut uncompressed, &mut compressed, &mut local_offset] {
        if *value == u64::from(u32::MAX) {
            *value = u64_at(zip64?, next)?;
            next += 8;
        }
    }
    Some(MetadataEntry {
        method: u16_at(header, 10)?,
        crc: u32_at(header, 16)?,
        compressed,
        uncompressed,
        local_offset,
    })
}

/// The data of the zip64 extended information extra field (id 1).
fn zip64_field(mut extra: &[u8]) -> Option<&[u8]> {
    while extra.len() >= 4 {
        let id = u16_at(extra, 0)?;
        let len = usize::from(u16_at(extra, 2)?);
        let data = extra.get(4..4 + len)?;
        if id == 1 {
            return Some(data);
        }
        extra = &extra[4 + len..];
    }
    None
}

impl MetadataEntry {
    /// The bytes to fetch for this entry: its local header (whose name and
    /// extra field are at most 64 KiB each) and its data, within the file.
    pub(crate) fn span(&self, total: u64) -> Option<(u64, u64)> {
        if self.compressed > MAX_METADATA || self.uncompressed > MAX_METADATA {
            return None;
        }
        let end = self
            .local_offset
            .checked_add(30 + 2 * u64::from(u16::MAX) + self.compressed)?
            .min(total);
        (self.local_offset < end).then_some((self.local_offset, end))
    }

    /// The entry's contents, from fetched bytes that hold its local header
    /// and data: inflated if deflated, and checked against the central
    /// directory's size and CRC-32.
    pub(crate) fn read(&self, fetched: &Fetched) -> Option<Vec<u8>> {
        if self.compressed > MAX_METADATA || self.uncompressed > MAX_METADATA {
            return None;
        }
        let header = fetched.slice(self.local_offset, 30)?;
        if u32_at(header, 0)? != LOCAL_SIGNATURE {
            return None;
        }
        let data_offset = self
            .local_offset
            .checked_add(30 + u64::from(u16_at(header, 26)?) + u64::from(u16_at(header, 28)?))?;
        let data = fetched.slice(data_offset, self.compressed)?;
        let contents = match self.method {
            0 => data.to_vec(),
            8 => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .take(self.uncompressed + 1)
                    .read_to_end(&mut out)
                    .ok()?;
                out
            }
            _ => return None,
        };
        let mut crc = flate2::Crc::new();
        crc.update(&contents);
        (contents.len() as u64 == self.uncompressed && crc.sum() == self.crc).then_some(contents)
    }
}

/// What [`RegistryClient::fetch_metadata_by_range`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeMetadata {
    /// The `METADATA` entry's bytes.
    Metadata(Vec<u8>),
    /// The server does not answer range requests (it sent the whole file,
    /// or another status): later wheels from it need not try.
    NoRanges,
    /// The archive is one this reader does not follow (see the module
    /// documentation of `remote_zip`); the whole wheel will tell.
    Unreadable,
}

/// What a range request got.
enum Ranged {
    /// The bytes, and the file's length.
    Partial(Fetched, u64),
    /// The server does not serve ranges (it answered 200, or something else).
    Unsupported(StatusCode),
}

impl RegistryClient {
    /// The `METADATA` of the remote wheel `file`, read with HTTP range
    /// requests: the last 64 KiB of the file (the zip's end records, and
    /// usually its central directory and `.dist-info` entries), then the
    /// central directory and the entry if they were not among them. When the
    /// server ignores `Range` ([`RangeMetadata::NoRanges`]) or the archive
    /// is odd ([`RangeMetadata::Unreadable`]), the caller downloads the whole
    /// wheel. Errors are those of the requests themselves (connection,
    /// offline).
    pub async fn fetch_metadata_by_range(
        &self,
        file: &IndexFile,
    ) -> Result<RangeMetadata, ClientError> {
        let redacted = redact(&file.url);
        if self.is_offline() {
            return Err(ClientError::OfflineDownload {
                filename: file.filename.to_string(),
                url: redacted,
            });
        }
        let (tail, total) = match self.range(file, Range::Suffix(TAIL)).await? {
            Ranged::Partial(tail, total) => (tail, total),
            Ranged::Unsupported(status) => {
                debug!(url = %redacted, %status, "No range requests");
                return Ok(RangeMetadata::NoRanges);
            }
        };
        let Some(directory) = central_directory(&tail, total) else {
            debug!(url = %redacted, "No readable end of central directory");
            return Ok(RangeMetadata::Unreadable);
        };
        let directory_bytes = match tail.slice(directory.offset, directory.size) {
            Some(bytes) => bytes.to_vec(),
            None => {
                let end = directory.offset + directory.size;
                match self.range(file, Range::Span(directory.offset, end)).await? {
                    Ranged::Partial(fetched, _) => fetched.bytes,
                    Ranged::Unsupported(_) => return Ok(RangeMetadata::NoRanges),
                }
            }
        };
        let Some(entry) = find_metadata(&directory_bytes) else {
            debug!(url = %redacted, "No single METADATA entry");
            return Ok(RangeMetadata::Unreadable);
        };
        drop(directory_bytes);
        if let Some(contents) = entry.read(&tail) {
            return Ok(RangeMetadata::Metadata(contents));
        }
        let Some((start, end)) = entry.span(total) else {
            return Ok(RangeMetadata::Unreadable);
        };
        Ok(match self.range(file, Range::Span(start, end)).await? {
            Ranged::Partial(fetched, _) => entry
                .read(&fetched)
                .map_or(RangeMetadata::Unreadable, RangeMetadata::Metadata),
            Ranged::Unsupported(_) => RangeMetadata::NoRanges,
        })
    }

    /// One range request; the body is read only when the server answered
    /// 206 with a `Content-Range` that matches what was asked.
    async fn range(&self, file: &IndexFile, range: Range) -> Result<Ranged, ClientError> {
        let mut headers = HeaderMap::new();
        let value = match range {
            Range::Suffix(len) => format!("bytes=-{len}"),
            Range::Span(start, end) => format!("bytes={start}-{}", end - 1),
        };
        headers.insert(
            RANGE,
            HeaderValue::from_str(&value).expect("an ASCII header"),
        );
        let response = self.get(&file.url, headers).await?;
        let status = response.status();
        if status != StatusCode::PARTIAL_CONTENT {
            return Ok(Ranged::Unsupported(status));
        }
        let Some((start, end, total)) = response
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_content_range)
        else {
            return Ok(Ranged::Unsupported(status));
        };
        let expected_ok = match range {
            Range::Suffix(len) => end + 1 == total && end + 1 - start <= len,
            Range::Span(from, to) => start == from && end + 1 == to.min(total),
        };
        if !expected_ok {
            return Ok(Ranged::Unsupported(status));
        }
        let bytes = read_exact_body(response, &file.url, end + 1 - start).await?;
        Ok(match bytes {
            Some(bytes) => Ranged::Partial(Fetched { start, bytes }, total),
            None => Ranged::Unsupported(status),
        })
    }
}

/// A byte range: the last N bytes, or `start..end`.
#[derive(Debug, Clone, Copy)]
enum Range {
    Suffix(u64),
    Span(u64, u64),
}

/// `bytes <start>-<end>/<total>` (end inclusive).
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, total) = (
        start.trim().parse::<u64>().ok()?,
        end.trim().parse::<u64>().ok()?,
        total.trim().parse::<u64>().ok()?,
    );
    (start <= end && end < total).then_some((start, end, total))
}

/// A body of exactly `len` bytes, or `None` if it is longer or shorter.
async fn read_exact_body(
    response: reqwest::Response,
    url: &url::Url,
    len: u64,
) -> Result<Option<Vec<u8>>, ClientError> {
    let capacity = usize::try_from(len.min(MAX_CENTRAL_DIRECTORY + 2 * TAIL)).unwrap_or(0);
    let mut body = Vec::with_capacity(capacity);
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| ClientError::Download {
            url: redact(url),
            err: err.without_url(),
        })?;
        if (body.len() + chunk.len()) as u64 > len {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body.len() as u64 == len).then_some(body))
}

#[cfg(test)]
mod tests {
    use puffin_test_support::{RawEntry, RawZip, WheelBuilder};

    use super::*;

    fn whole(bytes: Vec<u8>) -> Fetched {
        Fetched { start: 0, bytes }
    }

    /// The METADATA of an archive, read the way the client reads a remote one.
    fn metadata_of(bytes: &[u8]) -> Option<Vec<u8>> {
        let total = bytes.len() as u64;
        let tail_start = total.saturating_sub(TAIL);
        let tail = Fetched {
            start: tail_start,
            bytes: bytes[usize::try_from(tail_start).unwrap()..].to_vec(),
        };
        let directory = central_directory(&tail, total)?;
        let start = usize::try_from(directory.offset).unwrap();
        let end = start + usize::try_from(directory.size).unwrap();
        let entry = find_metadata(&bytes[start..end])?;
        entry.read(&whole(bytes.to_vec()))
    }

    #[test]
    fn reads_stored_and_deflated_metadata() {
        let wheel = WheelBuilder::new("foo", "1.0").requires("bar>=1");
        let expected = wheel
            .entries()
            .into_iter()
            .find(|(name, ..)| name.ends_with(".dist-info/METADATA"))
            .unwrap()
            .1;
        let deflated = RawZip::from_wheel(&wheel).to_bytes();
        assert_eq!(metadata_of(&deflated).as_deref(), Some(expected.as_slice()));
        let stored = RawZip::new()
            .entry(RawEntry::file("foo/__init__.py", "x"))
            .entry(RawEntry::file("foo-1.0.dist-info/METADATA", &expected))
            .to_bytes();
        assert_eq!(metadata_of(&stored).as_deref(), Some(expected.as_slice()));
    }

    /// Cut, forged and ambiguous archives give `None`, never a panic or a
    /// large allocation.
    #[test]
    fn odd_archives_give_none() {
        let good = RawZip::new()
            .entry(RawEntry::deflated("a-1.0.dist-info/METADATA", "Name: a\n"))
            .to_bytes();
        assert!(metadata_of(&good).is_some());
        for cut in 0..good.len() {
            let _ = metadata_of(&good[cut..]);
            let _ = metadata_of(&good[..cut]);
        }
        let two = RawZip::new()
            .entry(RawEntry::file("a-1.0.dist-info/METADATA", "Name: a\n"))
            .entry(RawEntry::file("b-1.0.dist-info/METADATA", "Name: b\n"))
            .to_bytes();
        assert_eq!(metadata_of(&two), None);
        let nested = RawZip::new()
            .entry(RawEntry::file("x/a-1.0.dist-info/METADATA", "Name: a\n"))
            .to_bytes();
        assert_eq!(metadata_of(&nested), None);
        let bad_crc = RawZip::new()
            .entry(RawEntry::file("a-1.0.dist-info/METADATA", "Name: a\n").crc(1))
            .to_bytes();
        assert_eq!(metadata_of(&bad_crc), None);
        let huge = RawZip::new()
            .entry(
                RawEntry::file("a-1.0.dist-info/METADATA", "Name: a\n")
                    .uncompressed_size(u32::MAX - 1),
            )
            .to_bytes();
        assert_eq!(metadata_of(&huge), None);
        // A small deflated entry that claims to inflate to more than the limit.
        let bomb = RawZip::new()
            .entry(
                RawEntry::deflated("a-1.0.dist-info/METADATA", vec![b'a'; 1 << 20])
                    .uncompressed_size(u32::try_from(MAX_METADATA + 1).unwrap()),
            )
            .to_bytes();
        assert_eq!(metadata_of(&bomb), None);
        let mut forged = good.clone();
        let len = forged.len();
        // The end record's central directory size, made enormous.
        forged[len - 10..len - 6].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
        let tail = whole(forged);
        assert_eq!(central_directory(&tail, len as u64), None);
    }

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 10-19/20"), Some((10, 19, 20)));
        assert_eq!(parse_content_range("bytes 10-20/20"), None);
        assert_eq!(parse_content_range("bytes */20"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }
}
