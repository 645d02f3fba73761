//! Validating the archive and extracting it into a directory.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use data_encoding::BASE64URL_NOPAD;
use distribution_filename::WheelFilename;
use fs_err as fs;
use install_wheel_rs::{ManifestFile, WheelManifest, read_record};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tracing::trace;
use zip::{CompressionMethod, ZipArchive, ZipReadOptions};

use super::local_header::{CentralValues, LocalHeaderError, check_local_header};
use super::names::{EntryName, normalize_entry_name};
use super::reader::SharedFile;
use super::record::{RecordIndex, find_record};
use super::{UnzipError, UnzipWarning};

/// The read buffer of each extraction task.
const BUFFER_SIZE: usize = 64 * 1024;

/// Deflated entries up to this size (compressed and uncompressed) are
/// inflated in one call on whole buffers, by libdeflate: about twice as fast
/// as streaming through zlib-rs, and 83% of the bytes of the benchmark set.
/// Larger ones stream, so that a task never holds more than this twice.
const WHOLE_LIMIT: u64 = 4 * 1024 * 1024;

/// The file type bits of a unix mode.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// One regular file to extract.
#[derive(Debug)]
struct FileEntry {
    /// The index in the archive.
    index: usize,
    /// The name as stored in the archive, for messages.
    name: String,
    /// The normalized path.
    path: String,
    executable: bool,
}

/// What the central directory says, after the checks that need no data.
#[derive(Debug)]
struct Plan {
    files: Vec<FileEntry>,
    /// Every directory, explicit or implied by a path, parents first.
    dirs: Vec<String>,
    /// Pairs of paths that differ only in case.
    case_conflicts: Vec<(String, String)>,
}

/// Validate, extract and hash the archive into `root`; the manifest is
/// returned, not written.
pub(super) fn extract_into(
    wheel: &Path,
    filename: &WheelFilename,
    root: &Path,
) -> Result<(WheelManifest, Vec<UnzipWarning>), UnzipError> {
    let file = fs::File::open(wheel).map_err(|err| UnzipError::Open {
        wheel: wheel.to_path_buf(),
        err,
    })?;
    let reader = SharedFile::new(file).map_err(|err| UnzipError::Open {
        wheel: wheel.to_path_buf(),
        err,
    })?;
    let archive = ZipArchive::new(reader.clone()).map_err(|err| UnzipError::Archive {
        wheel: wheel.to_path_buf(),
        err,
    })?;
    let plan = plan(wheel, &archive, reader.clone())?;

    let record_path = find_record(
        wheel,
        filename,
        plan.files.iter().map(|file| file.path.as_str()),
    )?;
    let record_entry = plan
        .files
        .iter()
        .find(|file| file.path == record_path)
        .expect("RECORD is one of the files");
    let mut record_bytes = Vec::new();
    let mut task = ExtractTask::new(wheel, &archive, &reader);
    task.copy(record_entry, &mut record_bytes)?;
    let rows = read_record(record_bytes.as_slice()).map_err(|err| UnzipError::InvalidRecord {
        wheel: wheel.to_path_buf(),
        record: record_path.to_string(),
        err,
    })?;
    let record = RecordIndex::new(record_path, rows);
    record.check_all_present(
        wheel,
        &plan.files.iter().map(|file| file.path.as_str()).collect(),
        &plan.dirs.iter().map(String::as_str).collect(),
    )?;

    for dir in &plan.dirs {
        fs::create_dir(root.join(dir))
            .map_err(|err| write_error(wheel, &plan.case_conflicts, dir, err))?;
    }

    let extracted: Vec<(ManifestFile, Option<UnzipWarning>)> = plan
        .files
        .par_iter()
        .map_init(
            || ExtractTask::new(wheel, &archive, &reader),
            |task, file| task.extract(file, root, &record, &plan.case_conflicts),
        )
        .collect::<Result<_, _>>()?;
    let (files, file_warnings): (Vec<_>, Vec<_>) = extracted.into_iter().unzip();
    let warnings = plan
        .case_conflicts
        .into_iter()
        .map(|(first, second)| UnzipWarning::CaseConflict { first, second })
        .chain(file_warnings.into_iter().flatten())
        .collect();
    let manifest = WheelManifest::new(filename.to_string(), plan.dirs, files);
    Ok((manifest, warnings))
}

