//! Which files may be used (`FormatPolicy`), and the metadata of versions
//! that have only a source distribution, through a `SourceMetadata`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use distribution_filename::PackageName;
use pep440_rs::Version;
use puffin_client::{FormatPolicy, SelectedSource};
use puffin_resolver::{
    IndexProvider, Resolution, ResolveError, ResolverOptions, SourceMetadata, SourceMetadataFuture,
};
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

use crate::common::{markers, pins, requirements, server_client, tags};

/// Source builds that are not: fixed `Requires-Dist` per `name-version`,
/// and a count of the calls.
#[derive(Default)]
struct FakeBuilds {
    requires: HashMap<String, Vec<String>>,
    calls: AtomicUsize,
    built: std::sync::Mutex<Vec<String>>,
}

impl FakeBuilds {
    fn with(mut self, project: &str, requires: &[&str]) -> Self {
        self.requires.insert(
            project.to_string(),
            requires.iter().map(ToString::to_string).collect(),
        );
        self
    }
}

impl SourceMetadata for FakeBuilds {
    fn metadata<'a>(
        &'a self,
        name: &'a PackageName,
        version: &'a Version,
        sdist: &'a SelectedSource,
    ) -> SourceMetadataFuture<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.built.lock().unwrap().push(sdist.filename.to_string());
            let key = format!("{name}-{version}");
            let requires = self
                .requires
                .get(&key)
                .ok_or_else(|| format!("no fixture for {key}"))?;
            let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
            for requirement in requires {
                text.push_str(&format!("Requires-Dist: {requirement}\n"));
            }
            Ok(text.into_bytes())
        })
    }
}

/// A source distribution's bytes (never unpacked here: the fake reads
/// nothing).
fn sdist(dir: &Path, filename: &str) {
    fs_err::write(dir.join(filename), format!("not really {filename}")).unwrap();
}

/// `app` needs `e`; `e` 1.0 has a wheel and a source distribution, `e` 2.0
/// only a source distribution; `d` 1.0 and 2.0 have wheels.
fn projects(dir: &Path) {
    WheelBuilder::new("app", "1.0").requires("e").build(dir);
    WheelBuilder::new("e", "1.0").requires("d").build(dir);
    sdist(dir, "e-1.0.tar.gz");
    sdist(dir, "e-2.0.tar.gz");
    for version in ["1.0", "2.0"] {
        WheelBuilder::new("d", version).build(dir);
    }
}

fn fake() -> Arc<FakeBuilds> {
    Arc::new(
        FakeBuilds::default()
            .with("e-2.0", &["d<2"])
            .with("e-1.0", &["d"]),
    )
}

async fn resolve_with(
    server: &IndexServer,
    cache: &Path,
    lines: &[&str],
    policy: FormatPolicy,
    builds: Option<Arc<FakeBuilds>>,
) -> Result<Resolution, ResolveError> {
    let mut options = ResolverOptions::new(markers());
    options.format_policy = policy;
    let mut provider = IndexProvider::from_options(server_client(server, cache), tags(), &options);
    if let Some(builds) = builds {
        provider = provider.with_source_metadata(builds);
    }
    provider
        .resolve(requirements(lines, "-r requirements.in"), options)
        .await
}

/// With a `SourceMetadata`, the newer source-only version is chosen, built
/// once for its metadata; a second resolution (a new provider, the same
/// cache) reads the metadata cache, keyed by the archive's SHA-256.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_only_versions_are_built_for_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    projects(dir.path());
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let cache = tempfile::tempdir().unwrap();
    let builds = fake();
    let resolution = resolve_with(
        &server,
        cache.path(),
        &["app"],
        FormatPolicy::default(),
        Some(builds.clone()),
    )
    .await
    .unwrap();
    assert_eq!(pins(&resolution), ["app==1.0", "d==1.0", "e==2.0"]);
    assert_eq!(builds.calls.load(Ordering::SeqCst), 1);
    assert_eq!(*builds.built.lock().unwrap(), ["e-2.0.tar.gz"]);
    assert_eq!(server.count("/files/e-2.0.tar.gz"), 0);
    let e = &resolution.packages[&PackageName::new("e").unwrap()];
    assert_eq!(e.hashes.len(), 1, "{:?}", e.hashes);

    let again_builds = fake();
    let again = resolve_with(
        &server,
        cache.path(),
        &["app"],
        FormatPolicy::default(),
        Some(again_builds.clone()),
    )
    .await
    .unwrap();
    assert_eq!(pins(&again), pins(&resolution));
    assert_eq!(again_builds.calls.load(Ordering::SeqCst), 0);
}

