//! Hostile and broken wheels through `puffin pip-sync --no-index
//! --find-links`: each is rejected with a clear error, nothing is written
//! outside the environment, no cache entry is published for it, and the
//! environment is left exactly as it was.

use std::path::Path;

use fs_err as fs;
use puffin_test_support::{RawEntry, RawZip, WheelBuilder};

use super::{assert_cache_sound, assert_no_leftovers, cache_entries, tree_listing};
use crate::common::{TestContext, site_packages};

/// The wheel every case starts from: `bad 1.0` with one module.
fn base() -> WheelBuilder {
    WheelBuilder::new("bad", "1.0").file("bad/__init__.py", "X = 1\n")
}

/// The bytes of a wheel built by `builder`, written by the raw zip writer so
/// that any name is kept as given.
fn raw(builder: &WheelBuilder) -> Vec<u8> {
    RawZip::from_wheel(builder).to_bytes()
}

/// `base()`'s archive with its RECORD replaced by the generated one plus
/// `extra` rows (before RECORD's own row).
fn with_record_rows(extra: &str) -> Vec<u8> {
    let builder = base();
    let record_path = format!("{}/RECORD", builder.dist_info_dir());
    let (_, record, _) = builder
        .entries()
        .into_iter()
        .find(|(path, _, _)| *path == record_path)
        .unwrap();
    let record = String::from_utf8(record).unwrap();
    let (rows, own) = record.trim_end().rsplit_once('\n').unwrap();
    let record = format!("{rows}\n{extra}{own}\n");
    RawZip::from_wheel(&builder)
        .map_entry(&record_path, |_| RawEntry::file(&record_path, record))
        .to_bytes()
}

