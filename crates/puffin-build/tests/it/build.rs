//! Wheels and editable wheels built through the hooks.

use std::path::Path;

use puffin_build::{BuildKind, Builder, ConfigSettings, Isolation};
use puffin_interpreter::{DiscoveryOptions, PythonEnvironment};
use serde_json::json;

use crate::common::{InstallCall, TestContext, zip_names, zip_read};

/// A wheel is built in an isolated environment under the temporary root,
/// the build requirements and what `get_requires_for_build_wheel` adds are
/// installed (the second time with the first ones again), and the
/// environment is gone afterwards.
#[tokio::test]
async fn builds_a_wheel_in_an_isolated_environment() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree(
        "demo",
        &["fake-build-req>=2"],
        json!({"extra_requires": ["wheel-extra>=1"]}),
    );
    let wheel = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Wheel,
            &test.out_dir(),
            "demo @ 1.0",
        )
        .await
        .unwrap();

    assert_eq!(wheel, test.out_dir().join("demo-1.0-py3-none-any.whl"));
    let names = zip_names(&wheel);
    for name in [
        "demo/__init__.py",
        "demo-1.0.dist-info/METADATA",
        "demo-1.0.dist-info/WHEEL",
        "demo-1.0.dist-info/RECORD",
    ] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    assert_eq!(
        TestContext::hooks(&tree),
        ["get_requires_for_build_wheel", "build_wheel"]
    );

    let calls = test.ctx.calls();
    let venv = calls[0].venv.clone();
    assert_eq!(
        calls,
        [
            InstallCall {
                requirements: vec!["fake-build-req>=2".to_string()],
                venv: venv.clone(),
            },
            InstallCall {
                requirements: vec![
                    "fake-build-req>=2".to_string(),
                    "wheel-extra>=1".to_string()
                ],
                venv: venv.clone(),
            },
        ]
    );
    let probe = TestContext::probe(&tree, "build_wheel");
    assert!(venv.starts_with(test.temp_root()), "{}", venv.display());
    assert_eq!(Path::new(probe["sys_prefix"].as_str().unwrap()), venv);
    assert_eq!(probe["pythonnousersite"], "1");
    assert_eq!(probe["config_settings"], json!(null));

    // The build environment is removed afterwards.
    assert!(!venv.exists());
    assert_eq!(test.leftovers(), Vec::<String>::new());
}

/// Neither the working directory (the source tree) nor the shim's
/// directory is on `sys.path`: only `backend-path` puts the tree's
/// `_backend` first.
#[tokio::test]
async fn the_source_tree_is_not_on_sys_path() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("demo", &[], json!({}));
    test.builder()
        .build(&test.ctx, &tree, BuildKind::Wheel, &test.out_dir(), "demo")
        .await
        .unwrap();

    let probe = TestContext::probe(&tree, "build_wheel");
    let cwd = probe["cwd"].as_str().unwrap();
    assert_eq!(
        fs_err::canonicalize(cwd).unwrap(),
        fs_err::canonicalize(&tree).unwrap()
    );
    let sys_path: Vec<&str> = probe["sys_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry.as_str().unwrap())
        .collect();
    assert!(!sys_path.contains(&""), "{sys_path:?}");
    assert!(!sys_path.contains(&cwd), "{sys_path:?}");
    assert!(
        !sys_path.iter().any(|entry| entry.contains("hooks")),
        "{sys_path:?}"
    );
    assert_eq!(Path::new(sys_path[0]), tree.join("_backend"));
    assert_eq!(probe["helper_importable"], json!(false));
    // No build requirements: nothing to install.
    assert_eq!(test.ctx.calls(), []);
}

/// PEP 660: `build_editable` makes a wheel whose `.pth` points at the tree,
/// after `get_requires_for_build_editable`.
#[tokio::test]
async fn builds_an_editable_wheel() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("demo", &[], json!({"extra_requires": ["editable-extra"]}));
    let wheel = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Editable,
            &test.out_dir(),
            "demo",
        )
        .await
        .unwrap();

    assert_eq!(wheel, test.out_dir().join("demo-1.0-py3-none-any.whl"));
    assert_eq!(
        zip_read(&wheel, "demo.pth").trim_end(),
        tree.to_str().unwrap()
    );
    assert!(!zip_names(&wheel).contains(&"demo/__init__.py".to_string()));
    assert_eq!(
        TestContext::hooks(&tree),
        ["get_requires_for_build_editable", "build_editable"]
    );
    let calls = test.ctx.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].requirements, ["editable-extra"]);
}

