//! A cheaply cloneable reader over one open file, so that every rayon task can
//! have its own `ZipArchive` without reopening the wheel or re-parsing its
//! central directory.
//!
//! Each clone keeps its own position and reads with positional reads
//! (`pread` on Unix, `ReadFile` with an offset on Windows), which never touch
//! a shared file cursor.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use fs_err as fs;

/// A `Read + Seek + Clone` view of a file; clones share the descriptor and
/// have independent positions.
#[derive(Debug, Clone)]
pub(crate) struct SharedFile {
    file: Arc<fs::File>,
    len: u64,
    position: u64,
}

impl SharedFile {
    /// Wrap an open file.
    pub(crate) fn new(file: fs::File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file: Arc::new(file),
            len,
            position: 0,
        })
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = read_at(&self.file, buf, self.position)?;
        self.position += read as u64;
        Ok(read)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, from: SeekFrom) -> io::Result<u64> {
        let position = match from {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(offset) => self.len.checked_add_signed(offset),
            SeekFrom::Current(offset) => self.position.checked_add_signed(offset),
        };
        let Some(position) = position else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            ));
        };
        self.position = position;
        Ok(position)
    }
}

#[cfg(unix)]
fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use fs_err::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, offset) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

#[cfg(windows)]
fn read_at(file: &fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use fs_err::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_have_independent_positions() {
        let path = tempfile::NamedTempFile::new().unwrap().into_temp_path();
        fs::write(&path, b"0123456789").unwrap();
        let mut first = SharedFile::new(fs::File::open(&path).unwrap()).unwrap();
        let mut second = first.clone();
        first.seek(SeekFrom::Start(2)).unwrap();
        second.seek(SeekFrom::End(-3)).unwrap();
        let mut buf = [0u8; 3];
        first.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"234");
        second.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"789");
        assert_eq!(second.read(&mut buf).unwrap(), 0);
        assert!(first.seek(SeekFrom::Current(-10)).is_err());
    }
}
