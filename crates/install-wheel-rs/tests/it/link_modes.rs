//! The linker: every mode, the fallback chain across filesystems, clones on a
//! reflink filesystem, and the "no mixed wheel" rule.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use fs_err as fs;
use install_wheel_rs::{Installation, LinkMode, Linker};
use puffin_test_support::WheelBuilder;

use crate::common::{
    alt_fs, assert_linked_as, cow_fs, error_chain, install, layout, mode, tempdir, unpack,
};

fn demo(name: &str) -> WheelBuilder {
    WheelBuilder::new(name, "1.0")
        .file(&format!("{name}/__init__.py"), "VALUE = 1\n")
        .file(&format!("{name}/core.py"), "def f():\n    return 2\n")
        .executable(&format!("{name}/tool.sh"), "#!/bin/sh\necho tool\n")
        .file(&format!("{name}/data/table.txt"), "a,b\n1,2\n")
}

/// Check every payload and copied `.dist-info` file against the reported mode.
fn assert_wheel_linked_as(installation: &Installation, wheel_dir: &Path, site_packages: &Path) {
    let name = wheel_dir
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .to_string();
    for relative in [
        format!("{name}/__init__.py"),
        format!("{name}/core.py"),
        format!("{name}/tool.sh"),
        format!("{name}/data/table.txt"),
        format!("{name}-1.0.dist-info/METADATA"),
        format!("{name}-1.0.dist-info/WHEEL"),
    ] {
        assert_linked_as(
            installation.link_mode,
            &wheel_dir.join(&relative),
            &site_packages.join(&relative),
        );
    }
    assert_eq!(mode(&site_packages.join(format!("{name}/tool.sh"))), 0o755);
}

#[test]
fn every_mode_into_a_fresh_layout() {
    for requested in [LinkMode::Clone, LinkMode::Hardlink, LinkMode::Copy] {
        let tmp = tempdir();
        let (wheel_dir, filename) = unpack(&demo("demo"), &tmp.path().join("cache"));
        let layout = layout(tmp.path());
        let linker = Linker::new(requested);
        let installation = install(&layout, &wheel_dir, &filename, &linker);

        // Hardlink and copy always work on one filesystem; a clone may fall
        // back (to a hardlink) where the filesystem cannot clone.
        if requested != LinkMode::Clone {
            assert_eq!(installation.link_mode, requested);
            assert!(installation.fallback.is_none());
        } else if installation.link_mode != LinkMode::Clone {
            let fallback = installation.fallback.as_ref().unwrap();
            assert_eq!(fallback.from, LinkMode::Clone);
            assert_eq!(fallback.to, installation.link_mode);
        }
        assert_wheel_linked_as(&installation, &wheel_dir, &layout.scheme.purelib);
        // Files the installer writes are never links into the cache.
        let record = installation.dist_info.join("RECORD");
        assert_eq!(fs::metadata(&record).unwrap().nlink(), 1);
    }
}

#[test]
fn cross_filesystem_hardlinks_fall_back_to_copy_once() {
    let Some(alt) = alt_fs() else { return };
    for requested in [LinkMode::Hardlink, LinkMode::Clone] {
        let cache = tempfile::tempdir_in(&alt).unwrap();
        let target = tempdir();
        let layout = layout(target.path());
        let linker = Linker::new(requested);
        let mut fallbacks = Vec::new();
        for name in ["alpha", "beta", "gamma"] {
            let (wheel_dir, filename) = unpack(&demo(name), cache.path());
            let installation = install(&layout, &wheel_dir, &filename, &linker);
            assert_eq!(installation.link_mode, LinkMode::Copy, "{name}");
            assert_wheel_linked_as(&installation, &wheel_dir, &layout.scheme.purelib);
            fallbacks.extend(installation.fallback);
        }
        assert_eq!(fallbacks.len(), 1, "exactly one warning per run");
        let fallback = &fallbacks[0];
        assert_eq!(fallback.from, requested);
        assert_eq!(fallback.to, LinkMode::Copy);
        assert_eq!(fallback.target_dir, layout.scheme.purelib);
        assert!(fallback.source_dir.starts_with(cache.path()));
        let message = fallback.to_string();
        assert!(
            message.contains(&cache.path().display().to_string()),
            "{message}"
        );
        assert!(
            message.contains(&layout.scheme.purelib.display().to_string()),
            "{message}"
        );
        assert!(message.contains("--cache-dir"), "{message}");
        assert!(message.contains("--link-mode=copy"), "{message}");
        if requested == LinkMode::Hardlink {
            assert_eq!(fallback.err.raw_os_error(), Some(libc::EXDEV));
        }
    }
}

