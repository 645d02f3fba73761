//! Issue 12, "wheel conformance": where puffin broke the binary distribution
//! format on pip's test wheels and on real ones. One regression test per
//! item, on wheels built by `puffin-test-support`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fs_err as fs;
use install_wheel_rs::{
    Error, InstallOptions, Layout, LinkMode, Linker, WheelManifest, check_unpacked_wheel,
    install_wheel, read_record, uninstall_wheel,
};
use puffin_fs::normalize_path;
use puffin_test_support::WheelBuilder;

use crate::common::{
    assert_record_matches, error_chain, install, layout, mode, scratch, tempdir, tree, unpack,
};

/// A wheel with a file in every `.data` category, the root, the
/// `.dist-info` and an entry point.
fn every_category() -> WheelBuilder {
    WheelBuilder::new("greenlet", "3.0")
        .root_is_purelib(false)
        .file("greenlet/__init__.py", "")
        .file("greenlet-3.0.data/purelib/greenlet_pure.py", "")
        .file("greenlet-3.0.data/platlib/greenlet_plat.py", "")
        .file("greenlet-3.0.data/headers/greenlet.h", "int g;\n")
        .file("greenlet-3.0.data/headers/sub/inner.h", "int i;\n")
        .file(
            "greenlet-3.0.data/scripts/greenlet-tool",
            "#!python\nprint(1)\n",
        )
        .file("greenlet-3.0.data/data/share/greenlet/data.txt", "data\n")
        .console_script("greenlet-run", "greenlet:main")
}

/// Install with `REQUESTED` and `direct_url.json`, so every generated file is
/// written.
fn install_recorded(layout: &Layout, builder: &WheelBuilder, cache: &Path) -> PathBuf {
    let (wheel_dir, filename) = unpack(builder, cache);
    let options = InstallOptions {
        direct_url: Some(r#"{"url":"file:///w/x.whl","archive_info":{}}"#),
        requested: true,
        installer: "puffin",
        transaction: None,
    };
    install_wheel(
        layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Copy),
        &options,
    )
    .unwrap()
    .dist_info
}

/// The rows of an installed RECORD.
fn record_rows(dist_info: &Path) -> Vec<install_wheel_rs::RecordEntry> {
    read_record(fs::File::open(dist_info.join("RECORD")).unwrap()).unwrap()
}

/// Item 1: `.data/headers` went to the base interpreter's include directory
/// (`/usr/include/python3.11/<name>`), outside the environment. Every file an
/// install writes, and every RECORD row, lies under the environment's
/// prefix, for every `.data` category; headers are in
/// `include/site/python3.X/<name>/`.
#[test]
fn every_file_lies_under_the_prefix() {
    let tmp = tempdir();
    let layout = layout(tmp.path());
    let dist_info = install_recorded(&layout, &every_category(), &tmp.path().join("cache"));

    let everything: Vec<String> = tree(tmp.path())
        .into_iter()
        .filter(|path| !path.starts_with("cache/") && path != "cache/")
        .collect();
    for path in &everything {
        assert!(
            path == "venv/" || path.starts_with("venv/"),
            "{path} is outside the prefix"
        );
    }
    let include = layout.scheme.include.join("greenlet");
    assert!(include.join("greenlet.h").is_file());
    assert!(include.join("sub/inner.h").is_file());

    let rows = record_rows(&dist_info);
    let categories = [
        "greenlet_pure",
        "greenlet_plat",
        "include/site",
        "bin/greenlet-tool",
    ];
    for category in categories
        .into_iter()
        .chain(["share/greenlet", "bin/greenlet-run"])
    {
        assert!(
            rows.iter().any(|row| row.path.contains(category)),
            "no RECORD row for {category}"
        );
    }
    for row in &rows {
        let path = normalize_path(&layout.scheme.platlib.join(&row.path));
        assert!(path.starts_with(&layout.prefix), "{}", row.path);
        assert!(path.is_file(), "{} is not installed", row.path);
    }
}

