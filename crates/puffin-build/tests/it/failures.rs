//! Builds that fail, and what their errors say.

use std::time::Duration;

use fs_err as fs;
use puffin_build::{BuildError, BuildKind, Builder, OUTPUT_LINES};
use serde_json::json;

use crate::common::{TestContext, chain};

/// A tree without `pyproject.toml` asks for pip's default, setuptools, with
/// the legacy backend; the empty build environment has no setuptools, so
/// the import fails, and the error says so with the traceback.
#[tokio::test]
async fn legacy_default_without_pyproject() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.temp.path().join("legacy");
    fs::create_dir_all(&tree).unwrap();
    fs::write(
        tree.join("setup.py"),
        "from setuptools import setup\nsetup(name='legacy', version='1.0')\n",
    )
    .unwrap();

    let err = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Wheel,
            &test.out_dir(),
            "legacy @ 1.0",
        )
        .await
        .unwrap_err();

    let calls = test.ctx.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].requirements, ["setuptools>=40.8.0"]);
    assert_eq!(err.to_string(), "Failed to build: legacy @ 1.0");
    assert!(
        matches!(err.kind(), BuildError::BackendImport { backend, .. } if backend == "setuptools.build_meta:__legacy__"),
        "{err:?}"
    );
    let text = chain(&err);
    assert!(text.contains("Caused by: Failed to import the build backend `setuptools.build_meta:__legacy__`: ModuleNotFoundError: No module named 'setuptools'"), "{text}");
    let output = err.output().unwrap();
    assert!(
        output
            .lines()
            .iter()
            .any(|line| line.starts_with("Traceback")),
        "{output}"
    );
    assert_eq!(test.leftovers(), Vec::<String>::new());
}

/// A hook that prints 100 lines and raises: the error shows the exception
/// and the last 50 lines of output (not the first), as the chain's last
/// cause.
#[tokio::test]
async fn a_failing_backend_shows_the_end_of_its_output() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("failing", &[], json!({"fail": true}));
    let err = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Wheel,
            &test.out_dir(),
            "failing @ 2.0",
        )
        .await
        .unwrap_err();

    let output = err.output().unwrap().clone();
    assert_eq!(output.lines().len(), OUTPUT_LINES);
    assert!(output.is_truncated());
    assert!(output.lines().contains(&"output line 100".to_string()));
    assert!(!output.lines().contains(&"output line 1".to_string()));
    assert!(!output.lines().contains(&"output line 50".to_string()));
    assert_eq!(
        output.lines().last().unwrap(),
        "RuntimeError: the build failed on purpose"
    );

    let text = chain(&err);
    // The traceback's length varies with the Python version, so the first
    // output line shown does too.
    let head: Vec<&str> = text.lines().take(3).collect();
    insta::assert_snapshot!(head.join("\n"), @r"
    Failed to build: failing @ 2.0
    Caused by: The build backend `testbackend` failed in `build_wheel`: RuntimeError: the build failed on purpose
    Caused by: Last 50 lines of the build output:
    ");
    assert!(
        text.lines().nth(3).unwrap().starts_with("output line "),
        "{text}"
    );
    assert!(
        text.ends_with("RuntimeError: the build failed on purpose"),
        "{text}"
    );
    assert_eq!(test.leftovers(), Vec::<String>::new());
}

/// Past the timeout the backend and the process it started are killed.
#[tokio::test]
async fn the_timeout_kills_the_process_group() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("sleepy", &[], json!({"sleep": true}));
    let builder = Builder::new(test.options().with_timeout(Some(Duration::from_secs(2))));
    let err = builder
        .build(
            &test.ctx,
            &tree,
            BuildKind::Wheel,
            &test.out_dir(),
            "sleepy",
        )
        .await
        .unwrap_err();

    assert!(err.kind().is_timeout(), "{err:?}");
    let text = chain(&err);
    assert!(
        text.contains("Caused by: The build backend `testbackend` did not finish `build_wheel` within 2 seconds and was killed"),
        "{text}"
    );
    assert!(
        err.output()
            .unwrap()
            .lines()
            .contains(&"sleeping".to_string())
    );

    // The backend's own child is in the killed group too.
    let pid = fs::read_to_string(tree.join("child.pid")).unwrap();
    if !std::path::Path::new("/proc/self/stat").exists() {
        println!("Skipping: no /proc to check that the backend's child was killed");
        return;
    }
    let stat = fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    // Gone, or a zombie nobody reaped yet.
    let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
    assert!(
        matches!(state, None | Some("Z")),
        "the backend's child {pid} still runs: {stat}"
    );
    assert_eq!(test.leftovers(), Vec::<String>::new());
}