/// Check every central directory entry and decide what to create.
fn plan(
    wheel: &Path,
    archive: &ZipArchive<SharedFile>,
    reader: SharedFile,
) -> Result<Plan, UnzipError> {
    if archive.has_duplicate_names() {
        return Err(UnzipError::DuplicateEntry {
            wheel: wheel.to_path_buf(),
            entry: first_duplicate_name(archive, reader)
                .unwrap_or_else(|| "(unknown name)".to_string()),
        });
    }

    let mut files = Vec::new();
    let mut explicit_dirs = Vec::new();
    let mut seen_files: HashSet<String> = HashSet::new();
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|err| UnzipError::Archive {
                wheel: wheel.to_path_buf(),
                err,
            })?;
        let name = entry
            .name()
            .map_err(|err| UnzipError::Archive {
                wheel: wheel.to_path_buf(),
                err,
            })?
            .into_owned();
        let EntryName { path, is_dir } =
            normalize_entry_name(&name).map_err(|reason| UnzipError::InvalidName {
                wheel: wheel.to_path_buf(),
                entry: name.clone(),
                reason,
            })?;
        if entry.encrypted() {
            return Err(UnzipError::Encrypted {
                wheel: wheel.to_path_buf(),
                entry: name,
            });
        }
        let mode = entry.unix_mode();
        let kind = mode.map_or(0, |mode| mode & S_IFMT);
        match kind {
            S_IFLNK => {
                return Err(UnzipError::Symlink {
                    wheel: wheel.to_path_buf(),
                    entry: name,
                });
            }
            0 | S_IFREG | S_IFDIR => {}
            _ => {
                return Err(UnzipError::SpecialFile {
                    wheel: wheel.to_path_buf(),
                    entry: name,
                    mode: mode.unwrap_or_default(),
                });
            }
        }

        if is_dir || kind == S_IFDIR {
            // Listing a directory twice is harmless.
            explicit_dirs.push(path);
            continue;
        }
        if !matches!(
            entry.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return Err(UnzipError::UnsupportedCompression {
                wheel: wheel.to_path_buf(),
                entry: name,
                method: describe_method(entry.compression()),
            });
        }
        if !seen_files.insert(path.clone()) {
            return Err(UnzipError::DuplicateEntry {
                wheel: wheel.to_path_buf(),
                entry: path,
            });
        }
        files.push(FileEntry {
            index,
            name,
            path,
            executable: mode.is_some_and(|mode| mode & 0o111 != 0),
        });
    }

    let dirs = all_dirs(&files, explicit_dirs);
    let dir_set: HashSet<&str> = dirs.iter().map(String::as_str).collect();
    if let Some(file) = files
        .iter()
        .find(|file| dir_set.contains(file.path.as_str()))
    {
        return Err(UnzipError::FileDirectoryConflict {
            wheel: wheel.to_path_buf(),
            entry: file.path.clone(),
        });
    }
    let case_conflicts = case_conflicts(&files, &dirs);
    Ok(Plan {
        files,
        dirs,
        case_conflicts,
    })
}

/// Pairs of paths (files or directories, explicit or implied) that differ only
/// in case. pip installs such wheels, and so do we where the filesystem tells
/// the names apart; on a case-insensitive one, creating the second path fails
/// (files are created with `create_new`) and [`write_error`] names the pair.
fn case_conflicts(files: &[FileEntry], dirs: &[String]) -> Vec<(String, String)> {
    let mut folded: HashMap<String, &str> = HashMap::with_capacity(files.len() + dirs.len());
    let mut conflicts = Vec::new();
    let paths = dirs
        .iter()
        .map(String::as_str)
        .chain(files.iter().map(|file| file.path.as_str()));
    for path in paths {
        // Files and directories are each unique and disjoint by now, so any
        // collision is one of case.
        if let Some(first) = folded.insert(path.to_lowercase(), path) {
            conflicts.push((first.to_string(), path.to_string()));
        }
    }
    conflicts
}

