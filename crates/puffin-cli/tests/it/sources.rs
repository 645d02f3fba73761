//! `pip-sync` of requirements built from source: project directories
//! (editable or not), source archives and git repositories, all built by an
//! in-tree test backend (`backend-path`), so no index is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use fs_err as fs;
use puffin_test_support::{ProjectBuilder, WheelBuilder};

use crate::common::TestContext;

/// The filtered stderr of a run that must succeed.
fn success(context: &TestContext, command: &mut assert_cmd::Command) -> String {
    let output = command.output().unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "the command failed:\n{stderr}");
    stderr
}

/// `pip-sync --no-index -f <wheels>`, logging builds to `build.log`.
fn sync(context: &TestContext, requirements: &Path) -> assert_cmd::Command {
    let mut command = context.pip_sync_local();
    command
        .arg(requirements)
        .env("PUFFIN_TEST_BUILD_LOG", build_log(context));
    command
}

fn build_log(context: &TestContext) -> PathBuf {
    context.root.join("build.log")
}

/// The builds the test backend ran, `<hook> <name>` each.
fn builds(context: &TestContext) -> Vec<String> {
    fs::read_to_string(build_log(context))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn direct_url(context: &TestContext, name: &str, version: &str) -> serde_json::Value {
    let path = context
        .site_packages()
        .join(format!("{name}-{version}.dist-info"))
        .join("direct_url.json");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// A project directory is built once, installed, kept on the next sync, and
/// rebuilt when one of its files changes.
#[test]
fn project_directory_is_built_once() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let project = ProjectBuilder::new("demo", "1.0").write(&context.root.join("demo"));
    let requirements = context.requirements("./demo\n");
    let stderr = success(&context, &mut sync(&context, &requirements));
    assert!(stderr.contains("Built 1 package in"), "{stderr}");
    assert_eq!(context.installed(), ["demo==1.0"]);
    let location = context.assert_python("import demo; print(demo.__file__)");
    assert!(location.contains("site-packages"), "{location}");
    assert_eq!(
        direct_url(&context, "demo", "1.0")["dir_info"],
        serde_json::json!({})
    );

    let stderr = success(&context, &mut sync(&context, &requirements));
    assert!(stderr.contains("Audited 1 package"), "{stderr}");
    assert_eq!(builds(&context), ["build_wheel demo"]);

    // An edit is seen: built again, and installed again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(project.join("demo/__init__.py"), "VERSION = 'edited'\n").unwrap();
    success(&context, &mut sync(&context, &requirements));
    assert_eq!(builds(&context).len(), 2);
    assert_eq!(
        context
            .assert_python("import demo; print(demo.VERSION)")
            .trim(),
        "edited"
    );
}

/// `-e` installs through PEP 660: the project's files are imported in
/// place, `direct_url.json` says editable, pip-freeze prints `-e <path>`;
/// switching between editable and not reinstalls, and an editable that is no
/// longer listed is removed.
#[test]
fn editable_project() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let project = ProjectBuilder::new("demo", "1.0").write(&context.root.join("demo"));
    context.wheel("other", "1.0");
    let editable = context.requirements("-e ./demo\n");
    success(&context, &mut sync(&context, &editable));
    let location = context.assert_python("import demo; print(demo.__file__)");
    assert_eq!(
        Path::new(location.trim()),
        project.join("demo/__init__.py"),
        "{location}"
    );
    assert_eq!(
        direct_url(&context, "demo", "1.0")["dir_info"]["editable"],
        serde_json::json!(true)
    );
    let freeze = context.pip_freeze().output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&freeze.stdout).trim(),
        format!("-e {}", project.display())
    );
    // An edit needs no sync at all.
    fs::write(project.join("demo/__init__.py"), "VERSION = 'live'\n").unwrap();
    assert_eq!(
        context
            .assert_python("import demo; print(demo.VERSION)")
            .trim(),
        "live"
    );
    let stderr = success(&context, &mut sync(&context, &editable));
    assert!(stderr.contains("Audited 1 package"), "{stderr}");

    // Not editable any more: reinstalled from a wheel.
    let plain = context.requirements("./demo\n");
    success(&context, &mut sync(&context, &plain));
    let location = context.assert_python("import demo; print(demo.__file__)");
    assert!(location.contains("site-packages"), "{location}");

    // Unlisted: removed.
    success(&context, &mut sync(&context, &editable));
    success(
        &context,
        &mut sync(&context, &context.requirements("other==1.0\n")),
    );
    assert_eq!(context.installed(), ["other==1.0"]);
    assert_eq!(
        builds(&context),
        ["build_editable demo", "build_wheel demo"]
    );
}

