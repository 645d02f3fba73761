//! HTTP caching of project pages: revalidation with ETags, fresh pages reused.

use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

use crate::{client, index, select, wheels};

#[tokio::test]
async fn stale_pages_are_revalidated() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    wheels(&files, &[("foo", "1.0")]);
    let server = IndexServer::start(IndexServerOptions::new(&files));
    let cache = dir.path().join("cache");
    let client = client(&cache, index(&server.url()));
    select(&client, "foo", "==1.0").await.unwrap();
    // A new client (a new puffin process) with the same cache.
    let client = crate::client(&cache, index(&server.url()));
    select(&client, "foo", "==1.0").await.unwrap();
    assert_eq!(
        server.requests(),
        [
            "GET /simple/foo/ 200",
            "GET /simple/foo/ 304 (If-None-Match)"
        ]
    );
    // The page changed: the new file is seen.
    WheelBuilder::new("foo", "1.1").build(&files);
    let selected = select(&client, "foo", ">=1").await.unwrap();
    assert_eq!(selected.filename.version.to_string(), "1.1");
    assert_eq!(
        server.requests().last().unwrap(),
        "GET /simple/foo/ 200 (If-None-Match)"
    );
}

#[tokio::test]
async fn fresh_pages_are_not_refetched() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    wheels(&files, &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(&files);
    options.cache_control = Some("max-age=600, public".to_string());
    let server = IndexServer::start(options);
    let cache = dir.path().join("cache");
    let client = client(&cache, index(&server.url()));
    select(&client, "foo", "==1.0").await.unwrap();
    select(&client, "foo", "==1.0").await.unwrap();
    let client = crate::client(&cache, index(&server.url()));
    select(&client, "foo", "==1.0").await.unwrap();
    assert_eq!(server.requests(), ["GET /simple/foo/ 200"]);
    // `puffin clean foo` drops the page.
    puffin_cache::Cache::from_path(&cache)
        .clean(&[crate::name("foo")])
        .unwrap();
    select(&client, "foo", "==1.0").await.unwrap();
    assert_eq!(server.count("/simple/foo/"), 2);
}
