//! Broken and hostile wheels, one per validation rule: each is refused with a
//! clear message, and leaves nothing behind: no entry at the target, no
//! temporary directory, nothing written anywhere else.

use puffin_test_support::{RawEntry, RawZip, WheelBuilder};
use puffin_unzip::unzip_wheel;

use crate::unzip::{Fixture, demo_filename, demo_wheel};

const RECORD: &str = "demo-1.0.dist-info/RECORD";
const INIT: &str = "demo/__init__.py";

/// Unzip `zip` as the demo wheel, expect an error, check that nothing but the
/// wheel and the (empty) bucket exist, and return the error with its causes.
fn reject_in(fixture: &Fixture, zip: &RawZip) -> String {
    let wheel = fixture.write_raw(zip);
    let err = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap_err();
    assert_eq!(
        fixture.tree(),
        ["cache", "cache/wheels-v0", "demo-1.0-py3-none-any.whl"]
    );
    fixture.error_chain(&err)
}

fn reject(zip: &RawZip) -> String {
    reject_in(&Fixture::new(), zip)
}

/// The demo wheel plus one more entry.
fn with_entry(entry: RawEntry) -> RawZip {
    RawZip::from_wheel(&demo_wheel()).entry(entry)
}

/// The demo wheel with `edit` applied to its RECORD text.
fn with_record(builder: &WheelBuilder, edit: impl FnOnce(String) -> String) -> RawZip {
    let (_, record, _) = builder
        .entries()
        .into_iter()
        .find(|(path, _, _)| path == RECORD)
        .unwrap();
    let record = edit(String::from_utf8(record).unwrap());
    RawZip::from_wheel(builder).map_entry(RECORD, |_| RawEntry::file(RECORD, record))
}

#[test]
fn absolute_path() {
    let fixture = Fixture::new();
    // Pointing into the fixture, so a wrongful write would show in its tree.
    let name = fixture.dir.path().join("evil.py").display().to_string();
    insta::assert_snapshot!(reject_in(
        &fixture,
        &with_entry(RawEntry::file(name, "evil"))
    ));
}

#[test]
fn parent_traversal() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file("../evil.py", "evil"))));
}

#[test]
fn traversal_inside_data_dir() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        "demo-1.0.data/purelib/../../evil.py",
        "evil"
    ))));
}

#[test]
fn backslash_traversal() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        "demo\\..\\..\\evil.py",
        "evil"
    ))));
}

#[test]
fn nul_in_name() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        "demo/evil\0.py",
        "evil"
    ))));
}

#[test]
fn control_character_in_name() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        "demo/evil\u{1b}[31m.py",
        "evil"
    ))));
}

#[test]
fn reserved_manifest_name() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        ".puffin-manifest.json",
        "{}"
    ))));
}

#[test]
fn symlink_entry() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::symlink(
        "demo/passwd",
        "/etc/passwd"
    ))));
}

#[test]
fn special_file_entry() {
    // A FIFO.
    insta::assert_snapshot!(reject(&with_entry(
        RawEntry::file("demo/fifo", "").unix_mode(0o010_644)
    )));
}

#[test]
fn duplicate_entries() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(INIT, "VALUE = 2\n"))));
}

#[test]
fn duplicate_after_normalization() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        "./demo//__init__.py",
        "VALUE = 2\n"
    ))));
}

#[test]
fn file_and_directory_with_the_same_path() {
    insta::assert_snapshot!(reject(&with_entry(RawEntry::file(
        "demo/__init__.py/inner.py",
        ""
    ))));
}

#[test]
fn local_header_name_mismatch() {
    let zip = RawZip::from_wheel(&demo_wheel())
        .map_entry(INIT, |entry| entry.local_name("demo/other.py"));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn local_header_size_mismatch() {
    let zip = RawZip::from_wheel(&demo_wheel())
        .map_entry(INIT, |entry| entry.local_uncompressed_size(1000));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn local_header_compressed_size_mismatch() {
    let zip =
        RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.local_compressed_size(3));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn local_header_crc_mismatch() {
    let zip =
        RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.local_crc(0xdead_beef));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn local_header_method_mismatch() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.local_method(8));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn crc_mismatch() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.crc(0x1234_5678));
    insta::assert_snapshot!(reject(&zip));
}

/// Stored data cut short: the decompressed size falls short of the declared one.
#[test]
fn truncated_stored_data() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.truncate(3));
    insta::assert_snapshot!(reject(&zip));
}

/// A deflate stream cut short.
#[test]
fn truncated_deflated_data() {
    let contents = "VALUE = 1\n".repeat(100);
    let wheel = demo_wheel().file("demo/big.py", &contents);
    let zip = RawZip::from_wheel(&wheel).map_entry("demo/big.py", |_| {
        RawEntry::deflated("demo/big.py", &contents).truncate(5)
    });
    insta::assert_snapshot!(reject(&zip));
}

/// More data than the declared size, with a CRC that matches the data.
#[test]
fn data_longer_than_declared() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |_| {
        RawEntry::deflated(INIT, "VALUE = 1\n").uncompressed_size(4)
    });
    insta::assert_snapshot!(reject(&zip));
}

/// A complete deflate stream shorter than the declared size: the size
/// check names both sizes (whole-buffer inflation falls back to streaming).
#[test]
fn data_shorter_than_declared() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |_| {
        RawEntry::deflated(INIT, "VALUE = 1\n").uncompressed_size(20)
    });
    let message = reject(&zip);
    assert!(
        message.contains("20") && message.contains("10"),
        "{message}"
    );
}

/// A download cut short: the central directory is gone.
#[test]
fn truncated_archive() {
    let fixture = Fixture::new();
    let wheel = demo_wheel().build(fixture.dir.path());
    let bytes = fs_err::read(&wheel).unwrap();
    fs_err::write(&wheel, &bytes[..bytes.len() / 2]).unwrap();
    let err = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap_err();
    assert_eq!(
        fixture.tree(),
        ["cache", "cache/wheels-v0", "demo-1.0-py3-none-any.whl"]
    );
    insta::assert_snapshot!(fixture.error_chain(&err));
}

#[test]
fn unsupported_compression_method() {
    // Bzip2: the data is stored, only the method field claims otherwise.
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.method(12));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn unknown_compression_method() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.method(77));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn encrypted_entry() {
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |entry| entry.flags(1));
    insta::assert_snapshot!(reject(&zip));
}

/// Same size, other contents than RECORD says.
#[test]
fn record_hash_mismatch() {
    let zip =
        RawZip::from_wheel(&demo_wheel()).map_entry(INIT, |_| RawEntry::file(INIT, "VALUE = 2\n"));
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn record_size_mismatch() {
    let zip = with_record(&demo_wheel(), |record| {
        record
            .lines()
            .map(|line| match line.strip_prefix(INIT) {
                Some(rest) => format!("{INIT}{}11\n", rest.trim_end_matches("10")),
                None => format!("{line}\n"),
            })
            .collect()
    });
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn record_missing() {
    let wheel = demo_wheel().dist_info_file("RECORD", None);
    insta::assert_snapshot!(reject(&RawZip::from_wheel(&wheel)));
}

#[test]
fn record_lists_absent_file() {
    let wheel = demo_wheel().file("demo/gone.py", "");
    let zip = RawZip::from_wheel(&wheel).remove_entry("demo/gone.py");
    insta::assert_snapshot!(reject(&zip));
}

#[test]
fn record_invalid() {
    let zip = with_record(&demo_wheel(), |record| {
        format!("{record}demo/x.py,sha256=abc,many\n")
    });
    insta::assert_snapshot!(reject(&zip));
}