/// A source archive is unpacked and built once; a second environment with the
/// same cache installs the built wheel without a build.
#[test]
fn source_archive_is_built_once_per_cache() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let sdist = ProjectBuilder::new("demo", "1.0").sdist(&context.root.join("dist"));
    let requirements = context.requirements(&format!("{}\n", sdist.display()));
    success(&context, &mut sync(&context, &requirements));
    assert_eq!(context.installed(), ["demo==1.0"]);
    let other = context.create_venv("other");
    let mut second = context.command_in("pip-sync", &other);
    second
        .arg("--no-index")
        .arg(&requirements)
        .env("PUFFIN_TEST_BUILD_LOG", build_log(&context));
    success(&context, &mut second);
    assert_eq!(crate::common::installed(&other), ["demo==1.0"]);
    assert_eq!(builds(&context), ["build_wheel demo"]);
    let url = direct_url(&context, "demo", "1.0");
    assert!(url["archive_info"].is_object(), "{url}");
}

/// A build's requirements are resolved on the sync's index and installed
/// into the isolated build environment, not into the target.
#[test]
fn build_requirements_come_from_the_sync_index() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&WheelBuilder::new("build-helper", "2.0").file("build_helper.py", "X = 1\n"));
    ProjectBuilder::new("demo", "1.0")
        .build_requires("build-helper>=1")
        .build_imports("build_helper")
        .write(&context.root.join("demo"));
    let server = context.server();
    let mut command = context.pip_sync();
    command
        .arg(context.requirements("./demo\n"))
        .args(["--index-url", &server.url()])
        .env("PUFFIN_TEST_BUILD_LOG", build_log(&context));
    success(&context, &mut command);
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(builds(&context), ["build_wheel demo"]);
    // The build environment is gone.
    let builds_dir = context.cache.join("builds-v0");
    let leftovers: Vec<_> = fs::read_dir(&builds_dir)
        .map(|entries| entries.map(|entry| entry.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A failing build names the project and shows the end of its output, and
/// changes nothing.
#[test]
fn failing_build_shows_its_output() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("other", "1.0");
    success(
        &context,
        &mut sync(&context, &context.requirements("other==1.0\n")),
    );
    ProjectBuilder::new("demo", "1.0")
        .failing()
        .write(&context.root.join("demo"));
    let output = sync(&context, &context.requirements("other==1.0\n./demo\n"))
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("error: Failed to build: demo @ [TEMP]/demo"),
        "{stderr}"
    );
    assert!(stderr.contains("build output line 60"), "{stderr}");
    // The last 50 lines: the traceback and the end of the printed lines.
    assert!(stderr.contains("build output line 30"), "{stderr}");
    assert!(!stderr.contains("build output line 5\n"), "{stderr}");
    assert!(
        stderr.contains("the test backend was told to fail"),
        "{stderr}"
    );
    assert_eq!(context.installed(), ["other==1.0"]);
}

/// `--no-build` refuses what would have to be built, naming it.
#[test]
fn no_build_refuses_sources() {
    let Some(context) = TestContext::new() else {
        return;
    };
    ProjectBuilder::new("demo", "1.0").write(&context.root.join("demo"));
    let output = sync(&context, &context.requirements("./demo\n"))
        .arg("--no-build")
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--no-build"), "{stderr}");
    assert!(builds(&context).is_empty());
}

/// A project that does not state its name statically is named by the
/// metadata its backend prepares.
#[test]
fn dynamic_name_comes_from_the_backend() {
    let Some(context) = TestContext::new() else {
        return;
    };
    ProjectBuilder::new("dyn-demo", "2.0")
        .dynamic_name()
        .write(&context.root.join("project"));
    success(
        &context,
        &mut sync(&context, &context.requirements("./project\n")),
    );
    assert_eq!(context.installed(), ["dyn-demo==2.0"]);
    assert_eq!(
        builds(&context),
        [
            "prepare_metadata_for_build_wheel dyn-demo",
            "build_wheel dyn-demo"
        ]
    );
}

