//! Unzipping wheels into the cache: round trips, warnings, races between
//! threads and processes, verification and cleanup of cache entries.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use distribution_filename::WheelFilename;
use fs_err as fs;
use install_wheel_rs::WheelManifest;
use puffin_test_support::{RawEntry, RawZip, WheelBuilder};
use puffin_unzip::{EntryStatus, clean_stale_temp_dirs, unzip_wheel, verify_entry};

/// A temporary directory holding a wheel and a cache bucket to unzip it into.
pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The bucket directory holding the cache entries.
    pub(crate) fn bucket(&self) -> PathBuf {
        self.dir.path().join("cache").join("wheels-v0")
    }

    /// The cache entry the demo wheel is unzipped to.
    pub(crate) fn target(&self) -> PathBuf {
        self.bucket().join("demo-1.0-py3-none-any")
    }

    /// Write a raw archive as the demo wheel and return its path.
    pub(crate) fn write_raw(&self, zip: &RawZip) -> PathBuf {
        let path = self.dir.path().join("demo-1.0-py3-none-any.whl");
        zip.write(&path);
        path
    }

    /// Every path below the fixture directory, relative and sorted.
    pub(crate) fn tree(&self) -> Vec<String> {
        let mut paths = Vec::new();
        walk(self.dir.path(), self.dir.path(), &mut paths);
        paths.sort();
        paths
    }

    /// The error and its causes, one per line, with the fixture path replaced.
    pub(crate) fn error_chain(&self, err: &dyn Error) -> String {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(err) = source {
            text.push_str("\n  Caused by: ");
            text.push_str(&err.to_string());
            source = err.source();
        }
        text.replace(&self.dir.path().display().to_string(), "[TEMP]")
    }
}

fn walk(root: &Path, dir: &Path, paths: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        paths.push(
            path.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
        );
        if fs::symlink_metadata(&path).unwrap().is_dir() {
            walk(root, &path, paths);
        }
    }
}

/// The wheel the tests start from: nested directories, an executable, an
/// empty file.
pub(crate) fn demo_wheel() -> WheelBuilder {
    WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "VALUE = 1\n")
        .file("demo/sub/deep/data.txt", "some data")
        .file("demo/empty.txt", "")
        .executable("demo-1.0.data/scripts/run", "#!/bin/sh\necho hi\n")
}

pub(crate) fn demo_filename() -> WheelFilename {
    "demo-1.0-py3-none-any.whl".parse().unwrap()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}

/// Entries above the whole-buffer limit (4 MiB) stream, those below are
/// inflated in one call: both give the same bytes and RECORD hashes, and a
/// task that inflated a large entry still reads a small one right.
#[test]
fn large_and_small_deflated_entries() {
    let fixture = Fixture::new();
    let large: String = (0..600_000).map(|i| format!("{i:07}\n")).collect();
    assert!(large.len() > 4 * 1024 * 1024);
    let wheel = demo_wheel()
        .file("demo/large.txt", &large)
        .file("demo/after.txt", "small after large")
        .build(fixture.dir.path());
    let target = fixture.target();
    let outcome = unzip_wheel(&wheel, &demo_filename(), &target).unwrap();
    assert_eq!(
        fs_err::read_to_string(target.join("demo/large.txt")).unwrap(),
        large
    );
    assert_eq!(
        fs_err::read_to_string(target.join("demo/after.txt")).unwrap(),
        "small after large"
    );
    let scanned = WheelManifest::scan(&target, demo_filename().to_string()).unwrap();
    for file in &outcome.manifest.files {
        let on_disk = scanned.files.iter().find(|f| f.path == file.path).unwrap();
        assert_eq!(file, on_disk);
    }
}

