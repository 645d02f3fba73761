//! What an install writes: RECORD, launchers, `.data`, shebangs, namespace
//! overlaps and reinstalls.

use std::os::unix::fs::MetadataExt;
use std::process::Command;

use fs_err as fs;
use install_wheel_rs::{InstallOptions, LinkMode, Linker, WheelManifest, install_wheel};
use puffin_test_support::WheelBuilder;

use crate::common::{
    assert_record_matches, ino, install, layout, mode, real_python, tempdir, tree, unpack,
    unpack_without_manifest, venv_layout,
};

fn full_wheel() -> WheelBuilder {
    WheelBuilder::new("Demo-Pkg", "1.0")
        .file("demo_pkg/__init__.py", "VALUE = 1\n")
        .file("demo_pkg/cli.py", "def main():\n    print('hello from demo')\n    return 0\n\nclass App:\n    @staticmethod\n    def run():\n        print('app run')\n")
        .file("Demo_Pkg-1.0.data/scripts/rewrite-me", "#!python\nimport sys\nprint('script', sys.argv[1:])\n")
        .file("Demo_Pkg-1.0.data/scripts/keep-me.sh", "#!/bin/sh\necho kept\n")
        .file("Demo_Pkg-1.0.data/data/share/demo/config.toml", "x = 1\n")
        .file("Demo_Pkg-1.0.data/headers/demo.h", "int demo(void);\n")
        .file("Demo_Pkg-1.0.data/platlib/demo_native.py", "NATIVE = True\n")
        .file("Demo_Pkg-1.0.dist-info/licenses/LICENSE", "MIT\n")
        .console_script("demo", "demo_pkg.cli:main")
        .gui_script("demo-gui", "demo_pkg.cli:App.run [gui]")
}

#[test]
fn record_lists_everything_installed() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&full_wheel(), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let options = InstallOptions {
        direct_url: Some(
            r#"{"url":"file:///wheels/demo_pkg-1.0-py3-none-any.whl","archive_info":{}}"#,
        ),
        requested: true,
        installer: "puffin",
        transaction: None,
    };
    let installation = install_wheel(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Hardlink),
        &options,
    )
    .unwrap();
    assert!(installation.warnings.is_empty());
    assert_eq!(
        installation.dist_info,
        layout.scheme.purelib.join("Demo_Pkg-1.0.dist-info")
    );
    let record = fs::read_to_string(installation.dist_info.join("RECORD")).unwrap();
    insta::assert_snapshot!(record);
    assert_eq!(installation.files, record.lines().count());

    // Every row's hash and size match the installed file.
    let site_packages = &layout.scheme.purelib;
    assert_record_matches(&installation.dist_info, site_packages);
    let dist_info = &installation.dist_info;
    assert_eq!(
        fs::read_to_string(dist_info.join("INSTALLER")).unwrap(),
        "puffin\n"
    );
    assert_eq!(fs::read(dist_info.join("REQUESTED")).unwrap(), b"");
    assert!(
        fs::read_to_string(dist_info.join("direct_url.json"))
            .unwrap()
            .contains("file:///wheels")
    );
    // No staging directory is left behind, and the manifest is not installed.
    insta::assert_debug_snapshot!(tree(site_packages));
}

#[test]
fn data_directories_go_to_their_scheme_paths() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&full_wheel(), &tmp.path().join("cache"));
    let mut layout = layout(tmp.path());
    // A separate platlib shows where `.data/platlib` goes.
    layout.scheme.platlib = tmp.path().join("venv/lib64/python3.12/site-packages");
    install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    let venv = tmp.path().join("venv");
    assert_eq!(
        fs::read_to_string(venv.join("share/demo/config.toml")).unwrap(),
        "x = 1\n"
    );
    assert_eq!(
        fs::read_to_string(venv.join("include/site/python3.12/Demo-Pkg/demo.h")).unwrap(),
        "int demo(void);\n"
    );
    assert!(layout.scheme.platlib.join("demo_native.py").is_file());
    assert!(!layout.scheme.purelib.join("demo_native.py").exists());
    assert!(!layout.scheme.purelib.join("Demo_Pkg-1.0.data").exists());
    // Scripts are written fresh and executable; `#!python` is rewritten.
    let rewritten = fs::read_to_string(venv.join("bin/rewrite-me")).unwrap();
    assert_eq!(
        rewritten,
        "#!/opt/python/bin/python3\nimport sys\nprint('script', sys.argv[1:])\n"
    );
    assert_eq!(mode(&venv.join("bin/rewrite-me")), 0o755);
    assert_eq!(
        fs::read_to_string(venv.join("bin/keep-me.sh")).unwrap(),
        "#!/bin/sh\necho kept\n"
    );
    assert_eq!(mode(&venv.join("bin/keep-me.sh")), 0o755);
}

