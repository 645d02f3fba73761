//! What the index tests share: the target environment, clients for a test
//! server or local directories, and reading resolutions.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, Requirement};
use platform_tags::Tags;
use puffin_cache::Cache;
use puffin_client::{IndexLocations, RegistryClient, RegistryClientBuilder};
use puffin_resolver::{IndexProvider, Resolution, ResolveError, ResolverOptions, RootRequirement};
use puffin_test_support::{IndexServer, WheelBuilder};
use url::Url;

/// CPython 3.11.4 on x86-64 Linux.
pub(crate) fn markers() -> MarkerEnvironment {
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

pub(crate) fn tags() -> Tags {
    Tags::new(vec![(
        "py3".to_string(),
        "none".to_string(),
        "any".to_string(),
    )])
}

/// The diamond `a -> b, c -> d` with `d` 1.0, 1.5 and 2.0.
pub(crate) fn diamond(dir: &Path) {
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

/// A client for `locations` with its cache in `cache`.
pub(crate) fn client(locations: IndexLocations, cache: &Path) -> Arc<RegistryClient> {
    let client = RegistryClientBuilder::new(Cache::from_path(cache))
        .index_locations(locations)
        .retries(1, Duration::from_millis(1))
        .env(|_| None)
        .build()
        .unwrap();
    Arc::new(client)
}

/// A client for the test server's index.
pub(crate) fn server_client(server: &IndexServer, cache: &Path) -> Arc<RegistryClient> {
    client(
        IndexLocations::from_index(Url::parse(&server.url()).unwrap()),
        cache,
    )
}

/// Requirements from `requirements.in` lines.
pub(crate) fn requirements(lines: &[&str], source: &str) -> Vec<RootRequirement> {
    lines
        .iter()
        .map(|line| RootRequirement {
            requirement: Requirement::from_str(line).unwrap(),
            source: source.to_string(),
        })
        .collect()
}

/// Resolve `lines` against the server's index, with default options.
pub(crate) async fn resolve(
    server: &IndexServer,
    cache: &Path,
    lines: &[&str],
) -> Result<Resolution, ResolveError> {
    let provider = IndexProvider::new(server_client(server, cache), tags(), markers());
    provider
        .resolve(
            requirements(lines, "-r requirements.in"),
            ResolverOptions::new(markers()),
        )
        .await
}

/// `name==version` lines.
pub(crate) fn pins(resolution: &Resolution) -> Vec<String> {
    resolution
        .packages
        .iter()
        .map(|(name, package)| format!("{name}=={}", package.version))
        .collect()
}

/// Requests for whole wheels (no `Range` header).
pub(crate) fn wheel_downloads(server: &IndexServer) -> usize {
    server
        .request_log()
        .iter()
        .filter(|r| r.path.starts_with("/files/") && r.path.ends_with(".whl") && r.range.is_none())
        .count()
}

/// Range requests for wheels, by status.
pub(crate) fn range_requests(server: &IndexServer, status: u16) -> usize {
    server
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with(".whl") && r.range.is_some() && r.status == status)
        .count()
}
