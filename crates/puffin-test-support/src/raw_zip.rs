//! Zip archives written byte by byte, so tests can forge what a zip library
//! refuses to write: local headers that disagree with the central directory,
//! wrong CRCs, truncated data, duplicate names, symlinks, hostile names and
//! unknown compression methods.
//!
//! The layout follows [APPNOTE.TXT] 4.3: a local file header and the data of
//! every entry, then the central directory, then the end of central directory
//! record. No zip64, no data descriptors.
//!
//! [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT

use std::io::{Cursor, Read, Write};
use std::path::Path;

use fs_err as fs;
use zip::write::SimpleFileOptions;

use crate::WheelBuilder;

/// The `stored` compression method (no compression).
pub const METHOD_STORED: u16 = 0;
/// The `deflate` compression method.
pub const METHOD_DEFLATED: u16 = 8;

const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;
/// "Version made by": upper byte 3 (UNIX), lower byte 2.0.
const VERSION_MADE_BY_UNIX: u16 = (3 << 8) | 20;
const VERSION_NEEDED: u16 = 20;

/// One entry of a [`RawZip`], with every header field under the test's control.
#[derive(Debug, Clone)]
pub struct RawEntry {
    name: Vec<u8>,
    local_name: Option<Vec<u8>>,
    /// The bytes stored in the archive (compressed for deflate).
    data: Vec<u8>,
    crc: u32,
    uncompressed_size: u32,
    method: u16,
    flags: u16,
    external_attributes: u32,
    local_crc: Option<u32>,
    local_compressed_size: Option<u32>,
    local_uncompressed_size: Option<u32>,
    local_method: Option<u16>,
    truncate: usize,
}

impl RawEntry {
    /// A regular file (mode 0o644), stored uncompressed.
    pub fn file(name: impl AsRef<[u8]>, contents: impl AsRef<[u8]>) -> Self {
        let contents = contents.as_ref();
        Self {
            name: name.as_ref().to_vec(),
            local_name: None,
            data: contents.to_vec(),
            crc: crc32(contents),
            uncompressed_size: u32::try_from(contents.len()).expect("small test files"),
            method: METHOD_STORED,
            flags: 0,
            external_attributes: (S_IFREG | 0o644) << 16,
            local_crc: None,
            local_compressed_size: None,
            local_uncompressed_size: None,
            local_method: None,
            truncate: 0,
        }
    }

    /// A regular file (mode 0o644), deflated.
    pub fn deflated(name: impl AsRef<[u8]>, contents: impl AsRef<[u8]>) -> Self {
        let contents = contents.as_ref();
        let mut entry = Self::file(name, contents);
        entry.data = deflate(contents);
        entry.method = METHOD_DEFLATED;
        entry
    }

    /// A directory entry; the name should end with `/`.
    pub fn dir(name: impl AsRef<[u8]>) -> Self {
        Self::file(name, b"").unix_mode(S_IFDIR | 0o755)
    }

    /// A symbolic link to `target` (the link target is the entry's data, as
    /// Info-ZIP stores it).
    pub fn symlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Self {
        Self::file(name, target).unix_mode(S_IFLNK | 0o777)
    }

    /// Set the whole unix mode, file type bits included (e.g. `0o100755`).
    #[must_use]
    pub fn unix_mode(mut self, mode: u32) -> Self {
        self.external_attributes = mode << 16;
        self
    }

    /// Make a regular file executable (mode 0o755).
    #[must_use]
    pub fn executable(self) -> Self {
        self.unix_mode(S_IFREG | 0o755)
    }

    /// Set the raw external attributes (no unix mode when zero).
    #[must_use]
    pub fn external_attributes(mut self, attributes: u32) -> Self {
        self.external_attributes = attributes;
        self
    }

    /// Set the compression method in both headers, keeping the data as it is.
    #[must_use]
    pub fn method(mut self, method: u16) -> Self {
        self.method = method;
        self
    }

    /// Set the general purpose flags in both headers (bit 0: encrypted).
    #[must_use]
    pub fn flags(mut self, flags: u16) -> Self {
        self.flags = flags;
        self
    }

    /// Set the CRC-32 in both headers.
    #[must_use]
    pub fn crc(mut self, crc: u32) -> Self {
        self.crc = crc;
        self
    }