/// The error for a failed creation of `path`: a case conflict if the path
/// already exists and differs only in case from another entry, otherwise the
/// I/O error.
fn write_error(
    wheel: &Path,
    case_conflicts: &[(String, String)],
    path: &str,
    err: io::Error,
) -> UnzipError {
    if err.kind() == io::ErrorKind::AlreadyExists
        && let Some((first, second)) = case_conflicts
            .iter()
            .find(|(first, second)| first == path || second == path)
    {
        return UnzipError::CaseConflict {
            wheel: wheel.to_path_buf(),
            first: first.clone(),
            second: second.clone(),
        };
    }
    UnzipError::Write {
        wheel: wheel.to_path_buf(),
        err,
    }
}

/// The explicit directories and every parent of every entry, parents first
/// and otherwise in the order of a sorted directory walk.
fn all_dirs(files: &[FileEntry], explicit: Vec<String>) -> Vec<String> {
    let mut dirs: HashSet<String> = HashSet::new();
    let mut add_parents = |path: &str| {
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            end += slash;
            dirs.insert(path[..end].to_string());
            end += 1;
        }
    };
    for file in files {
        add_parents(&file.path);
    }
    for dir in &explicit {
        add_parents(dir);
    }
    dirs.extend(explicit);
    let mut dirs: Vec<String> = dirs.into_iter().collect();
    // Component-wise order: `a`, `a/b`, `a-b`, as a sorted walk lists them.
    dirs.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    dirs
}

/// A method's number and name, e.g. `12 (Bzip2)`.
// The number of a method the crate cannot decompress is only available from
// the deprecated `Unsupported` variant.
#[allow(deprecated)]
fn describe_method(method: CompressionMethod) -> String {
    match method {
        CompressionMethod::Unsupported(number) => match CompressionMethod::name_from_u16(number) {
            "Unknown" => format!("{number} (unknown)"),
            name => format!("{number} ({name})"),
        },
        method => method.to_string(),
    }
}

/// The number of a supported compression method ([APPNOTE.TXT] 4.4.5).
///
/// [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
fn method_number(method: CompressionMethod) -> u16 {
    match method {
        CompressionMethod::Deflated => 8,
        // Stored; the plan refused everything else.
        _ => 0,
    }
}

/// The zip crate collapses duplicate names in its index, so find one by
/// walking the central directory records ([APPNOTE.TXT] 4.3.12) ourselves.
///
/// [APPNOTE.TXT]: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
fn first_duplicate_name(archive: &ZipArchive<SharedFile>, reader: SharedFile) -> Option<String> {
    let mut reader = io::BufReader::new(reader);
    io::Seek::seek(
        &mut reader,
        io::SeekFrom::Start(archive.central_directory_start()),
    )
    .ok()?;
    let mut seen = HashSet::new();
    loop {
        let mut fixed = [0u8; 46];
        reader.read_exact(&mut fixed).ok()?;
        if fixed[..4] != 0x0201_4b50u32.to_le_bytes() {
            return None;
        }
        let len = |at: usize| usize::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
        let mut name = vec![0u8; len(28)];
        reader.read_exact(&mut name).ok()?;
        let skip = i64::try_from(len(30) + len(32)).ok()?;
        io::Seek::seek_relative(&mut reader, skip).ok()?;
        if !seen.insert(name.clone()) {
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
    }
}

/// The per-task state of the parallel extraction: an archive and a reader of
/// its own, and a buffer.
struct ExtractTask<'a> {
    wheel: &'a Path,
    archive: ZipArchive<SharedFile>,
    reader: SharedFile,
    buffer: Vec<u8>,
    /// For [`ExtractTask::inflate_whole`]: the compressed data, the
    /// inflated data (both grown as needed, never shrunk) and libdeflate.
    input: Vec<u8>,
    output: Vec<u8>,
    inflater: libdeflater::Decompressor,
}

/// What [`ExtractTask::copy`] measured.
struct Copied {
    size: u64,
    sha256: String,
}

/// The CRC-32, SHA-256 and size of an entry's data as it is written, and
/// the checks against the central directory at the end: one place for both
/// the whole-buffer and the streaming path.
struct Measure<'a> {
    wheel: &'a Path,
    entry: &'a str,
    crc: crc32fast::Hasher,
    sha256: Sha256,
    size: u64,
}