/// `git+file://` at a tag, a branch and a commit: built once per commit,
/// recorded with its commit, frozen as `git+<url>@<commit>`.
#[test]
fn git_repository() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let Some(repo) = git_repository_with_two_commits(&context) else {
        return;
    };
    let url = url::Url::from_file_path(&repo).unwrap();
    let requirements = context.requirements(&format!("git+{url}@v1\n"));
    success(&context, &mut sync(&context, &requirements));
    assert_eq!(
        context
            .assert_python("import demo; print(demo.VERSION)")
            .trim(),
        "1.0"
    );
    let first = direct_url(&context, "demo", "1.0");
    let commit = first["vcs_info"]["commit_id"].as_str().unwrap().to_string();
    assert_eq!(first["vcs_info"]["requested_revision"], "v1");
    let freeze = context.pip_freeze().output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&freeze.stdout).trim(),
        format!("demo @ git+{url}@{commit}")
    );
    let stderr = success(&context, &mut sync(&context, &requirements));
    assert!(stderr.contains("Audited 1 package"), "{stderr}");

    // The branch has a second commit, with version 2.0.
    let branch = context.requirements(&format!("demo @ git+{url}@main\n"));
    success(&context, &mut sync(&context, &branch));
    assert_eq!(context.installed(), ["demo==2.0"]);
    // The first commit by its hash: built before, so no build.
    let pinned = context.requirements(&format!("git+{url}@{commit}\n"));
    success(&context, &mut sync(&context, &pinned));
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(builds(&context), ["build_wheel demo", "build_wheel demo"]);
}

/// A repository with `v1` (demo 1.0) and `main` one commit later (demo 2.0);
/// `None` (after `Skipping:`) without git.
fn git_repository_with_two_commits(context: &TestContext) -> Option<PathBuf> {
    if Command::new("git").arg("--version").output().is_err() {
        println!("Skipping: git is not installed");
        return None;
    }
    let repo = context.root.join("repo");
    ProjectBuilder::new("demo", "1.0").write(&repo);
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "1.0"]);
    git(&["tag", "v1"]);
    ProjectBuilder::new("demo", "2.0").write(&repo);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "2.0"]);
    Some(repo)
}

/// A pin whose index has only a source distribution is built, once: a second
/// environment finds the built wheel by the digest the index lists, with
/// neither a download nor a build.
#[test]
fn registry_source_distribution_is_built_once() {
    let Some(context) = TestContext::new() else {
        return;
    };
    ProjectBuilder::new("sdist-only", "1.0").sdist(&context.wheels);
    let server = context.server();
    let requirements = context.requirements("sdist-only==1.0\n");
    let mut first = context.pip_sync();
    first
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .env("PUFFIN_TEST_BUILD_LOG", build_log(&context));
    success(&context, &mut first);
    assert_eq!(context.installed(), ["sdist-only==1.0"]);
    let downloads = server.request_log().len();

    let other = context.create_venv("other");
    let mut second = context.command_in("pip-sync", &other);
    second
        .arg(&requirements)
        .args(["--index-url", &server.url()])
        .env("PUFFIN_TEST_BUILD_LOG", build_log(&context));
    success(&context, &mut second);
    assert_eq!(crate::common::installed(&other), ["sdist-only==1.0"]);
    assert_eq!(builds(&context), ["build_wheel sdist-only"]);
    let archives: Vec<String> = server.request_log()[downloads..]
        .iter()
        .map(|request| request.path.clone())
        .filter(|path| path.ends_with(".tar.gz"))
        .collect();
    assert!(archives.is_empty(), "{archives:?}");
}

/// `--no-binary <name>` builds from the sdist although a wheel exists;
/// `--only-binary :all:` refuses an sdist-only pin, naming the option.
#[test]
fn binary_options_choose_between_wheels_and_sources() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    ProjectBuilder::new("demo", "1.0").sdist(&context.wheels);
    let requirements = context.requirements("demo==1.0\n");
    success(
        &context,
        sync(&context, &requirements).args(["--no-binary", "demo"]),
    );
    assert_eq!(builds(&context), ["build_wheel demo"]);

    ProjectBuilder::new("sdist-only", "1.0").sdist(&context.wheels);
    let output = sync(&context, &context.requirements("sdist-only==1.0\n"))
        .args(["--only-binary", ":all:"])
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("--only-binary :all:"), "{stderr}");
    assert_eq!(builds(&context).len(), 1);
}

/// The setuptools and hatchling wheels `.ci/run` downloads
/// (`PUFFIN_TEST_BACKEND_WHEELS`), served by a local index; `None` (after
/// `Skipping:`) when they are absent.
fn backend_index(context: &TestContext) -> Option<puffin_test_support::IndexServer> {
    let Some(dir) = std::env::var_os("PUFFIN_TEST_BACKEND_WHEELS") else {
        println!(
            "Skipping: PUFFIN_TEST_BACKEND_WHEELS is not set (a directory with the setuptools and hatchling wheels; .ci/run downloads them)"
        );
        return None;
    };
    let server = context.server_with(puffin_test_support::IndexServerOptions::new(Path::new(
        &dir,
    )));
    Some(server)
}

