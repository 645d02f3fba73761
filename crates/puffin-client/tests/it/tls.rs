//! HTTPS with a CA that only `SSL_CERT_FILE` or `--cert` makes trusted, a
//! server that requires a client certificate, and trusted hosts.
//!
//! The client reads `SSL_CERT_FILE` from the process environment, which tests
//! must not change while others run: the test re-runs itself in a child
//! process with the variable set.

use std::path::Path;
use std::process::Command;

use puffin_client::{ClientError, IndexArgs, IndexLocations, NetworkArgs, RegistryClientBuilder};
use puffin_test_support::{IndexServer, IndexServerOptions};
use url::Url;

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

/// An environment with only `vars`, and pip's configuration files disabled
/// unless `vars` names one.
fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let mut vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    vars.entry("PIP_CONFIG_FILE".to_string())
        .or_insert_with(|| "/dev/null".to_string());
    move |key| vars.get(key).cloned()
}

/// The locations of `server`'s index with network options from `cli` and `env`.
fn locations(
    server: &IndexServer,
    cli: NetworkArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> IndexLocations {
    let args = IndexArgs {
        index_url: Some(server.url()),
        network: cli,
        ..IndexArgs::default()
    };
    IndexLocations::discover(&args, &IndexArgs::default(), env, None).unwrap()
}

fn tls_server(dir: &Path, client_auth: bool) -> IndexServer {
    let mut options = IndexServerOptions::new(dir);
    options.tls = true;
    options.client_auth = client_auth;
    IndexServer::start(options)
}

#[tokio::test]
async fn cert_from_the_command_line_the_environment_or_pip_config() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let server = tls_server(dir.path(), false);
    let ca = server.ca_cert_path().unwrap().to_path_buf();
    let config = dir.path().join("pip.conf");
    fs_err::write(&config, format!("[global]\ncert = {}\n", ca.display())).unwrap();

    let none = NetworkArgs::default();
    let cli = NetworkArgs {
        cert: Some(ca.clone()),
        ..NetworkArgs::default()
    };
    let ca_text = ca.display().to_string();
    let config_text = config.display().to_string();
    type Case<'a> = (&'a str, &'a NetworkArgs, Vec<(&'a str, String)>);
    let cases: [Case<'_>; 3] = [
        ("--cert", &cli, vec![]),
        ("PIP_CERT", &none, vec![("PIP_CERT", ca_text.clone())]),
        ("pip.conf", &none, vec![("PIP_CONFIG_FILE", config_text)]),
    ];
    for (i, (source, cli, vars)) in cases.into_iter().enumerate() {
        let found = locations(&server, cli.clone(), &env_of(&vars));
        assert_eq!(found.network.certs, std::slice::from_ref(&ca), "{source}");
        let client = crate::client(&dir.path().join(format!("cache{i}")), found);
        select(&client, "foo", "==1.0").await.expect(source);
    }

    // Without any, the certificate is refused.
    let found = locations(&server, none.clone(), &env_of(&[]));
    let client = crate::client(&dir.path().join("cache-none"), found);
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(
        matches!(err, ClientError::UntrustedCertificate { .. }),
        "{err}"
    );

    // The command line wins over the environment: a bundle without
    // certificates named there is an error naming it.
    let empty = dir.path().join("empty.pem");
    fs_err::write(&empty, "no certificates\n").unwrap();
    let cli = NetworkArgs {
        cert: Some(empty.clone()),
        ..NetworkArgs::default()
    };
    let found = locations(&server, cli, &env_of(&[("PIP_CERT", ca_text)]));
    let err = crate::builder(&dir.path().join("cache-empty"), found)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::CaBundle { path, .. } if *path == empty),
        "{err}"
    );
}

