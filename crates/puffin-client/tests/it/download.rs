//! Streaming downloads, hash checks and progress.

use std::sync::atomic::Ordering;

use puffin_client::ClientError;
use puffin_package::{HashAlgorithm, HashDigest};
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};
use sha2::{Digest, Sha256};

use crate::{client, counting_reporter, index, select, wheels};

fn sha256_of(path: &std::path::Path) -> HashDigest {
    HashDigest::from_bytes(
        HashAlgorithm::Sha256,
        &Sha256::digest(fs_err::read(path).unwrap()),
    )
}

#[tokio::test]
async fn downloads_stream_to_disk_and_check_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    // A wheel of a few MiB, so that it arrives in many chunks.
    let big: String = (0..200_000).map(|i| format!("{i:x}\n")).collect();
    let original = WheelBuilder::new("big", "1.0")
        .file("big/data.txt", big.as_bytes())
        .build(&files);
    let server = IndexServer::start(IndexServerOptions::new(&files));
    let reporter = counting_reporter();
    let client = crate::builder(&dir.path().join("cache"), index(&server.url()))
        .reporter(reporter.clone())
        .build()
        .unwrap();
    let selected = select(&client, "big", "==1.0").await.unwrap();
    let dest = dir.path().join("dest");
    let required = [sha256_of(&original)];
    let path = client
        .download_wheel(&selected, &dest, &required)
        .await
        .unwrap();
    assert_eq!(path, dest.join("big-1.0-py3-none-any.whl"));
    assert_eq!(
        fs_err::read(&path).unwrap(),
        fs_err::read(&original).unwrap()
    );
    let size = fs_err::metadata(&original).unwrap().len();
    assert_eq!(
        *reporter.started.lock().unwrap(),
        [("big-1.0-py3-none-any.whl".to_string(), Some(size))]
    );
    assert_eq!(reporter.bytes.load(Ordering::SeqCst), size);
    assert_eq!(reporter.completed.load(Ordering::SeqCst), 1);
    // Only the wheel is left: no temporary file.
    assert_eq!(fs_err::read_dir(&dest).unwrap().count(), 1);
}

#[tokio::test]
async fn wrong_index_hash_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    wheels(&files, &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(&files);
    options.wrong_hash = vec!["foo-1.0-py3-none-any.whl".to_string()];
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    let dest = dir.path().join("dest");
    let err = client
        .download_wheel(&selected, &dest, &[])
        .await
        .unwrap_err();
    let ClientError::HashMismatch { sha256, .. } = &err else {
        panic!("{err:?}")
    };
    let actual = sha256_of(&files.join("foo-1.0-py3-none-any.whl"));
    assert_eq!(sha256, &actual);
    let message = err
        .to_string()
        .replace(&server.base_url(), "[SERVER]")
        .replace(&actual.to_string(), "sha256:[ACTUAL]");
    insta::assert_snapshot!(message, @r"
    Hash mismatch for `foo-1.0-py3-none-any.whl` (from `[SERVER]/files/foo-1.0-py3-none-any.whl`):
      expected: sha256:fd611b728e7fda802b450bbdbe84ef6e625e2a0b4df4dae2eff07e5442fdcc53
      computed: sha256:[ACTUAL]
    If you trust this file, use `--hash=sha256:[ACTUAL]` in the requirement instead
    ");
    assert_eq!(fs_err::read_dir(&dest).unwrap().count(), 0);
}

#[tokio::test]
async fn required_hashes_one_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    wheels(&files, &[("foo", "1.0")]);
    let actual = sha256_of(&files.join("foo-1.0-py3-none-any.whl"));
    let server = IndexServer::start(IndexServerOptions::new(&files));
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    let dest = dir.path().join("dest");
    let other: HashDigest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    client
        .download_wheel(&selected, &dest, &[other.clone(), actual.clone()])
        .await
        .unwrap();
    let err = client
        .download_wheel(&selected, &dest, &[other])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::HashMismatch { .. }), "{err}");
    // A SHA-512 is computed only when one is expected, and checked.
    let sha512 = HashDigest::from_bytes(
        HashAlgorithm::Sha512,
        &sha2::Sha512::digest(fs_err::read(files.join("foo-1.0-py3-none-any.whl")).unwrap()),
    );
    client
        .download_wheel(&selected, &dest, &[sha512])
        .await
        .unwrap();
}
