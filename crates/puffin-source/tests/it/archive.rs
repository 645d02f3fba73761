//! Unpacking source archives, normal and hostile, built by the tests.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_source::{ArchiveError, EntryError, Error, unpack_archive};
use tar::{EntryType, Header};

/// One tar entry, with raw names (no validation, so hostile ones can be forged).
enum Entry<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    Special(&'a str, EntryType),
}

fn raw_header(name: &str, entry_type: EntryType, mode: u32, size: u64, link: &str) -> Header {
    let mut header = Header::new_ustar();
    header.set_entry_type(entry_type);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(1_700_000_000);
    let ustar = header.as_ustar_mut().unwrap();
    ustar.name[..name.len()].copy_from_slice(name.as_bytes());
    ustar.linkname[..link.len()].copy_from_slice(link.as_bytes());
    header.set_cksum();
    header
}

fn tar_bytes(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let (header, data): (Header, &[u8]) = match entry {
            Entry::File(name, data, mode) => (
                raw_header(name, EntryType::Regular, *mode, data.len() as u64, ""),
                data,
            ),
            Entry::Dir(name) => (raw_header(name, EntryType::Directory, 0o755, 0, ""), b""),
            Entry::Symlink(name, target) => {
                (raw_header(name, EntryType::Symlink, 0o777, 0, target), b"")
            }
            Entry::Hardlink(name, target) => {
                (raw_header(name, EntryType::Link, 0o644, 0, target), b"")
            }
            Entry::Special(name, entry_type) => (raw_header(name, *entry_type, 0o644, 0, ""), b""),
        };
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Write a `.tar.gz` of `entries` in `dir`.
fn write_tar_gz(dir: &Path, name: &str, entries: &[Entry<'_>]) -> PathBuf {
    let path = dir.join(name);
    let mut encoder = flate2::write::GzEncoder::new(
        fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(&tar_bytes(entries)).unwrap();
    encoder.finish().unwrap();
    path
}

/// A fresh destination (the caller's temporary directory in `builds-v0`).
fn dest(dir: &Path) -> PathBuf {
    let dest = dir.join("dest");
    fs::create_dir_all(&dest).unwrap();
    dest
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn unsafe_reason(result: Result<PathBuf, Error>) -> (String, EntryError) {
    match result {
        Err(Error::Archive(ArchiveError::UnsafeEntry { entry, reason, .. })) => (entry, reason),
        other => panic!("expected an unsafe entry, got {other:?}"),
    }
}

fn normal_sdist() -> Vec<Entry<'static>> {
    vec![
        Entry::Dir("./demo-1.0/"),
        Entry::File(
            "./demo-1.0/setup.py",
            b"from setuptools import setup\n",
            0o644,
        ),
        Entry::File("./demo-1.0/run.sh", b"#!/bin/sh\n", 0o775),
        Entry::File("demo-1.0/demo/__init__.py", b"VALUE = 1\n", 0o664),
        Entry::Symlink("demo-1.0/README", "demo/__init__.py"),
        Entry::Hardlink("demo-1.0/copy.py", "demo-1.0/setup.py"),
    ]
}

#[test]
fn tar_gz_unpacks_to_its_top_level_directory() {
    let dir = tempfile::tempdir().unwrap();
    let archive = write_tar_gz(dir.path(), "demo-1.0.tar.gz", &normal_sdist());
    let dest = dest(dir.path());
    let root = unpack_archive(&archive, &dest).unwrap();
    assert_eq!(root, dest.join("demo-1.0"));
    assert_eq!(
        fs::read_to_string(root.join("demo/__init__.py")).unwrap(),
        "VALUE = 1\n"
    );
    // Only the executable bit is kept: at most 0o755 and 0o644.
    let exec = mode(&root.join("run.sh"));
    assert_eq!(exec & 0o100, 0o100, "{exec:o}");
    assert_eq!(exec & !0o755, 0, "{exec:o}");
    let regular = mode(&root.join("demo/__init__.py"));
    assert_eq!(regular & !0o644, 0, "{regular:o}");
    // Links inside the tree work.
    assert_eq!(
        fs::read_link(root.join("README")).unwrap(),
        Path::new("demo/__init__.py")
    );
    assert_eq!(
        fs::read_to_string(root.join("README")).unwrap(),
        "VALUE = 1\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("copy.py")).unwrap(),
        "from setuptools import setup\n"
    );
}

#[test]
fn plain_tar_with_several_top_level_entries_unpacks_to_dest() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("flat-1.0.tar");
    fs::write(
        &archive,
        tar_bytes(&[
            Entry::File("setup.py", b"", 0o644),
            Entry::File("flat/__init__.py", b"", 0o644),
        ]),
    )
    .unwrap();
    let dest = dest(dir.path());
    assert_eq!(unpack_archive(&archive, &dest).unwrap(), dest);
    assert!(dest.join("flat/__init__.py").is_file());

    // A single top-level file is not a root directory either.
    let archive = dir.path().join("one.tar");
    fs::write(&archive, tar_bytes(&[Entry::File("setup.py", b"", 0o644)])).unwrap();
    let dest = dir.path().join("dest2");
    fs::create_dir(&dest).unwrap();
    assert_eq!(unpack_archive(&archive, &dest).unwrap(), dest);
}

#[test]
fn zip_unpacks_to_its_top_level_directory() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("demo-1.0.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&archive).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.add_directory("demo-1.0/", options).unwrap();
    zip.start_file("demo-1.0/setup.py", options.unix_permissions(0o644))
        .unwrap();
    zip.write_all(b"from setuptools import setup\n").unwrap();
    zip.start_file("demo-1.0/run.sh", options.unix_permissions(0o4777))
        .unwrap();
    zip.write_all(b"#!/bin/sh\n").unwrap();
    zip.add_symlink("demo-1.0/link.py", "setup.py", options)
        .unwrap();
    zip.finish().unwrap();

    let dest = dest(dir.path());
    let root = unpack_archive(&archive, &dest).unwrap();
    assert_eq!(root, dest.join("demo-1.0"));
    let exec = mode(&root.join("run.sh"));
    assert_eq!(exec & 0o100, 0o100, "{exec:o}");
    assert_eq!(exec & !0o755, 0, "setuid and write bits dropped: {exec:o}");
    assert_eq!(mode(&root.join("setup.py")) & !0o644, 0);
    assert_eq!(
        fs::read_to_string(root.join("link.py")).unwrap(),
        "from setuptools import setup\n"
    );
}

#[test]
fn setuid_setgid_and_sticky_bits_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let archive = write_tar_gz(
        dir.path(),
        "bits-1.0.tar.gz",
        &[
            Entry::File("bits-1.0/suid", b"x", 0o4755),
            Entry::File("bits-1.0/all", b"x", 0o7777),
            Entry::File("bits-1.0/sgid", b"x", 0o2644),
        ],
    );
    let root = unpack_archive(&archive, &dest(dir.path())).unwrap();
    for (name, most) in [("suid", 0o755), ("all", 0o755), ("sgid", 0o644)] {
        let mode = mode(&root.join(name));
        assert_eq!(mode & !most, 0, "{name}: {mode:o}");
        assert_eq!(mode & 0o7000, 0, "{name}: {mode:o}");
    }
}

#[test]
fn unsupported_formats_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("demo-1.0.tar.bz2");
    fs::write(&archive, b"BZh").unwrap();
    let err = unpack_archive(&archive, &dest(dir.path())).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("demo-1.0.tar.bz2"), "{message}");
    assert!(
        message.contains("`.tar.gz`, `.tgz`, `.tar` and `.zip`"),
        "{message}"
    );
}

