//! Bad wheels get errors a person can act on.

use fs_err as fs;
use install_wheel_rs::{InstallOptions, LinkMode, Linker, install_wheel};
use puffin_test_support::WheelBuilder;

use crate::common::{error_chain, layout, tempdir, unpack, unpack_without_manifest};

/// Install the unpacked wheel after `break_it` modified it (the directory is
/// scanned, as there is no manifest), and return the error text.
fn install_error(builder: &WheelBuilder, break_it: impl FnOnce(&std::path::Path)) -> String {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack_without_manifest(builder, &tmp.path().join("cache"));
    break_it(&wheel_dir);
    let err = install_wheel(
        &layout(tmp.path()),
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Copy),
        &InstallOptions::default(),
    )
    .unwrap_err();
    // Nothing is published for a rejected wheel.
    let site_packages = layout(tmp.path()).scheme.purelib;
    if site_packages.exists() {
        let leftovers: Vec<_> = fs::read_dir(&site_packages)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| {
                name.to_string_lossy().ends_with(".dist-info")
                    || name.to_string_lossy().starts_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    error_chain(&err, tmp.path())
}

fn demo() -> WheelBuilder {
    WheelBuilder::new("demo", "1.0").file("demo/__init__.py", "")
}

#[test]
fn no_dist_info() {
    let message = install_error(&demo(), |dir| {
        fs::remove_dir_all(dir.join("demo-1.0.dist-info")).unwrap();
    });
    insta::assert_snapshot!(message, @"The wheel `demo-1.0-py3-none-any.whl` has no `.dist-info` directory at its root `[TMP]/cache/demo-1.0-py3-none-any`: expected `demo-1.0.dist-info`");
}

#[test]
fn two_dist_infos() {
    let message = install_error(&demo(), |dir| {
        fs::create_dir_all(dir.join("other-2.0.dist-info")).unwrap();
        fs::write(dir.join("other-2.0.dist-info/METADATA"), "Name: other\n").unwrap();
    });
    insta::assert_snapshot!(message, @"The wheel `demo-1.0-py3-none-any.whl` has several `.dist-info` directories at its root `[TMP]/cache/demo-1.0-py3-none-any` (demo-1.0.dist-info, other-2.0.dist-info): a wheel has exactly one, `demo-1.0.dist-info`");
}

#[test]
fn dist_info_of_another_version() {
    let message = install_error(&demo(), |dir| {
        fs::rename(
            dir.join("demo-1.0.dist-info"),
            dir.join("demo-1.1.dist-info"),
        )
        .unwrap();
    });
    insta::assert_snapshot!(message, @"The `.dist-info` directory `[TMP]/cache/demo-1.0-py3-none-any/demo-1.1.dist-info` does not match the wheel filename `demo-1.0-py3-none-any.whl`: expected `demo-1.0.dist-info`");
}

#[test]
fn metadata_name_mismatch() {
    let builder = demo().dist_info_file(
        "METADATA",
        Some(b"Metadata-Version: 2.1\nName: not-demo\nVersion: 1.0\n"),
    );
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"The Name `not-demo` in `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/METADATA` does not match the wheel filename `demo-1.0-py3-none-any.whl`: expected `demo`");
}

#[test]
fn metadata_version_mismatch() {
    let builder = demo().dist_info_file(
        "METADATA",
        Some(b"Metadata-Version: 2.1\nName: Demo\nVersion: 1.0.post1\n"),
    );
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"The Version `1.0.post1` in `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/METADATA` does not match the wheel filename `demo-1.0-py3-none-any.whl`: expected `1.0`");
}

#[test]
fn missing_metadata() {
    let builder = demo().dist_info_file("METADATA", None);
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"The wheel is missing `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/METADATA`");
}

#[test]
fn wheel_version_2() {
    let message = install_error(&demo().wheel_version("2.0"), |_| {});
    insta::assert_snapshot!(message, @"`[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/WHEEL` declares Wheel-Version 2.0, but puffin installs only wheels up to version 1.x: use another build of the package");
}

#[test]
fn invalid_root_is_purelib() {
    let builder = demo().dist_info_file(
        "WHEEL",
        Some(b"Wheel-Version: 1.0\nRoot-Is-Purelib: maybe\nTag: py3-none-any\n"),
    );
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"Invalid `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/WHEEL`: `Root-Is-Purelib: maybe` must be `true` or `false`");
}

#[test]
fn unknown_data_directory() {
    let builder = demo().file("demo-1.0.data/unknown/x.txt", "");
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"`[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.data/unknown` is not a known `.data` directory: a wheel's `.data` directory may only contain `purelib`, `platlib`, `scripts`, `headers` and `data`");
}

#[test]
fn entry_point_escaping_the_scripts_directory() {
    let builder = demo().console_script("../../evil", "demo:main");
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @r"Invalid entry point `../../evil` in `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/entry_points.txt`: a script name must be a plain filename without `/`, `\` or `..`");
}

#[test]
fn entry_point_replacing_python() {
    let builder = demo().console_script("python3", "demo:main");
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"Invalid entry point `python3` in `[TMP]/cache/demo-1.0-py3-none-any/demo-1.0.dist-info/entry_points.txt`: a wheel must not replace the environment's Python interpreter");
}

#[test]
fn unsafe_manifest_path() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&demo(), &tmp.path().join("cache"));
    let mut manifest = install_wheel_rs::WheelManifest::read(&wheel_dir)
        .unwrap()
        .unwrap();
    manifest.files[0].path = "../outside.py".to_string();
    manifest.write(&wheel_dir).unwrap();
    let err = install_wheel(
        &layout(tmp.path()),
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Copy),
        &InstallOptions::default(),
    )
    .unwrap_err();
    insta::assert_snapshot!(error_chain(&err, tmp.path()), @"The unzipped wheel `[TMP]/cache/demo-1.0-py3-none-any` lists the unsafe path `../outside.py`; run `puffin clean` to remove the cache entry");
}

#[test]
fn data_directory_of_another_project() {
    let builder = demo().file("other-1.0.data/data/x.txt", "");
    let message = install_error(&builder, |_| {});
    insta::assert_snapshot!(message, @"The `.data` directory `[TMP]/cache/demo-1.0-py3-none-any/other-1.0.data` does not match the wheel filename `demo-1.0-py3-none-any.whl`: expected `demo-1.0.data`");
}
