//! The wheel store is content-addressed: what is installed is always the
//! content of the archive that was verified, whatever the cache held before.

use std::path::Path;

use fs_err as fs;
use puffin_test_support::{IndexServerOptions, WheelBuilder};

use crate::common::TestContext;

/// The SHA-256 of a file, in hex.
fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let bytes = fs::read(path).unwrap();
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `demo 1.0` whose module says which build it is.
fn build_of(tag: &str) -> WheelBuilder {
    WheelBuilder::new("demo", "1.0").file("demo/__init__.py", format!("BUILD = {tag:?}\n"))
}

fn sync_ok(command: &mut assert_cmd::Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn build_in(venv: &Path) -> String {
    crate::common::assert_python(venv, "import demo; print(demo.BUILD)")
}

/// The index served wheel A for `demo==1.0`, then wheel B under the same
/// filename: a sync hash-pinned to B installs B (it used to install the
/// cached A, exit 0).
#[test]
fn a_stale_index_entry_never_shadows_the_verified_wheel() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(&build_of("A"));
    let server = context.server();
    let requirements = context.requirements("demo==1.0\n");
    sync_ok(
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server.url()]),
    );
    assert_eq!(context.assert_python("import demo; print(demo.BUILD)"), "A");

    let wheel_b = context.build(&build_of("B"));
    let pinned = context.write(
        "pinned.txt",
        &format!("demo==1.0 --hash=sha256:{}\n", sha256_hex(&wheel_b)),
    );
    let second = context.create_venv("second");
    sync_ok(
        context
            .command_in("pip-sync", &second)
            .arg(&pinned)
            .args(["--index-url", &server.url()]),
    );
    assert_eq!(build_in(&second), "B");
}

/// A local wheel replaced by another with the same modification time: the
/// next sync installs the new bytes, with or without a hash.
#[test]
fn a_replaced_local_wheel_with_the_same_mtime_is_not_served_from_the_store() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.build(&build_of("A"));
    let mtime = fs::metadata(&wheel).unwrap().modified().unwrap();
    let requirements = context.requirements(&format!("demo @ file://{}\n", wheel.display()));
    sync_ok(context.pip_sync().arg(&requirements));
    assert_eq!(context.assert_python("import demo; print(demo.BUILD)"), "A");

    fs::remove_file(&wheel).unwrap();
    context.build(&build_of("B"));
    let file = fs::File::options().write(true).open(&wheel).unwrap();
    file.set_modified(mtime).unwrap();
    drop(file);
    assert_eq!(fs::metadata(&wheel).unwrap().modified().unwrap(), mtime);

    let unpinned = context.create_venv("unpinned");
    sync_ok(context.command_in("pip-sync", &unpinned).arg(&requirements));
    assert_eq!(build_in(&unpinned), "B");

    let pinned = context.write(
        "pinned.txt",
        &format!(
            "demo @ file://{} --hash=sha256:{}\n",
            wheel.display(),
            sha256_hex(&wheel)
        ),
    );
    let hashed = context.create_venv("hashed");
    sync_ok(context.command_in("pip-sync", &hashed).arg(&pinned));
    assert_eq!(build_in(&hashed), "B");
}

/// A wheel that ships a file named like the store's bookkeeping is refused
/// (it used to choose its own recorded archive hash); the legitimate wheel
/// then installs under `--require-hashes`.
#[test]
fn a_wheel_cannot_forge_the_store_bookkeeping() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let legit = context.build(&build_of("legit"));
    let legit_hash = sha256_hex(&legit);
    fs::remove_file(&legit).unwrap();
    for reserved in [".puffin-archive-sha256", ".puffin-manifest.json"] {
        let forged = context.build(&build_of("forged").file(reserved, legit_hash.as_str()));
        let requirements = context.requirements(&format!("demo @ file://{}\n", forged.display()));
        let output = context.pip_sync().arg(&requirements).output().unwrap();
        let stderr = context.filtered(&output);
        assert!(!output.status.success(), "{stderr}");
        assert!(
            stderr.contains("reserved for puffin's wheel store"),
            "{stderr}"
        );
        assert!(context.installed().is_empty());
        fs::remove_file(&forged).unwrap();
    }

    context.build(&build_of("legit"));
    let requirements = context.requirements(&format!("demo==1.0 --hash=sha256:{legit_hash}\n"));
    sync_ok(
        context
            .pip_sync_local()
            .arg(&requirements)
            .arg("--require-hashes"),
    );
    assert_eq!(
        context.assert_python("import demo; print(demo.BUILD)"),
        "legit"
    );
}

/// A hash-pinned warm sync needs neither the network nor a pointer: with the
/// index gone it installs from the store.
#[test]
fn a_hash_pinned_warm_sync_works_with_the_index_down() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.build(&build_of("A"));
    let server = context.server();
    let url = server.url();
    let requirements =
        context.requirements(&format!("demo==1.0 --hash=sha256:{}\n", sha256_hex(&wheel)));
    sync_ok(
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &url]),
    );
    drop(server);

    let second = context.create_venv("second");
    sync_ok(
        context
            .command_in("pip-sync", &second)
            .arg(&requirements)
            .args(["--index-url", &url]),
    );
    assert_eq!(build_in(&second), "A");
}

/// Two indexes serving different bytes under one filename never share an
/// entry: each environment gets its index's wheel.
#[test]
fn two_indexes_with_different_bytes_never_share_an_entry() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    build_of("A").build(dir_a.path());
    build_of("B").build(dir_b.path());
    let server_a = context.server_with(IndexServerOptions::new(dir_a.path()));
    let server_b = context.server_with(IndexServerOptions::new(dir_b.path()));
    let requirements = context.requirements("demo==1.0\n");

    sync_ok(
        context
            .pip_sync()
            .arg(&requirements)
            .args(["--index-url", &server_a.url()]),
    );
    let second = context.create_venv("second");
    sync_ok(
        context
            .command_in("pip-sync", &second)
            .arg(&requirements)
            .args(["--index-url", &server_b.url()]),
    );
    assert_eq!(context.assert_python("import demo; print(demo.BUILD)"), "A");
    assert_eq!(build_in(&second), "B");
    let entries = crate::reliability::cache_entries(&context.cache);
    assert_eq!(entries.len(), 2, "{entries:#?}");
}

/// A cache in the layout before the store (`wheels-v0`, with archive hashes
/// inside entries) is never read: the next sync removes it and says so.
#[test]
fn the_old_cache_layout_is_removed_with_a_message() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let legacy = context
        .cache
        .join("wheels-v0/path/0123456789abcdef/demo-1.0-py3-none-any");
    fs::create_dir_all(legacy.join("demo")).unwrap();
    fs::write(legacy.join("demo/__init__.py"), "BUILD = 'legacy'\n").unwrap();
    fs::write(legacy.join(".puffin-archive-sha256"), "0".repeat(64)).unwrap();
    context.build(&build_of("new"));
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("Removed the cache's old wheel layout at `[CACHE]/wheels-v0`"),
        "{stderr}"
    );
    assert!(!context.cache.join("wheels-v0").exists());
    assert_eq!(
        context.assert_python("import demo; print(demo.BUILD)"),
        "new"
    );
}