#[test]
fn cross_filesystem_warning_text() {
    let Some(alt) = alt_fs() else { return };
    let cache = tempfile::tempdir_in(&alt).unwrap();
    let target = tempdir();
    let layout = layout(target.path());
    let (wheel_dir, filename) = unpack(&demo("demo"), cache.path());
    let installation = install(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Hardlink),
    );
    let message = installation
        .fallback
        .unwrap()
        .to_string()
        .replace(&cache.path().display().to_string(), "[CACHE]")
        .replace(&target.path().display().to_string(), "[TARGET]");
    insta::assert_snapshot!(message, @"Failed to hardlink files from the cache `[CACHE]/demo-1.0-py3-none-any` to `[TARGET]/venv/lib/python3.12/site-packages`: the cache is on another filesystem than the environment (Invalid cross-device link (os error 18)); falling back to copy, which is slower and uses more disk space. To fix this, put the cache on the same filesystem as the environment with --cache-dir, or pass --link-mode=copy to silence this warning");
}

#[test]
fn reflink_filesystem_clones_and_keeps_modes() {
    let Some(cow) = cow_fs() else { return };
    let tmp = tempfile::tempdir_in(&cow).unwrap();
    let (wheel_dir, filename) = unpack(&demo("demo"), &tmp.path().join("cache"));
    let layout = layout(tmp.path());
    let installation = install(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Clone),
    );
    assert_eq!(installation.link_mode, LinkMode::Clone);
    assert!(installation.fallback.is_none());
    assert_wheel_linked_as(&installation, &wheel_dir, &layout.scheme.purelib);
    // The clone shares its extents with the cache file.
    let installed = layout.scheme.purelib.join("demo/core.py");
    match std::process::Command::new("filefrag")
        .arg("-v")
        .arg(&installed)
        .output()
    {
        Ok(output) if output.status.success() => {
            let report = String::from_utf8_lossy(&output.stdout);
            assert!(report.contains("shared"), "{report}");
        }
        _ => println!("Not checking shared extents: `filefrag` is not available"),
    }
    // An independent file: writing to the clone leaves the cache alone.
    fs::write(&installed, "changed").unwrap();
    assert_eq!(
        fs::read_to_string(wheel_dir.join("demo/core.py")).unwrap(),
        "def f():\n    return 2\n"
    );
}

/// A capability error on a later file (here an injected `EXDEV` on the third
/// file) must not leave the wheel half hardlinked and half copied.
#[test]
fn later_capability_failure_copies_the_whole_wheel() {
    for (requested, files) in [
        (LinkMode::Hardlink, 0),
        (LinkMode::Clone, 0),
        (LinkMode::Hardlink, 300),
    ] {
        let tmp = tempdir();
        let mut builder = demo("demo");
        // Enough files to take the parallel path.
        for index in 0..files {
            builder = builder.file(&format!("demo/many/m{index}.py"), format!("X = {index}\n"));
        }
        let (wheel_dir, filename) = unpack(&builder, &tmp.path().join("cache"));
        let layout = layout(tmp.path());
        let index = if files > 0 { 150 } else { 2 };
        let linker = Linker::new(requested).with_fault_after(index, libc::EXDEV);
        let installation = install(&layout, &wheel_dir, &filename, &linker);
        assert_eq!(
            installation.link_mode,
            LinkMode::Copy,
            "{requested} {files}"
        );
        assert_wheel_linked_as(&installation, &wheel_dir, &layout.scheme.purelib);
        for index in 0..files {
            let relative = format!("demo/many/m{index}.py");
            assert_linked_as(
                LinkMode::Copy,
                &wheel_dir.join(&relative),
                &layout.scheme.purelib.join(&relative),
            );
        }
        // No link into the cache is left anywhere.
        for file in walk_files(&layout.scheme.data) {
            assert_eq!(
                fs::metadata(&file).unwrap().nlink(),
                1,
                "{}",
                file.display()
            );
        }
        let fallback = installation.fallback.unwrap();
        assert_eq!(fallback.to, LinkMode::Copy);
        if requested == LinkMode::Hardlink {
            assert_eq!(fallback.err.raw_os_error(), Some(libc::EXDEV));
        }
    }
}

