//! Source distributions: chosen by `select_dist` under pip's
//! `--no-binary` / `--only-binary` policy, and fetched by `fetch_source`
//! from an index or a find-links directory, hashed and checked.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use puffin_client::{
    ClientError, DistLocation, FlatIndexLocation, FormatPolicy, IndexLocations, RegistryClient,
    SelectedDist, SelectedSource,
};
use puffin_package::{HashAlgorithm, HashDigest};
use puffin_test_support::{IndexServer, IndexServerOptions, PageFormat};
use sha2::{Digest, Sha256};

use crate::{builder, client, index, name, python, spec, tags, wheels};

/// Write `{name}-{version}.tar.gz`: the client never unpacks it, so any
/// bytes will do; a few hundred KiB so that it streams in several chunks.
fn sdist(dir: &Path, name: &str, version: &str) -> PathBuf {
    let path = dir.join(format!("{name}-{version}.tar.gz"));
    let body: String = (0..40_000)
        .map(|i| format!("{name} {version} {i}\n"))
        .collect();
    fs_err::write(&path, body).unwrap();
    path
}

fn sha256_of(path: &Path) -> HashDigest {
    HashDigest::from_bytes(
        HashAlgorithm::Sha256,
        &Sha256::digest(fs_err::read(path).unwrap()),
    )
}

fn policy(no_binary: &[&str], only_binary: &[&str]) -> FormatPolicy {
    let strings = |values: &[&str]| values.iter().map(ToString::to_string).collect::<Vec<_>>();
    FormatPolicy::from_pip_args(&strings(no_binary), &strings(only_binary), false).unwrap()
}

async fn select_dist(
    client: &RegistryClient,
    package: &str,
    specifiers: &str,
    policy: &FormatPolicy,
) -> Result<SelectedDist, ClientError> {
    client
        .select_dist(
            &name(package),
            &spec(specifiers),
            &tags(),
            &python(),
            policy,
        )
        .await
}

async fn select_source(client: &RegistryClient, package: &str, specifiers: &str) -> SelectedSource {
    match select_dist(client, package, specifiers, &FormatPolicy::default()).await {
        Ok(SelectedDist::Source(source)) => source,
        other => panic!("expected a source distribution: {other:?}"),
    }
}

/// A newer sdist-only version wins over an older wheel unless sources are
/// forbidden; yanked and `Requires-Python` rules apply to sdists; the sdist
/// is then downloaded, hashed and checked against the index's hash.
async fn selects_and_fetches_from(format: PageFormat) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    wheels(&files, &[("foo", "1.0")]);
    let original = sdist(&files, "foo", "2.0");
    sdist(&files, "foo", "2.5");
    sdist(&files, "foo", "3.0");
    let mut options = IndexServerOptions::new(&files);
    options.format = format;
    options
        .yanked
        .insert("foo-2.5.tar.gz".to_string(), "broken".to_string());
    options
        .requires_python
        .insert("foo-3.0.tar.gz".to_string(), ">=3.12".to_string());
    let server = IndexServer::start(options);
    let reporter = crate::counting_reporter();
    let client = builder(&dir.path().join("cache"), index(&server.url()))
        .reporter(reporter.clone())
        .build()
        .unwrap();

    let source = select_source(&client, "foo", ">=1").await;
    assert_eq!(source.filename.to_string(), "foo-2.0.tar.gz");
    let DistLocation::Url { url, index } = &source.source else {
        panic!("{source:?}")
    };
    assert_eq!(
        url.as_str(),
        format!("{}/files/foo-2.0.tar.gz", server.base_url())
    );
    assert_eq!(index.as_str(), server.url());
    assert_eq!(source.hashes, [sha256_of(&original)]);
    let yanked = select_source(&client, "foo", "==2.5").await;
    assert_eq!(yanked.yanked.as_deref(), Some("broken"));
    assert_eq!(yanked.warnings, ["`foo==2.5` is yanked (reason: broken)"]);

    let SelectedDist::Wheel(wheel) = select_dist(&client, "foo", ">=1", &policy(&[], &[":all:"]))
        .await
        .unwrap()
    else {
        panic!("`--only-binary :all:` selects the older wheel")
    };
    assert_eq!(wheel.filename.to_string(), "foo-1.0-py3-none-any.whl");

    let dest = dir.path().join("dest");
    let downloaded = client.fetch_source(&source, &dest, &[]).await.unwrap();
    assert_eq!(downloaded.path, dest.join("foo-2.0.tar.gz"));
    assert_eq!(downloaded.sha256, sha256_of(&original));
    assert_eq!(
        fs_err::read(&downloaded.path).unwrap(),
        fs_err::read(&original).unwrap()
    );
    let size = fs_err::metadata(&original).unwrap().len();
    assert_eq!(
        *reporter.started.lock().unwrap(),
        [("foo-2.0.tar.gz".to_string(), Some(size))]
    );
    assert_eq!(reporter.bytes.load(Ordering::SeqCst), size);
    assert_eq!(reporter.completed.load(Ordering::SeqCst), 1);
    assert_eq!(
        fs_err::read_dir(&dest).unwrap().count(),
        1,
        "no temporary file"
    );
}