/// A wheel unzips into a cache entry whose manifest describes exactly what is
/// on disk; the executable bit survives; unzipping again finds the entry.
#[test]
fn round_trip() {
    let fixture = Fixture::new();
    let wheel = demo_wheel().build(fixture.dir.path());
    let target = fixture.target();

    let outcome = unzip_wheel(&wheel, &demo_filename(), &target).unwrap();
    assert!(!outcome.already_present);
    assert_eq!(outcome.warnings, []);

    let mut scanned = WheelManifest::scan(&target, demo_filename().to_string()).unwrap();
    let mut manifest = outcome.manifest.clone();
    assert_eq!(manifest.dirs, scanned.dirs);
    assert_eq!(
        manifest.dirs,
        [
            "demo",
            "demo/sub",
            "demo/sub/deep",
            "demo-1.0.data",
            "demo-1.0.data/scripts",
            "demo-1.0.dist-info",
        ]
    );
    // The manifest lists files in archive order, a scan in walk order.
    manifest.files.sort_by(|a, b| a.path.cmp(&b.path));
    scanned.files.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(manifest, scanned);
    assert_eq!(
        outcome
            .manifest
            .files
            .iter()
            .map(|file| file.path.as_str())
            .collect::<Vec<_>>(),
        [
            "demo/__init__.py",
            "demo/sub/deep/data.txt",
            "demo/empty.txt",
            "demo-1.0.data/scripts/run",
            "demo-1.0.dist-info/METADATA",
            "demo-1.0.dist-info/WHEEL",
            "demo-1.0.dist-info/RECORD",
        ]
    );
    assert_eq!(
        WheelManifest::read(&target).unwrap().as_ref(),
        Some(&outcome.manifest)
    );
    assert_eq!(
        fs::read_to_string(target.join("demo/sub/deep/data.txt")).unwrap(),
        "some data"
    );

    #[cfg(unix)]
    {
        let run = outcome
            .manifest
            .files
            .iter()
            .find(|file| file.path.ends_with("/run"))
            .unwrap();
        assert!(run.executable);
        assert!(is_executable(&target.join("demo-1.0.data/scripts/run")));
        assert!(!is_executable(&target.join("demo/__init__.py")));
    }

    // Only the entry is left in the bucket: no temporary directory.
    assert_eq!(
        fs::read_dir(fixture.bucket()).unwrap().count(),
        1,
        "{:?}",
        fixture.tree()
    );
    assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Valid);
    #[cfg(unix)]
    {
        // Not the private mode of a temporary directory.
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    let again = unzip_wheel(&wheel, &demo_filename(), &target).unwrap();
    assert!(again.already_present);
    assert_eq!(again.manifest, outcome.manifest);
}

/// Explicit directory entries, `./` prefixes and RECORD's signature are
/// accepted without a RECORD row.
#[test]
fn explicit_directories_and_signatures() {
    let fixture = Fixture::new();
    let zip = RawZip::from_wheel(&demo_wheel())
        .entry(RawEntry::dir("demo/"))
        .entry(RawEntry::dir("./demo/sub/"))
        .entry(RawEntry::dir("demo/empty-dir/"))
        .entry(RawEntry::file("demo-1.0.dist-info/RECORD.jws", "{}"));
    let wheel = fixture.write_raw(&zip);

    let outcome = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap();
    assert_eq!(outcome.warnings, []);
    assert!(
        outcome
            .manifest
            .dirs
            .contains(&"demo/empty-dir".to_string())
    );
    assert!(fixture.target().join("demo/empty-dir").is_dir());
    assert_eq!(verify_entry(&fixture.target()).unwrap(), EntryStatus::Valid);
}

/// Issue 12, item 7: a file that RECORD does not list was unzipped with a
/// warning; the specification says installation must fail, so the wheel is
/// refused before it is cached.
#[test]
fn files_missing_from_record_are_refused() {
    let fixture = Fixture::new();
    let zip = RawZip::from_wheel(&demo_wheel())
        .entry(RawEntry::deflated("demo/unlisted.py", "print('hi')\n"));
    let wheel = fixture.write_raw(&zip);

    let err = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push_str(&format!("\n{cause}"));
        source = cause.source();
    }
    assert!(
        chain.contains("`demo/unlisted.py` is not listed in"),
        "{chain}"
    );
    assert!(!fixture.target().exists());
}

