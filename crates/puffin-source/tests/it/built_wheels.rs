//! The built-wheel cache: keys, publishing and tag selection.

use std::path::{Path, PathBuf};

use fs_err as fs;
use platform_tags::Tags;
use puffin_source::{BuildKey, BuiltWheelCache, Error};

fn tags(list: &[(&str, &str, &str)]) -> Tags {
    Tags::new(
        list.iter()
            .map(|(a, b, c)| ((*a).to_string(), (*b).to_string(), (*c).to_string()))
            .collect(),
    )
}

/// A "built wheel" in a temporary build directory of the cache.
fn build(cache: &BuiltWheelCache, name: &str, contents: &str) -> (tempfile::TempDir, PathBuf) {
    let temp = cache.temp_dir().unwrap();
    assert!(temp.path().starts_with(cache.root()));
    let wheel = temp.path().join(name);
    fs::write(&wheel, contents).unwrap();
    (temp, wheel)
}

fn archive_key() -> BuildKey {
    BuildKey::Archive {
        sha256: "ab".repeat(32),
    }
}

const ANY: &str = "demo-1.0-py3-none-any.whl";
const CP311: &str = "demo-1.0-cp311-cp311-linux_x86_64.whl";

#[test]
fn publish_then_find_the_best_compatible_wheel() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BuiltWheelCache::new(dir.path().join("built-wheels-v0"));
    let key = archive_key();
    let both = tags(&[("cp311", "cp311", "linux_x86_64"), ("py3", "none", "any")]);
    assert_eq!(cache.find(&key, false, "", &both), None);

    let (_temp, wheel) = build(&cache, ANY, "any");
    let any = cache.publish(&key, false, "", &wheel).unwrap();
    assert!(!wheel.exists(), "moved, not copied");
    assert_eq!(any.file_name().unwrap(), ANY);
    assert!(any.starts_with(cache.root().join("archive")));
    assert_eq!(cache.find(&key, false, "", &both), Some(any.clone()));

    let (_temp, wheel) = build(&cache, CP311, "cp311");
    let cp311 = cache.publish(&key, false, "", &wheel).unwrap();
    assert_eq!(cp311.parent(), any.parent(), "one entry holds both");
    assert_eq!(cache.find(&key, false, "", &both), Some(cp311));
    let only_any = tags(&[("py3", "none", "any")]);
    assert_eq!(cache.find(&key, false, "", &only_any), Some(any.clone()));
    let other = tags(&[("cp312", "cp312", "win_amd64")]);
    assert_eq!(cache.find(&key, false, "", &other), None);

    // Files that are not wheels, and temporary files, are ignored.
    let entry = any.parent().unwrap();
    fs::write(entry.join("notes.txt"), "").unwrap();
    fs::write(entry.join(".tmp-demo-2.0-py3-none-any.whl"), "").unwrap();
    assert_eq!(cache.find(&key, false, "", &only_any), Some(any));
}

#[test]
fn editable_and_settings_have_their_own_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BuiltWheelCache::new(dir.path().to_path_buf());
    let key = archive_key();
    let any = tags(&[("py3", "none", "any")]);
    let (_temp, wheel) = build(&cache, ANY, "regular");
    let regular = cache.publish(&key, false, "", &wheel).unwrap();
    assert_eq!(cache.find(&key, true, "", &any), None);
    assert_eq!(cache.find(&key, false, "settings-digest", &any), None);

    let (_temp, wheel) = build(&cache, ANY, "editable");
    let editable = cache.publish(&key, true, "", &wheel).unwrap();
    let (_temp, wheel) = build(&cache, ANY, "configured");
    let configured = cache
        .publish(&key, false, "settings-digest", &wheel)
        .unwrap();
    assert_ne!(regular.parent(), editable.parent());
    assert_ne!(regular.parent(), configured.parent());
    assert_eq!(
        fs::read_to_string(cache.find(&key, true, "", &any).unwrap()).unwrap(),
        "editable"
    );
    assert_eq!(
        fs::read_to_string(cache.find(&key, false, "", &any).unwrap()).unwrap(),
        "regular"
    );
}

#[test]
fn keys_select_the_entry() {
    let cache = BuiltWheelCache::new(PathBuf::from("/cache/built-wheels-v0"));
    let local = |fingerprint: &str| BuildKey::Local {
        path: PathBuf::from("/src/demo"),
        fingerprint: fingerprint.to_string(),
    };
    let git = |subdirectory: Option<&str>| BuildKey::Git {
        repository: "https://host/repo.git".to_string(),
        commit: "0".repeat(40),
        subdirectory: subdirectory.map(str::to_string),
    };
    let dirs = [
        cache.entry_dir(&archive_key(), false, ""),
        cache.entry_dir(&local("a"), false, ""),
        cache.entry_dir(&local("b"), false, ""),
        cache.entry_dir(&git(None), false, ""),
        cache.entry_dir(&git(Some("pkg")), false, ""),
        cache.entry_dir(&git(Some("")), false, ""),
    ];
    for (index, dir) in dirs.iter().enumerate() {
        for other in &dirs[index + 1..] {
            assert_ne!(dir, other);
        }
    }
    let kind = |dir: &Path| dir.parent().unwrap().file_name().unwrap().to_owned();
    assert_eq!(kind(&dirs[0]), "archive");
    assert_eq!(kind(&dirs[1]), "local");
    assert_eq!(kind(&dirs[3]), "git");
    // The same key, the same entry.
    assert_eq!(dirs[1], cache.entry_dir(&local("a"), false, ""));
}

#[test]
fn a_second_publisher_of_the_same_wheel_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BuiltWheelCache::new(dir.path().to_path_buf());
    let key = archive_key();
    let (_first_temp, first) = build(&cache, ANY, "first");
    let (_second_temp, second) = build(&cache, ANY, "second");
    let first = cache.publish(&key, false, "", &first).unwrap();
    let second = cache.publish(&key, false, "", &second).unwrap();
    assert_eq!(first, second);
    assert!(first.is_file());
}

#[test]
fn only_wheel_file_names_are_published() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BuiltWheelCache::new(dir.path().to_path_buf());
    let (_temp, wheel) = build(&cache, "demo-1.0.tar.gz", "");
    let err = cache
        .publish(&archive_key(), false, "", &wheel)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidWheelFilename { .. }), "{err:?}");
    assert!(err.to_string().contains("demo-1.0.tar.gz"), "{err}");
    assert!(wheel.is_file(), "left in place");
}

#[test]
fn local_keys_follow_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    fs::create_dir(&project).unwrap();
    fs::write(project.join("setup.cfg"), "[metadata]\nname = a\n").unwrap();
    let key = BuildKey::local(&project.join(".")).unwrap();
    let BuildKey::Local { path, .. } = &key else {
        panic!("{key:?}");
    };
    assert_eq!(path, &fs::canonicalize(&project).unwrap());
    assert_eq!(BuildKey::local(&project).unwrap(), key);
    fs::write(project.join("setup.cfg"), "[metadata]\nname = b\n").unwrap();
    assert_ne!(BuildKey::local(&project).unwrap(), key);
    assert!(BuildKey::local(&dir.path().join("missing")).is_err());
}