#[tokio::test]
async fn json_index() {
    selects_and_fetches_from(PageFormat::Json).await;
}

#[tokio::test]
async fn html_index() {
    selects_and_fetches_from(PageFormat::Html).await;
}

#[tokio::test]
async fn no_binary_selects_the_sdist_beside_a_wheel() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0"), ("bar", "1.0")]);
    sdist(dir.path(), "foo", "1.0");
    sdist(dir.path(), "bar", "1.0");
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let no_binary_foo = policy(&["foo"], &[]);
    let foo = select_dist(&client, "foo", "==1.0", &no_binary_foo)
        .await
        .unwrap();
    assert_eq!(foo.filename(), "foo-1.0.tar.gz");
    let bar = select_dist(&client, "bar", "==1.0", &no_binary_foo)
        .await
        .unwrap();
    assert_eq!(bar.filename(), "bar-1.0-py3-none-any.whl");
    // By default the wheel of a version beats its sdist.
    let foo = select_dist(&client, "foo", "==1.0", &FormatPolicy::default())
        .await
        .unwrap();
    assert!(matches!(foo, SelectedDist::Wheel(_)), "{foo:?}");
}

#[tokio::test]
async fn sdist_only_errors_name_the_option() {
    let dir = tempfile::tempdir().unwrap();
    sdist(dir.path(), "foo", "1.0");
    wheels(dir.path(), &[("bar", "1.0")]);
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let no_build = FormatPolicy::from_pip_args(&[], &[], true).unwrap();
    let err = select_dist(&client, "foo", "==1.0", &no_build)
        .await
        .unwrap_err();
    let message = err.to_string().replace(&server.url(), "[INDEX]");
    insta::assert_snapshot!(message, @r"
    No wheel of `foo==1.0` in the index `[INDEX]` fits this environment:
    - 1.0: only a source distribution: `--no-build` forbids building from source
    ");
    let err = select_dist(&client, "bar", "==1.0", &policy(&[":all:"], &[]))
        .await
        .unwrap_err();
    let message = err.to_string().replace(&server.url(), "[INDEX]");
    insta::assert_snapshot!(message, @r"
    No wheel or source distribution of `bar==1.0` in the index `[INDEX]` fits this environment:
    - 1.0: no source distribution, and `--no-binary :all:` forbids wheels
    ");
}

#[tokio::test]
async fn hashes_are_checked_like_wheels() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    let original = sdist(&files, "foo", "1.0");
    let actual = sha256_of(&original);
    let server = IndexServer::start(IndexServerOptions::new(&files));
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let source = select_source(&client, "foo", "==1.0").await;
    let dest = dir.path().join("dest");
    let other: HashDigest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();

    // One of the `--hash` values must match.
    let downloaded = client
        .fetch_source(&source, &dest, &[other.clone(), actual.clone()])
        .await
        .unwrap();
    assert_eq!(downloaded.sha256, actual);
    fs_err::remove_file(&downloaded.path).unwrap();
    let err = client
        .fetch_source(&source, &dest, &[other])
        .await
        .unwrap_err();
    let ClientError::HashMismatch { sha256, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(sha256, &actual);
    assert_eq!(fs_err::read_dir(&dest).unwrap().count(), 0, "nothing left");

    // A wrong hash on the index page.
    let mut options = IndexServerOptions::new(&files);
    options.wrong_hash = vec!["foo-1.0.tar.gz".to_string()];
    let server = IndexServer::start(options);
    let client = crate::client(&dir.path().join("cache2"), index(&server.url()));
    let source = select_source(&client, "foo", "==1.0").await;
    let err = client.fetch_source(&source, &dest, &[]).await.unwrap_err();
    let message = err
        .to_string()
        .replace(&server.base_url(), "[SERVER]")
        .replace(&actual.to_string(), "sha256:[ACTUAL]");
    insta::assert_snapshot!(message, @r"
    Hash mismatch for `foo-1.0.tar.gz` (from `[SERVER]/files/foo-1.0.tar.gz`):
      expected: sha256:fd611b728e7fda802b450bbdbe84ef6e625e2a0b4df4dae2eff07e5442fdcc53
      computed: sha256:[ACTUAL]
    If you trust this file, use `--hash=sha256:[ACTUAL]` in the requirement instead
    ");
    assert_eq!(fs_err::read_dir(&dest).unwrap().count(), 0, "nothing left");
}

/// Downloads of sources share the wheels' retries and credentials.
#[tokio::test]
async fn retries_and_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    let original = sdist(&files, "foo", "1.0");
    let mut options = IndexServerOptions::new(&files);
    let path = "/files/foo-1.0.tar.gz";
    // The first answer is a 500 (also cut off, which spends a truncation),
    // the second a body cut off, the third the file.
    options.fail_first.insert(path.to_string(), 1);
    options.truncate_first.insert(path.to_string(), 2);
    options.basic_auth = Some(("user".to_string(), "s3cret".to_string()));
    let server = IndexServer::start(options);
    let with_credentials = server.url().replace("://", "://user:s3cret@");
    let client = client(&dir.path().join("cache"), index(&with_credentials));
    let source = select_source(&client, "foo", "==1.0").await;
    let DistLocation::Url { url, .. } = &source.source else {
        panic!("{source:?}")
    };
    assert!(!url.as_str().contains("s3cret"));
    let downloaded = client
        .fetch_source(&source, &dir.path().join("dest"), &[])
        .await
        .unwrap();
    assert_eq!(downloaded.sha256, sha256_of(&original));
    assert_eq!(
        server.count(path),
        3,
        "a 500, a truncated body, then the file"
    );
    assert!(
        server
            .request_log()
            .iter()
            .all(|request| request.authorized)
    );
}

#[tokio::test]
async fn local_find_links_sdists_are_hashed_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    fs_err::create_dir_all(&links).unwrap();
    wheels(&links, &[("foo", "1.0")]);
    let original = sdist(&links, "foo", "2.0");
    fs_err::write(links.join("foo-3.0.tar.bz2"), "not a candidate").unwrap();
    let client = client(
        &dir.path().join("cache"),
        IndexLocations::find_links_only(vec![FlatIndexLocation::Path(links.clone())]),
    );
    let source = select_source(&client, "foo", ">=1").await;
    assert_eq!(source.source, DistLocation::Path(original.clone()));
    let dest = dir.path().join("dest");
    let downloaded = client.fetch_source(&source, &dest, &[]).await.unwrap();
    assert_eq!(downloaded.path, original, "not copied");
    assert_eq!(downloaded.sha256, sha256_of(&original), "always hashed");
    assert!(!dest.exists());
    let other: HashDigest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    let err = client
        .fetch_source(&source, &dest, &[other])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::HashMismatch { .. }), "{err:?}");
    client
        .fetch_source(&source, &dest, &[sha256_of(&original)])
        .await
        .unwrap();
}

