//! The index provider: metadata by PEP 658 file or by whole wheel, fetched
//! from `IndexServer`, and the resolver's rules on index data.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, Requirement};
use platform_tags::Tags;
use puffin_cache::Cache;
use puffin_client::{IndexLocations, RegistryClientBuilder};
use puffin_resolver::{IndexProvider, Resolution, ResolveError, ResolverOptions, RootRequirement};
use puffin_test_support::{IndexServer, IndexServerOptions, PageFormat, WheelBuilder};
use url::Url;

fn markers() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.4",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: "3.11.4",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .unwrap()
}

fn tags() -> Tags {
    Tags::new(vec![(
        "py3".to_string(),
        "none".to_string(),
        "any".to_string(),
    )])
}

/// The diamond `a -> b, c -> d` with `d` 1.0, 1.5 and 2.0.
fn diamond(dir: &Path) {
    WheelBuilder::new("a", "1.0")
        .requires("b")
        .requires("c")
        .build(dir);
    WheelBuilder::new("b", "1.0").requires("d>=1.0").build(dir);
    WheelBuilder::new("c", "1.0").requires("d<2").build(dir);
    for version in ["1.0", "1.5", "2.0"] {
        WheelBuilder::new("d", version).build(dir);
    }
}

async fn resolve(
    server: &IndexServer,
    cache: &Path,
    lines: &[&str],
) -> Result<Resolution, ResolveError> {
    let client = RegistryClientBuilder::new(Cache::from_path(cache))
        .index_locations(IndexLocations::from_index(
            Url::parse(&server.url()).unwrap(),
        ))
        .retries(1, Duration::from_millis(1))
        .env(|_| None)
        .build()
        .unwrap();
    let provider = IndexProvider::new(Arc::new(client), tags(), markers());
    let requirements = lines
        .iter()
        .map(|line| RootRequirement {
            requirement: Requirement::from_str(line).unwrap(),
            source: "-r requirements.in".to_string(),
        })
        .collect();
    provider
        .resolve(requirements, ResolverOptions::new(markers()))
        .await
}

fn pins(resolution: &Resolution) -> Vec<String> {
    resolution
        .packages
        .iter()
        .map(|(name, package)| format!("{name}=={}", package.version))
        .collect()
}

fn wheel_downloads(server: &IndexServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.contains(".whl ") && r.starts_with("GET /files/"))
        .count()
}

/// Without PEP 658 files, each chosen version's wheel is downloaded once
/// into the wheel store; a second resolution reads the store, not the network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_from_whole_wheels() {
    let wheels = tempfile::tempdir().unwrap();
    diamond(wheels.path());
    let server = IndexServer::start(IndexServerOptions::new(wheels.path()));
    let cache = tempfile::tempdir().unwrap();
    let resolution = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.5"]);
    assert!(wheel_downloads(&server) >= 4);
    assert!(cache.path().join("wheels-v1").join("d").is_dir());
    assert_eq!(server.count("/files/d-1.5-py3-none-any.whl"), 1);

    server.clear_requests();
    let again = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&again), pins(&resolution));
    assert_eq!(wheel_downloads(&server), 0, "{:?}", server.requests());
}

/// With PEP 658 / 714 metadata files (JSON and HTML pages), no wheel is
/// downloaded, and a second resolution reads the metadata cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_from_core_metadata_files() {
    for format in [PageFormat::Json, PageFormat::Html] {
        let wheels = tempfile::tempdir().unwrap();
        diamond(wheels.path());
        let mut options = IndexServerOptions::new(wheels.path());
        options.core_metadata = true;
        options.format = format;
        let server = IndexServer::start(options);
        let cache = tempfile::tempdir().unwrap();
        let resolution = resolve(&server, cache.path(), &["a"]).await.unwrap();
        assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.5"]);
        assert_eq!(wheel_downloads(&server), 0, "{:?}", server.requests());
        assert_eq!(server.count("/files/d-1.5-py3-none-any.whl.metadata"), 1);

        server.clear_requests();
        resolve(&server, cache.path(), &["a"]).await.unwrap();
        let metadata_requests = server
            .requests()
            .iter()
            .filter(|r| r.contains(".metadata"))
            .count();
        assert_eq!(metadata_requests, 0, "{:?}", server.requests());
    }
}

/// Yanked files and `Requires-Python` from the page exclude versions, and
/// every file's hash of the chosen version is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_data_excludes_versions() {
    let wheels = tempfile::tempdir().unwrap();
    for version in ["1.0", "2.0", "3.0"] {
        WheelBuilder::new("a", version).build(wheels.path());
    }
    WheelBuilder::new("a", "1.0")
        .tag("py311-none-any")
        .build(wheels.path());
    let mut options = IndexServerOptions::new(wheels.path());
    options
        .yanked
        .insert("a-3.0-py3-none-any.whl".to_string(), String::new());
    options
        .requires_python
        .insert("a-2.0-py3-none-any.whl".to_string(), ">=3.12".to_string());
    let server = IndexServer::start(options);
    let cache = tempfile::tempdir().unwrap();
    let resolution = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&resolution), ["a==1.0"]);
    let a = resolution.packages.values().next().unwrap();
    assert_eq!(a.hashes.len(), 2, "{:?}", a.hashes);
    let pinned = resolve(&server, cache.path(), &["a==3.0"]).await.unwrap();
    assert_eq!(pins(&pinned), ["a==3.0"]);
}

/// A project the index does not have fails with an explanation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_project() {
    let wheels = tempfile::tempdir().unwrap();
    WheelBuilder::new("a", "1.0")
        .requires("missing>=1")
        .build(wheels.path());
    let server = IndexServer::start(IndexServerOptions::new(wheels.path()));
    let cache = tempfile::tempdir().unwrap();
    let err = resolve(&server, cache.path(), &["a"]).await.unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because a depends on missing>=1 and you require a, the requirements are unsatisfiable.
    No index has the project `missing`.
    ");
}
