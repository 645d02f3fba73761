//! Hostile servers: pages bounded in memory, broken-off bodies retried.

use puffin_client::ClientError;
use puffin_test_support::{IndexServer, IndexServerOptions, RawResponse};

use crate::{builder, client, index, select, wheels};

/// A page of NUL bytes that gzip shrinks a thousandfold was read whole:
/// pages are limited (64 MiB by default, `PUFFIN_MAX_INDEX_PAGE_SIZE`
/// overrides), with an error naming the URL and the limit.
#[tokio::test]
async fn an_oversized_page_is_refused_naming_the_url_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = IndexServerOptions::new(dir.path());
    let page = RawResponse::gzip_html(b"<html><body>", &[0; 1024], 2048, b"</body></html>");
    options.raw.insert("/simple/nul/".to_string(), page);
    let server = IndexServer::start(options);
    let client = builder(&dir.path().join("cache"), index(&server.url()))
        .env(|key| (key == "PUFFIN_MAX_INDEX_PAGE_SIZE").then(|| "1000000".to_string()))
        .build()
        .unwrap();
    let err = select(&client, "nul", "==1.0").await.unwrap_err();
    assert!(
        matches!(
            &err,
            ClientError::PageTooLarge {
                limit: 1_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string().replace(&server.url(), "[INDEX]");
    insta::assert_snapshot!(message, @"The index page `[INDEX]nul/` is larger than 1000000 bytes once decompressed; if the page is genuine, raise the limit with `PUFFIN_MAX_INDEX_PAGE_SIZE=<bytes>`");

    // Under the default limit the same page parses (and has no files).
    let client = crate::client(&dir.path().join("cache2"), index(&server.url()));
    let err = select(&client, "nul", "==1.0").await.unwrap_err();
    assert!(
        matches!(err, ClientError::PackageNotFound { .. }),
        "{err:?}"
    );
}

/// A download cut short (`Content-Length` larger than the body) was a decode
/// error that the retry policy did not accept: it is retried like other
/// transient errors.
#[tokio::test]
async fn truncated_downloads_and_pages_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("demo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    let wheel = "/files/demo-1.0-py3-none-any.whl";
    options.truncate_first.insert(wheel.to_string(), 2);
    options
        .truncate_first
        .insert("/simple/demo/".to_string(), 1);
    let server = IndexServer::start(options);
    let client = client(&dir.path().join("cache"), index(&server.url()));
    let selected = select(&client, "demo", "==1.0").await.unwrap();
    assert_eq!(server.count("/simple/demo/"), 2);
    let dest = dir.path().join("dest");
    client.download_wheel(&selected, &dest, &[]).await.unwrap();
    assert_eq!(server.count(wheel), 3);

    // Retries are bounded: a body that always breaks off fails.
    let mut options = IndexServerOptions::new(dir.path());
    options.truncate_first.insert(wheel.to_string(), 100);
    let server = IndexServer::start(options);
    let client = crate::client(&dir.path().join("cache3"), index(&server.url()));
    let selected = select(&client, "demo", "==1.0").await.unwrap();
    let err = client
        .download_wheel(&selected, &dir.path().join("dest3"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Download { .. }), "{err:?}");
    assert_eq!(server.count(wheel), 4);
}