/// An executable `.data/scripts` file without a `#!python` line (a native
/// tool) is linked like any other file, recorded with the wheel's hash; one
/// to rewrite, or one the wheel does not mark executable, is written fresh.
#[test]
fn native_scripts_are_linked_and_python_scripts_written() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("tool", "1.0")
        .file("tool/__init__.py", "")
        .executable(
            "tool-1.0.data/scripts/native",
            b"\x7fELF binary bytes".as_slice(),
        )
        .executable("tool-1.0.data/scripts/py", "#!python\nprint(1)\n")
        .file("tool-1.0.data/scripts/plain.sh", "#!/bin/sh\n");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Hardlink),
    );
    let bin = tmp.path().join("venv/bin");
    let scripts = wheel_dir.join("tool-1.0.data/scripts");
    assert_eq!(ino(&bin.join("native")), ino(&scripts.join("native")));
    assert_ne!(ino(&bin.join("py")), ino(&scripts.join("py")));
    assert_ne!(ino(&bin.join("plain.sh")), ino(&scripts.join("plain.sh")));
    for script in ["native", "py", "plain.sh"] {
        assert_eq!(mode(&bin.join(script)), 0o755, "{script}");
    }
    assert!(
        fs::read_to_string(bin.join("py"))
            .unwrap()
            .starts_with("#!/")
    );
    assert_record_matches(&installation.dist_info, &layout.scheme.purelib);
    let record = fs::read_to_string(installation.dist_info.join("RECORD")).unwrap();
    assert!(record.contains("bin/native,sha256="), "{record}");
}

#[test]
fn root_is_platlib() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("native", "2.0")
        .tag("cp312-cp312-linux_x86_64")
        .root_is_purelib(false)
        .file("native/__init__.py", "");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let mut layout = layout(tmp.path());
    layout.scheme.platlib = tmp.path().join("venv/lib64/python3.12/site-packages");
    let installation = install(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Hardlink),
    );
    assert!(layout.scheme.platlib.join("native/__init__.py").is_file());
    assert_eq!(
        installation.dist_info,
        layout.scheme.platlib.join("native-2.0.dist-info")
    );
}

#[test]
fn launchers_run_with_the_real_python() {
    let Some(python) = real_python() else { return };
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&full_wheel(), &tmp.path().join("cache"));

    // Once with a plain interpreter path, once through a directory with a
    // space, which needs the `/bin/sh` trick.
    let spaced = tmp.path().join("with space");
    fs::create_dir_all(&spaced).unwrap();
    std::os::unix::fs::symlink(&python, spaced.join("python3")).unwrap();
    for (root, interpreter) in [
        (tmp.path().join("plain"), python.clone()),
        (tmp.path().join("spaced"), spaced.join("python3")),
    ] {
        let layout = venv_layout(&root, interpreter.clone());
        install(
            &layout,
            &wheel_dir,
            &filename,
            &Linker::new(LinkMode::Hardlink),
        );
        let bin = &layout.scheme.scripts;
        let launcher = fs::read_to_string(bin.join("demo")).unwrap();
        if interpreter == python {
            assert!(
                launcher.starts_with(&format!("#!{}\n", python.display())),
                "{launcher}"
            );
        } else {
            assert!(launcher.starts_with("#!/bin/sh\n'''exec' '"), "{launcher}");
        }
        assert_eq!(mode(&bin.join("demo")), 0o755);

        let run = |script: &str, args: &[&str]| {
            let output = Command::new(bin.join(script))
                .args(args)
                .env("PYTHONPATH", &layout.scheme.purelib)
                .output()
                .unwrap();
            assert!(output.status.success(), "{script}: {output:?}");
            String::from_utf8(output.stdout).unwrap()
        };
        assert_eq!(run("demo", &[]), "hello from demo\n");
        assert_eq!(run("demo-gui", &[]), "app run\n");
        assert_eq!(run("rewrite-me", &["a", "b"]), "script ['a', 'b']\n");
    }
}

#[test]
fn launcher_body() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .console_script("demo", "demo.cli:App.main [extra]");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    insta::assert_snapshot!(fs::read_to_string(layout.scheme.scripts.join("demo")).unwrap());
}