/// Without a `SourceMetadata`, a source-only version is skipped, and when
/// it is the only one allowed the explanation says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_only_versions_without_builds_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    projects(dir.path());
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let cache = tempfile::tempdir().unwrap();
    let policy = FormatPolicy::default();
    let resolution = resolve_with(&server, cache.path(), &["app"], policy.clone(), None)
        .await
        .unwrap();
    assert_eq!(pins(&resolution), ["app==1.0", "d==2.0", "e==1.0"]);
    let err = resolve_with(&server, cache.path(), &["e>=2"], policy, None)
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because there is no version of e>2.0 and e==2.0 cannot be used: it has only a source distribution, and the resolver was given no way to build one for its metadata, e>=2.0 cannot be used.
    And because you require e>=2, the requirements are unsatisfiable.
    ");
}

/// `--only-binary :all:` (and `--no-build`): source distributions are never
/// built, even with a `SourceMetadata`, and the explanation names the option.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_binary_refuses_sources() {
    let dir = tempfile::tempdir().unwrap();
    projects(dir.path());
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let cache = tempfile::tempdir().unwrap();
    let builds = fake();
    let policy = FormatPolicy::from_pip_args(&[], &[":all:".to_string()], false).unwrap();
    let resolution = resolve_with(
        &server,
        cache.path(),
        &["app"],
        policy.clone(),
        Some(builds.clone()),
    )
    .await
    .unwrap();
    assert_eq!(pins(&resolution), ["app==1.0", "d==2.0", "e==1.0"]);
    let err = resolve_with(
        &server,
        cache.path(),
        &["e>=2"],
        policy,
        Some(builds.clone()),
    )
    .await
    .unwrap_err();
    assert_eq!(builds.calls.load(Ordering::SeqCst), 0);
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because there is no version of e>2.0 and e==2.0 cannot be used: it has only a source distribution: `--only-binary :all:` forbids building from source, e>=2.0 cannot be used.
    And because you require e>=2, the requirements are unsatisfiable.
    ");
}

/// `--no-binary e`: `e`'s wheels are not used; its source distribution is
/// built for its metadata even where a wheel exists; other projects keep
/// their wheels. Without a `SourceMetadata`, the explanation names the option.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_binary_uses_the_source() {
    let dir = tempfile::tempdir().unwrap();
    projects(dir.path());
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let cache = tempfile::tempdir().unwrap();
    let builds = fake();
    let policy = FormatPolicy::from_pip_args(&["e".to_string()], &[], false).unwrap();
    let resolution = resolve_with(
        &server,
        cache.path(),
        &["e<2"],
        policy.clone(),
        Some(builds.clone()),
    )
    .await
    .unwrap();
    assert_eq!(pins(&resolution), ["d==2.0", "e==1.0"]);
    assert_eq!(*builds.built.lock().unwrap(), ["e-1.0.tar.gz"]);

    let err = resolve_with(&server, cache.path(), &["e<2"], policy, None)
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because there is no version of e<1.0 | >1.0,<2 and e==1.0 cannot be used: `--no-binary e` forbids its wheels, so only its source distribution, and the resolver was given no way to build one for its metadata, e<2 cannot be used.
    And because you require e<2, the requirements are unsatisfiable.
    ");
}

/// Options whose policy is not the provider's are refused, not silently
/// resolved under the other policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_must_be_the_providers() {
    let dir = tempfile::tempdir().unwrap();
    projects(dir.path());
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let cache = tempfile::tempdir().unwrap();
    let provider = IndexProvider::new(server_client(&server, cache.path()), tags(), markers());
    let mut options = ResolverOptions::new(markers());
    options.format_policy = FormatPolicy::from_pip_args(&[], &[], true).unwrap();
    let err = provider
        .resolve(requirements(&["app"], "-r requirements.in"), options)
        .await
        .unwrap_err();
    assert!(matches!(err, ResolveError::FormatPolicyMismatch), "{err}");
}
