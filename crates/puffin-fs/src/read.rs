use std::io::{self, Read};
use std::path::Path;

/// Read a file that is usually small (a pointer, a `WHEEL`, a cache record)
/// whole, with one `open`, reads into a buffer of `expected` bytes and one
/// `close`.
///
/// `std::fs::read` asks for the file's size first (two `statx` calls and a
/// `lseek` on Linux), which costs more than the read itself for a file of a
/// few hundred bytes; a larger file than `expected` is still read whole, the
/// buffer growing as it goes. Errors name the path.
pub fn read_small(path: &Path, expected: usize) -> io::Result<Vec<u8>> {
    let file = fs_err::File::open(path)?;
    let mut bytes = Vec::with_capacity(expected.max(64));
    // Through `Take`, not `File`'s own `read_to_end`, which asks for the size.
    (file.file())
        .take(u64::MAX)
        .read_to_end(&mut bytes)
        .map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("failed to read file `{}`: {err}", path.display()),
            )
        })?;
    Ok(bytes)
}

/// [`read_small`] as UTF-8 text.
pub fn read_small_to_string(path: &Path, expected: usize) -> io::Result<String> {
    String::from_utf8(read_small(path, expected)?).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("file `{}` is not UTF-8: {err}", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_smaller_and_larger_than_expected() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small");
        let large = dir.path().join("large");
        fs_err::write(&small, "abc\n").unwrap();
        let contents: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        fs_err::write(&large, &contents).unwrap();
        assert_eq!(read_small_to_string(&small, 128).unwrap(), "abc\n");
        assert_eq!(read_small(&large, 128).unwrap(), contents);
        assert_eq!(
            read_small(&dir.path().join("empty-name"), 8)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = read_small(&missing, 16).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("missing"), "{err}");
        let binary = dir.path().join("binary");
        fs_err::write(&binary, [0xff, 0xfe]).unwrap();
        let err = read_small_to_string(&binary, 16).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("binary"), "{err}");
    }
}