/// Every bad wheel: a label and the bytes of `bad-1.0-py3-none-any.whl`.
/// `root` is the project directory, the target of the absolute paths.
fn cases(root: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let root = root.display().to_string();
    let init = "bad/__init__.py";
    let map =
        |f: fn(RawEntry) -> RawEntry| RawZip::from_wheel(&base()).map_entry(init, f).to_bytes();
    let metadata = |text: &str| raw(&base().dist_info_file("METADATA", Some(text.as_bytes())));
    vec![
        // Paths that escape.
        (
            "parent directory",
            raw(&base().file("../../../../escaped.py", "X = 0\n")),
        ),
        (
            "parent directory inside a package",
            raw(&base().file("bad/../../../../../escaped.py", "X = 0\n")),
        ),
        (
            "absolute path",
            raw(&base().file(&format!("{root}/abs-escaped.py"), "X = 0\n")),
        ),
        (
            "parent directory in .data/purelib",
            raw(&base().file("bad-1.0.data/purelib/../../../../../escaped.py", "X = 0\n")),
        ),
        (
            "parent directory in .data/scripts",
            raw(&base().file("bad-1.0.data/scripts/../../../../escaped", "X = 0\n")),
        ),
        (
            "backslash parent directory",
            raw(&base().file("..\\..\\..\\..\\escaped.py", "X = 0\n")),
        ),
        (
            "backslash in a name",
            raw(&base().file("bad\\evil.py", "X = 0\n")),
        ),
        (
            "control character in a name",
            raw(&base().file("bad/\u{1}evil.py", "X = 0\n")),
        ),
        // Entry types.
        (
            "symlink to an absolute path",
            RawZip::from_wheel(&base())
                .entry(RawEntry::symlink("bad/passwd.py", "/etc/passwd"))
                .to_bytes(),
        ),
        (
            "symlink to a parent directory",
            RawZip::from_wheel(&base())
                .entry(RawEntry::symlink("bad/up", "../../../../.."))
                .to_bytes(),
        ),
        // Duplicates and conflicts.
        (
            "duplicate entry",
            RawZip::from_wheel(&base())
                .entry(RawEntry::file(init, "X = 2\n"))
                .to_bytes(),
        ),
        (
            "duplicate entry after normalization",
            RawZip::from_wheel(&base())
                .entry(RawEntry::file("bad/./__init__.py", "X = 2\n"))
                .to_bytes(),
        ),
        (
            "a file that is also a directory",
            raw(&base().file("bad/x", "1").file("bad/x/y.py", "2")),
        ),
        // Headers and data.
        (
            "local header name mismatch",
            map(|entry| entry.local_name("bad/other.py")),
        ),
        (
            "local header size mismatch",
            map(|entry| entry.local_uncompressed_size(1)),
        ),
        (
            "local header compressed size mismatch",
            map(|entry| entry.local_compressed_size(1)),
        ),
        ("local header CRC mismatch", map(|entry| entry.local_crc(0))),
        ("CRC mismatch", map(|entry| entry.crc(0x1234_5678))),
        ("truncated data", map(|entry| entry.truncate(3))),
        ("encrypted entry", map(|entry| entry.flags(1))),
        ("unknown compression method", map(|entry| entry.method(99))),
        ("not a zip archive", b"this is not a zip archive".to_vec()),
        // RECORD.
        (
            "RECORD hash mismatch",
            map(|_| RawEntry::file("bad/__init__.py", "X = 2\n")),
        ),
        (
            "RECORD row escaping the environment",
            with_record_rows(
                "../../../../outside.txt,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n",
            ),
        ),
        (
            "RECORD row of a missing file",
            with_record_rows("bad/ghost.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"),
        ),
        (
            "RECORD missing",
            raw(&base().dist_info_file("RECORD", None)),
        ),
        // The .dist-info directory.
        (
            "two .dist-info directories",
            raw(&base().file(
                "other-1.0.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: other\nVersion: 1.0\n",
            )),
        ),
        ("WHEEL missing", raw(&base().dist_info_file("WHEEL", None))),
        (
            "METADATA missing",
            raw(&base().dist_info_file("METADATA", None)),
        ),
        (
            "unsupported Wheel-Version",
            raw(&base().wheel_version("2.0")),
        ),
        (
            "METADATA name mismatch",
            metadata("Metadata-Version: 2.1\nName: other\nVersion: 1.0\n"),
        ),
        (
            "METADATA version mismatch",
            metadata("Metadata-Version: 2.1\nName: bad\nVersion: 2.0\n"),
        ),
        (
            ".dist-info of another version",
            raw(&WheelBuilder::new("bad", "1.1").file(init, "X = 1\n")),
        ),
        (
            "unknown .data directory",
            raw(&base().file("bad-1.0.data/unknown/x.py", "X = 0\n")),
        ),
        // Scripts.
        (
            "entry point name with a slash",
            raw(&base().console_script("../../../../escaped", "bad:main")),
        ),
        (
            "entry point name `..`",
            raw(&base().console_script("..", "bad:main")),
        ),
        (
            "entry point named python",
            raw(&base().console_script("python", "bad:main")),
        ),
        (
            "gui entry point named python3",
            raw(&base().gui_script("python3", "bad:main")),
        ),
        (
            ".data script named python",
            raw(&base().executable("bad-1.0.data/scripts/python", "#!python\nprint(1)\n")),
        ),
    ]
}

