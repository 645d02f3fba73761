//! `--find-links` directories and pages contribute candidates as they do for
//! `pip-sync`, through the client's candidate gathering.

use puffin_client::{FlatIndexLocation, IndexLocations};
use puffin_resolver::{IndexProvider, ResolverOptions};
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};
use url::Url;

use crate::common::{client, diamond, markers, pins, requirements, tags, wheel_downloads};

/// `--no-index --find-links <dir>`: the directory's wheels are read in
/// place (nothing copied into the store), and a project it lacks is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_index_with_a_find_links_directory() {
    let wheels = tempfile::tempdir().unwrap();
    diamond(wheels.path());
    let cache = tempfile::tempdir().unwrap();
    let locations =
        IndexLocations::find_links_only(vec![FlatIndexLocation::Path(wheels.path().to_path_buf())]);
    let provider = IndexProvider::new(client(locations, cache.path()), tags(), markers());
    let resolution = provider
        .resolve(
            requirements(&["a"], "-r requirements.in"),
            ResolverOptions::new(markers()),
        )
        .await
        .unwrap();
    assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.5"]);
    assert!(!cache.path().join("wheels-v1").exists());

    let err = provider
        .resolve(
            requirements(&["a", "missing"], "-r requirements.in"),
            ResolverOptions::new(markers()),
        )
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because there is no version of missing and you require missing, the requirements are unsatisfiable.
    No index has the project `missing`.
    ");
}

/// A find-links directory adds versions to those of the index: the newer
/// local `d` wins over the index's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_links_beside_an_index() {
    let wheels = tempfile::tempdir().unwrap();
    diamond(wheels.path());
    let server = IndexServer::start(IndexServerOptions::new(wheels.path()));
    let local = tempfile::tempdir().unwrap();
    WheelBuilder::new("d", "1.7").build(local.path());
    let mut locations = IndexLocations::from_index(Url::parse(&server.url()).unwrap());
    locations
        .find_links
        .push(FlatIndexLocation::Path(local.path().to_path_buf()));
    let cache = tempfile::tempdir().unwrap();
    let provider = IndexProvider::new(client(locations, cache.path()), tags(), markers());
    let resolution = provider
        .resolve(
            requirements(&["a"], "-r requirements.in"),
            ResolverOptions::new(markers()),
        )
        .await
        .unwrap();
    assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.7"]);
    assert_eq!(server.count("/files/d-1.5-py3-none-any.whl"), 0);
}

/// A find-links page (HTML links to files) with no index: its wheels are
/// fetched like an index's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_links_page() {
    let wheels = tempfile::tempdir().unwrap();
    diamond(wheels.path());
    let server = IndexServer::start(IndexServerOptions::new(wheels.path()));
    let locations = IndexLocations::find_links_only(vec![FlatIndexLocation::Url(
        Url::parse(&server.find_links_url()).unwrap(),
    )]);
    let cache = tempfile::tempdir().unwrap();
    let provider = IndexProvider::new(client(locations, cache.path()), tags(), markers());
    let resolution = provider
        .resolve(
            requirements(&["a"], "-r requirements.in"),
            ResolverOptions::new(markers()),
        )
        .await
        .unwrap();
    assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.5"]);
    assert!(wheel_downloads(&server) >= 4, "{:?}", server.requests());
    assert_eq!(server.count("/simple/a/"), 0);
}