#[test]
fn corrupt_archives_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("demo-1.0.tar.gz");
    fs::write(&archive, b"not gzip at all, not at all").unwrap();
    let err = unpack_archive(&archive, &dest(dir.path())).unwrap_err();
    assert!(
        matches!(err, Error::Archive(ArchiveError::Read { .. })),
        "{err:?}"
    );
    let archive = dir.path().join("demo-1.0.zip");
    fs::write(&archive, b"not a zip").unwrap();
    let err = unpack_archive(&archive, &dest(&dir.path().join("z"))).unwrap_err();
    assert!(
        matches!(err, Error::Archive(ArchiveError::Zip { .. })),
        "{err:?}"
    );
}

/// Unpack hostile entries into `<tmp>/dest`, with `<tmp>/outside` beside it;
/// returns the error and checks that nothing reached `outside`.
fn refuse(entries: &[Entry<'_>]) -> (String, EntryError, String) {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let archive = write_tar_gz(dir.path(), "evil-1.0.tar.gz", entries);
    let dest = dest(dir.path());
    let result = unpack_archive(&archive, &dest);
    let message = result.as_ref().map_err(ToString::to_string).unwrap_err();
    assert!(message.contains("evil-1.0.tar.gz"), "{message}");
    let (entry, reason) = unsafe_reason(result);
    assert!(message.contains(&entry), "{message}");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0, "wrote outside");
    assert!(!dir.path().join("evil").exists());
    (entry, reason, message)
}

