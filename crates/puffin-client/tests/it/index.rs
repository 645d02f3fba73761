//! Project pages in JSON and HTML, requires-python, yanked files, errors,
//! retries, several indexes and credentials.

use std::collections::HashMap;

use puffin_client::{ClientError, IndexLocations, IndexOrigin, WheelSourceLocation};
use puffin_test_support::{IndexServer, IndexServerOptions, PageFormat, WheelBuilder};
use url::Url;

use crate::{client, index, select, wheels};

async fn selects_from(format: PageFormat) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    fs_err::create_dir_all(&files).unwrap();
    wheels(&files, &[("foo", "1.0"), ("foo", "1.1"), ("foo", "2.0")]);
    WheelBuilder::new("foo", "2.0")
        .tag("cp311-cp311-manylinux_2_17_x86_64")
        .build(&files);
    WheelBuilder::new("foo", "2.0")
        .tag("cp312-cp312-manylinux_2_17_x86_64")
        .build(&files);
    let mut options = IndexServerOptions::new(&files);
    options.format = format;
    options.requires_python.insert(
        "foo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl".to_string(),
        ">=3.8".to_string(),
    );
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));

    let selected = select(&client, "foo", ">=1").await.unwrap();
    assert_eq!(
        selected.filename.to_string(),
        "foo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "the newest version, best tag"
    );
    let WheelSourceLocation::Url { url, index } = &selected.source else {
        panic!("{selected:?}")
    };
    assert_eq!(
        url.as_str(),
        format!("{}/files/{}", server.base_url(), selected.filename)
    );
    assert_eq!(index.as_str(), server.url());
    assert_eq!(selected.hashes.len(), 1);
    assert_eq!(
        selected.hashes[0].algorithm(),
        puffin_package::HashAlgorithm::Sha256
    );

    let selected = select(&client, "Foo", "==1.1").await.unwrap();
    assert_eq!(selected.filename.to_string(), "foo-1.1-py3-none-any.whl");
}

#[tokio::test]
async fn json_index() {
    selects_from(PageFormat::Json).await;
}

#[tokio::test]
async fn html_index() {
    selects_from(PageFormat::Html).await;
}

#[tokio::test]
async fn requires_python_excludes_wheels() {
    for format in [PageFormat::Json, PageFormat::Html] {
        let dir = tempfile::tempdir().unwrap();
        wheels(dir.path(), &[("foo", "1.0"), ("foo", "2.0")]);
        let mut options = IndexServerOptions::new(dir.path());
        options.format = format;
        options.requires_python =
            HashMap::from([("foo-2.0-py3-none-any.whl".to_string(), ">=3.12".to_string())]);
        let server = IndexServer::start(options);
        let client = client(&dir.path().join("cache"), index(&server.url()));
        let selected = select(&client, "foo", ">=1").await.unwrap();
        assert_eq!(selected.filename.version.to_string(), "1.0");
        let err = select(&client, "foo", "==2.0").await.unwrap_err();
        assert_eq!(
            err.to_string().replace(&server.url(), "[INDEX]"),
            "No wheel of `foo==2.0` in the index `[INDEX]` fits this environment:\n- 2.0: requires-python `>=3.12` excludes Python 3.11.4"
        );
    }
}

#[tokio::test]
async fn yanked_files_need_an_exact_pin() {
    for format in [PageFormat::Json, PageFormat::Html] {
        let dir = tempfile::tempdir().unwrap();
        wheels(dir.path(), &[("foo", "1.0"), ("foo", "1.1")]);
        let mut options = IndexServerOptions::new(dir.path());
        options.format = format;
        options.yanked = HashMap::from([(
            "foo-1.1-py3-none-any.whl".to_string(),
            "broken metadata".to_string(),
        )]);
        let server = IndexServer::start(options);
        let client = client(&dir.path().join("cache"), index(&server.url()));
        let pinned = select(&client, "foo", "==1.1").await.unwrap();
        assert_eq!(pinned.yanked.as_deref(), Some("broken metadata"));
        assert_eq!(
            pinned.warnings,
            ["`foo==1.1` is yanked (reason: broken metadata)"]
        );
        let ranged = select(&client, "foo", ">=1.0").await.unwrap();
        assert_eq!(ranged.filename.version.to_string(), "1.0");
        assert!(ranged.warnings.is_empty());
    }
}

#[tokio::test]
async fn missing_project_names_the_index() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.not_found = vec!["foo".to_string()];
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(matches!(err, ClientError::PackageNotFound { .. }));
    let message = err.to_string().replace(&server.url(), "[INDEX]");
    insta::assert_snapshot!(message, @"`foo` was not found in the index `[INDEX]`");
}

