//! Unpacking source archives (sdists): `.tar.gz`/`.tgz`, `.tar` and `.zip`.
//!
//! Every entry is checked before anything is written (see [`tree`] for how):
//! absolute names, `..` components, drive letters and backslashes, links
//! that resolve outside the tree, writes through a link, and devices, FIFOs
//! and sockets are refused with an error naming the archive and the entry.
//! Files keep only their executable bit (`0o755` or `0o644`, under the
//! umask); directories are `0o755`; owners and modification times are not
//! restored (a build backend then never sees a pre-1980 timestamp).

mod names;
mod tree;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use fs_err as fs;
use tracing::{debug, instrument};

use crate::error::{ArchiveError, EntryError, Error};
use names::normalize_entry_name;
use tree::TreeWriter;

/// The archive formats puffin unpacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    TarGz,
    Tar,
    Zip,
}

impl Format {
    /// The format a file name says, by its extension (case-insensitive).
    fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Self::TarGz)
        } else if name.ends_with(".tar") {
            Some(Self::Tar)
        } else if name.ends_with(".zip") {
            Some(Self::Zip)
        } else {
            None
        }
    }
}

/// Unpack the source archive `archive` into the existing, empty directory
/// `dest` and return the root of the source tree: the archive's single
/// top-level directory if it has exactly one top-level entry and that is a
/// directory (`foo-1.0/` in an sdist), else `dest`.
///
/// The format is chosen by the file name: `.tar.gz` or `.tgz`, `.tar`, or
/// `.zip`; anything else is refused. `dest` should be a temporary directory
/// of the cache's `builds-v0` bucket; on an error, what was written is left
/// for the caller to remove with it.
#[instrument(skip_all, fields(archive = %archive.display()))]
pub fn unpack_archive(archive: &Path, dest: &Path) -> Result<PathBuf, Error> {
    let format = Format::from_path(archive).ok_or_else(|| ArchiveError::UnsupportedFormat {
        archive: archive.to_path_buf(),
    })?;
    let file = fs::File::open(archive).map_err(|err| ArchiveError::Open {
        archive: archive.to_path_buf(),
        err,
    })?;
    let mut writer = TreeWriter::new(archive, dest);
    match format {
        Format::TarGz => {
            let decoder = flate2::read::MultiGzDecoder::new(BufReader::new(file));
            unpack_tar(archive, decoder, &mut writer)?;
        }
        Format::Tar => unpack_tar(archive, BufReader::new(file), &mut writer)?,
        Format::Zip => unpack_zip(archive, file, &mut writer)?,
    }
    let top = writer.finish()?;
    let root = match top.as_slice() {
        [(name, true)] => dest.join(name),
        _ => dest.to_path_buf(),
    };
    debug!(root = %root.display(), "Unpacked source archive");
    Ok(root)
}

/// Walk the entries of a tar stream, checking each before writing it.
fn unpack_tar(
    archive: &Path,
    reader: impl Read,
    writer: &mut TreeWriter<'_>,
) -> Result<(), ArchiveError> {
    let read_error = |err| ArchiveError::Read {
        archive: archive.to_path_buf(),
        err,
    };
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(read_error)? {
        let mut entry = entry.map_err(read_error)?;
        let raw_name = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw_name).into_owned();
        let entry_type = entry.header().entry_type();
        if entry_type.is_pax_global_extensions() {
            // `git archive` writes the commit here; it is not a file.
            continue;
        }
        if std::str::from_utf8(&raw_name).is_err() {
            return Err(writer.unsafe_entry(&name, EntryError::NotUtf8));
        }
        let path =
            normalize_entry_name(&name).map_err(|reason| writer.unsafe_entry(&name, reason))?;
        let link_target = || -> Result<String, ArchiveError> {
            let target = entry.link_name_bytes().unwrap_or_default();
            String::from_utf8(target.into_owned()).map_err(|target| {
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                writer.unsafe_entry(&name, EntryError::InvalidLinkTarget(target))
            })
        };
        use tar::EntryType;
        match entry_type {
            EntryType::Directory => writer.dir(&name, &path)?,
            EntryType::Symlink => {
                let target = link_target()?;
                writer.symlink(&name, &path, &target)?;
            }
            EntryType::Link => {
                let target = link_target()?;
                writer.hardlink(&name, &path, &target)?;
            }
            EntryType::Regular | EntryType::Continuous => {
                let mode = entry.header().mode().map_err(read_error)?;
                writer.file(&name, &path, &mut entry, mode & 0o111 != 0)?;
            }
            other => {
                let kind = match other {
                    EntryType::Char => "character device".to_string(),
                    EntryType::Block => "block device".to_string(),
                    EntryType::Fifo => "FIFO".to_string(),
                    other => format!("tar entry of type `{}`", other.as_byte() as char),
                };
                return Err(writer.unsafe_entry(&name, EntryError::SpecialFile(kind)));
            }
        }
    }
    Ok(())
}

/// The file type bits of a Unix mode.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// Walk the entries of a zip archive, checking each before writing it.
fn unpack_zip(
    archive: &Path,
    file: fs::File,
    writer: &mut TreeWriter<'_>,
) -> Result<(), ArchiveError> {
    let zip_error = |err| ArchiveError::Zip {
        archive: archive.to_path_buf(),
        err,
    };
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(zip_error)?;
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let path =
            normalize_entry_name(&name).map_err(|reason| writer.unsafe_entry(&name, reason))?;
        let mode = entry.unix_mode();
        let file_type = mode.map_or(0, |mode| mode & S_IFMT);
        if name.ends_with('/') || file_type == S_IFDIR {
            writer.dir(&name, &path)?;
        } else if file_type == S_IFLNK {
            let mut target = Vec::new();
            entry
                .read_to_end(&mut target)
                .map_err(|err| ArchiveError::Read {
                    archive: archive.to_path_buf(),
                    err,
                })?;
            let target = String::from_utf8(target).map_err(|target| {
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                writer.unsafe_entry(&name, EntryError::InvalidLinkTarget(target))
            })?;
            writer.symlink(&name, &path, &target)?;
        } else if file_type == 0 || file_type == S_IFREG {
            let executable = mode.is_some_and(|mode| mode & 0o111 != 0);
            writer.file(&name, &path, &mut entry, executable)?;
        } else {
            let kind = match file_type {
                0o020_000 => "character device",
                0o060_000 => "block device",
                0o010_000 => "FIFO",
                0o140_000 => "socket",
                _ => "file of an unknown type",
            };
            return Err(writer.unsafe_entry(&name, EntryError::SpecialFile(kind.to_string())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(
            Format::from_path(Path::new("a-1.0.tar.gz")),
            Some(Format::TarGz)
        );
        assert_eq!(
            Format::from_path(Path::new("A-1.0.TGZ")),
            Some(Format::TarGz)
        );
        assert_eq!(Format::from_path(Path::new("a-1.0.tar")), Some(Format::Tar));
        assert_eq!(Format::from_path(Path::new("a-1.0.zip")), Some(Format::Zip));
        assert_eq!(Format::from_path(Path::new("a-1.0.tar.bz2")), None);
        assert_eq!(Format::from_path(Path::new("a-1.0.tar.xz")), None);
    }
}