    /// Set the uncompressed size in both headers.
    #[must_use]
    pub fn uncompressed_size(mut self, size: u32) -> Self {
        self.uncompressed_size = size;
        self
    }

    /// Use another name in the local file header only.
    #[must_use]
    pub fn local_name(mut self, name: impl AsRef<[u8]>) -> Self {
        self.local_name = Some(name.as_ref().to_vec());
        self
    }

    /// Use another CRC-32 in the local file header only.
    #[must_use]
    pub fn local_crc(mut self, crc: u32) -> Self {
        self.local_crc = Some(crc);
        self
    }

    /// Use another compressed size in the local file header only.
    #[must_use]
    pub fn local_compressed_size(mut self, size: u32) -> Self {
        self.local_compressed_size = Some(size);
        self
    }

    /// Use another uncompressed size in the local file header only.
    #[must_use]
    pub fn local_uncompressed_size(mut self, size: u32) -> Self {
        self.local_uncompressed_size = Some(size);
        self
    }

    /// Use another compression method in the local file header only.
    #[must_use]
    pub fn local_method(mut self, method: u16) -> Self {
        self.local_method = Some(method);
        self
    }

    /// Leave out the last `bytes` bytes of the stored (compressed) data. The
    /// compressed size in both headers follows the shortened data, while the
    /// CRC and the uncompressed size still describe the full contents: the
    /// entry's data was cut short, the archive around it is intact.
    #[must_use]
    pub fn truncate(mut self, bytes: usize) -> Self {
        self.truncate = bytes;
        self
    }

    /// The name in the central directory.
    pub fn name(&self) -> &[u8] {
        &self.name
    }
}

/// A zip archive assembled from [`RawEntry`]s in order.
///
/// ```
/// # use puffin_test_support::{RawEntry, RawZip};
/// let bytes = RawZip::new()
///     .entry(RawEntry::file("a.txt", "hello").local_crc(0))
///     .to_bytes();
/// assert_eq!(&bytes[..4], b"PK\x03\x04");
/// ```
#[derive(Debug, Clone, Default)]
pub struct RawZip {
    entries: Vec<RawEntry>,
}

impl RawZip {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entries of a wheel built by [`WheelBuilder`] (stored, with their
    /// modes), RECORD included, ready to be tampered with.
    pub fn from_wheel(wheel: &WheelBuilder) -> Self {
        let entries = wheel
            .entries()
            .into_iter()
            .map(|(name, contents, mode)| RawEntry::file(name, contents).unix_mode(S_IFREG | mode))
            .collect();
        Self { entries }
    }

    /// Append an entry.
    #[must_use]
    pub fn entry(mut self, entry: RawEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// Replace the entry named `name` (central directory name) with `f(entry)`.
    ///
    /// Panics if there is no such entry.
    #[must_use]
    pub fn map_entry(mut self, name: &str, f: impl FnOnce(RawEntry) -> RawEntry) -> Self {
        let index = self
            .entries
            .iter()
            .position(|entry| entry.name == name.as_bytes())
            .unwrap_or_else(|| panic!("no entry named {name}"));
        let entry = self.entries.remove(index);
        self.entries.insert(index, f(entry));
        self
    }

    /// Remove the entry named `name`. Panics if there is no such entry.
    #[must_use]
    pub fn remove_entry(mut self, name: &str) -> Self {
        let before = self.entries.len();
        self.entries.retain(|entry| entry.name != name.as_bytes());
        assert_ne!(before, self.entries.len(), "no entry named {name}");
        self
    }

    /// The archive's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for entry in &self.entries {
            let offset = u32::try_from(out.len()).expect("small test archives");
            let stored = &entry.data[..entry.data.len().saturating_sub(entry.truncate)];
            let compressed_size = u32::try_from(stored.len()).expect("small test files");

            let local_name = entry.local_name.as_ref().unwrap_or(&entry.name);
            put_u32(&mut out, 0x0403_4b50);
            put_u16(&mut out, VERSION_NEEDED);
            put_u16(&mut out, entry.flags);
            put_u16(&mut out, entry.local_method.unwrap_or(entry.method));
            put_u16(&mut out, 0); // time
            put_u16(&mut out, 0x21); // date: 1980-01-01
            put_u32(&mut out, entry.local_crc.unwrap_or(entry.crc));
            put_u32(
                &mut out,
                entry.local_compressed_size.unwrap_or(compressed_size),
            );
            put_u32(
                &mut out,
                entry
                    .local_uncompressed_size
                    .unwrap_or(entry.uncompressed_size),
            );
            put_u16(&mut out, name_len(local_name));
            put_u16(&mut out, 0); // extra field length
            out.extend_from_slice(local_name);
            out.extend_from_slice(stored);

            put_u32(&mut central, 0x0201_4b50);
            put_u16(&mut central, VERSION_MADE_BY_UNIX);
            put_u16(&mut central, VERSION_NEEDED);
            put_u16(&mut central, entry.flags);
            put_u16(&mut central, entry.method);
            put_u16(&mut central, 0);
            put_u16(&mut central, 0x21);
            put_u32(&mut central, entry.crc);
            put_u32(&mut central, compressed_size);
            put_u32(&mut central, entry.uncompressed_size);
            put_u16(&mut central, name_len(&entry.name));
            put_u16(&mut central, 0); // extra field length
            put_u16(&mut central, 0); // comment length
            put_u16(&mut central, 0); // disk number start
            put_u16(&mut central, 0); // internal attributes
            put_u32(&mut central, entry.external_attributes);
            put_u32(&mut central, offset);
            central.extend_from_slice(&entry.name);
        }
        let central_offset = u32::try_from(out.len()).expect("small test archives");
        let central_size = u32::try_from(central.len()).expect("small test archives");
        let count = u16::try_from(self.entries.len()).expect("few test entries");
        out.extend_from_slice(&central);
        put_u32(&mut out, 0x0605_4b50);
        put_u16(&mut out, 0); // this disk
        put_u16(&mut out, 0); // disk with the central directory
        put_u16(&mut out, count);
        put_u16(&mut out, count);
        put_u32(&mut out, central_size);
        put_u32(&mut out, central_offset);
        put_u16(&mut out, 0); // comment length
        out
    }