/// Item 1: a scheme directory outside the prefix (a venv whose `include`
/// named `/usr/include/python3.X`) is refused before anything is written.
#[test]
fn scheme_outside_the_prefix_is_refused() {
    let tmp = tempdir();
    let mut layout = layout(tmp.path());
    layout.scheme.include = tmp.path().join("usr/include/python3.12");
    let (wheel_dir, filename) = unpack(&every_category(), &tmp.path().join("cache"));
    let err = install_wheel(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Copy),
        &InstallOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::SchemeOutsidePrefix {
            name: "include",
            ..
        }
    ));
    insta::assert_snapshot!(error_chain(&err, tmp.path()), @"The install scheme's `include` directory `[TMP]/usr/include/python3.12` is outside the environment `[TMP]/venv`: puffin never installs files outside the environment");
    assert!(!tmp.path().join("usr").exists());
    assert!(!tmp.path().join("venv").exists());
}

/// Item 3: old setuptools wheels ship `easy_install` both as an entry point
/// and in `.data/scripts`, with Windows wrappers. Both were installed, and
/// RECORD got two rows for one path, one with a stale hash. The launcher wins,
/// the wrappers are skipped, and every RECORD row matches its file.
#[test]
fn entry_point_launcher_beats_legacy_script_wrappers() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("setuptools", "0.9")
        .file("setuptools/__init__.py", "")
        .file(
            "setuptools-0.9.data/scripts/easy_install",
            "#!python\nold wrapper\n",
        )
        .file("setuptools-0.9.data/scripts/easy_install.exe", "MZ")
        .file(
            "setuptools-0.9.data/scripts/easy_install.exe.manifest",
            "<xml/>",
        )
        .file(
            "setuptools-0.9.data/scripts/easy_install-script.py",
            "#!python\nx\n",
        )
        .file("setuptools-0.9.data/scripts/other-tool", "#!python\ny\n")
        .console_script("easy_install", "setuptools.command.easy_install:main");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let manifest = WheelManifest::read(&wheel_dir).unwrap().unwrap();
    check_unpacked_wheel(&wheel_dir, &manifest, &filename).unwrap();
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));

    assert_eq!(tree(&layout.scheme.scripts), ["easy_install", "other-tool"]);
    let launcher = fs::read_to_string(layout.scheme.scripts.join("easy_install")).unwrap();
    assert!(launcher.contains("from setuptools.command.easy_install import main"));

    let rows = record_rows(&installation.dist_info);
    let paths: BTreeSet<&str> = rows.iter().map(|row| row.path.as_str()).collect();
    assert_eq!(paths.len(), rows.len(), "a path is listed twice");
    assert_record_matches(&installation.dist_info, &layout.scheme.purelib);
}

/// Item 4: only `#!python` and `#!pythonw` were rewritten; `#!python3` and
/// `#!python3.11` kept a shebang that runs whatever `python3` is on `PATH`.
#[test]
fn every_python_placeholder_shebang_is_rewritten() {
    let tmp = tempdir();
    let mut builder = WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "");
    let placeholders = [
        "#!python",
        "#!python3",
        "#!python3.11",
        "#!pythonw",
        "#!python -u",
    ];
    for (index, placeholder) in placeholders.iter().enumerate() {
        builder = builder.file(
            &format!("demo-1.0.data/scripts/s{index}"),
            format!("{placeholder}\nprint({index})\n"),
        );
    }
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    let python = layout.sys_executable.display().to_string();
    for (index, placeholder) in placeholders.iter().enumerate() {
        let script = fs::read_to_string(layout.scheme.scripts.join(format!("s{index}"))).unwrap();
        let args = if placeholder.ends_with(" -u") {
            " -u"
        } else {
            ""
        };
        assert_eq!(
            script,
            format!("#!{python}{args}\nprint({index})\n"),
            "{placeholder}"
        );
    }
}

/// Item 5: a wheel's empty directory entries were created (pip never does),
/// and an empty `simple/` outlived the uninstall and still imported as a
/// namespace package.
#[test]
fn empty_directories_are_neither_created_nor_left_behind() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0")
        .dir("simple")
        .dir("demo/empty")
        .dir("demo-1.0.data/data/share/nothing")
        .file("demo/__init__.py", "");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    assert!(wheel_dir.join("simple").is_dir());
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    let site_packages = &layout.scheme.purelib;
    assert!(!site_packages.join("simple").exists());
    assert!(!site_packages.join("demo/empty").exists());
    assert!(!layout.prefix.join("share").exists());

    uninstall_wheel(&layout, &installation.dist_info).unwrap();
    assert_eq!(tree(site_packages), Vec::<String>::new());
}