/// Two wheels share `ns/__init__.py`. The second must replace the first's
/// file through a temporary file and a rename: truncating it in place would
/// write through the hardlink into the first wheel's cache entry.
#[test]
fn namespace_overlap_never_writes_into_the_cache() {
    for second_mode in [LinkMode::Hardlink, LinkMode::Copy, LinkMode::Clone] {
        let tmp = tempdir();
        let first = WheelBuilder::new("ns-one", "1.0")
            .file("ns/__init__.py", "# from one\n")
            .file("ns/one.py", "");
        let second = WheelBuilder::new("ns-two", "1.0")
            .file("ns/__init__.py", "# from two, longer\n")
            .file("ns/two.py", "");
        let (first_dir, first_name) = unpack(&first, &tmp.path().join("cache"));
        let (second_dir, second_name) = unpack(&second, &tmp.path().join("cache"));
        let layout = layout(tmp.path());
        install(
            &layout,
            &first_dir,
            &first_name,
            &Linker::new(LinkMode::Hardlink),
        );
        let shared = layout.scheme.purelib.join("ns/__init__.py");
        assert_eq!(ino(&shared), ino(&first_dir.join("ns/__init__.py")));

        install(
            &layout,
            &second_dir,
            &second_name,
            &Linker::new(second_mode),
        );
        assert_eq!(
            fs::read_to_string(first_dir.join("ns/__init__.py")).unwrap(),
            "# from one\n",
            "{second_mode}"
        );
        assert_eq!(fs::read_to_string(&shared).unwrap(), "# from two, longer\n");
        assert_eq!(
            fs::read_dir(layout.scheme.purelib.join("ns"))
                .unwrap()
                .count(),
            3
        );
    }
}

#[test]
fn reinstall_over_itself() {
    for mode in [LinkMode::Hardlink, LinkMode::Copy] {
        let tmp = tempdir();
        let (wheel_dir, filename) = unpack(&full_wheel(), &tmp.path().join("cache"));
        let layout = layout(tmp.path());
        let linker = Linker::new(mode);
        let first = install(&layout, &wheel_dir, &filename, &linker);
        let record = fs::read_to_string(first.dist_info.join("RECORD")).unwrap();
        let before = tree(&tmp.path().join("venv"));
        // A stale file in the old `.dist-info` disappears with it.
        fs::write(first.dist_info.join("stale"), "").unwrap();

        let second = install(&layout, &wheel_dir, &filename, &linker);
        assert_eq!(second.link_mode, mode);
        assert_eq!(
            fs::read_to_string(second.dist_info.join("RECORD")).unwrap(),
            record
        );
        assert_eq!(tree(&tmp.path().join("venv")), before, "{mode}");
        let installed = layout.scheme.purelib.join("demo_pkg/__init__.py");
        let cached = wheel_dir.join("demo_pkg/__init__.py");
        assert_eq!(ino(&installed) == ino(&cached), mode == LinkMode::Hardlink);
        assert_eq!(
            fs::metadata(&cached).unwrap().nlink(),
            if mode == LinkMode::Hardlink { 2 } else { 1 }
        );
    }
}

/// With a manifest, the install never walks the directory: a file not in the
/// manifest is not installed. Without one, the directory is scanned.
#[test]
fn manifest_is_the_file_list() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    fs::write(wheel_dir.join("demo/extra.py"), "").unwrap();
    let with_manifest = layout(&tmp.path().join("a"));
    install(
        &with_manifest,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Copy),
    );
    assert!(!with_manifest.scheme.purelib.join("demo/extra.py").exists());
    assert!(
        !with_manifest
            .scheme
            .purelib
            .join(install_wheel_rs::MANIFEST_FILENAME)
            .exists()
    );

    // RECORD lists every file of a wheel, so the scanned one has it too.
    let builder = builder.file("demo/extra.py", "");
    let (wheel_dir, filename) = unpack_without_manifest(&builder, &tmp.path().join("cache2"));
    let scanned = layout(&tmp.path().join("b"));
    install(
        &scanned,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Copy),
    );
    assert!(scanned.scheme.purelib.join("demo/extra.py").exists());
    assert!(WheelManifest::read(&wheel_dir).unwrap().is_none());
}

#[test]
fn newer_minor_wheel_version_is_a_warning() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0")
        .wheel_version("1.9")
        .file("demo/__init__.py", "");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    let warnings: Vec<String> = installation
        .warnings
        .iter()
        .map(|warning| {
            warning
                .to_string()
                .replace(&tmp.path().display().to_string(), "[TMP]")
        })
        .collect();
    insta::assert_debug_snapshot!(warnings, @r#"
    [
        "`[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/WHEEL` declares Wheel-Version 1.9, newer than the 1.0 puffin knows; installed it anyway",
    ]
    "#);
}
