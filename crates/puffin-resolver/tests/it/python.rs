//! `--python-version`: resolving for another Python of the same platform.

use puffin_resolver::{IndexProvider, ResolverOptions};
use puffin_test_support::{IndexServer, IndexServerOptions, WheelBuilder};

use crate::common::{markers, pins, requirements, server_client, tags};

/// `a` 2.0 requires Python 3.12 (on the page for its wheel, and in its
/// metadata for `b` 2.0): resolving for the running 3.11 picks the 1.0s,
/// for 3.12 the 2.0s, and a marker on `python_version` follows the target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requires_python_is_checked_against_the_target_python() {
    let dir = tempfile::tempdir().unwrap();
    WheelBuilder::new("a", "1.0").build(dir.path());
    WheelBuilder::new("a", "2.0")
        .requires("c; python_version >= '3.12'")
        .build(dir.path());
    WheelBuilder::new("b", "1.0").build(dir.path());
    WheelBuilder::new("b", "2.0")
        .metadata_line("Requires-Python: >=3.12")
        .build(dir.path());
    WheelBuilder::new("c", "1.0").build(dir.path());
    let mut options = IndexServerOptions::new(dir.path());
    options
        .requires_python
        .insert("a-2.0-py3-none-any.whl".to_string(), ">=3.12".to_string());
    let server = IndexServer::start(options);

    let resolve = |options: ResolverOptions| {
        let cache = tempfile::tempdir().unwrap();
        let provider =
            IndexProvider::from_options(server_client(&server, cache.path()), tags(), &options);
        async move {
            let result = provider
                .resolve(requirements(&["a", "b"], "-r requirements.in"), options)
                .await;
            drop(cache);
            result
        }
    };
    let running = resolve(ResolverOptions::new(markers())).await.unwrap();
    assert_eq!(pins(&running), ["a==1.0", "b==1.0"]);
    let target = ResolverOptions::for_python_version(&markers(), (3, 12));
    assert_eq!(target.markers.python_full_version().string, "3.12.0");
    let resolution = resolve(target).await.unwrap();
    assert_eq!(pins(&resolution), ["a==2.0", "b==2.0", "c==1.0"]);

    let err = resolve(ResolverOptions::new(markers()))
        .await
        .map(|resolution| pins(&resolution));
    assert_eq!(err.unwrap(), ["a==1.0", "b==1.0"]);
}

/// A requirement that only a newer Python allows fails for the running one
/// with an explanation naming the target Python.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explanation_names_the_target_python() {
    let dir = tempfile::tempdir().unwrap();
    WheelBuilder::new("b", "2.0")
        .metadata_line("Requires-Python: >=3.12")
        .build(dir.path());
    let server = IndexServer::start(IndexServerOptions::new(dir.path()));
    let cache = tempfile::tempdir().unwrap();
    let options = ResolverOptions::new(markers());
    let provider =
        IndexProvider::from_options(server_client(&server, cache.path()), tags(), &options);
    let err = provider
        .resolve(requirements(&["b>=2"], "-r requirements.in"), options)
        .await
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because b>=2.0 requires Python>=3.12 and you require b>=2, the requirements are unsatisfiable.
    The target Python is 3.11.4.
    ");
}