    /// Write the archive to `path`.
    pub fn write(&self, path: &Path) {
        fs::write(path, self.to_bytes()).unwrap();
    }
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn name_len(name: &[u8]) -> u16 {
    u16::try_from(name.len()).expect("short test names")
}

/// The CRC-32 of the zip format, computed by the zip crate: write a stored entry
/// and read its CRC back.
fn crc32(contents: &[u8]) -> u32 {
    let archive = single_entry_zip(contents, zip::CompressionMethod::Stored);
    let archive = zip::ZipArchive::new(Cursor::new(archive)).unwrap();
    archive.by_index_data(0).unwrap().crc32()
}

/// A raw deflate stream of `contents`, compressed by the zip crate.
fn deflate(contents: &[u8]) -> Vec<u8> {
    let archive = single_entry_zip(contents, zip::CompressionMethod::Deflated);
    let mut archive = zip::ZipArchive::new(Cursor::new(archive)).unwrap();
    let mut raw = Vec::new();
    archive
        .by_index_raw(0)
        .unwrap()
        .read_to_end(&mut raw)
        .unwrap();
    raw
}

fn single_entry_zip(contents: &[u8], method: zip::CompressionMethod) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(
        "entry",
        SimpleFileOptions::default().compression_method(method),
    )
    .unwrap();
    zip.write_all(contents).unwrap();
    zip.finish().unwrap().into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The zip crate reads what we write, deflated entries included.
    #[test]
    fn zip_crate_reads_raw_archives() {
        let bytes = RawZip::new()
            .entry(RawEntry::file("a.txt", "hello"))
            .entry(RawEntry::deflated("b/c.txt", "hello hello hello hello").executable())
            .entry(RawEntry::dir("b/"))
            .to_bytes();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        let mut text = String::new();
        archive
            .by_name("b/c.txt")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello hello hello hello");
        assert_eq!(
            archive.by_name("b/c.txt").unwrap().unix_mode(),
            Some(0o100_755)
        );
        assert!(archive.by_name("b/").unwrap().is_dir());
    }

    /// A wrong CRC in both headers is caught by the zip crate on a full read.
    #[test]
    fn forged_crc_is_detected_by_readers() {
        let bytes = RawZip::new()
            .entry(RawEntry::file("a.txt", "hello").crc(1))
            .to_bytes();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut text = String::new();
        let err = archive
            .by_index(0)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }
}