impl<'a> Measure<'a> {
    fn new(wheel: &'a Path, entry: &'a str) -> Self {
        Self {
            wheel,
            entry,
            crc: crc32fast::Hasher::new(),
            sha256: Sha256::new(),
            size: 0,
        }
    }

    /// Hash `chunk` and write it.
    fn write(&mut self, chunk: &[u8], writer: &mut impl Write) -> Result<(), UnzipError> {
        self.crc.update(chunk);
        self.sha256.update(chunk);
        self.size += chunk.len() as u64;
        writer.write_all(chunk).map_err(|err| UnzipError::Write {
            wheel: self.wheel.to_path_buf(),
            err,
        })
    }

    /// Check the size and the CRC-32 against the central directory's.
    fn finish(self, expected_size: u64, expected_crc: u32) -> Result<Copied, UnzipError> {
        if self.size != expected_size {
            return Err(UnzipError::SizeMismatch {
                wheel: self.wheel.to_path_buf(),
                entry: self.entry.to_string(),
                expected: expected_size,
                actual: self.size,
            });
        }
        let actual_crc = self.crc.finalize();
        if actual_crc != expected_crc {
            return Err(UnzipError::CrcMismatch {
                wheel: self.wheel.to_path_buf(),
                entry: self.entry.to_string(),
                expected: expected_crc,
                actual: actual_crc,
            });
        }
        Ok(Copied {
            size: self.size,
            sha256: BASE64URL_NOPAD.encode(&self.sha256.finalize()),
        })
    }
}

impl<'a> ExtractTask<'a> {
    fn new(wheel: &'a Path, archive: &ZipArchive<SharedFile>, reader: &SharedFile) -> Self {
        Self {
            wheel,
            archive: archive.clone(),
            reader: reader.clone(),
            buffer: vec![0; BUFFER_SIZE],
            input: Vec::new(),
            output: Vec::new(),
            inflater: libdeflater::Decompressor::new(),
        }
    }

    /// Extract one file below `root` and check it against RECORD.
    fn extract(
        &mut self,
        file: &FileEntry,
        root: &Path,
        record: &RecordIndex,
        case_conflicts: &[(String, String)],
    ) -> Result<(ManifestFile, Option<UnzipWarning>), UnzipError> {
        let path = root.join(&file.path);
        trace!(entry = %file.path, "Unzipping");
        let mut writer = create_file(&path, file.executable)
            .map_err(|err| write_error(self.wheel, case_conflicts, &file.path, err))?;
        let copied = self.copy(file, &mut writer)?;
        let warning = record.check_file(self.wheel, &file.path, &copied.sha256, copied.size)?;
        Ok((
            ManifestFile {
                path: file.path.clone(),
                size: copied.size,
                executable: file.executable,
                sha256: copied.sha256,
            },
            warning,
        ))
    }

    /// Check the local header, then copy the entry's data into `writer`,
    /// checking its CRC-32 and size against the central directory.
    fn copy(&mut self, file: &FileEntry, writer: &mut impl Write) -> Result<Copied, UnzipError> {
        let wheel = self.wheel;
        let entry = self
            .archive
            .by_index_data(file.index)
            .map_err(|err| UnzipError::Archive {
                wheel: wheel.to_path_buf(),
                err,
            })?;
        let expected_crc = entry.crc32();
        let expected_size = entry.size();
        let central = CentralValues {
            name: entry.name_raw(),
            method: method_number(entry.compression()),
            encrypted: entry.encrypted(),
            crc: expected_crc,
            compressed_size: entry.compressed_size(),
            uncompressed_size: expected_size,
        };
        let data_start = check_local_header(&mut self.reader, entry.header_start(), &central)
            .map_err(|err| match err {
                LocalHeaderError::Io(err) => UnzipError::ReadEntry {
                    wheel: wheel.to_path_buf(),
                    entry: file.name.clone(),
                    err,
                },
                LocalHeaderError::Signature(signature) => UnzipError::MissingLocalHeader {
                    wheel: wheel.to_path_buf(),
                    entry: file.name.clone(),
                    offset: entry.header_start(),
                    signature,
                },
                LocalHeaderError::Mismatch(mismatch) => UnzipError::HeaderMismatch {
                    wheel: wheel.to_path_buf(),
                    entry: file.name.clone(),
                    field: mismatch.field,
                    local: mismatch.local,
                    central: mismatch.central,
                },
            })?;

        let compressed_size = entry.compressed_size();
        let deflated = entry.compression() == CompressionMethod::Deflated;
        let mut measure = Measure::new(wheel, &file.name);
        if deflated
            && let Some(data) = self.inflate_whole(data_start, compressed_size, expected_size)
        {
            measure.write(data, writer)?;
            return measure.finish(expected_size, expected_crc);
        }

        let read_err = |err: io::Error| UnzipError::ReadEntry {
            wheel: wheel.to_path_buf(),
            entry: file.name.clone(),
            err,
        };
        // We compute the CRC-32 ourselves, to say which values differ.
        let mut data = self
            .archive
            .by_index_with_options(file.index, ZipReadOptions::new().ignore_crc32(true))
            .map_err(|err| read_err(err.into()))?;
        loop {
            let read = match data.read(&mut self.buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(read_err(err)),
            };
            measure.write(&self.buffer[..read], writer)?;
        }
        measure.finish(expected_size, expected_crc)
    }