#[tokio::test]
async fn client_certificate_for_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let server = tls_server(dir.path(), true);
    let ca = server.ca_cert_path().unwrap().to_path_buf();
    let client_cert = server.client_cert_path().unwrap().to_path_buf();

    let with = NetworkArgs {
        cert: Some(ca.clone()),
        client_cert: Some(client_cert.clone()),
        ..NetworkArgs::default()
    };
    let client = crate::client(
        &dir.path().join("cache"),
        locations(&server, with, &env_of(&[])),
    );
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    client
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap();
    assert_eq!(server.count("/files/foo-1.0-py3-none-any.whl"), 1);

    // From pip's environment variable too.
    let env = env_of(&[("PIP_CLIENT_CERT", client_cert.display().to_string())]);
    let found = locations(
        &server,
        NetworkArgs {
            cert: Some(ca.clone()),
            ..NetworkArgs::default()
        },
        &env,
    );
    assert_eq!(
        found.network.client_cert.as_deref(),
        Some(client_cert.as_path())
    );
    let client = crate::client(&dir.path().join("cache-env"), found);
    select(&client, "foo", "==1.0").await.unwrap();

    // Without a client certificate the handshake fails.
    server.clear_requests();
    let without = NetworkArgs {
        cert: Some(ca),
        ..NetworkArgs::default()
    };
    let client = crate::client(
        &dir.path().join("cache2"),
        locations(&server, without, &env_of(&[])),
    );
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(matches!(err, ClientError::Request { .. }), "{err:?}");
    assert!(server.requests().is_empty());

    // A file without a key is refused before any request.
    let no_key = NetworkArgs {
        client_cert: Some(server.ca_cert_path().unwrap().to_path_buf()),
        ..NetworkArgs::default()
    };
    let err = crate::builder(
        &dir.path().join("cache3"),
        locations(&server, no_key, &env_of(&[])),
    )
    .build()
    .unwrap_err();
    assert!(
        matches!(err, ClientError::ClientCertificate { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn trusted_host_skips_verification_for_that_host_only() {
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    // Two servers whose CA nobody trusts.
    let trusted = tls_server(dir.path(), false);
    let other = tls_server(dir.path(), false);
    let trusted_port = Url::parse(&trusted.url()).unwrap().port().unwrap();
    let cli = NetworkArgs {
        trusted_hosts: vec![format!("127.0.0.1:{trusted_port}")],
        ..NetworkArgs::default()
    };

    let client = crate::client(
        &dir.path().join("cache"),
        locations(&trusted, cli.clone(), &env_of(&[])),
    );
    let selected = select(&client, "foo", "==1.0").await.unwrap();
    client
        .download_wheel(&selected, &dir.path().join("dest"), &[])
        .await
        .unwrap();

    // The same host on another port is still verified.
    let client = crate::client(
        &dir.path().join("cache-other"),
        locations(&other, cli, &env_of(&[])),
    );
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(
        matches!(err, ClientError::UntrustedCertificate { .. }),
        "{err}"
    );

    // Another host name for the same server too.
    let by_name = NetworkArgs {
        trusted_hosts: vec!["localhost".to_string()],
        ..NetworkArgs::default()
    };
    let client = crate::client(
        &dir.path().join("cache-name"),
        locations(&trusted, by_name, &env_of(&[])),
    );
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(
        matches!(err, ClientError::UntrustedCertificate { .. }),
        "{err}"
    );

    // Without `--trusted-host` the certificate is refused; from
    // `PIP_TRUSTED_HOST` (space separated) it is trusted again.
    let client = crate::client(
        &dir.path().join("cache-none"),
        locations(&trusted, NetworkArgs::default(), &env_of(&[])),
    );
    let err = select(&client, "foo", "==1.0").await.unwrap_err();
    assert!(
        matches!(err, ClientError::UntrustedCertificate { .. }),
        "{err}"
    );
    let env = env_of(&[(
        "PIP_TRUSTED_HOST",
        format!("other.invalid 127.0.0.1:{trusted_port}"),
    )]);
    let client = crate::client(
        &dir.path().join("cache-env"),
        locations(&trusted, NetworkArgs::default(), &env),
    );
    select(&client, "foo", "==1.0").await.unwrap();
}

#[test]
fn trusted_hosts_from_every_layer_and_invalid_values() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pip.conf");
    fs_err::write(
        &config,
        "[global]\ntrusted-host =\n    conf1.invalid\n    conf2.invalid:8443\nkeyring-provider = subprocess\n",
    )
    .unwrap();
    let env = env_of(&[
        ("PIP_CONFIG_FILE", config.display().to_string()),
        ("PIP_TRUSTED_HOST", "env.invalid".to_string()),
    ]);
    let cli = IndexArgs {
        index_url: Some("https://index.invalid/simple/".to_string()),
        network: NetworkArgs {
            trusted_hosts: vec!["cli.invalid".to_string()],
            ..NetworkArgs::default()
        },
        ..IndexArgs::default()
    };
    let file = IndexArgs {
        network: NetworkArgs {
            trusted_hosts: vec!["file.invalid".to_string(), "cli.invalid".to_string()],
            ..NetworkArgs::default()
        },
        ..IndexArgs::default()
    };
    let found = IndexLocations::discover(&cli, &file, &env, None).unwrap();
    let hosts: Vec<String> = found
        .network
        .trusted_hosts
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        hosts,
        [
            "cli.invalid",
            "file.invalid",
            "env.invalid",
            "conf1.invalid",
            "conf2.invalid:8443"
        ]
    );
    assert_eq!(
        found.network.keyring_provider,
        puffin_client::KeyringProvider::Subprocess
    );

    let env = env_of(&[
        ("PIP_CONFIG_FILE", config.display().to_string()),
        ("PIP_KEYRING_PROVIDER", "import".to_string()),
    ]);
    let err = IndexLocations::discover(&cli, &file, &env, None).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"Invalid `keyring-provider` value `import` (from `PIP_KEYRING_PROVIDER`): `import` needs pip's own Python process; use `subprocess` (runs the `keyring` command) or `disabled`");
    let env = env_of(&[("PIP_TRUSTED_HOST", "bad:port".to_string())]);
    let err = IndexLocations::discover(&cli, &file, &env, None).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"Invalid `trusted-host` value `bad:port` (from `PIP_TRUSTED_HOST`): expected `HOST` or `HOST:PORT` (invalid port number)");
}
