//! Proxies come from `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY`. The client
//! reads them from the process environment, so the test re-runs itself in a
//! child process with them set.

use std::process::Command;

use puffin_client::RegistryClientBuilder;
use puffin_test_support::{IndexServer, IndexServerOptions};

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
