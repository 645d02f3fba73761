//! The index provider: metadata by PEP 658 file, by range requests or by
//! whole wheel, fetched from `IndexServer`, and the resolver's rules on index
//! data.

use puffin_test_support::{IndexServer, IndexServerOptions, PageFormat, WheelBuilder};

use crate::common::{diamond, pins, range_requests, resolve, wheel_downloads};

/// Without PEP 658 files, from a server that ignores `Range` (answers 200
/// with the whole file): the first range request finds that out, and each
/// chosen version's wheel is downloaded once into the wheel store; a second
/// resolution reads the store, not the network.
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
    let d = "/files/d-1.5-py3-none-any.whl";
    let d_downloads = server
        .request_log()
        .iter()
        .filter(|r| r.path == d && r.range.is_none())
        .count();
    assert_eq!(d_downloads, 1, "{:?}", server.requests());
    // Every range request was answered with the whole file, and once one
    // was, later wheels (fetched ahead in parallel, so a few raced) skipped it.
    let ranged: Vec<_> = server
        .request_log()
        .into_iter()
        .filter(|r| r.range.is_some())
        .collect();
    assert!(!ranged.is_empty() && ranged.len() < 4, "{ranged:?}");
    assert!(ranged.iter().all(|r| r.status == 200), "{ranged:?}");

    server.clear_requests();
    let again = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&again), pins(&resolution));
    // `d` 2.0, fetched ahead by the first resolution but not chosen, may
    // still be on its way.
    let downloads: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.contains(".whl ") && !r.contains("d-2.0"))
        .collect();
    assert!(downloads.is_empty(), "{downloads:?}");
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
        // `d` 2.0, fetched ahead by the first resolution but not chosen, may
        // still be on its way.
        let metadata_requests = server
            .requests()
            .iter()
            .filter(|r| r.contains(".metadata") && !r.contains("d-2.0"))
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

/// From a server that serves ranges, without PEP 658 files: each wheel's
/// `METADATA` is read with one range request (the end of the file holds the
/// central directory and the `.dist-info`), no wheel is downloaded whole, and
/// a second resolution reads the metadata cache (the index gives hashes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_by_range_requests() {
    let wheels = tempfile::tempdir().unwrap();
    diamond(wheels.path());
    let mut options = IndexServerOptions::new(wheels.path());
    options.ranges = true;
    let server = IndexServer::start(options);
    let cache = tempfile::tempdir().unwrap();
    let resolution = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.5"]);
    assert_eq!(wheel_downloads(&server), 0, "{:?}", server.requests());
    assert!(range_requests(&server, 206) >= 4, "{:?}", server.requests());
    assert_eq!(server.count("/files/d-1.5-py3-none-any.whl"), 1);
    assert!(!cache.path().join("wheels-v1").join("d").exists());

    server.clear_requests();
    let again = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&again), pins(&resolution));
    // `d` 2.0, fetched ahead by the first resolution but not chosen, may
    // still be on its way.
    let files: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.contains("/files/") && !r.contains("d-2.0"))
        .collect();
    assert!(files.is_empty(), "{files:?}");
}

/// A large wheel whose `METADATA` is not in the last 64 KiB (a big file
/// after it): the central directory comes with the end of the file, then one
/// more range request reads the entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_by_range_far_from_the_end() {
    let wheels = tempfile::tempdir().unwrap();
    // Incompressible bytes, so that the wheel stays large when deflated.
    let mut state = 0x2545_f491_u64;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    WheelBuilder::new("big", "1.0")
        .requires("d")
        .dist_info_file("zz-data.bin", Some(&noise))
        .build(wheels.path());
    WheelBuilder::new("d", "1.0").build(wheels.path());
    let mut options = IndexServerOptions::new(wheels.path());
    options.ranges = true;
    let server = IndexServer::start(options);
    let cache = tempfile::tempdir().unwrap();
    let resolution = resolve(&server, cache.path(), &["big"]).await.unwrap();
    assert_eq!(pins(&resolution), ["big==1.0", "d==1.0"]);
    assert_eq!(wheel_downloads(&server), 0, "{:?}", server.requests());
    assert_eq!(
        server.count("/files/big-1.0-py3-none-any.whl"),
        2,
        "{:?}",
        server.requests()
    );
}

