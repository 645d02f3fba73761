//! A full disk: an environment on a 3 MiB tmpfs gets a wheel larger than the
//! free space. The sync fails with an error naming the path and the cause,
//! and the environment stays consistent.

use std::path::{Path, PathBuf};
use std::process::Command;

use fs_err as fs;
use puffin_test_support::WheelBuilder;

use super::{Rng, assert_records_hold, orphans, sync_command, tree_listing};
use crate::common::{TestContext, assert_python, installed, site_packages};

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mount a tmpfs of `size` (e.g. `3m`) at `path`; `None` (after printing
    /// why) when that is not possible, e.g. without root.
    fn mount(path: &Path, size: &str) -> Option<Self> {
        fs::create_dir_all(path).unwrap();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output();
        match output {
            Ok(output) if output.status.success() => Some(Self {
                path: path.to_path_buf(),
            }),
            Ok(output) => {
                println!(
                    "Skipping: cannot mount a tmpfs (root needed): {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(err) => {
                println!("Skipping: cannot run `mount`: {err}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Installing a wheel larger than the free space fails with
/// "No space left on device" and the path; the first package still imports
/// and every installed RECORD still holds.
#[test]
fn a_full_disk_fails_cleanly() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let Some(tmpfs) = Tmpfs::mount(&context.root.join("small"), "3m") else {
        return;
    };
    let venv = context.create_venv("small/venv");
    let baseline = tree_listing(&site_packages(&venv), &[]);

    context
        .build(&WheelBuilder::new("small", "1.0").file("small/__init__.py", "VALUE = 'small'\n"));
    // 5 MiB that deflate cannot shrink much, so the archive is honest too.
    let mut rng = Rng::new(42);
    let payload: Vec<u8> = (0..5 * 1024 * 1024 / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect();
    context.build(
        &WheelBuilder::new("big", "1.0")
            .file("big/__init__.py", "")
            .file("big/data.bin", payload),
    );

    let first = context.write("first.txt", "small==1.0\n");
    let output = sync_command(&context, &venv, &first).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let both = context.write("both.txt", "small==1.0\nbig==1.0\n");
    let output = sync_command(&context, &venv, &both).output().unwrap();
    let stderr = context.filter(&String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success(), "the sync succeeded:\n{stderr}");
    assert!(
        stderr.contains("No space left on device"),
        "the error does not say why:\n{stderr}"
    );
    assert!(
        stderr.contains("[TEMP]/small/venv/"),
        "the error does not name the path:\n{stderr}"
    );
    insta::assert_snapshot!(stderr);

    assert_eq!(installed(&venv), ["small==1.0"]);
    assert_eq!(
        assert_python(&venv, "import small; print(small.VALUE)"),
        "small"
    );
    assert_records_hold(&venv);
    let leftovers: Vec<String> = fs::read_dir(site_packages(&venv))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp") || name.starts_with(".puffin-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let orphans = orphans(&site_packages(&venv), &baseline);
    println!("files of the failed install left behind: {orphans:?}");
    drop(tmpfs);
}