#[tokio::test]
async fn offline() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    sdist(&files, "foo", "1.0");
    let server = IndexServer::start(IndexServerOptions::new(&files));
    let cache = dir.path().join("cache");
    let offline = builder(&cache, index(&server.url()))
        .offline(true)
        .build()
        .unwrap();

    // Nothing cached: the selection fails, naming the cause.
    let err = select_dist(&offline, "foo", "==1.0", &FormatPolicy::default())
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"The network is disabled (`--offline`) and `foo` is neither in the cache nor in a local `--find-links` directory");

    // The page cached, the download is still refused.
    select_source(&client(&cache, index(&server.url())), "foo", "==1.0").await;
    server.clear_requests();
    let source = select_source(&offline, "foo", "==1.0").await;
    let err = offline
        .fetch_source(&source, &dir.path().join("dest"), &[])
        .await
        .unwrap_err();
    let message = err.to_string().replace(&server.base_url(), "[SERVER]");
    insta::assert_snapshot!(message, @"The network is disabled (`--offline`), so `foo-1.0.tar.gz` cannot be downloaded from `[SERVER]/files/foo-1.0.tar.gz`");
    assert_eq!(server.requests(), Vec::<String>::new(), "no request at all");
}

#[tokio::test]
async fn find_links_pages_list_sdists() {
    let dir = tempfile::tempdir().unwrap();
    let on_page = dir.path().join("page");
    fs_err::create_dir_all(&on_page).unwrap();
    let original = sdist(&on_page, "foo", "1.0");
    let page_server = IndexServer::start(IndexServerOptions::new(&on_page));
    let page = url::Url::parse(&page_server.find_links_url()).unwrap();
    let client = client(
        &dir.path().join("cache"),
        IndexLocations::find_links_only(vec![FlatIndexLocation::Url(page.clone())]),
    );
    let source = select_source(&client, "foo", "==1.0").await;
    let DistLocation::Url { index, .. } = &source.source else {
        panic!("{source:?}")
    };
    assert_eq!(index, &page);
    let downloaded = client
        .fetch_source(&source, &dir.path().join("dest"), &[])
        .await
        .unwrap();
    assert_eq!(downloaded.sha256, sha256_of(&original));
}
