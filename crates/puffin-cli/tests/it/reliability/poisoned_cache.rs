//! A poisoned cache: a file edited in an environment through a hardlink into
//! the cache changes the cache entry too. `pip-check --files` finds it, and
//! `pip-sync --reinstall` unzips the entry again instead of linking the edited
//! file into the environment once more.

use fs_err as fs;
use puffin_unzip::{EntryStatus, verify_entry};

use super::{assert_cache_sound, cache_entries, puffin};
use crate::common::{TestContext, site_packages};

#[test]
fn an_edit_through_a_hardlink_is_found_and_repaired() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &puffin_test_support::WheelBuilder::new("poison", "1.0")
            .file("poison/__init__.py", "VALUE = 'original'\n")
            .file("poison/other.py", "OTHER = 1\n"),
    );
    let requirements = context.requirements("poison==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .args(["--link-mode", "hardlink"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));

    // Edit in place: the same inode, so the cache's file changes too.
    let installed = site_packages(&context.venv).join("poison/__init__.py");
    fs::write(&installed, "VALUE = 'poisoned'\n").unwrap();
    let entries = cache_entries(&context.cache);
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    let cached = entry.join("poison/__init__.py");
    if fs::read_to_string(&cached).unwrap() != "VALUE = 'poisoned'\n" {
        println!("Skipping: the file was not hardlinked from the cache");
        return;
    }
    assert!(matches!(
        verify_entry(entry).unwrap(),
        EntryStatus::Corrupt { .. }
    ));

    let output = puffin(&context, &context.venv, "pip-check")
        .arg("--files")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(context.filtered_stdout(&output), @r"
    No broken requirements found.
    poison 1.0: `[TEMP]/.venv/lib/python[X.Y]/site-packages/poison/__init__.py` was modified (RECORD has sha256=XsNImjAIHtIzWDfOo8-BS8V33tyl5j4YMU9Fc1QzlPY, the file has sha256=l-4lxb1x6EirAzoonJqmyIz4WBXXB6_XcP2fLOldIc4)
    ");

    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .args(["--link-mode", "hardlink", "--reinstall"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert_eq!(
        fs::read_to_string(&installed).unwrap(),
        "VALUE = 'original'\n"
    );
    assert_eq!(
        context.assert_python("import poison; print(poison.VALUE)"),
        "original"
    );
    let output = puffin(&context, &context.venv, "pip-check")
        .arg("--files")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        context.filtered_stdout(&output)
    );
    insta::assert_snapshot!(context.filtered_stdout(&output), @r"
    No broken requirements found.
    No modified files found.
    ");
    assert_eq!(verify_entry(entry).unwrap(), EntryStatus::Valid);
    assert_cache_sound(&context.cache);
}
