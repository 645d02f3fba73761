//! Requirements files are bounded: only regular files are read, with a size
//! and a line limit, includes are read once, and encoding errors say where.

use std::error::Error;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use fs_err as fs;
use requirements_txt::{MAX_FILE_SIZE, MAX_LINE_LENGTH, RequirementsTxt, RequirementsTxtError};

/// Parse `path` in a thread, failing the test if it takes more than 20 s
/// (a FIFO used to block forever).
#[allow(clippy::result_large_err)]
fn parse_with_timeout(path: &Path) -> Result<RequirementsTxt, RequirementsTxtError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        let dir = owned.parent().unwrap().to_path_buf();
        let _ = sender.send(RequirementsTxt::parse(&owned, &dir));
    });
    receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("parsing finishes")
}

/// The error and its causes, with the temporary directory replaced.
fn render(err: &dyn Error, dir: &Path) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        write!(out, "\n  Caused by: {cause}").unwrap();
        source = cause.source();
    }
    out.replace(&dir.display().to_string(), "[TEMP]")
}

fn temp() -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = fs::canonicalize(temp.path()).unwrap();
    (temp, dir)
}

/// A directory given as the requirements file was reported as "not found".
#[test]
fn a_directory_is_reported_as_a_directory() {
    let (_temp, dir) = temp();
    fs::create_dir(dir.join("reqs")).unwrap();
    let err = parse_with_timeout(&dir.join("reqs")).unwrap_err();
    insta::assert_snapshot!(render(&err, &dir), @r"
    Couldn't read requirements file `[TEMP]/reqs`
      Caused by: It is a directory, not a regular file; give the path of a requirements file
    ");
    let file = dir.join("requirements.txt");
    fs::write(&file, "-r reqs\n").unwrap();
    let err = parse_with_timeout(&file).unwrap_err();
    insta::assert_snapshot!(render(&err, &dir), @r"
    Couldn't read the included file `[TEMP]/reqs` in `[TEMP]/requirements.txt` at line 1, column 4
      -r reqs
         ^^^^
      Caused by: It is a directory, not a regular file; give the path of a requirements file
    ");
}

/// `-r /dev/zero` read until allocation failed.
#[test]
fn dev_zero_is_refused() {
    let (_temp, dir) = temp();
    let file = dir.join("requirements.txt");
    fs::write(&file, "-r /dev/zero\n").unwrap();
    let err = parse_with_timeout(&file).unwrap_err();
    assert!(
        render(&err, &dir).contains("It is a device, not a regular file"),
        "{}",
        render(&err, &dir)
    );
}

/// `-r fifo` hung in `open`.
#[test]
#[allow(clippy::print_stdout)] // `Skipping: <why>`.
fn a_fifo_is_refused_without_hanging() {
    let (_temp, dir) = temp();
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        println!("Skipping: `mkfifo` failed or is missing");
        return;
    }
    let file = dir.join("requirements.txt");
    fs::write(&file, "-r fifo\n").unwrap();
    let err = parse_with_timeout(&file).unwrap_err();
    assert!(
        render(&err, &dir).contains("It is a named pipe (FIFO), not a regular file"),
        "{}",
        render(&err, &dir)
    );
}

/// A 300 MB line aborted with an 8 GiB allocation: files are limited to 64
/// MiB, lines to 1 MiB, each with an error naming the file.
#[test]
fn size_and_line_limits() {
    let (_temp, dir) = temp();
    let big = dir.join("big.txt");
    // Sparse: no disk space used.
    fs::File::create(&big)
        .unwrap()
        .set_len(MAX_FILE_SIZE + 1)
        .unwrap();
    let err = parse_with_timeout(&big).unwrap_err();
    insta::assert_snapshot!(render(&err, &dir), @r"
    Couldn't read requirements file `[TEMP]/big.txt`
      Caused by: It is larger than 64 MiB, the limit for a requirements file
    ");

    let long = dir.join("long.txt");
    fs::write(
        &long,
        format!("flask\n{}\n", "x".repeat(MAX_LINE_LENGTH + 1)),
    )
    .unwrap();
    let err = parse_with_timeout(&long).unwrap_err();
    insta::assert_snapshot!(render(&err, &dir), @"Line 2 of `[TEMP]/long.txt` is longer than 1024 KiB, the limit for a line of a requirements file");

    // A continuation counts as one line.
    let chunk = "x".repeat(MAX_LINE_LENGTH / 2);
    let joined = dir.join("joined.txt");
    fs::write(&joined, format!("{chunk}\\\n{chunk}\\\n{chunk}\n")).unwrap();
    let err = parse_with_timeout(&joined).unwrap_err();
    assert!(err.to_string().starts_with("Line 1 of"), "{err}");
}

/// An include tree repeating the same file (`-r` diamonds) took 2^n reads:
/// each file is read once.
#[test]
fn include_diamonds_read_each_file_once() {
    let (_temp, dir) = temp();
    let levels = 40;
    for level in 0..levels {
        let next = format!("-r level{}.txt\n", level + 1);
        fs::write(dir.join(format!("level{level}.txt")), next.repeat(2)).unwrap();
    }
    fs::write(dir.join(format!("level{levels}.txt")), "flask==2.0\n").unwrap();
    let parsed = parse_with_timeout(&dir.join("level0.txt")).unwrap();
    assert_eq!(parsed.requirements.len(), 1);
}

/// A Latin-1 or UTF-16 file said only "stream did not contain valid UTF-8":
/// the error names the encoding problem and the byte; UTF-16 with a byte
/// order mark is decoded, as pip does.
#[test]
fn encodings() {
    let (_temp, dir) = temp();
    let latin1 = dir.join("latin1.txt");
    fs::write(&latin1, b"flask==2.0\n# caf\xe9\n").unwrap();
    let err = parse_with_timeout(&latin1).unwrap_err();
    insta::assert_snapshot!(render(&err, &dir), @r"
    Couldn't read requirements file `[TEMP]/latin1.txt`
      Caused by: Invalid UTF-8 at byte offset 16 (line 2): 0xE9; it may be Latin-1 or another legacy encoding; save it as UTF-8
    ");

    let utf16 = |bom: bool| {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in "flask==2.0\n# café\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        bytes
    };
    let with_bom = dir.join("utf16.txt");
    fs::write(&with_bom, utf16(true)).unwrap();
    let parsed = parse_with_timeout(&with_bom).unwrap();
    assert_eq!(parsed.requirements[0].requirement.to_string(), "flask==2.0");

    let without_bom = dir.join("utf16-no-bom.txt");
    fs::write(&without_bom, utf16(false)).unwrap();
    let err = parse_with_timeout(&without_bom).unwrap_err();
    insta::assert_snapshot!(render(&err, &dir), @r"
    Couldn't read requirements file `[TEMP]/utf16-no-bom.txt`
      Caused by: Invalid UTF-8 at byte offset 32 (line 2): 0xE9; it looks like UTF-16 without a byte order mark; save it as UTF-8
    ");
}
