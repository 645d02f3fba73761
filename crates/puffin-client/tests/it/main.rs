//! Integration tests of the registry client against index servers on 127.0.0.1.

mod bounds;
mod download;
mod find_links;
mod http_cache;
mod index;
mod keyring;
mod metadata;
mod proxy;
mod source;
mod tls;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use distribution_filename::PackageName;
use pep440_rs::{Version, VersionSpecifiers};
use platform_tags::Tags;
use puffin_cache::Cache;
use puffin_client::{
    ClientError, IndexLocations, RegistryClient, RegistryClientBuilder, SelectedWheel,
};
use puffin_test_support::WheelBuilder;
use url::Url;

/// The tags of a CPython 3.11 on manylinux x86_64 (a short list).
pub(crate) fn tags() -> Tags {
    Tags::new(
        [
            ("cp311", "cp311", "manylinux_2_17_x86_64"),
            ("cp311", "abi3", "manylinux_2_17_x86_64"),
            ("cp311", "none", "manylinux_2_17_x86_64"),
            ("py3", "none", "manylinux_2_17_x86_64"),
            ("cp311", "none", "any"),
            ("py3", "none", "any"),
        ]
        .into_iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect(),
    )
}

pub(crate) fn python() -> Version {
    Version::from_str("3.11.4").unwrap()
}

pub(crate) fn name(name: &str) -> PackageName {
    PackageName::new(name).unwrap()
}

pub(crate) fn spec(specifiers: &str) -> VersionSpecifiers {
    VersionSpecifiers::from_str(specifiers).unwrap()
}

/// Build pure wheels `name-version-py3-none-any.whl` into `dir`.
pub(crate) fn wheels(dir: &Path, wheels: &[(&str, &str)]) {
    for (name, version) in wheels {
        WheelBuilder::new(name, version)
            .file(
                &format!("{name}/__init__.py"),
                format!("VERSION = '{version}'\n"),
            )
            .build(dir);
    }
}

/// A client with an empty environment (no netrc, no extra CAs), fast retries
/// and its own cache.
pub(crate) fn client(cache: &Path, locations: IndexLocations) -> RegistryClient {
    builder(cache, locations).build().unwrap()
}

pub(crate) fn builder(cache: &Path, locations: IndexLocations) -> RegistryClientBuilder {
    RegistryClientBuilder::new(Cache::from_path(cache))
        .index_locations(locations)
        .retries(3, Duration::from_millis(1))
        .env(|_| None)
}

pub(crate) fn index(url: &str) -> IndexLocations {
    IndexLocations::from_index(Url::parse(url).unwrap())
}

pub(crate) async fn select(
    client: &RegistryClient,
    package: &str,
    specifiers: &str,
) -> Result<SelectedWheel, ClientError> {
    client
        .select_wheel(&name(package), &spec(specifiers), &tags(), &python())
        .await
}

/// Counts reporter calls.
#[derive(Default)]
pub(crate) struct CountingReporter {
    pub(crate) started: std::sync::Mutex<Vec<(String, Option<u64>)>>,
    pub(crate) bytes: std::sync::atomic::AtomicU64,
    pub(crate) completed: std::sync::atomic::AtomicUsize,
}

impl puffin_client::Reporter for CountingReporter {
    fn on_download_start(&self, name: &str, size: Option<u64>) -> usize {
        let mut started = self.started.lock().unwrap();
        started.push((name.to_string(), size));
        started.len() - 1
    }

    fn on_download_progress(&self, _id: usize, bytes: u64) {
        self.bytes
            .fetch_add(bytes, std::sync::atomic::Ordering::SeqCst);
    }

    fn on_download_complete(&self, _id: usize) {
        self.completed
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub(crate) fn counting_reporter() -> Arc<CountingReporter> {
    Arc::new(CountingReporter::default())
}