#[test]
fn absolute_and_parent_names_are_refused() {
    let (entry, reason, _) = refuse(&[Entry::File("/etc/evil", b"x", 0o644)]);
    assert_eq!(
        (entry.as_str(), reason),
        ("/etc/evil", EntryError::Absolute)
    );
    let (_, reason, message) = refuse(&[Entry::File("evil-1.0/../../outside/x", b"x", 0o644)]);
    assert_eq!(reason, EntryError::ParentDir);
    assert!(message.contains("`evil-1.0/../../outside/x`"), "{message}");
    let (_, reason, _) = refuse(&[Entry::File("C:/evil", b"x", 0o644)]);
    assert_eq!(reason, EntryError::Absolute);
    let (_, reason, _) = refuse(&[Entry::File("./c:evil", b"x", 0o644)]);
    assert_eq!(reason, EntryError::Absolute);
    let (_, reason, _) = refuse(&[Entry::File("..\\outside\\x", b"x", 0o644)]);
    assert_eq!(reason, EntryError::Backslash);
}

#[test]
fn symlinks_escaping_the_tree_are_refused() {
    let (_, reason, _) = refuse(&[Entry::Symlink("evil-1.0/link", "/tmp")]);
    assert!(
        matches!(reason, EntryError::AbsoluteLinkTarget(_)),
        "{reason:?}"
    );
    let (entry, reason, _) = refuse(&[
        Entry::Dir("evil-1.0/"),
        Entry::Symlink("evil-1.0/link", "../../outside"),
    ]);
    assert_eq!(entry, "evil-1.0/link");
    assert!(matches!(reason, EntryError::LinkEscapes(_)), "{reason:?}");
    // Each link alone stays inside; `t` through `s` does not (`s` is the
    // root, so `s/..` is its parent), whatever the order of the entries.
    for entries in [
        [
            Entry::Symlink("evil-1.0/s", ".."),
            Entry::Symlink("evil-1.0/t", "s/.."),
        ],
        [
            Entry::Symlink("evil-1.0/t", "s/.."),
            Entry::Symlink("evil-1.0/s", ".."),
        ],
    ] {
        let (entry, reason, _) = refuse(&entries);
        assert_eq!(entry, "evil-1.0/t");
        assert!(matches!(reason, EntryError::LinkEscapes(_)), "{reason:?}");
    }
    let (_, reason, _) = refuse(&[
        Entry::Symlink("evil-1.0/a", "b"),
        Entry::Symlink("evil-1.0/b", "a"),
        Entry::Symlink("evil-1.0/c", "a/x"),
    ]);
    assert!(matches!(reason, EntryError::LinkLoop(_)), "{reason:?}");
}