/// A `backend-path` entry outside the tree is refused before anything runs.
#[tokio::test]
async fn backend_path_escaping_the_tree_is_refused() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("escape", &[], json!({}));
    fs::write(
        tree.join("pyproject.toml"),
        "[build-system]\nrequires = []\nbuild-backend = \"testbackend\"\nbackend-path = [\"../escape/../elsewhere\"]\n",
    )
    .unwrap();
    let err = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Wheel,
            &test.out_dir(),
            "escape",
        )
        .await
        .unwrap_err();

    assert!(
        matches!(err.kind(), BuildError::BackendPathOutsideTree { entry, .. } if entry == "../escape/../elsewhere"),
        "{err:?}"
    );
    let text = chain(&err).replace(&tree.display().to_string(), "[TREE]");
    insta::assert_snapshot!(text, @"
    Failed to build: escape
    Caused by: `backend-path` entry `../escape/../elsewhere` in `[TREE]/pyproject.toml` is outside the source tree; PEP 517 requires every entry to be a relative path inside the directory holding `pyproject.toml`
    ");
    assert_eq!(TestContext::hooks(&tree), Vec::<String>::new());
    assert_eq!(test.ctx.calls(), []);
}

/// Invalid TOML names the file.
#[tokio::test]
async fn invalid_pyproject_names_the_file() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("broken", &[], json!({}));
    fs::write(tree.join("pyproject.toml"), "[build-system\n").unwrap();
    let err = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Wheel,
            &test.out_dir(),
            "broken",
        )
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains(&format!(
            "Caused by: `{}` is not valid TOML",
            tree.join("pyproject.toml").display()
        )),
        "{text}"
    );
}

/// A wheel name with a path in it is refused, even if the file exists.
#[tokio::test]
async fn a_returned_name_outside_the_output_directory_is_refused() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree(
        "sneaky",
        &[],
        json!({"return_name": "../demo-1.0-py3-none-any.whl"}),
    );
    let out_dir = test.temp.path().join("nested").join("out");
    // The file the name points at exists (written there beforehand).
    fs::create_dir_all(&out_dir).unwrap();
    fs::write(
        test.temp
            .path()
            .join("nested")
            .join("demo-1.0-py3-none-any.whl"),
        "",
    )
    .unwrap();
    let err = test
        .builder()
        .build(&test.ctx, &tree, BuildKind::Wheel, &out_dir, "sneaky")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), BuildError::UnexpectedOutput { name, .. } if name == "../demo-1.0-py3-none-any.whl"),
        "{err:?}"
    );
}

/// A backend that cannot be imported from `backend-path` says which and why.
#[tokio::test]
async fn a_missing_backend_is_an_import_error() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("nobackend", &[], json!({}));
    fs::write(
        tree.join("pyproject.toml"),
        "[build-system]\nrequires = []\nbuild-backend = \"nosuchbackend:obj\"\nbackend-path = [\"_backend\"]\n",
    )
    .unwrap();
    let err = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Editable,
            &test.out_dir(),
            "nobackend",
        )
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(
        text.contains("Caused by: Failed to import the build backend `nosuchbackend:obj`: ModuleNotFoundError: No module named 'nosuchbackend'"),
        "{text}"
    );
}

/// A backend that exits without a result (`sys.exit` in a hook) is reported
/// with its exit status and output.
#[tokio::test]
async fn a_backend_exiting_without_a_result() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("exits", &[], json!({"exit": 3}));
    let err = test
        .builder()
        .build(&test.ctx, &tree, BuildKind::Wheel, &test.out_dir(), "exits")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), BuildError::ProcessFailed { status, .. } if status.code() == Some(3)),
        "{err:?}"
    );
    insta::assert_snapshot!(chain(&err), @r"
    Failed to build: exits
    Caused by: The build backend `testbackend` exited with exit status: 3 during `build_wheel` without a result
    Caused by: Build output:
    exiting
    ");
}

/// An editable build of a backend without PEP 660 hooks says so.
#[tokio::test]
async fn editable_needs_pep_660_hooks() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("noeditable", &[], json!({"no_editable": true}));
    let err = test
        .builder()
        .build(
            &test.ctx,
            &tree,
            BuildKind::Editable,
            &test.out_dir(),
            "noeditable",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), BuildError::EditableUnsupported { .. }),
        "{err:?}"
    );
    insta::assert_snapshot!(chain(&err), @r"
    Failed to build: noeditable
    Caused by: The build backend `testbackend` does not support editable installs (it has no `build_editable` hook, PEP 660)
    ");
    // The missing `get_requires_for_build_editable` added nothing.
    assert_eq!(TestContext::hooks(&tree), Vec::<String>::new());
}