#[tokio::test]
async fn server_errors_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.fail_first = HashMap::from([
        ("/simple/foo/".to_string(), 2),
        ("/files/foo-1.0-py3-none-any.whl".to_string(), 1),
    ]);
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    let dest = dir.path().join("dest");
    client.download_wheel(&selected, &dest, &[]).await.unwrap();
    assert_eq!(
        server.requests(),
        [
            "GET /simple/foo/ 500",
            "GET /simple/foo/ 500",
            "GET /simple/foo/ 200",
            "GET /files/foo-1.0-py3-none-any.whl 500",
            "GET /files/foo-1.0-py3-none-any.whl 200",
        ]
    );
}

#[tokio::test]
async fn persistent_server_errors_fail_after_the_retries() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.fail_first = HashMap::from([("/simple/foo/".to_string(), 10)]);
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    let message = err.to_string().replace(&server.url(), "[INDEX]/");
    insta::assert_snapshot!(message, @"`[INDEX]/foo/` answered with HTTP status 500");
    assert_eq!(
        server.count("/simple/foo/"),
        4,
        "the first attempt and 3 retries"
    );
}

#[tokio::test]
async fn first_index_with_the_project_wins() {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    let public = dir.path().join("public");
    fs_err::create_dir_all(&private).unwrap();
    fs_err::create_dir_all(&public).unwrap();
    wheels(&private, &[("internal", "1.0")]);
    // The public index has a newer `internal` (dependency confusion) and `other`.
    wheels(&public, &[("internal", "9.0"), ("other", "1.0")]);
    let private_server = IndexServer::start(IndexServerOptions::new(&private));
    let public_server = IndexServer::start(IndexServerOptions::new(&public));
    let locations = IndexLocations {
        index_url: Some(Url::parse(&public_server.url()).unwrap()),
        extra_index_urls: vec![Url::parse(&private_server.url()).unwrap()],
        find_links: vec![],
        no_index: false,
        origin: IndexOrigin::CommandLine,
        network: puffin_client::NetworkSettings::default(),
    };
    let client = client(&dir.path().join("cache"), locations);
    let selected = select(&client, "internal", ">=1").await.unwrap();
    assert_eq!(selected.filename.version.to_string(), "1.0");
    assert_eq!(public_server.count("/simple/internal/"), 0);
    let selected = select(&client, "other", ">=1").await.unwrap();
    let WheelSourceLocation::Url { index, .. } = &selected.source else {
        panic!()
    };
    assert_eq!(index.as_str(), public_server.url());
    assert_eq!(private_server.count("/simple/other/"), 1);
}

#[tokio::test]
async fn credentials_in_the_index_url_are_used_for_files_too() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.basic_auth = Some(("user".to_string(), "s3cret".to_string()));
    let server = IndexServer::start(options);
    let with_credentials = server.url().replace("://", "://user:s3cret@");
    let client = client(&dir.path().join("cache"), index(&with_credentials));
    assert!(!client.index_locations().to_string().contains("s3cret"));
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    let WheelSourceLocation::Url { url, .. } = &selected.source else {
        panic!()
    };
    assert!(url.password().is_none());
    client
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap();
    assert!(
        server
            .request_log()
            .iter()
            .all(|r| r.authorized && r.status == 200)
    );

    // Without credentials: 401 is an error naming the URL without secrets.
    let client = crate::client(&dir.path().join("cache2"), index(&server.url()));
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(matches!(err, ClientError::Status { status: 401, .. }));
    let message = err.to_string().replace(&server.url(), "[INDEX]/");
    insta::assert_snapshot!(message, @"`[INDEX]/foo/` answered with HTTP status 401 (credentials missing or refused: give them in the index URL, `https://user:password@host/simple/`, in `~/.netrc`, or through `--keyring-provider subprocess`)");
}

#[tokio::test]
async fn credentials_from_netrc() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.basic_auth = Some(("user".to_string(), "pw".to_string()));
    let server = IndexServer::start(options);
    let netrc = dir.path().join("netrc");
    fs_err::write(&netrc, "machine 127.0.0.1 login user password pw\n").unwrap();
    let netrc = netrc.to_str().unwrap().to_string();
    let client = crate::builder(&dir.path().join("cache"), index(&server.url()))
        .env(move |key| (key == "NETRC").then(|| netrc.clone()))
        .build()
        .unwrap();
    select(&client, "foo", "==1.0").await.unwrap();
}
