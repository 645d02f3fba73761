//! Proxies come from `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY`
//! (and their lowercase forms). The client reads them from the process
//! environment, so each test re-runs itself in a child process with them
//! set, while the parent runs the index and a proxy written here: an https
//! index is reached through a `CONNECT` tunnel, an http one through a
//! forward proxy.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

use puffin_client::RegistryClientBuilder;
use puffin_test_support::{IndexServer, IndexServerOptions};
use url::Url;

use crate::{index, select, wheels};

const CHILD_ENV: &str = "PUFFIN_CLIENT_PROXY_TEST";

/// An index whose host does not exist: only a proxy can answer for it.
const UNREACHABLE_INDEX: &str = "http://index.invalid/simple/";

#[test]
fn requests_go_through_http_proxy() {
    if std::env::var_os(CHILD_ENV).is_some() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let client = RegistryClientBuilder::new(puffin_cache::Cache::from_path(dir.path()))
                .index_locations(index(UNREACHABLE_INDEX))
                .retries(0, std::time::Duration::ZERO)
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
    // The index server answers by path, so it serves as a forward proxy too.
    let proxy = IndexServer::start(IndexServerOptions::new(dir.path()));
    let run_child = |no_proxy: Option<&str>| {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", "proxy::requests_go_through_http_proxy"])
            .env(CHILD_ENV, "1")
            .env("HTTP_PROXY", proxy.base_url())
            .env_remove("http_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy");
        if let Some(no_proxy) = no_proxy {
            command.env("NO_PROXY", no_proxy);
        }
        command.output().unwrap()
    };

    let output = run_child(None);
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        proxy.requests(),
        [
            "GET /simple/foo/ 200",
            "GET /files/foo-1.0-py3-none-any.whl 200"
        ]
    );

    // `NO_PROXY` sends the requests directly, which fails for this host.
    proxy.clear_requests();
    let output = run_child(Some("index.invalid"));
    assert!(!output.status.success());
    assert!(proxy.requests().is_empty());
}

/// A proxy on 127.0.0.1 that records each request's first line: `CONNECT
/// host:port` is answered 200 and the bytes are spliced both ways (an https
/// tunnel); any other request (absolute-form `GET http://...`) is sent as it
/// came to the host it names, and the bytes spliced.
struct TestProxy {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = Self::serve(stream, &log);
                });
            }
        });
        Self { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn serve(mut client: TcpStream, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
        // Read the request head.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if client.read(&mut byte)? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let first = text.lines().next().unwrap_or_default().to_string();
        log.lock().unwrap().push(first.clone());
        let mut parts = first.split_whitespace();
        let method = parts.next().unwrap_or_default();
        let target = parts.next().unwrap_or_default();
        let mut upstream = if method == "CONNECT" {
            let upstream = TcpStream::connect(target)?;
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
            upstream
        } else {
            let url = Url::parse(target).map_err(std::io::Error::other)?;
            let authority = format!(
                "{}:{}",
                url.host_str().unwrap_or_default(),
                url.port_or_known_default().unwrap_or(80)
            );
            let mut upstream = TcpStream::connect(authority)?;
            upstream.write_all(&head)?;
            upstream
        };
        let mut client_read = client.try_clone()?;
        let mut upstream_write = upstream.try_clone()?;
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut client_read, &mut upstream_write);
            let _ = upstream_write.shutdown(std::net::Shutdown::Write);
        });
        std::io::copy(&mut upstream, &mut client)?;
        let _ = client.shutdown(std::net::Shutdown::Write);
        Ok(())
    }
}

const TUNNEL_CHILD_ENV: &str = "PUFFIN_CLIENT_TUNNEL_TEST";

/// Run the test `name` of this binary in a child process with `vars`, and
/// every proxy variable removed unless `vars` sets it.
fn run_child(name: &str, vars: &[(&str, String)]) -> std::process::Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--nocapture"]);
    for key in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ] {
        command.env_remove(key);
    }
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn assert_success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// In the child: select and download `foo` from the index in
/// `PUFFIN_CLIENT_TUNNEL_TEST` (whose CA is `SSL_CERT_FILE`, read from the
/// process environment as usual).
fn child_downloads_foo(index_url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let client = RegistryClientBuilder::new(puffin_cache::Cache::from_path(dir.path()))
            .index_locations(index(index_url))
            .retries(0, std::time::Duration::ZERO)
            .build()
            .unwrap();
        let selected = select(&client, "foo", "==1.0").await.unwrap();
        client
            .download_wheel(&selected, &dir.path().join("dest"), &[])
            .await
            .unwrap();
    });
}

#[test]
fn https_index_through_a_connect_proxy() {
    if let Ok(url) = std::env::var(TUNNEL_CHILD_ENV) {
        child_downloads_foo(&url);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let mut options = IndexServerOptions::new(dir.path());
    options.tls = true;
    let server = IndexServer::start(options);
    let authority = server.base_url().replace("https://", "");
    let proxy = TestProxy::start();
    let name = "proxy::https_index_through_a_connect_proxy";
    let base = vec![
        (TUNNEL_CHILD_ENV, server.url()),
        (
            "SSL_CERT_FILE",
            server.ca_cert_path().unwrap().display().to_string(),
        ),
    ];

    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        let mut vars = base.clone();
        vars.push((variable, proxy.url()));
        let before = proxy.seen().len();
        assert_success(&run_child(name, &vars));
        let seen = proxy.seen()[before..].to_vec();
        assert!(!seen.is_empty(), "{variable}");
        assert!(
            seen.iter()
                .all(|line| *line == format!("CONNECT {authority} HTTP/1.1")),
            "{variable}: {seen:?}"
        );
    }
    assert_eq!(server.count("/files/foo-1.0-py3-none-any.whl"), 3);

    // `NO_PROXY` sends the requests directly.
    let before = proxy.seen().len();
    let mut vars = base.clone();
    vars.push(("HTTPS_PROXY", proxy.url()));
    vars.push(("NO_PROXY", "127.0.0.1".to_string()));
    assert_success(&run_child(name, &vars));
    assert_eq!(proxy.seen().len(), before);
    assert_eq!(server.count("/files/foo-1.0-py3-none-any.whl"), 4);
}

#[test]
fn http_index_through_a_forward_proxy() {
    if let Ok(url) = std::env::var(TUNNEL_CHILD_ENV) {
        child_downloads_foo(&url);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    wheels(dir.path(), &[("foo", "1.0")]);
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let proxy = TestProxy::start();
    let name = "proxy::http_index_through_a_forward_proxy";
    let vars = [
        (TUNNEL_CHILD_ENV, server.url()),
        ("http_proxy", proxy.url()),
    ];
    assert_success(&run_child(name, &vars));
    // The first request opens the connection (the file may follow on it).
    assert_eq!(
        proxy.seen().first(),
        Some(&format!("GET {}foo/ HTTP/1.1", server.url()))
    );
    let seen = proxy.seen().len();
    assert_eq!(
        server.requests(),
        [
            "GET /simple/foo/ 200",
            "GET /files/foo-1.0-py3-none-any.whl 200"
        ]
    );

    // `no_proxy` with the host bypasses the proxy (reqwest matches host
    // names, IP addresses and networks, not ports).
    let vars = [
        (TUNNEL_CHILD_ENV, server.url()),
        ("http_proxy", proxy.url()),
        ("no_proxy", "localhost,127.0.0.0/8".to_string()),
    ];
    assert_success(&run_child(name, &vars));
    assert_eq!(proxy.seen().len(), seen);
    assert_eq!(server.requests().len(), 4);
}
