//! `puffin pip-install` against the local test index: resolved, installed,
//! and nothing unlisted removed.

use std::process::Output;

use fs_err as fs;
use puffin_test_support::{IndexServer, ProjectBuilder};

use crate::common::{TestContext, simple_wheel};

/// `puffin pip-install --index-url <server> <args>`.
fn install(context: &TestContext, server: &IndexServer, args: &[&str]) -> Output {
    context
        .command("pip-install")
        .args(["--index-url", &server.url()])
        .args(args)
        .output()
        .unwrap()
}

/// The filtered stderr of a run that must succeed.
fn success(context: &TestContext, output: &Output) -> String {
    let stderr = context.filtered(output);
    assert!(output.status.success(), "the command failed:\n{stderr}");
    stderr
}

/// A dependency chain `app -> lib -> base` is resolved and installed; a
/// package that was installed before and is not named stays.
#[test]
fn installs_a_chain_and_keeps_unrelated_packages() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("unrelated", "1.0");
    context.build(&simple_wheel("app", "1.0").requires("lib>=1"));
    context.build(&simple_wheel("lib", "1.0").requires("base"));
    context.wheel("base", "2.0");
    let server = context.server();
    success(&context, &install(&context, &server, &["unrelated"]));
    let stderr = success(&context, &install(&context, &server, &["app"]));
    assert_eq!(
        context.installed(),
        ["app==1.0", "base==2.0", "lib==1.0", "unrelated==1.0"]
    );
    assert!(stderr.contains("+ app==1.0"), "{stderr}");
    assert!(!stderr.contains("- unrelated"), "{stderr}");
    // The resolution is reported once, by the resolver's step.
    assert_eq!(stderr.matches("Resolved ").count(), 1, "{stderr}");
    // Nothing to do the second time.
    let stderr = success(&context, &install(&context, &server, &["app"]));
    assert!(stderr.contains("Audited 3 packages"), "{stderr}");
}

/// The installed version is kept when it satisfies the request; `--upgrade`
/// and `--upgrade-package` move to the newest.
#[test]
fn upgrade_moves_to_the_newest() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for version in ["1.0", "2.0"] {
        context.wheel("demo", version);
        context.wheel("other", version);
    }
    let server = context.server();
    success(
        &context,
        &install(&context, &server, &["demo==1.0", "other==1.0"]),
    );
    success(&context, &install(&context, &server, &["demo", "other"]));
    assert_eq!(context.installed(), ["demo==1.0", "other==1.0"]);
    success(
        &context,
        &install(&context, &server, &["demo", "other", "-P", "demo"]),
    );
    assert_eq!(context.installed(), ["demo==2.0", "other==1.0"]);
    success(&context, &install(&context, &server, &["other", "-U"]));
    assert_eq!(context.installed(), ["demo==2.0", "other==2.0"]);
}

/// `--no-deps` installs what is named, none of its dependencies.
#[test]
fn no_deps_installs_only_what_is_named() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("app", "1.0").requires("lib"));
    context.wheel("lib", "1.0");
    let server = context.server();
    success(&context, &install(&context, &server, &["app", "--no-deps"]));
    assert_eq!(context.installed(), ["app==1.0"]);
}

/// A request that no version satisfies exits 1 with the explanation, and
/// changes nothing.
#[test]
fn unsatisfiable_request_explains() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("app", "1.0").requires("lib<2"));
    context.wheel("lib", "2.0");
    let server = context.server();
    let output = install(&context, &server, &["app"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = context.filtered(&output);
    assert!(
        stderr.contains("No solution found when resolving dependencies"),
        "{stderr}"
    );
    assert!(stderr.contains("lib<2"), "{stderr}");
    assert!(context.installed().is_empty());
}

/// `-r` files and `--dry-run` (which changes nothing).
#[test]
fn requirements_files_and_dry_run() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    context.write("extra.txt", "demo\n");
    let output = install(&context, &server, &["-r", "extra.txt", "--dry-run"]);
    let stderr = success(&context, &output);
    assert!(
        stderr.contains("Would uninstall 0 packages and install 1 package"),
        "{stderr}"
    );
    assert!(context.installed().is_empty());
    success(&context, &install(&context, &server, &["-r", "extra.txt"]));
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// A constraint file restricts the version of a dependency the resolution
/// needs, and installs nothing it does not need.
#[test]
fn constraints_restrict_dependencies() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("app", "1.0").requires("lib"));
    for version in ["1.0", "2.0"] {
        context.wheel("lib", version);
    }
    context.wheel("unneeded", "1.0");
    let server = context.server();
    context.write("constraints.txt", "lib<2\nunneeded==1.0\n");
    success(
        &context,
        &install(&context, &server, &["app", "-c", "constraints.txt"]),
    );
    assert_eq!(context.installed(), ["app==1.0", "lib==1.0"]);
}

/// `-e` of a project directory is built (PEP 660) and installed in place,
/// beside what was there.
#[test]
fn editable_project() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("unrelated", "1.0");
    let server = context.server();
    success(&context, &install(&context, &server, &["unrelated"]));
    let project = ProjectBuilder::new("demo", "1.0").write(&context.root.join("demo"));
    success(&context, &install(&context, &server, &["-e", "./demo"]));
    assert_eq!(context.installed(), ["demo==1.0", "unrelated==1.0"]);
    let location = context.assert_python("import demo; print(demo.__file__)");
    assert_eq!(
        std::path::Path::new(location.trim()),
        project.join("demo/__init__.py")
    );
    assert!(fs::metadata(&project).unwrap().is_dir());
}
