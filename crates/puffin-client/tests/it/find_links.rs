//! `--find-links` directories and pages, `--no-index`, `--offline`.

use puffin_client::{ClientError, FlatIndexLocation, IndexLocations, WheelSourceLocation};
use puffin_test_support::{IndexServer, IndexServerOptions};
use url::Url;

use crate::{builder, client, index, select, wheels};

#[tokio::test]
async fn find_links_directory_without_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    fs_err::create_dir_all(&links).unwrap();
    wheels(&links, &[("foo", "1.0"), ("foo", "1.1"), ("bar", "2.0")]);
    fs_err::write(links.join("foo-1.2.tar.gz"), "not really").unwrap();
    let client = client(
        &dir.path().join("cache"),
        IndexLocations::find_links_only(vec![FlatIndexLocation::Path(links.clone())]),
    );
    let selected = select(&client, "foo", ">=1").await.unwrap();
    assert_eq!(selected.filename.version.to_string(), "1.1");
    assert_eq!(
        selected.source,
        WheelSourceLocation::Path(links.join("foo-1.1-py3-none-any.whl"))
    );
    // A local wheel is not copied.
    let path = client
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap();
    assert_eq!(path, links.join("foo-1.1-py3-none-any.whl"));
    let err = select(&client, "foo", "==1.2").await.unwrap_err();
    let message = err.to_string().replace(links.to_str().unwrap(), "[LINKS]");
    insta::assert_snapshot!(message, @r"
    No wheel of `foo==1.2` in `[LINKS]` fits this environment:
    - 1.2: only a source distribution: building from source is not supported yet
    ");
    let err = select(&client, "baz", ">=1").await.unwrap_err();
    let message = err.to_string().replace(links.to_str().unwrap(), "[LINKS]");
    insta::assert_snapshot!(message, @"`baz` was not found in `[LINKS]`");
}

#[tokio::test]
async fn find_links_page_merged_with_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let on_index = dir.path().join("index");
    let on_page = dir.path().join("page");
    fs_err::create_dir_all(&on_index).unwrap();
    fs_err::create_dir_all(&on_page).unwrap();
    wheels(&on_index, &[("foo", "1.0")]);
    wheels(&on_page, &[("foo", "2.0"), ("bar", "1.0")]);
    let index_server = IndexServer::start(IndexServerOptions::new(&on_index));
    let page_server = IndexServer::start(IndexServerOptions::new(&on_page));
    let mut locations = index(&index_server.url());
    locations.find_links = vec![FlatIndexLocation::Url(
        Url::parse(&page_server.find_links_url()).unwrap(),
    )];
    let client = client(&dir.path().join("cache"), locations);
    let selected = select(&client, "foo", ">=1").await.unwrap();
    assert_eq!(selected.filename.version.to_string(), "2.0");
    let WheelSourceLocation::Url { url, index } = &selected.source else {
        panic!()
    };
    assert_eq!(index.as_str(), page_server.find_links_url());
    assert!(url.as_str().starts_with(&page_server.base_url()));
    assert_eq!(
        select(&client, "foo", "==1.0")
            .await
            .unwrap()
            .filename
            .version
            .to_string(),
        "1.0"
    );
    client
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn offline_uses_the_cache_and_local_find_links_only() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    let links = dir.path().join("links");
    fs_err::create_dir_all(&files).unwrap();
    fs_err::create_dir_all(&links).unwrap();
    wheels(&files, &[("foo", "1.0"), ("bar", "1.0")]);
    wheels(&links, &[("local", "1.0")]);
    let server = IndexServer::start(IndexServerOptions::new(&files));
    let cache = dir.path().join("cache");
    let mut locations = index(&server.url());
    locations.find_links = vec![FlatIndexLocation::Path(links.clone())];

    // Online once, to fill the cache with `foo`'s page.
    let online = client(&cache, locations.clone());
    select(&online, "foo", "==1.0").await.unwrap();
    server.clear_requests();

    let offline = builder(&cache, locations).offline(true).build().unwrap();
    assert!(offline.is_offline());
    let selected = select(&offline, "foo", "==1.0").await.unwrap();
    assert_eq!(selected.filename.to_string(), "foo-1.0-py3-none-any.whl");
    let err = offline
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::OfflineDownload { .. }), "{err}");
    select(&offline, "local", "==1.0").await.unwrap();
    let err = select(&offline, "bar", "==1.0").await.unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"The network is disabled (`--offline`) and `bar` is neither in the cache nor in a local `--find-links` directory");
    assert_eq!(server.requests(), Vec::<String>::new(), "no request at all");
}

/// A find-links page is fetched once per client, however many packages are
/// looked up in it, also when the lookups run at the same time; each
/// package still sees only its own files.
#[tokio::test]
async fn find_links_page_is_fetched_once_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let on_page = dir.path().join("page");
    fs_err::create_dir_all(&on_page).unwrap();
    let names = ["aa", "bb", "cc", "dd", "ee", "ff"];
    let specs: Vec<(&str, &str)> = names.iter().map(|name| (*name, "1.0")).collect();
    wheels(&on_page, &specs);
    let server = IndexServer::start(IndexServerOptions::new(&on_page));
    let client = client(
        &dir.path().join("cache"),
        IndexLocations::find_links_only(vec![FlatIndexLocation::Url(
            Url::parse(&server.find_links_url()).unwrap(),
        )]),
    );
    let lookups = names.iter().map(|name| select(&client, name, "==1.0"));
    for (name, selected) in names.iter().zip(futures::future::join_all(lookups).await) {
        assert_eq!(selected.unwrap().filename.name.to_string(), *name);
    }
    let err = select(&client, "zz", ">=1").await.unwrap_err();
    assert!(err.to_string().contains("was not found"), "{err}");
    assert_eq!(server.count("/links.html"), 1, "{:?}", server.requests());
}