/// `-C` settings reach every hook: one value as a string, a repeated key as
/// a list.
#[tokio::test]
async fn config_settings_reach_the_backend() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("demo", &[], json!({}));
    let settings: ConfigSettings = ["b=2", "a=1", "b=3"]
        .into_iter()
        .map(|argument| argument.parse().unwrap())
        .collect();
    let builder = Builder::new(test.options().with_config_settings(settings));
    builder
        .build(&test.ctx, &tree, BuildKind::Wheel, &test.out_dir(), "demo")
        .await
        .unwrap();

    for hook in ["get_requires_for_build_wheel", "build_wheel"] {
        assert_eq!(
            TestContext::probe(&tree, hook)["config_settings"],
            json!({"a": "1", "b": ["2", "3"]}),
            "{hook}"
        );
    }
}

/// Without isolation the backend runs with the given environment's
/// interpreter, and nothing is installed (not even asked for).
#[tokio::test]
async fn shared_isolation_uses_the_given_environment() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let root = test.temp.path().join("target-venv");
    gourgeist::create_venv(&root, test.ctx.interpreter(), &Default::default()).unwrap();
    let options = DiscoveryOptions::new(test.temp.path())
        .with_python(Some(root.to_str().unwrap().to_string()))
        .with_read_only(true);
    let environment = PythonEnvironment::discover(&options, &test.cache).unwrap();

    let tree = test.tree(
        "demo",
        &["never-installed"],
        json!({"extra_requires": ["nor-this"]}),
    );
    let builder = Builder::new(
        test.options()
            .with_isolation(Isolation::Shared(environment.clone())),
    );
    builder
        .build(&test.ctx, &tree, BuildKind::Wheel, &test.out_dir(), "demo")
        .await
        .unwrap();

    let probe = TestContext::probe(&tree, "build_wheel");
    assert_eq!(
        Path::new(probe["sys_prefix"].as_str().unwrap()),
        environment.interpreter().prefix
    );
    assert_eq!(
        Path::new(probe["sys_executable"].as_str().unwrap()),
        environment.interpreter().sys_executable
    );
    assert_eq!(probe["pythonnousersite"], json!(null));
    assert_eq!(test.ctx.calls(), []);
    assert_eq!(TestContext::hooks(&tree), ["build_wheel"]);
    assert_eq!(test.leftovers(), Vec::<String>::new());
}

/// With a concurrency of one, two builds never run their backends at once
/// (each backend holds a marker file while it builds and fails if the
/// other holds it).
#[tokio::test]
async fn the_semaphore_bounds_concurrent_builds() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let marker_dir = test.temp.path().join("exclusive");
    fs_err::create_dir_all(&marker_dir).unwrap();
    let fixture = json!({"exclusive": marker_dir});
    let first = test.tree("first", &[], fixture.clone());
    let second = test.tree("second", &[], fixture);
    let builder = test.builder().with_concurrency(1);
    let out_first = test.temp.path().join("out-first");
    let out_second = test.temp.path().join("out-second");

    let (a, b) = tokio::join!(
        builder.build(&test.ctx, &first, BuildKind::Wheel, &out_first, "first"),
        builder.build(&test.ctx, &second, BuildKind::Wheel, &out_second, "second"),
    );
    a.unwrap();
    b.unwrap();
}

/// The build future can be spawned on a multi-threaded runtime, and its
/// error can travel between threads (and into `anyhow`).
#[test]
fn the_build_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<puffin_build::Error>();
    let Some(test) = TestContext::new() else {
        return;
    };
    let builder = test.builder();
    let future = builder.build(
        &test.ctx,
        Path::new("."),
        BuildKind::Wheel,
        Path::new("."),
        "x",
    );
    assert_send(&future);
    let metadata = builder.metadata(&test.ctx, Path::new("."), Path::new("."), "x");
    assert_send(&metadata);
}