/// Item 6: `Wheel-Version: 0.1`, which old real wheels declare, was refused;
/// the specification refuses only a newer major version.
#[test]
fn wheel_version_0_is_accepted() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0")
        .wheel_version("0.1")
        .file("demo/__init__.py", "");
    let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(&layout, &wheel_dir, &filename, &Linker::new(LinkMode::Copy));
    assert!(installation.warnings.is_empty());
    assert!(layout.scheme.purelib.join("demo/__init__.py").is_file());
}

/// Check an unpacked wheel (after `edit` changed it), rescanning the manifest.
fn check_after(builder: &WheelBuilder, tmp: &Path, edit: impl Fn(&Path)) -> String {
    let (wheel_dir, filename) = unpack(builder, &tmp.join("cache"));
    edit(&wheel_dir);
    let manifest = WheelManifest::scan(&wheel_dir, filename.to_string()).unwrap();
    manifest.write(&wheel_dir).unwrap();
    let err = check_unpacked_wheel(&wheel_dir, &manifest, &filename).unwrap_err();
    // The install refuses the same wheel in a directory it has to scan (a
    // stored entry's manifest is only written once these checks passed).
    fs::remove_file(wheel_dir.join(install_wheel_rs::MANIFEST_FILENAME)).unwrap();
    let layout = layout(tmp);
    let linker = Linker::new(LinkMode::Copy);
    let options = InstallOptions::default();
    assert!(install_wheel(&layout, &wheel_dir, &filename, &linker, &options).is_err());
    error_chain(&err, tmp)
}

/// Item 7: a file that RECORD does not list, and an empty RECORD, were
/// accepted with a warning; the specification says installation must fail.
#[test]
fn record_must_list_every_file() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "");
    let message = check_after(&builder, tmp.path(), |dir| {
        fs::write(dir.join("demo/unlisted.py"), "import os\n").unwrap();
    });
    insta::assert_snapshot!(message, @"`demo/unlisted.py` is not listed in `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/RECORD`: a wheel's RECORD lists every file of the wheel, so this one cannot be trusted");

    let tmp = tempdir();
    let empty = builder.dist_info_file("RECORD", Some(b""));
    let message = check_after(&empty, tmp.path(), |_| {});
    insta::assert_snapshot!(message, @"`[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/RECORD` is empty: a wheel's RECORD lists every file of the wheel");
}

/// Item 8: `.data/data/bin/python3` replaced the environment's interpreter,
/// and every later puffin command ran the wheel's program. Such files are
/// refused, at unzip time and at install time, and nothing is replaced.
#[test]
fn wheel_cannot_replace_the_interpreter_or_activation() {
    let reserved = [
        "demo-1.0.data/data/bin/python",
        "demo-1.0.data/data/bin/python3",
        "demo-1.0.data/data/bin/python3.12",
        "demo-1.0.data/data/bin/pythonw",
        "demo-1.0.data/data/bin/activate",
        "demo-1.0.data/data/bin/activate.fish",
        "demo-1.0.data/data/pyvenv.cfg",
        "demo-1.0.data/scripts/activate",
        "demo-1.0.data/scripts/python3",
    ];
    for path in reserved {
        let tmp = tempdir();
        let builder = WheelBuilder::new("demo", "1.0")
            .file("demo/__init__.py", "")
            .file(path, "#!/bin/sh\necho hijacked\n");
        let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
        let manifest = WheelManifest::read(&wheel_dir).unwrap().unwrap();
        let err = check_unpacked_wheel(&wheel_dir, &manifest, &filename).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ReservedPath { .. } | Error::InvalidScript { .. }
            ),
            "{path}: {err}"
        );

        let layout = layout(tmp.path());
        let target = layout.prefix.join(path.rsplit_once("/data/").map_or_else(
            || format!("bin/{}", path.rsplit('/').next().unwrap()),
            |(_, rest)| rest.to_string(),
        ));
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(&target, "original").unwrap();
        let linker = Linker::new(LinkMode::Copy);
        let options = InstallOptions::default();
        let err = install_wheel(&layout, &wheel_dir, &filename, &linker, &options).unwrap_err();
        assert!(
            err.to_string().contains("must not replace"),
            "{path}: {err}"
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "original", "{path}");
    }
}