#[test]
fn nothing_is_written_through_a_link() {
    // The classic: a link out of the tree, then a file below it.
    let (_, reason, _) = refuse(&[
        Entry::Symlink("evil-1.0/link", "../../outside"),
        Entry::File("evil-1.0/link/evil", b"x", 0o644),
    ]);
    assert_eq!(reason, EntryError::ThroughLink("evil-1.0/link".to_string()));
    // Even a link that stays inside is never written through.
    let (_, reason, _) = refuse(&[
        Entry::Dir("evil-1.0/sub/"),
        Entry::Symlink("evil-1.0/link", "sub"),
        Entry::File("evil-1.0/link/evil", b"x", 0o644),
    ]);
    assert_eq!(reason, EntryError::ThroughLink("evil-1.0/link".to_string()));
    // A file then a directory of the same name.
    let (_, reason, _) = refuse(&[
        Entry::File("evil-1.0/f", b"x", 0o644),
        Entry::File("evil-1.0/f/g", b"x", 0o644),
    ]);
    assert_eq!(reason, EntryError::ThroughLink("evil-1.0/f".to_string()));
    // A link replaced by a file is refused rather than followed.
    let (_, reason, _) = refuse(&[
        Entry::Symlink("evil-1.0/link", "x"),
        Entry::File("evil-1.0/link", b"x", 0o644),
    ]);
    assert!(matches!(reason, EntryError::KindConflict(_)), "{reason:?}");
}

#[test]
fn hardlinks_must_name_an_earlier_file_in_the_tree() {
    let (_, reason, _) = refuse(&[Entry::Hardlink("evil-1.0/h", "../outside/x")]);
    assert!(
        matches!(reason, EntryError::HardlinkTarget(_)),
        "{reason:?}"
    );
    let (_, reason, _) = refuse(&[Entry::Hardlink("evil-1.0/h", "/etc/passwd")]);
    assert!(
        matches!(reason, EntryError::HardlinkTarget(_)),
        "{reason:?}"
    );
    // Not yet unpacked.
    let (_, reason, _) = refuse(&[
        Entry::Hardlink("evil-1.0/h", "evil-1.0/later"),
        Entry::File("evil-1.0/later", b"x", 0o644),
    ]);
    assert!(
        matches!(reason, EntryError::HardlinkTarget(_)),
        "{reason:?}"
    );
    // Through a symbolic link.
    let (_, reason, _) = refuse(&[
        Entry::Symlink("evil-1.0/link", "."),
        Entry::File("evil-1.0/f", b"x", 0o644),
        Entry::Hardlink("evil-1.0/h", "evil-1.0/link/f"),
    ]);
    assert!(
        matches!(reason, EntryError::HardlinkTarget(_)),
        "{reason:?}"
    );
}

#[test]
fn devices_and_fifos_are_refused() {
    for entry_type in [EntryType::Fifo, EntryType::Char, EntryType::Block] {
        let (_, reason, message) = refuse(&[Entry::Special("evil-1.0/dev", entry_type)]);
        assert!(matches!(reason, EntryError::SpecialFile(_)), "{reason:?}");
        assert!(
            message.contains("source archives may only contain"),
            "{message}"
        );
    }
}

#[test]
fn hostile_zip_entries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = zip::write::SimpleFileOptions::default();
    type Write<'a> = &'a dyn Fn(&mut zip::ZipWriter<fs::File>);
    let cases: [(&str, Write<'_>); 3] = [
        ("parent", &|zip| {
            zip.start_file("evil-1.0/../../x", options).unwrap();
        }),
        ("absolute", &|zip| {
            zip.start_file("/x", options).unwrap();
        }),
        ("link", &|zip| {
            zip.add_symlink("evil-1.0/link", "../../outside", options)
                .unwrap();
        }),
    ];
    for (name, write) in cases {
        let archive = dir.path().join(format!("{name}.zip"));
        let mut zip = zip::ZipWriter::new(fs::File::create(&archive).unwrap());
        write(&mut zip);
        zip.finish().unwrap();
        let dest = dir.path().join(name);
        fs::create_dir(&dest).unwrap();
        let (_, reason) = unsafe_reason(unpack_archive(&archive, &dest));
        let expected = match name {
            "parent" => matches!(reason, EntryError::ParentDir),
            "absolute" => matches!(reason, EntryError::Absolute),
            _ => matches!(reason, EntryError::LinkEscapes(_)),
        };
        assert!(expected, "{name}: {reason:?}");
    }
}