/// Every bad wheel is refused, and leaves the environment and the project
/// directory as they were; no cache entry is published for archive-level
/// problems, and no temporary directory is left anywhere.
///
/// Regression: a `.data/scripts/python` file was installed over the
/// environment's interpreter (`bin/python`), breaking the environment.
#[test]
fn bad_wheels_are_rejected_and_change_nothing() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("good", "1.0");
    let requirements = context.write("good.txt", "good==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    let requirements = context.write("bad.txt", "good==1.0\nbad==1.0\n");

    let cases = cases(&context.root);
    let mut report = String::new();
    let mut failures = Vec::new();
    // The unzip directory's random name, in errors about the `.dist-info`.
    let unzip_dir = regex::Regex::new(r"\.tmp-unzip-[A-Za-z0-9]+").unwrap();
    for (index, (label, bytes)) in cases.iter().enumerate() {
        let links = context.root.join(format!("links/{index}"));
        fs::create_dir_all(&links).unwrap();
        fs::write(links.join("bad-1.0-py3-none-any.whl"), bytes).unwrap();
        let before = tree_listing(&context.root, &["cache"]);

        let output = context
            .pip_sync_local()
            .arg(&requirements)
            .arg("--find-links")
            .arg(&links)
            .output()
            .unwrap();
        let stderr = unzip_dir
            .replace_all(&context.filtered(&output), "[UNZIP]")
            .into_owned();
        if output.status.success() {
            failures.push(format!("{label}: accepted:\n{stderr}"));
            continue;
        }
        report.push_str(&format!(
            "## {label} (exit {})\n{}\n",
            output.status.code().unwrap_or(-1),
            stderr.trim_end()
        ));

        let after = tree_listing(&context.root, &["cache"]);
        if before != after {
            failures.push(format!("{label}: the project directory changed"));
        }
        let published: Vec<_> = cache_entries(&context.cache)
            .into_iter()
            .filter(|entry| {
                entry
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("bad-")
            })
            .collect();
        // Every problem, of the archive or of the `.dist-info`, is found
        // before the unzipped wheel is published: nothing is cached.
        if !published.is_empty() {
            failures.push(format!(
                "{label}: a cache entry was published: {published:?}"
            ));
        }
        let cached = if published.is_empty() {
            "none"
        } else {
            "published"
        };
        report.push_str(&format!("cache entry: {cached}\n\n"));
        assert_no_leftovers(&site_packages(&context.venv), &context.cache);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_cache_sound(&context.cache);
    assert_eq!(context.installed(), ["good==1.0"]);
    assert!(!context.root.join("escaped.py").exists());
    assert!(!context.root.join("abs-escaped.py").exists());
    println!("bad wheels tried: {}", cases.len());
    insta::assert_snapshot!(report);
}

/// A RECORD row of an installed distribution that points outside the
/// environment (as another installer could write it) is never deleted when
/// pip-sync removes the distribution.
#[test]
fn uninstall_never_deletes_outside_the_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("victim", "1.0");
    let outside = context.write("outside.txt", "precious\n");
    let requirements = context.write("victim.txt", "victim==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));

    // The installed RECORD gains rows that climb out of the environment, and
    // one with an absolute path.
    let site_packages = site_packages(&context.venv);
    let record = site_packages.join("victim-1.0.dist-info/RECORD");
    let mut text = fs::read_to_string(&record).unwrap();
    text.push_str("../../../../outside.txt,,\n");
    text.push_str(&format!("{},,\n", outside.display()));
    text.push_str("../../../../../../../../../../../../../..\\outside.txt,,\n");
    fs::write(&record, text).unwrap();

    let requirements = context.write("empty.txt", "");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .arg("--allow-empty-requirements")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert!(context.installed().is_empty());
    assert!(!site_packages.join("victim").exists());
    assert_eq!(fs::read_to_string(&outside).unwrap(), "precious\n");
}

/// An absolute path after `.data/purelib/` (`purelib//abs/path`) is not
/// absolute in a wheel: empty components are dropped when names are
/// normalized, so the file lands below purelib, never at the absolute path.
#[test]
fn empty_components_in_data_paths_stay_inside() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let root = context.root.display().to_string();
    let name = format!("bad-1.0.data/purelib/{root}/abs-escaped.py");
    fs::write(
        context.wheels.join("bad-1.0-py3-none-any.whl"),
        raw(&base().file(&name, "X = 0\n")),
    )
    .unwrap();
    let requirements = context.write("bad.txt", "bad==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert!(!context.root.join("abs-escaped.py").exists());
    let inside = site_packages(&context.venv)
        .join(root.trim_start_matches('/'))
        .join("abs-escaped.py");
    assert!(inside.is_file(), "{} is missing", inside.display());
}
