//! `pip-sync` and `pip-compile` reach indexes with `--cert`,
//! `--client-cert`, `--trusted-host` (also from the requirements file and
//! `PIP_TRUSTED_HOST`) and `--keyring-provider subprocess`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use puffin_test_support::{IndexServer, IndexServerOptions};

use crate::common::TestContext;

fn tls_server(context: &TestContext, client_auth: bool) -> IndexServer {
    let mut options = IndexServerOptions::new(&context.wheels);
    options.tls = true;
    options.client_auth = client_auth;
    context.server_with(options)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn pip_sync_with_cert_and_client_cert() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = tls_server(&context, true);
    let requirements = context.requirements("demo==1.0\n");
    let ca = server.ca_cert_path().unwrap();
    let client_cert = server.client_cert_path().unwrap();

    // Without the client certificate the handshake fails.
    let output = context
        .pip_sync()
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .arg("--cert")
        .arg(ca)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(context.installed().is_empty());

    let output = context
        .pip_sync()
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .arg("--cert")
        .arg(ca)
        .arg("--client-cert")
        .arg(client_cert)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// A sync of direct URLs only needs no index, but still reaches their host
/// with `--cert`: without it the TLS handshake fails, with it the wheel is
/// installed.
#[test]
fn pip_sync_direct_url_with_cert_and_no_index() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = tls_server(&context, false);
    let url = format!("{}/files/demo-1.0-py3-none-any.whl", server.base_url());
    let requirements = context.requirements(&format!("demo @ {url}\n"));
    let output = context.pip_sync().arg(&requirements).output().unwrap();
    assert!(!output.status.success(), "{}", stderr(&output));
    assert!(context.installed().is_empty());
    let output = context
        .pip_sync()
        .arg(&requirements)
        .arg("--cert")
        .arg(server.ca_cert_path().unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(context.installed(), ["demo==1.0"]);
}

#[test]
fn pip_sync_trusts_a_host_from_the_requirements_file_or_pip_env() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = tls_server(&context, false);
    let host = server.base_url().replace("https://", "");

    // Not trusted: the certificate is refused and the message says what to do.
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync()
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not trusted"),
        "{}",
        stderr(&output)
    );

    // `PIP_TRUSTED_HOST`.
    let output = context
        .pip_sync()
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .env("PIP_TRUSTED_HOST", &host)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(context.installed(), ["demo==1.0"]);

    // The requirements file's `--trusted-host`, with `--index-url` there too.
    context.wheel("demo", "2.0");
    let requirements = context.requirements(&format!(
        "--index-url {}\n--trusted-host {host}\ndemo==2.0\n",
        server.url()
    ));
    let output = context.pip_sync().arg(&requirements).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(context.installed(), ["demo==2.0"]);
}

#[test]
fn pip_sync_asks_the_keyring_after_a_401() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let mut options = IndexServerOptions::new(&context.wheels);
    options.basic_auth = Some(("user".to_string(), "s3cret".to_string()));
    let server = context.server_with(options);
    let bin = context.root.join("bin");
    fs_err::create_dir_all(&bin).unwrap();
    let log = context.root.join("keyring.log");
    write_keyring(&bin, &log);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let requirements = context.requirements("demo==1.0\n");

    // Disabled by default: the 401 is an error, and the keyring never runs.
    let output = context
        .pip_sync()
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(!log.exists());

    let output = context
        .pip_sync()
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .args(["--keyring-provider", "subprocess"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(context.installed(), ["demo==1.0"]);
    let calls = fs_err::read_to_string(&log).unwrap();
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [format!("--mode=creds --output=json get {}", server.url())]
    );
}

/// A `keyring` command that prints the test server's credentials.
fn write_keyring(bin: &Path, log: &Path) {
    let script = bin.join("keyring");
    fs_err::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\necho '{{\"username\": \"user\", \"password\": \"s3cret\"}}'\n",
            log.display()
        ),
    )
    .unwrap();
    fs_err::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn pip_compile_with_cert() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = tls_server(&context, false);
    let input = context.write("requirements.in", "demo\n");
    let output = context
        .command("pip-compile")
        .arg(&input)
        .args(["--index-url", &server.url(), "-o", "-"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let output = context
        .command("pip-compile")
        .arg(&input)
        .args(["--index-url", &server.url(), "-o", "-"])
        .arg("--cert")
        .arg(server.ca_cert_path().unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("demo==1.0"));
}
