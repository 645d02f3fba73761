//! A cheaply cloneable reader over one open file, so that every rayon task can
//! have its own `ZipArchive` without reopening the wheel or re-parsing its
//! central directory.
//!
//! Each clone keeps its own position and reads with positional reads
//! (`pread` on Unix, `ReadFile` with an offset on Windows), which never touch
//! a shared file cursor. Small reads are served from a read-ahead buffer of
//! each clone's own: parsing the central directory, and a local header with
//! the data of a small entry after it, then take one system call instead of
//! one per field.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use fs_err as fs;

/// Reads shorter than this are served from (and refill) the read-ahead
/// buffer; longer ones go to the file directly.
const READ_AHEAD: usize = 8 * 1024;

/// A `Read + Seek + Clone` view of a file; clones share the descriptor and
/// have independent positions and buffers.
#[derive(Debug)]
pub(crate) struct SharedFile {
    file: Arc<fs::File>,
    len: u64,
    position: u64,
    /// The bytes of the file at `buffer_start..buffer_start + buffer.len()`.
    buffer: Vec<u8>,
    buffer_start: u64,
}

impl Clone for SharedFile {
    /// A clone at the same position, with an empty buffer.
    fn clone(&self) -> Self {
        Self {
            file: Arc::clone(&self.file),
            len: self.len,
            position: self.position,
            buffer: Vec::new(),
            buffer_start: 0,
        }
    }
}

impl SharedFile {
    /// Wrap an open file.
    pub(crate) fn new(file: fs::File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file: Arc::new(file),
            len,
            position: 0,
            buffer: Vec::new(),
            buffer_start: 0,
        })
    }

    /// The buffered bytes from the current position on (empty if the
    /// position lies outside the buffer).
    fn buffered(&self) -> &[u8] {
        self.position
            .checked_sub(self.buffer_start)
            .and_then(|skip| usize::try_from(skip).ok())
            .and_then(|skip| self.buffer.get(skip..))
            .unwrap_or_default()
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.buffered().is_empty() && buf.len() < READ_AHEAD {
            self.buffer.resize(READ_AHEAD, 0);
            let read = read_at(&self.file, &mut self.buffer, self.position)?;
            self.buffer.truncate(read);
            self.buffer_start = self.position;
        }
        let buffered = self.buffered();
        let read = if buffered.is_empty() {
            read_at(&self.file, buf, self.position)?
        } else {
            let read = buffered.len().min(buf.len());
            buf[..read].copy_from_slice(&buffered[..read]);
            read
        };
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

    fn shared(contents: &[u8]) -> SharedFile {
        let path = tempfile::NamedTempFile::new().unwrap().into_temp_path();
        fs::write(&path, contents).unwrap();
        SharedFile::new(fs::File::open(&path).unwrap()).unwrap()
    }

    #[test]
    fn clones_have_independent_positions() {
        let mut first = shared(b"0123456789");
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

    /// Small and large reads, forwards and backwards, across the end of
    /// the read-ahead buffer, all see the file's bytes.
    #[test]
    fn buffered_reads_match_the_file() {
        let contents: Vec<u8> = (0..3 * READ_AHEAD + 123).map(|i| (i % 251) as u8).collect();
        let mut file = shared(&contents);
        let mut small = [0u8; 100];
        let mut large = vec![0u8; READ_AHEAD + 7];
        for start in [0, 50, READ_AHEAD - 30, 10, 2 * READ_AHEAD + 5, READ_AHEAD] {
            file.seek(SeekFrom::Start(start as u64)).unwrap();
            file.read_exact(&mut small).unwrap();
            assert_eq!(small[..], contents[start..start + 100], "at {start}");
            file.read_exact(&mut large).unwrap();
            let end = start + 100 + large.len();
            assert_eq!(large[..], contents[start + 100..end], "at {start}");
        }
        file.seek(SeekFrom::End(-20)).unwrap();
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).unwrap();
        assert_eq!(rest[..], contents[contents.len() - 20..]);
    }
}