    /// Inflate a deflated entry of at most [`WHOLE_LIMIT`] bytes in one
    /// call, returning its data. `None` when the entry is larger, or its data
    /// cannot be read or does not inflate to exactly `expected_size` bytes:
    /// the streaming path then runs and says what is wrong.
    fn inflate_whole(
        &mut self,
        data_start: u64,
        compressed_size: u64,
        expected_size: u64,
    ) -> Option<&[u8]> {
        if compressed_size > WHOLE_LIMIT || expected_size > WHOLE_LIMIT {
            return None;
        }
        let (compressed_size, expected_size) = (
            usize::try_from(compressed_size).ok()?,
            usize::try_from(expected_size).ok()?,
        );
        grow(&mut self.input, compressed_size);
        // One byte of room more than expected, so that longer data is seen.
        grow(&mut self.output, expected_size + 1);
        let input = &mut self.input[..compressed_size];
        self.reader.seek(io::SeekFrom::Start(data_start)).ok()?;
        self.reader.read_exact(input).ok()?;
        let output = &mut self.output[..=expected_size];
        let inflated = self.inflater.deflate_decompress(input, output).ok()?;
        (inflated == expected_size).then(|| &self.output[..expected_size])
    }
}

/// Make `buffer` at least `len` bytes long (zeroing only what it grows by).
fn grow(buffer: &mut Vec<u8>, len: usize) {
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
}

/// Create a new file (never overwriting: a clash means two entries resolved to
/// one path, e.g. on a case-insensitive filesystem).
fn create_file(path: &Path, executable: bool) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> FileEntry {
        FileEntry {
            index: 0,
            name: path.to_string(),
            path: path.to_string(),
            executable: false,
        }
    }

    /// On a case-insensitive filesystem the second of two paths differing
    /// only in case already exists; the error names both.
    #[test]
    fn existing_path_of_a_case_conflict_is_named() {
        let conflicts = [("pkg/a.py".to_string(), "pkg/A.py".to_string())];
        let wheel = Path::new("w.whl");
        let exists = || io::Error::from(io::ErrorKind::AlreadyExists);
        assert!(matches!(
            write_error(wheel, &conflicts, "pkg/A.py", exists()),
            UnzipError::CaseConflict { first, second, .. } if first == "pkg/a.py" && second == "pkg/A.py"
        ));
        assert!(matches!(
            write_error(wheel, &conflicts, "pkg/b.py", exists()),
            UnzipError::Write { .. }
        ));
        assert!(matches!(
            write_error(
                wheel,
                &conflicts,
                "pkg/A.py",
                io::Error::from(io::ErrorKind::PermissionDenied)
            ),
            UnzipError::Write { .. }
        ));
    }

    #[test]
    fn dirs_are_complete_and_parents_first() {
        let files = [file("a/b/c.py"), file("a-b/d.py"), file("top.py")];
        let dirs = all_dirs(&files, vec!["e/f".to_string(), "a".to_string()]);
        assert_eq!(dirs, ["a", "a/b", "a-b", "e", "e/f"]);
    }
}