/// A PEP 658 metadata file whose content does not match the hash the index
/// gives for it is refused, naming the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_file_hash_mismatch() {
    for format in [PageFormat::Json, PageFormat::Html] {
        let wheels = tempfile::tempdir().unwrap();
        WheelBuilder::new("a", "1.0").build(wheels.path());
        let mut options = IndexServerOptions::new(wheels.path());
        options.core_metadata = true;
        options.format = format;
        options
            .wrong_metadata_hash
            .push("a-1.0-py3-none-any.whl".to_string());
        let server = IndexServer::start(options);
        let cache = tempfile::tempdir().unwrap();
        let err = resolve(&server, cache.path(), &["a"]).await.unwrap_err();
        let chain = error_chain(&err);
        assert!(
            chain.contains("Failed to fetch the metadata of `a-1.0-py3-none-any.whl.metadata`"),
            "{chain}"
        );
        assert!(
            chain.contains("Hash mismatch for `a-1.0-py3-none-any.whl.metadata`"),
            "{chain}"
        );
        assert_eq!(wheel_downloads(&server), 0);
        assert!(!cache.path().join("metadata-v0").join("a").exists());
    }
}

/// With the right hash advertised, the metadata file is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_file_hash_match() {
    let wheels = tempfile::tempdir().unwrap();
    WheelBuilder::new("a", "1.0").build(wheels.path());
    let mut options = IndexServerOptions::new(wheels.path());
    options.core_metadata = true;
    let server = IndexServer::start(options);
    let cache = tempfile::tempdir().unwrap();
    let resolution = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&resolution), ["a==1.0"]);
}

/// An error and its causes, one a line.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut lines = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        lines.push(cause.to_string());
        source = cause.source();
    }
    lines.join("\n")
}

/// A wheel whose end record is not within the last 64 KiB (a zip comment
/// of the largest size): the range read gives up, and the wheel is
/// downloaded whole into the store instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_archives_fall_back_to_the_whole_wheel() {
    let wheels = tempfile::tempdir().unwrap();
    let path = WheelBuilder::new("a", "1.0").build(wheels.path());
    let mut bytes = fs_err::read(&path).unwrap();
    let len = bytes.len();
    assert_eq!(&bytes[len - 2..], [0, 0], "no comment yet");
    bytes[len - 2..].copy_from_slice(&u16::MAX.to_le_bytes());
    bytes.extend(std::iter::repeat_n(b'#', usize::from(u16::MAX)));
    fs_err::write(&path, bytes).unwrap();
    let mut options = IndexServerOptions::new(wheels.path());
    options.ranges = true;
    let server = IndexServer::start(options);
    let cache = tempfile::tempdir().unwrap();
    let resolution = resolve(&server, cache.path(), &["a"]).await.unwrap();
    assert_eq!(pins(&resolution), ["a==1.0"]);
    assert_eq!(range_requests(&server, 206), 1, "{:?}", server.requests());
    assert_eq!(wheel_downloads(&server), 1, "{:?}", server.requests());
    assert!(cache.path().join("wheels-v1").join("a").is_dir());
}

/// Constraints given to the provider through `from_options`: the resolution
/// follows them, and versions they exclude are not even fetched ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraints_are_not_fetched_ahead() {
    use puffin_resolver::{IndexProvider, ResolverOptions};

    use crate::common::{markers, requirements, server_client, tags};

    let wheels = tempfile::tempdir().unwrap();
    diamond(wheels.path());
    let mut options = IndexServerOptions::new(wheels.path());
    options.core_metadata = true;
    let server = IndexServer::start(options);
    let cache = tempfile::tempdir().unwrap();
    let mut options = ResolverOptions::new(markers());
    options.constraints = requirements(&["d<1.5", "unused==1"], "-c constraints.txt");
    let provider =
        IndexProvider::from_options(server_client(&server, cache.path()), tags(), &options);
    let resolution = provider
        .resolve(requirements(&["a"], "-r requirements.in"), options)
        .await
        .unwrap();
    assert_eq!(pins(&resolution), ["a==1.0", "b==1.0", "c==1.0", "d==1.0"]);
    for excluded in ["d-1.5", "d-2.0"] {
        let path = format!("/files/{excluded}-py3-none-any.whl.metadata");
        assert_eq!(server.count(&path), 0, "{:?}", server.requests());
    }
    assert_eq!(server.count("/simple/unused/"), 0);
}
