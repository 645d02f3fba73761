//! A project's files for a resolver (`project_files`), and a wheel's
//! `METADATA` without the wheel: by range requests and by PEP 658 file.

use puffin_client::{ClientError, DistLocation, FlatIndexLocation, RangeMetadata};
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

use crate::{client, index, name, wheels};

/// The index's files and a find-links directory's, only the project's, each
/// with where it is; nothing for a project no location has.
#[tokio::test]
async fn project_files_merge_the_index_and_find_links() {
    let dir = tempfile::tempdir().unwrap();
    let on_index = dir.path().join("index");
    let links = dir.path().join("links");
    fs_err::create_dir_all(&on_index).unwrap();
    fs_err::create_dir_all(&links).unwrap();
    wheels(&on_index, &[("foo", "1.0"), ("bar", "1.0")]);
    wheels(&links, &[("foo", "2.0"), ("bar", "2.0")]);
    let server = IndexServer::start(IndexServerOptions::new(&on_index));
    let mut locations = index(&server.url());
    locations.find_links = vec![FlatIndexLocation::Path(links.clone())];
    let client = client(&dir.path().join("cache"), locations);
    let mut files = client.project_files(&name("foo")).await.unwrap();
    files.sort_by(|a, b| a.file.filename.cmp(&b.file.filename));
    let names: Vec<&str> = files.iter().map(|f| &*f.file.filename).collect();
    assert_eq!(
        names,
        ["foo-1.0-py3-none-any.whl", "foo-2.0-py3-none-any.whl"]
    );
    assert!(
        matches!(&files[0].location, DistLocation::Url { index, .. } if index.as_str() == server.url())
    );
    assert_eq!(
        files[1].location,
        DistLocation::Path(links.join("foo-2.0-py3-none-any.whl"))
    );
    assert!(client.project_files(&name("baz")).await.unwrap().is_empty());
}

/// Range requests read `METADATA` from a server that serves ranges, and
/// say `NoRanges` for one that answers with the whole file.
#[tokio::test]
async fn metadata_by_range_requests() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = WheelBuilder::new("foo", "1.0").requires("bar>=1");
    wheel.build(dir.path());
    let expected = wheel
        .entries()
        .into_iter()
        .find(|(path, ..)| path.ends_with(".dist-info/METADATA"))
        .unwrap()
        .1;
    for ranges in [true, false] {
        let mut options = IndexServerOptions::new(dir.path());
        options.ranges = ranges;
        let server = IndexServer::start(options);
        let client = client(&dir.path().join("cache"), index(&server.url()));
        let files = client.project_files(&name("foo")).await.unwrap();
        let found = client
            .fetch_metadata_by_range(&files[0].file)
            .await
            .unwrap();
        if ranges {
            assert_eq!(found, RangeMetadata::Metadata(expected.clone()));
            let log = server.request_log();
            let file = log.iter().find(|r| r.path.ends_with(".whl")).unwrap();
            assert_eq!(file.status, 206);
            assert_eq!(file.range.as_deref(), Some("bytes=-65536"));
        } else {
            assert_eq!(found, RangeMetadata::NoRanges);
        }
    }
}

/// The PEP 658 file is checked against the hash the page gives for it.
#[tokio::test]
async fn core_metadata_files_are_hash_checked() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.core_metadata = true;
    options
        .wrong_metadata_hash
        .push("foo-1.0-py3-none-any.whl".to_string());
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let files = client.project_files(&name("foo")).await.unwrap();
    assert_eq!(files[0].file.core_metadata_hashes.len(), 1);
    let err = client
        .fetch_core_metadata(&files[0].file)
        .await
        .unwrap_err();
    let ClientError::HashMismatch { filename, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(filename, "foo-1.0-py3-none-any.whl.metadata");
}