/// Paths that differ only in case are unzipped where the filesystem tells them
/// apart, with a warning; where it does not, the unzip fails naming the pair.
#[test]
fn paths_differing_only_in_case() {
    let fixture = Fixture::new();
    let builder = demo_wheel()
        .file("demo/__INIT__.py", "VALUE = 2\n")
        .file("Demo/x.py", "");
    let wheel = fixture.write_raw(&RawZip::from_wheel(&builder));

    fs::write(fixture.dir.path().join("probe"), "").unwrap();
    let case_sensitive = !fixture.dir.path().join("PROBE").exists();
    fs::remove_file(fixture.dir.path().join("probe")).unwrap();

    let result = unzip_wheel(&wheel, &demo_filename(), &fixture.target());
    if case_sensitive {
        let outcome = result.unwrap();
        let warnings: Vec<String> = outcome.warnings.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(warnings.join("\n"), @r"
        `Demo` and `demo` differ only in case; the wheel cannot be installed on a case-insensitive filesystem
        `demo/__init__.py` and `demo/__INIT__.py` differ only in case; the wheel cannot be installed on a case-insensitive filesystem
        ");
        assert_eq!(
            fs::read_to_string(fixture.target().join("demo/__INIT__.py")).unwrap(),
            "VALUE = 2\n"
        );
    } else {
        let err = result.unwrap_err();
        assert!(
            matches!(err, puffin_unzip::UnzipError::CaseConflict { .. }),
            "{err}"
        );
        assert_eq!(
            fixture.tree(),
            ["cache", "cache/wheels-v0", "demo-1.0-py3-none-any.whl"]
        );
    }
}

/// Zip64 entries, whose local headers keep their sizes in the zip64 extra
/// field, are read like any other.
#[test]
fn zip64_entries() {
    use std::io::Write;

    let fixture = Fixture::new();
    let wheel = fixture.dir.path().join("demo-1.0-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(fs::File::create(&wheel).unwrap());
    for (name, contents, mode) in demo_wheel().entries() {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode)
            .large_file(true);
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(&contents).unwrap();
    }
    zip.finish().unwrap();
    // The first local header's 32-bit sizes defer to the zip64 field.
    let bytes = fs::read(&wheel).unwrap();
    assert_eq!(bytes[18..26], [0xff; 8]);

    let outcome = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap();
    assert_eq!(outcome.warnings, []);
    assert_eq!(verify_entry(&fixture.target()).unwrap(), EntryStatus::Valid);
}

/// Entries written by a streaming zip writer (general purpose flag bit 3)
/// have zero CRC and sizes in their local headers; the central directory has
/// the real values, and the archive is accepted.
#[test]
fn streamed_entries_with_data_descriptor_flag() {
    let fixture = Fixture::new();
    let zip = RawZip::from_wheel(&demo_wheel()).map_entry("demo/__init__.py", |entry| {
        entry
            .flags(1 << 3)
            .local_crc(0)
            .local_compressed_size(0)
            .local_uncompressed_size(0)
    });
    let wheel = fixture.write_raw(&zip);
    let outcome = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap();
    assert_eq!(outcome.warnings, []);
    assert_eq!(
        fs::read_to_string(fixture.target().join("demo/__init__.py")).unwrap(),
        "VALUE = 1\n"
    );
}

/// A target that exists without a manifest is not overwritten; the error says
/// how to recover, and our temporary directory is removed.
#[test]
fn occupied_target() {
    let fixture = Fixture::new();
    let wheel = demo_wheel().build(fixture.dir.path());
    fs::create_dir_all(fixture.target().join("stray")).unwrap();
    let err = unzip_wheel(&wheel, &demo_filename(), &fixture.target()).unwrap_err();
    insta::assert_snapshot!(fixture.error_chain(&err), @"The cache entry `[TEMP]/cache/wheels-v0/demo-1.0-py3-none-any` exists but has no valid manifest; run `puffin clean` to remove it");
    assert_eq!(
        fixture.tree(),
        [
            "cache",
            "cache/wheels-v0",
            "cache/wheels-v0/demo-1.0-py3-none-any",
            "cache/wheels-v0/demo-1.0-py3-none-any/stray",
            "demo-1.0-py3-none-any.whl",
        ]
    );
}

/// Threads unzipping the same wheel to the same target at once all succeed
/// and see the same valid entry; exactly one of them publishes it.
#[test]
fn threads_race_to_publish() {
    const THREADS: usize = 4;
    let fixture = Fixture::new();
    let wheel = demo_wheel().build(fixture.dir.path());
    for iteration in 0..20 {
        let target = fixture.bucket().join(format!("entry-{iteration}"));
        let barrier = Arc::new(Barrier::new(THREADS));
        let outcomes: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let barrier = barrier.clone();
                    let (wheel, target) = (&wheel, &target);
                    scope.spawn(move || {
                        barrier.wait();
                        unzip_wheel(wheel, &demo_filename(), target).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let published = outcomes.iter().filter(|o| !o.already_present).count();
        assert_eq!(published, 1, "iteration {iteration}");
        for outcome in &outcomes {
            assert_eq!(outcome.manifest, outcomes[0].manifest);
        }
        assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Valid);
    }
    let leftovers: Vec<String> = fixture
        .tree()
        .into_iter()
        .filter(|path| path.contains(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

/// The environment variables that turn [`race_child`] into a racing process.
const RACE_WHEEL: &str = "PUFFIN_TEST_RACE_WHEEL";
const RACE_TARGET: &str = "PUFFIN_TEST_RACE_TARGET";
const RACE_GO: &str = "PUFFIN_TEST_RACE_GO";

/// Not a test on its own: [`processes_race_to_publish`] runs this test binary
/// again with `--ignored` and the `PUFFIN_TEST_RACE_*` variables set, and this
/// function then waits for the go file and unzips.
#[test]
#[ignore = "a child process of processes_race_to_publish"]
fn race_child() {
    let (Some(wheel), Some(target), Some(go)) = (
        std::env::var_os(RACE_WHEEL),
        std::env::var_os(RACE_TARGET),
        std::env::var_os(RACE_GO),
    ) else {
        #[allow(clippy::print_stdout)]
        {
            println!("Skipping: run by processes_race_to_publish, which sets {RACE_WHEEL}");
        }
        return;
    };
    // Start together: the parent creates the go file once all children run.
    while !Path::new(&go).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let outcome = unzip_wheel(Path::new(&wheel), &demo_filename(), Path::new(&target)).unwrap();
    let result = if outcome.already_present {
        "already-present"
    } else {
        "published"
    };
    #[allow(clippy::print_stdout)]
    {
        println!("RACE-RESULT {result}");
    }
}

/// Processes unzipping the same wheel to the same target at once all succeed;
/// exactly one publishes, and the entry is valid.
#[test]
fn processes_race_to_publish() {
    const PROCESSES: usize = 2;
    let fixture = Fixture::new();
    let wheel = demo_wheel().build(fixture.dir.path());
    let exe = std::env::current_exe().unwrap();
    for iteration in 0..20 {
        let target = fixture.bucket().join(format!("entry-{iteration}"));
        let go = fixture.dir.path().join(format!("go-{iteration}"));
        let children: Vec<_> = (0..PROCESSES)
            .map(|_| {
                Command::new(&exe)
                    .args(["--exact", "unzip::race_child", "--ignored", "--nocapture"])
                    .env(RACE_WHEEL, &wheel)
                    .env(RACE_TARGET, &target)
                    .env(RACE_GO, &go)
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        fs::write(&go, "").unwrap();
        let mut results = Vec::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            assert!(output.status.success(), "iteration {iteration}: {stdout}");
            let result = stdout
                .lines()
                .find_map(|line| line.strip_prefix("RACE-RESULT "))
                .unwrap_or_else(|| panic!("no result in: {stdout}"))
                .to_string();
            results.push(result);
        }
        results.sort();
        assert_eq!(
            results,
            ["already-present", "published"],
            "iteration {iteration}"
        );
        assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Valid);
    }
    let leftovers: Vec<String> = fixture
        .tree()
        .into_iter()
        .filter(|path| path.contains(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

/// `verify_entry` finds a file edited in place (same size, as through a
/// hardlink from an environment), a deleted file, a changed executable bit
/// and a missing entry.
#[test]
fn verify_detects_changes() {
    let fixture = Fixture::new();
    let wheel = demo_wheel().build(fixture.dir.path());
    let target = fixture.target();
    assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Missing);
    unzip_wheel(&wheel, &demo_filename(), &target).unwrap();
    assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Valid);

    let init = target.join("demo/__init__.py");
    fs::write(&init, "VALUE = 2\n").unwrap();
    let status = verify_entry(&target).unwrap();
    let EntryStatus::Corrupt { path, reason } = status else {
        panic!("expected a corrupt entry, got {status:?}");
    };
    assert_eq!(path, init);
    insta::assert_snapshot!(reason);

    fs::write(&init, "VALUE = 1\n").unwrap();
    assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Valid);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let run = target.join("demo-1.0.data/scripts/run");
        fs::set_permissions(&run, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            verify_entry(&target).unwrap(),
            EntryStatus::Corrupt {
                path: run.clone(),
                reason: "is not executable, but the manifest says it is".to_string()
            }
        );
        fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let data = target.join("demo/sub/deep/data.txt");
    fs::remove_file(&data).unwrap();
    assert_eq!(
        verify_entry(&target).unwrap(),
        EntryStatus::Corrupt {
            path: data,
            reason: "is missing".to_string()
        }
    );

    let manifest = target.join(".puffin-manifest.json");
    fs::write(&manifest, "{").unwrap();
    assert!(matches!(
        verify_entry(&target).unwrap(),
        EntryStatus::Corrupt { path, .. } if path == manifest
    ));
    fs::remove_file(&manifest).unwrap();
    assert_eq!(verify_entry(&target).unwrap(), EntryStatus::Missing);
}

/// Temporary directories left by killed unzips are removed once old enough;
/// entries and fresh temporary directories are kept.
#[test]
fn cleans_stale_temporary_directories() {
    let fixture = Fixture::new();
    let bucket = fixture.bucket();
    assert_eq!(clean_stale_temp_dirs(&bucket, Duration::ZERO).unwrap(), 0);
    fs::create_dir_all(bucket.join(".tmp-unzip-abc123/demo")).unwrap();
    fs::create_dir_all(bucket.join("demo-1.0-py3-none-any")).unwrap();
    assert_eq!(
        clean_stale_temp_dirs(&bucket, Duration::from_secs(3600)).unwrap(),
        0
    );
    assert_eq!(clean_stale_temp_dirs(&bucket, Duration::ZERO).unwrap(), 1);
    assert_eq!(
        fixture.tree(),
        [
            "cache",
            "cache/wheels-v0",
            "cache/wheels-v0/demo-1.0-py3-none-any"
        ]
    );
}