/// Item 8: the message names the file and the reserved name.
#[test]
fn reserved_path_message() {
    let tmp = tempdir();
    let builder = WheelBuilder::new("demo", "1.0")
        .file("demo/__init__.py", "")
        .file("demo-1.0.data/data/bin/python3", "x");
    let message = check_after(&builder, tmp.path(), |_| {});
    insta::assert_snapshot!(message, @"`[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.data/data/bin/python3` would replace `bin/python3`: a wheel must not replace the environment's Python interpreter");
}

/// Item 9: RECORD, INSTALLER, REQUESTED and `direct_url.json` were created
/// 0o644 whatever the umask; pip creates them `0o666 & !umask`, and scripts
/// `0o777 & !umask` plus the execute bits. RECORD is sorted with its own row
/// in order.
///
/// The umask is per process, so the check runs in a child process of this
/// test binary: changing it here would change the modes other tests see.
#[test]
fn generated_files_follow_the_umask() {
    if std::env::var_os("PUFFIN_TEST_UMASK_CHILD").is_none() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "conformance::generated_files_follow_the_umask"])
            .args(["--test-threads", "1", "--nocapture"])
            .env("PUFFIN_TEST_UMASK_CHILD", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("1 passed"), "{stdout}");
        return;
    }
    set_umask(0o027);
    let tmp = tempdir();
    let layout = layout(tmp.path());
    let dist_info = install_recorded(&layout, &every_category(), &tmp.path().join("cache"));
    for file in ["RECORD", "INSTALLER", "REQUESTED", "direct_url.json"] {
        assert_eq!(mode(&dist_info.join(file)), 0o640, "{file}");
    }
    for script in ["greenlet-tool", "greenlet-run"] {
        assert_eq!(mode(&layout.scheme.scripts.join(script)), 0o751, "{script}");
    }
    let rows = record_rows(&dist_info);
    let paths: Vec<&str> = rows.iter().map(|row| row.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted);
    assert!(paths.contains(&"greenlet-3.0.dist-info/RECORD"));
}

#[allow(unsafe_code)]
fn set_umask(mask: libc::mode_t) {
    // SAFETY: `umask` has no preconditions; this child process runs one test.
    unsafe {
        libc::umask(mask);
    }
}

/// Item 10: `--link-mode clone` on a filesystem without reflinks (ext4)
/// warned that the cache was "on another filesystem" although it was not.
/// The warning names the missing copy-on-write support and the flag that
/// silences it.
#[test]
fn clone_fallback_names_the_missing_copy_on_write_support() {
    let tmp = tempfile::tempdir_in(scratch()).unwrap();
    let (wheel_dir, filename) = unpack(&every_category(), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Clone),
    );
    if installation.link_mode == LinkMode::Clone {
        println!("Skipping: the scratch filesystem supports reflinks, so nothing falls back");
        return;
    }
    let fallback = installation
        .fallback
        .expect("the first fallback is reported");
    let message = fallback.to_string();
    assert!(
        message.contains("does not support copy-on-write clones"),
        "{message}"
    );
    assert!(!message.contains("another filesystem"), "{message}");
    // The errno the filesystem answered, e.g. `(Operation not supported (os
    // error 95))` on ext4, and the hardlink that replaces the clone.
    let errno = fallback.err.raw_os_error().expect("an OS error");
    assert!(
        message.contains(&format!("(os error {errno})")),
        "{message}"
    );
    assert_eq!(installation.link_mode, LinkMode::Hardlink, "{message}");
    assert!(message.contains("falling back to hardlink"), "{message}");
    assert!(
        message.contains("--link-mode=hardlink to silence"),
        "{message}"
    );
}
