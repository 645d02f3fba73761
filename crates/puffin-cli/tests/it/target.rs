//! `--target`, `--prefix`, and `--python-platform` / `--python-version`
//! bundles for another machine.

use fs_err as fs;

use crate::common::{TestContext, simple_wheel};

fn ok(command: &mut assert_cmd::Command) -> String {
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// `--target DIR` installs importable packages and scripts into DIR, leaves
/// the environment alone, and syncs inside DIR only.
#[test]
fn target_installs_into_a_directory_and_syncs_only_there() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&simple_wheel("demo", "1.0").console_script("demo-cli", "demo:main"));
    context.wheel("other", "1.0");
    let bundle = context.root.join("bundle");
    ok(context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\nother==1.0\n"))
        .arg("--target")
        .arg(&bundle));
    assert!(bundle.join("demo/__init__.py").is_file());
    assert!(bundle.join("demo-1.0.dist-info/RECORD").is_file());
    assert!(bundle.join("bin/demo-cli").is_file());
    assert!(
        context.installed().is_empty(),
        "the environment is unchanged"
    );
    let output = std::process::Command::new(context.venv.join("bin/python"))
        .args(["-c", "import demo, other; print(demo.VERSION)"])
        .env("PYTHONPATH", &bundle)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1.0");

    // Something installed in the environment is not DIR's to remove.
    ok(context
        .pip_sync_local()
        .arg(context.requirements("other==1.0\n")));
    ok(context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\n"))
        .arg("--target")
        .arg(&bundle));
    assert!(!bundle.join("other").exists());
    assert!(bundle.join("demo/__init__.py").is_file());
    assert_eq!(context.installed(), ["other==1.0"]);
}

/// `--prefix DIR` uses pip's prefix scheme: `DIR/lib/pythonX.Y/site-packages`.
#[test]
fn prefix_uses_pips_prefix_scheme() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let prefix = context.root.join("prefix");
    ok(context
        .pip_sync_local()
        .arg(context.requirements("demo==1.0\n"))
        .arg("--prefix")
        .arg(&prefix));
    let lib = fs::read_dir(prefix.join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(
        lib.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("python3.")
    );
    assert!(lib.join("site-packages/demo/__init__.py").is_file());
    assert!(context.installed().is_empty());
}

/// A Lambda-style bundle for `manylinux2014_aarch64` gets the aarch64 build
/// of a native package, whatever this machine is, though x86_64 builds of the
/// same version exist: for `--python-version 3.11` (this machine's version,
/// usually) and 3.12, each from its own `cpXY` wheel.
#[test]
fn a_bundle_for_another_platform_gets_its_native_wheel() {
    let Some(context) = TestContext::new() else {
        return;
    };
    for abi in ["cp311", "cp312"] {
        for arch in ["aarch64", "x86_64"] {
            context.build(
                &simple_wheel("native", "1.0")
                    .tag(&format!("{abi}-{abi}-manylinux2014_{arch}"))
                    .root_is_purelib(false)
                    .file(
                        "native/_speedups.so",
                        format!("{arch} shared object for {abi}"),
                    ),
            );
        }
    }
    for (version, abi) in [("3.11", "cp311"), ("3.12", "cp312")] {
        let bundle = context.root.join(format!("bundle-{version}"));
        ok(context
            .pip_sync_local()
            .arg(context.requirements("native==1.0\n"))
            .args([
                "--python-platform",
                "manylinux2014_aarch64",
                "--python-version",
                version,
            ])
            .arg("--target")
            .arg(&bundle));
        let so = fs::read_to_string(bundle.join("native/_speedups.so")).unwrap();
        assert_eq!(so, format!("aarch64 shared object for {abi}"));
        let wheel = fs::read_to_string(bundle.join("native-1.0.dist-info/WHEEL")).unwrap();
        assert!(
            wheel.contains(&format!("{abi}-{abi}-manylinux2014_aarch64")),
            "{wheel}"
        );
    }
}

/// `--python-platform` needs `--target`, and names a wheel platform tag.
#[test]
fn python_platform_is_checked() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .args(["--python-platform", "manylinux2014_aarch64"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .args(["--python-platform", "plan9", "--target", "bundle"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Unknown platform tag `plan9`"), "{stderr}");
}
