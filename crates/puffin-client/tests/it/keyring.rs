//! `--keyring-provider subprocess`: after a 401, the `keyring` command (a
//! script the test writes, found on the `PATH` given to the client) is asked
//! once per host.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use puffin_client::{ClientError, KeyringProvider};
use puffin_test_support::{IndexServer, IndexServerOptions};

use crate::{index, select, wheels};

/// Write a `keyring` script into `dir` that logs its arguments to
/// `dir/calls.log` and runs `body` (sh).
fn fake_keyring(dir: &Path, body: &str) -> PathBuf {
    let log = dir.join("calls.log");
    let script = dir.join("keyring");
    fs_err::write(
        &script,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n{body}\n", log.display()),
    )
    .unwrap();
    fs_err::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    log
}

fn calls(log: &Path) -> Vec<String> {
    fs_err::read_to_string(log)
        .map(|text| text.lines().map(ToString::to_string).collect())
        .unwrap_or_default()
}

fn auth_server(dir: &Path) -> IndexServer {
    fs_err::create_dir_all(dir).unwrap();
    wheels(dir, &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir);
    options.basic_auth = Some(("user".to_string(), "s3cret".to_string()));
    IndexServer::start(options)
}

/// A client of `index_url` with the keyring provider and `bin` as `PATH`.
fn client_with_keyring(
    cache: &Path,
    index_url: &str,
    provider: KeyringProvider,
    bin: &Path,
) -> puffin_client::RegistryClient {
    let mut locations = index(index_url);
    locations.network.keyring_provider = provider;
    let path = bin.display().to_string();
    crate::builder(cache, locations)
        .env(move |key| (key == "PATH").then(|| path.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn keyring_is_asked_once_per_host_after_a_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = auth_server(&dir.path().join("wheels"));
    let bin = dir.path().join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    // pip's protocol: `--mode=creds --output=json get <service> [<user>]`;
    // this keyring knows the index URL only.
    let log = fake_keyring(
        &bin,
        &format!(
            "if [ \"$1 $2 $3 $4\" = \"--mode=creds --output=json get {}\" ]; then\n  echo '{{\"username\": \"user\", \"password\": \"s3cret\"}}'\n  exit 0\nfi\nexit 1",
            server.url()
        ),
    );
    let client = client_with_keyring(
        &dir.path().join("cache"),
        &server.url(),
        KeyringProvider::Subprocess,
        &bin,
    );
    // Two requests: the page, then the file.
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    client
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap();
    assert_eq!(
        calls(&log),
        [format!("--mode=creds --output=json get {}", server.url())]
    );
    // The page was asked without credentials, then with the keyring's; the
    // file with them at once.
    let log_lines: Vec<(String, bool, u16)> = server
        .request_log()
        .into_iter()
        .map(|r| (r.path, r.authorized, r.status))
        .collect();
    assert_eq!(
        log_lines,
        [
            ("/simple/foo/".to_string(), false, 401),
            ("/simple/foo/".to_string(), true, 200),
            ("/files/foo-1.0-py3-none-any.whl".to_string(), true, 200),
        ]
    );
}

#[tokio::test]
async fn keyring_is_asked_for_the_host_with_the_user_of_the_index_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = auth_server(&dir.path().join("wheels"));
    let bin = dir.path().join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    let netloc = server.base_url().replace("http://", "");
    // A keyring that knows the host only, for `user`.
    let log = fake_keyring(
        &bin,
        &format!(
            "if [ \"$4 $5\" = \"{netloc} user\" ]; then\n  echo '{{\"username\": \"user\", \"password\": \"s3cret\"}}'\n  exit 0\nfi\nexit 1"
        ),
    );
    let with_user = server.url().replace("://", "://user@");
    let client = client_with_keyring(
        &dir.path().join("cache"),
        &with_user,
        KeyringProvider::Subprocess,
        &bin,
    );
    select(&client, "foo", "==1.0").await.unwrap();
    assert_eq!(
        calls(&log),
        [
            format!("--mode=creds --output=json get {} user", server.url()),
            format!("--mode=creds --output=json get {netloc} user"),
        ]
    );
}

#[tokio::test]
async fn an_old_keyring_is_asked_for_the_password_of_a_known_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = auth_server(&dir.path().join("wheels"));
    let bin = dir.path().join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    // keyring before 25.2.1: no `--mode`; `get <service> <user>` prints the password.
    let log = fake_keyring(
        &bin,
        "if [ \"$1\" = \"--mode=creds\" ]; then\n  echo 'keyring: error: unrecognized arguments: --mode=creds' >&2\n  exit 2\nfi\necho s3cret",
    );
    let with_user = server.url().replace("://", "://user@");
    let client = client_with_keyring(
        &dir.path().join("cache"),
        &with_user,
        KeyringProvider::Subprocess,
        &bin,
    );
    select(&client, "foo", "==1.0").await.unwrap();
    assert_eq!(
        calls(&log),
        [
            format!("--mode=creds --output=json get {} user", server.url()),
            format!("get {} user", server.url()),
        ]
    );
}

#[tokio::test]
async fn disabled_keyring_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = auth_server(&dir.path().join("wheels"));
    let bin = dir.path().join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    let log = fake_keyring(
        &bin,
        "echo '{\"username\": \"user\", \"password\": \"s3cret\"}'",
    );
    let client = client_with_keyring(
        &dir.path().join("cache"),
        &server.url(),
        KeyringProvider::Disabled,
        &bin,
    );
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 401, .. }),
        "{err}"
    );
    assert!(calls(&log).is_empty());

    // Enabled, but the keyring has nothing: the 401 stands, and a second
    // request does not ask again.
    let log = fake_keyring(&bin, "exit 1");
    let client = client_with_keyring(
        &dir.path().join("cache2"),
        &server.url(),
        KeyringProvider::Subprocess,
        &bin,
    );
    for _ in 0..2 {
        let err = select(&client, "foo", "==1.0").await.unwrap_err();
        assert!(
            matches!(err, ClientError::Status { status: 401, .. }),
            "{err}"
        );
    }
    assert_eq!(calls(&log).len(), 2, "the index URL, then the host, once");
}
