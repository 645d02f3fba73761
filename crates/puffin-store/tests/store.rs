//! The wheel store: entries by archive digest, pointers by source, the sweep.

use std::path::Path;
use std::str::FromStr;

use distribution_filename::{PackageName, WheelFilename};
use fs_err as fs;
use puffin_cache::Cache;
use puffin_package::{HashAlgorithm, HashDigest};
use puffin_store::{WheelOrigin, WheelStore};
use puffin_test_support::WheelBuilder;
use sha2::Digest;
use url::Url;

fn sha256(path: &Path) -> HashDigest {
    let bytes = fs::read(path).unwrap();
    HashDigest::from_bytes(HashAlgorithm::Sha256, &sha2::Sha256::digest(&bytes))
}

fn demo(dir: &Path, build: &str) -> std::path::PathBuf {
    fs::create_dir_all(dir).unwrap();
    WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", format!("BUILD = {build:?}\n"))
        .build(dir)
}

fn filename() -> WheelFilename {
    WheelFilename::from_str("demo-1.0-py3-none-any.whl").unwrap()
}

fn tags() -> platform_tags::Tags {
    let platform = platform_tags::Platform::current().unwrap();
    platform_tags::Tags::from_env(&platform, (3, 11), "cpython", (3, 11), false, false).unwrap()
}

/// Two archives under one filename are two entries; each source's pointer
/// names the archive it served last, and is replaced when it serves another.
#[test]
fn pointers_follow_the_bytes_each_source_served() {
    let dir = tempfile::tempdir().unwrap();
    let store = WheelStore::new(&Cache::from_path(dir.path().join("cache")));
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b) = (demo(&a_dir, "A"), demo(&b_dir, "B"));
    let index_a = Url::parse("https://a.invalid/simple/").unwrap();
    let index_b = Url::parse("https://b.invalid/simple/").unwrap();

    let from_a = store
        .publish(&a, &filename(), &sha256(&a), &WheelOrigin::Index(&index_a))
        .unwrap();
    let from_b = store
        .publish(&b, &filename(), &sha256(&b), &WheelOrigin::Index(&index_b))
        .unwrap();
    assert_ne!(from_a.wheel.path, from_b.wheel.path);
    let name = PackageName::new("demo").unwrap();
    let version = pep440_rs::Version::from_str("1.0").unwrap();
    let found =
        |index: &Url| store.find_pinned(std::slice::from_ref(index), &name, &version, &tags());
    assert_eq!(found(&index_a).unwrap().sha256, sha256(&a));
    assert_eq!(found(&index_b).unwrap().sha256, sha256(&b));

    // Index A now serves B's bytes: its pointer moves, A's entry stays.
    let moved = store
        .publish(&b, &filename(), &sha256(&b), &WheelOrigin::Index(&index_a))
        .unwrap();
    assert!(moved.already_present, "B was already unzipped");
    assert_eq!(found(&index_a).unwrap().sha256, sha256(&b));
    assert!(from_a.wheel.path.is_dir());
}

/// A hash-pinned lookup needs no pointer, and finds only the named archives.
#[test]
fn hashes_name_entries_directly() {
    let dir = tempfile::tempdir().unwrap();
    let store = WheelStore::new(&Cache::from_path(dir.path().join("cache")));
    let a = demo(&dir.path().join("a"), "A");
    let url = Url::parse("https://a.invalid/demo-1.0-py3-none-any.whl").unwrap();
    store
        .publish(&a, &filename(), &sha256(&a), &WheelOrigin::Url(&url))
        .unwrap();
    let name = PackageName::new("demo").unwrap();
    let other = HashDigest::new(HashAlgorithm::Sha256, &"0".repeat(64)).unwrap();
    assert!(
        store
            .find_by_hashes(&name, None, std::slice::from_ref(&other), &tags())
            .is_none()
    );
    let found = store
        .find_by_hashes(&name, None, &[other, sha256(&a)], &tags())
        .unwrap();
    assert_eq!(found.filename, filename());
    assert!(found.path.join("demo/__init__.py").is_file());
}

/// A local file's pointer changes when the file is rewritten, even with its
/// modification time restored.
#[test]
fn a_rewritten_local_file_gets_a_new_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let store = WheelStore::new(&Cache::from_path(dir.path().join("cache")));
    let wheels = dir.path().join("wheels");
    let wheel = demo(&wheels, "A");
    let mtime = fs::metadata(&wheel).unwrap().modified().unwrap();
    store
        .publish(
            &wheel,
            &filename(),
            &sha256(&wheel),
            &WheelOrigin::Path(&wheel),
        )
        .unwrap();
    assert!(
        store
            .find(&WheelOrigin::Path(&wheel), &filename())
            .unwrap()
            .is_some()
    );

    fs::remove_file(&wheel).unwrap();
    demo(&wheels, "B");
    fs::File::options()
        .write(true)
        .open(&wheel)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert!(
        store
            .find(&WheelOrigin::Path(&wheel), &filename())
            .unwrap()
            .is_none()
    );
}

/// The sweep empties the temporary area and removes the old layout's bucket.
#[test]
fn the_sweep_removes_leftovers_and_the_old_layout() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::from_path(dir.path().join("cache"));
    let store = WheelStore::new(&cache);
    let leftover = store.temp_dir().unwrap().keep();
    fs::write(leftover.join("half.whl"), "x").unwrap();
    let legacy = cache
        .root()
        .join("wheels-v0/index/0123456789abcdef/demo-1.0-py3-none-any");
    fs::create_dir_all(&legacy).unwrap();
    fs::write(legacy.join(".puffin-archive-sha256"), "0".repeat(64)).unwrap();

    let report = store.sweep(&cache).unwrap();
    assert_eq!(report.leftovers, 1);
    assert_eq!(report.legacy_bucket, Some(cache.root().join("wheels-v0")));
    assert!(!leftover.exists());
    assert!(!cache.root().join("wheels-v0").exists());
}

/// Issue 14, item 9: an entry that a killed `puffin clean` left without its
/// manifest made every later publish fail with "run `puffin clean`"; it is
/// replaced instead.
#[test]
fn a_half_removed_entry_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = WheelStore::new(&Cache::from_path(dir.path().join("cache")));
    let a = demo(&dir.path().join("a"), "A");
    let url = Url::parse("https://a.invalid/demo-1.0-py3-none-any.whl").unwrap();
    let first = store
        .publish(&a, &filename(), &sha256(&a), &WheelOrigin::Url(&url))
        .unwrap();
    fs::remove_file(first.wheel.path.join(install_wheel_rs::MANIFEST_FILENAME)).unwrap();
    fs::remove_dir_all(first.wheel.path.join("demo")).unwrap();

    let again = store
        .publish(&a, &filename(), &sha256(&a), &WheelOrigin::Url(&url))
        .unwrap();
    assert!(!again.already_present);
    assert_eq!(
        fs::read_to_string(again.wheel.path.join("demo/__init__.py")).unwrap(),
        "BUILD = \"A\"\n"
    );
}