/// A failing first file falls back, and the linker remembers it: the next
/// wheel goes straight to copy without a second warning.
#[test]
fn first_file_failure_is_remembered() {
    let tmp = tempdir();
    let layout = layout(tmp.path());
    let linker = Linker::new(LinkMode::Hardlink).with_fault_after(0, libc::EPERM);
    let (first_dir, first) = unpack(&demo("first"), &tmp.path().join("cache"));
    let (second_dir, second) = unpack(&demo("second"), &tmp.path().join("cache"));
    let one = install(&layout, &first_dir, &first, &linker);
    let two = install(&layout, &second_dir, &second, &linker);
    assert_eq!(
        (one.link_mode, two.link_mode),
        (LinkMode::Copy, LinkMode::Copy)
    );
    assert!(one.fallback.is_some());
    assert!(two.fallback.is_none());
    assert_wheel_linked_as(&two, &second_dir, &layout.scheme.purelib);
}

/// Errors that are not about capability (no space, I/O errors) are hard
/// errors naming both paths, on the first file or later.
#[test]
fn other_errors_are_hard_errors() {
    for index in [0, 2] {
        let tmp = tempdir();
        let (wheel_dir, filename) = unpack(&demo("demo"), &tmp.path().join("cache"));
        let layout = layout(tmp.path());
        let linker = Linker::new(LinkMode::Hardlink).with_fault_after(index, libc::ENOSPC);
        let err = install_wheel_rs::install_wheel(
            &layout,
            &wheel_dir,
            &filename,
            &linker,
            &install_wheel_rs::InstallOptions::default(),
        )
        .unwrap_err();
        insta::assert_snapshot!(format!("hard_error_{index}"), error_chain(&err, tmp.path()));
    }
}

/// A file missing from the cache entry is a hard error, not a fallback.
#[test]
fn missing_cache_file_is_a_hard_error() {
    let tmp = tempdir();
    let (wheel_dir, filename) = unpack(&demo("demo"), &tmp.path().join("cache"));
    fs::remove_file(wheel_dir.join("demo/core.py")).unwrap();
    let layout = layout(tmp.path());
    let err = install_wheel_rs::install_wheel(
        &layout,
        &wheel_dir,
        &filename,
        &Linker::new(LinkMode::Hardlink),
        &install_wheel_rs::InstallOptions::default(),
    )
    .unwrap_err();
    insta::assert_snapshot!(error_chain(&err, tmp.path()), @r"
    Failed to hardlink `[TMP]/cache/demo-1.0-py3-none-any/demo/core.py` to `[TMP]/venv/lib/python3.12/site-packages/demo/core.py`
      Caused by: No such file or directory (os error 2)
    ");
}

/// Many wheels installed from rayon threads with one shared linker.
#[test]
fn shared_linker_from_threads() {
    use rayon::prelude::*;
    let tmp = tempdir();
    let layout = layout(tmp.path());
    let names: Vec<String> = (0..8).map(|index| format!("pkg{index}")).collect();
    let wheels: Vec<_> = names
        .iter()
        .map(|name| unpack(&demo(name), &tmp.path().join("cache")))
        .collect();
    let linker = Linker::new(LinkMode::Hardlink).with_fault_after(0, libc::EXDEV);
    let installations: Vec<Installation> = wheels
        .par_iter()
        .map(|(dir, filename)| install(&layout, dir, filename, &linker))
        .collect();
    assert!(installations.iter().all(|i| i.link_mode == LinkMode::Copy));
    assert_eq!(
        installations
            .iter()
            .filter(|i| i.fallback.is_some())
            .count(),
        1
    );
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            files.extend(walk_files(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}
