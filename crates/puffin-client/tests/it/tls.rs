//! HTTPS with a CA that only `SSL_CERT_FILE` makes trusted.
//!
//! The client reads `SSL_CERT_FILE` from the process environment, which tests
//! must not change while others run: the test re-runs itself in a child
//! process with the variable set.

use std::process::Command;

use puffin_client::RegistryClientBuilder;
use puffin_test_support::{IndexServer, IndexServerOptions};

use crate::{index, select, wheels};

const CHILD_ENV: &str = "PUFFIN_CLIENT_TLS_TEST_INDEX";

#[test]
fn tls_index_trusted_through_ssl_cert_file() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        // The child: the process environment has `SSL_CERT_FILE`.
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let client = RegistryClientBuilder::new(puffin_cache::Cache::from_path(dir.path()))
                .index_locations(index(&url))
                .build()
                .unwrap();
            let selected = select(&client, "foo", "==1.0").await.unwrap();
            client
                .download_wheel(&selected, &dir.path().join("dest"), &[])
                .await
                .unwrap();
        });
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.tls = true;
    let server = IndexServer::start(options);
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let ca = server.ca_cert_path().unwrap();

    let run_child = |ssl_cert_file: Option<&std::path::Path>| {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "tls::tls_index_trusted_through_ssl_cert_file",
                "--nocapture",
            ])
            .env(CHILD_ENV, server.url())
            .env_remove("SSL_CERT_DIR")
            .env_remove("SSL_CERT_FILE");
        if let Some(file) = ssl_cert_file {
            command.env("SSL_CERT_FILE", file);
        }
        command.output().unwrap()
    };

    let output = run_child(Some(ca));
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.count("/files/foo-1.0-py3-none-any.whl"), 1);

    // Without the CA the certificate is rejected.
    let output = run_child(None);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("UntrustedCertificate"), "{stderr}");
}

#[tokio::test]
async fn untrusted_certificate_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.tls = true;
    let server = IndexServer::start(options);
    let client = crate::client(&dir.path().join("cache"), index(&server.url()));
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    let message = err.to_string().replace(&server.url(), "[INDEX]/");
    insta::assert_snapshot!(message, @"The TLS certificate of `[INDEX]/foo/` is not trusted. If a proxy inspects TLS traffic, add its CA certificate with `--cert <file.pem>` or `SSL_CERT_FILE=<file.pem>` (or `SSL_CERT_DIR`)");
}

#[tokio::test]
async fn tls_index_trusted_through_an_explicit_certificate() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.tls = true;
    let server = IndexServer::start(options);
    let client = crate::builder(&dir.path().join("cache"), index(&server.url()))
        .extra_root_certificates(vec![server.ca_cert_path().unwrap().to_path_buf()])
        .build()
        .unwrap();
    select(&client, "foo", "==1.0").await.unwrap();
}