/// `pip-sync` with the backends' index.
fn sync_with_backends(
    context: &TestContext,
    server: &puffin_test_support::IndexServer,
    requirements: &str,
) -> String {
    let mut command = context.pip_sync();
    command
        .arg(context.requirements(requirements))
        .args(["--index-url", &server.url()]);
    success(context, &mut command)
}

/// Real backends from the local index: a setuptools project (`pyproject.toml`),
/// a `setup.py`-only project (pip's legacy default, named by its metadata),
/// and a hatchling project, editable.
#[test]
fn setuptools_and_hatchling_projects() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let Some(server) = backend_index(&context) else {
        return;
    };
    let write = |path: &str, text: &str| {
        let path = context.root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "st/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"st-demo\"\nversion = \"1.0\"\n",
    );
    write("st/st_demo/__init__.py", "WHO = 'setuptools'\n");
    write(
        "legacy/setup.py",
        "from setuptools import setup\nsetup(name='legacy-demo', version='2.0', py_modules=['legacy_demo'])\n",
    );
    write("legacy/legacy_demo.py", "WHO = 'legacy'\n");
    write(
        "hatch/pyproject.toml",
        "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"hatch-demo\"\nversion = \"3.0\"\n",
    );
    write("hatch/hatch_demo/__init__.py", "WHO = 'hatchling'\n");

    sync_with_backends(&context, &server, "./st\n./legacy\n-e ./hatch\n");
    assert_eq!(
        context.installed(),
        ["hatch-demo==3.0", "legacy-demo==2.0", "st-demo==1.0"]
    );
    let who = context.assert_python(
        "import st_demo, legacy_demo, hatch_demo; print(st_demo.WHO, legacy_demo.WHO, hatch_demo.WHO, hatch_demo.__file__)",
    );
    assert!(who.starts_with("setuptools legacy hatchling "), "{who}");
    assert!(
        who.contains(&context.root.join("hatch").display().to_string()),
        "{who}"
    );
    // The build requirements went into the build environments only.
    assert!(
        !context
            .installed()
            .iter()
            .any(|dist| dist.starts_with("setuptools"))
    );

    let stderr = sync_with_backends(&context, &server, "./st\n./legacy\n-e ./hatch\n");
    assert!(stderr.contains("Audited 3 packages"), "{stderr}");
}

/// `-C key=value` reaches the backend (the test backend records it in the
/// wheel), and other settings are another cache entry: built again.
#[test]
fn config_settings_reach_the_backend() {
    let Some(context) = TestContext::new() else {
        return;
    };
    ProjectBuilder::new("demo", "1.0").write(&context.root.join("demo"));
    let requirements = context.requirements("./demo\n");
    success(
        &context,
        sync(&context, &requirements).args(["-C", "mode=fast"]),
    );
    let recorded = fs::read_to_string(context.site_packages().join("config_settings.txt")).unwrap();
    assert_eq!(recorded, "[('mode', 'fast')]");
    success(
        &context,
        sync(&context, &requirements).args(["--reinstall", "-C", "mode=slow"]),
    );
    let recorded = fs::read_to_string(context.site_packages().join("config_settings.txt")).unwrap();
    assert_eq!(recorded, "[('mode', 'slow')]");
    assert_eq!(builds(&context).len(), 2);
}

/// `--no-build-isolation` builds in the target environment: a build
/// requirement installed there is used, and nothing is resolved.
#[test]
fn no_build_isolation_uses_the_target_environment() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&WheelBuilder::new("build-helper", "1.0").file("build_helper.py", "X = 1\n"));
    ProjectBuilder::new("demo", "1.0")
        .build_requires("build-helper")
        .build_imports("build_helper")
        .write(&context.root.join("demo"));
    // Without the helper in the environment, the build cannot import it.
    let output = sync(&context, &context.requirements("./demo\n"))
        .arg("--no-build-isolation")
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("No module named 'build_helper'"),
        "{stderr}"
    );
    // Installed there first (builds run before the sync installs), the build
    // uses it, and the sync keeps it.
    success(
        &context,
        &mut sync(&context, &context.requirements("build-helper==1.0\n")),
    );
    success(
        &context,
        sync(
            &context,
            &context.requirements("build-helper==1.0\n./demo\n"),
        )
        .arg("--no-build-isolation"),
    );
    assert_eq!(context.installed(), ["build-helper==1.0", "demo==1.0"]);
}
