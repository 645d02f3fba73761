//! Transactions: a failed upgrade rolls back to the old version, a commit
//! leaves only the new one, and a journal left by a killed run is finished
//! by `recover`.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use fs_err as fs;
use install_wheel_rs::{
    Cancellation, InstallOptions, JOURNAL_DIR, Layout, LinkMode, Linker, Recovery, Transaction,
    install_wheel, recover, uninstall_wheel_with,
};
use puffin_test_support::WheelBuilder;

use crate::common::{install, layout, tempdir, unpack};

/// `demo` at `version`: a package, a module only this version has, a
/// console script and a `.data/data` file.
fn demo(version: &str) -> WheelBuilder {
    WheelBuilder::new("demo", version)
        .file("demo/__init__.py", format!("VERSION = {version:?}\n"))
        .file("demo/sub/shared.py", format!("# {version}\n"))
        .file(&format!("demo/only_{}.py", version.replace('.', "_")), "")
        .file(
            &format!("demo-{version}.data/data/share/demo/{version}.txt"),
            version,
        )
        .console_script("demo", "demo:main")
}

/// Every path below the environment's root with its kind and contents.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            let metadata = fs::symlink_metadata(&path).unwrap();
            if metadata.is_dir() {
                out.insert(relative, "dir".to_string());
                walk(root, &path, out);
            } else {
                let mode = metadata.permissions().mode() & 0o777;
                let contents = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
                out.insert(relative, format!("{mode:o} {contents}"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// An environment with `demo` 1.0 installed, and the unpacked 2.0.
struct Upgrade {
    tmp: tempfile::TempDir,
    layout: Layout,
    new: (std::path::PathBuf, distribution_filename::WheelFilename),
}

impl Upgrade {
    fn new() -> Self {
        Self::from_tempdir(tempdir())
    }

    /// In a temporary directory under `base`.
    fn new_in(base: &Path) -> Self {
        Self::from_tempdir(tempfile::tempdir_in(base).unwrap())
    }

    fn from_tempdir(tmp: tempfile::TempDir) -> Self {
        let layout = layout(tmp.path());
        let cache = tmp.path().join("cache");
        let (old_dir, old_name) = unpack(&demo("1.0"), &cache);
        install(
            &layout,
            &old_dir,
            &old_name,
            &Linker::new(LinkMode::Hardlink),
        );
        let new = unpack(&demo("2.0"), &cache);
        Self { tmp, layout, new }
    }

    /// Uninstall 1.0 and install 2.0 in `transaction` with `linker`.
    fn run(
        &self,
        transaction: &Transaction,
        linker: &Linker,
    ) -> Result<(), install_wheel_rs::Error> {
        let old = self.layout.scheme.purelib.join("demo-1.0.dist-info");
        uninstall_wheel_with(&self.layout, &old, Some(transaction))?;
        let options = InstallOptions {
            transaction: Some(transaction),
            ..InstallOptions::default()
        };
        install_wheel(&self.layout, &self.new.0, &self.new.1, linker, &options)?;
        Ok(())
    }

    fn root(&self) -> &Path {
        &self.layout.prefix
    }

    /// Run the upgrade and "kill" it (forget the transaction) before the
    /// commit: its journal is left behind.
    fn run_killed(&self) {
        let transaction = Transaction::begin(&self.layout, Cancellation::new()).unwrap();
        self.run(&transaction, &Linker::new(LinkMode::Hardlink))
            .unwrap();
        std::mem::forget(transaction);
    }
}

/// Run a failing upgrade and check that the rollback restores exactly the
/// old environment, with nothing of the new version and no journal.
fn assert_failed_upgrade_rolls_back(upgrade: &Upgrade, linker: &Linker) {
    let before = snapshot(upgrade.root());
    let transaction = Transaction::begin(&upgrade.layout, Cancellation::new()).unwrap();
    upgrade.run(&transaction, linker).unwrap_err();
    let rollback = transaction.rollback().unwrap();
    assert!(rollback.restored > 0, "{rollback:?}");
    assert_eq!(snapshot(upgrade.root()), before);
    assert!(!upgrade.layout.scheme.purelib.join(JOURNAL_DIR).exists());
}

/// The new version ships a file where another package has a directory
/// (`EISDIR`): the old version is back, with its `.dist-info` and script.
#[test]
fn a_directory_in_the_way_rolls_back_the_upgrade() {
    let upgrade = Upgrade::new();
    fs::create_dir_all(upgrade.layout.scheme.purelib.join("demo/only_2_0.py/other")).unwrap();
    assert_failed_upgrade_rolls_back(&upgrade, &Linker::new(LinkMode::Hardlink));
    let site_packages = &upgrade.layout.scheme.purelib;
    assert!(site_packages.join("demo-1.0.dist-info/RECORD").is_file());
    assert!(site_packages.join("demo/only_1_0.py").is_file());
    assert!(upgrade.layout.scheme.scripts.join("demo").is_file());
}

/// Linking fails after some files of the new version were linked.
#[test]
fn a_fault_after_some_files_rolls_back_the_upgrade() {
    let upgrade = Upgrade::new();
    let linker = Linker::new(LinkMode::Hardlink).with_fault_after(2, libc::EIO);
    assert_failed_upgrade_rolls_back(&upgrade, &linker);
}

/// The scripts directory is read-only, so the launcher cannot be written
/// after every other file was linked.
///
/// Root ignores directory permissions, and CI runs as root: there the
/// upgrade runs in a thread whose filesystem user and group are 65534
/// (`setfsuid`, which also drops root's permission override for that thread
/// only), on a tree under the temporary directory owned by 65534.
#[test]
fn a_read_only_scripts_directory_rolls_back_the_upgrade() {
    let upgrade = Upgrade::new_in(&std::env::temp_dir());
    let bin = upgrade.layout.scheme.scripts.clone();
    let before = snapshot(upgrade.root());
    let failed = unprivileged(upgrade.tmp.path(), || {
        fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o555)).unwrap();
        let transaction = Transaction::begin(&upgrade.layout, Cancellation::new()).unwrap();
        let err = upgrade
            .run(&transaction, &Linker::new(LinkMode::Hardlink))
            .unwrap_err();
        let rollback = transaction.rollback().unwrap();
        fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        (err.to_string(), rollback)
    });
    let Some((err, rollback)) = failed else {
        return;
    };
    assert!(err.contains("bin"), "{err}");
    assert!(rollback.restored > 0, "{rollback:?}");
    assert_eq!(snapshot(upgrade.root()), before);
    assert!(!upgrade.layout.scheme.purelib.join(JOURNAL_DIR).exists());
}

/// Run `work` as a user that directory permissions apply to: directly when
/// not root; as root, in a thread whose filesystem user and group are 65534,
/// after giving `tree` to that user. `None` (after printing `Skipping: ...`)
/// when neither is possible.
fn unprivileged<T: Send>(tree: &Path, work: impl FnOnce() -> T + Send) -> Option<T> {
    // SAFETY: `geteuid` has no preconditions.
    #[allow(unsafe_code)]
    if unsafe { libc::geteuid() } != 0 {
        return Some(work());
    }
    chown_tree(tree, NOBODY);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: `setfsuid`/`setfsgid` change the credentials of
                // this thread only (the raw system calls, not broadcast to
                // other threads); it ends with the scope.
                #[allow(unsafe_code)]
                let switched = unsafe {
                    libc::setfsgid(NOBODY);
                    libc::setfsuid(NOBODY);
                    // An invalid id changes nothing and returns the current one.
                    libc::setfsuid(u32::MAX) == NOBODY as i32
                };
                if !switched {
                    println!("Skipping: running as root and `setfsuid` could not switch to 65534");
                    return None;
                }
                Some(work())
            })
            .join()
            .unwrap()
    })
}

/// User and group 65534 (nobody).
const NOBODY: u32 = 65534;

/// Give `path` and everything below it to `uid` (and the same group).
fn chown_tree(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
    if fs::symlink_metadata(path).unwrap().is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid);
        }
    }
}

/// Files removed within a transaction are moved into its journal: a run
/// killed after their path list was written (simulated by forgetting the
/// transaction) is rolled back by `recover`, which puts them back, in
/// directories it recreates; a commit deletes them with the directories
/// they leave empty.
#[test]
fn removed_files_are_put_back_by_recovery_and_deleted_by_a_commit() {
    let upgrade = Upgrade::new();
    let site_packages = upgrade.layout.scheme.purelib.clone();
    let files = [
        site_packages.join("orphan/__init__.py"),
        site_packages.join("orphan/sub/mod.py"),
        site_packages.join("orphan/missing.py"),
    ];
    for file in &files[..2] {
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, "x = 1\n").unwrap();
    }
    let before = snapshot(upgrade.root());

    let transaction = Transaction::begin(&upgrade.layout, Cancellation::new()).unwrap();
    assert_eq!(transaction.remove_files(&files).unwrap(), 2);
    assert!(!site_packages.join("orphan").exists());
    std::mem::forget(transaction);
    let recovery = recover(&upgrade.layout).unwrap();
    assert!(
        matches!(recovery, Some(Recovery::RolledBack(rollback)) if rollback.restored == 2),
        "{recovery:?}"
    );
    assert_eq!(snapshot(upgrade.root()), before);

    let transaction = Transaction::begin(&upgrade.layout, Cancellation::new()).unwrap();
    transaction.remove_files(&files).unwrap();
    transaction.commit().unwrap();
    assert!(!site_packages.join("orphan").exists());
    assert!(!site_packages.join(JOURNAL_DIR).exists());
}

/// A committed upgrade leaves exactly the new version and no journal.
#[test]
fn a_commit_keeps_only_the_new_version() {
    let upgrade = Upgrade::new();
    let transaction = Transaction::begin(&upgrade.layout, Cancellation::new()).unwrap();
    upgrade
        .run(&transaction, &Linker::new(LinkMode::Hardlink))
        .unwrap();
    transaction.commit().unwrap();
    let site_packages = &upgrade.layout.scheme.purelib;
    assert!(site_packages.join("demo-2.0.dist-info/RECORD").is_file());
    assert!(!site_packages.join("demo-1.0.dist-info").exists());
    assert!(!site_packages.join("demo/only_1_0.py").exists());
    assert!(!upgrade.root().join("share/demo/1.0.txt").exists());
    let names: Vec<_> = fs::read_dir(site_packages)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|name| !name.starts_with(".puffin")),
        "{names:?}"
    );
}

/// A run killed mid-way (simulated by forgetting the transaction) leaves a
/// journal; `recover` rolls it back. Recovering twice is harmless.
#[test]
fn recover_rolls_back_a_killed_transaction() {
    let upgrade = Upgrade::new();
    let before = snapshot(upgrade.root());
    upgrade.run_killed();
    // A second transaction cannot start over an unfinished one.
    assert!(Transaction::begin(&upgrade.layout, Cancellation::new()).is_err());
    let recovery = recover(&upgrade.layout).unwrap();
    assert!(
        matches!(recovery, Some(Recovery::RolledBack(rollback)) if rollback.removed > 0),
        "{recovery:?}"
    );
    assert_eq!(snapshot(upgrade.root()), before);
    assert_eq!(recover(&upgrade.layout).unwrap(), None);
}

/// A journal of the layout before ops were flat (an op directory with
/// `paths`, `moved/` and a `linking` file), left by a killed run of an
/// earlier version, is still rolled back.
#[test]
fn recover_rolls_back_a_journal_of_the_old_layout() {
    let upgrade = Upgrade::new();
    let before = snapshot(upgrade.root());
    upgrade.run_killed();
    let journal = upgrade.layout.scheme.purelib.join(JOURNAL_DIR);
    let ops = to_old_layout(&journal);
    assert!(ops >= 2, "an uninstall and an install op: {ops}");
    let recovery = recover(&upgrade.layout).unwrap();
    assert!(
        matches!(recovery, Some(Recovery::RolledBack(rollback)) if rollback.removed > 0 && rollback.restored > 0),
        "{recovery:?}"
    );
    assert_eq!(snapshot(upgrade.root()), before);
    assert!(!journal.exists());
}

/// Rewrite each op of `journal` as earlier versions kept it (a directory
/// `<op>/` with `paths`, `moved/` and a `linking` file); returns how many.
fn to_old_layout(journal: &Path) -> usize {
    let mut ops = 0;
    for entry in fs::read_dir(journal).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let Some(op) = name.strip_suffix(".paths") else {
            continue;
        };
        let dir = journal.join(op);
        fs::create_dir(&dir).unwrap();
        let mut paths = fs::read(&path).unwrap();
        if let Some(kept) = paths.strip_suffix(b"L\0") {
            paths = kept.to_vec();
            fs::write(dir.join("linking"), "").unwrap();
        }
        fs::write(dir.join("paths"), paths).unwrap();
        fs::remove_file(&path).unwrap();
        let moved = journal.join(format!("{op}.moved"));
        if moved.exists() {
            fs::rename(&moved, dir.join("moved")).unwrap();
        }
        ops += 1;
    }
    ops
}

/// A cancelled transaction stops between files; dropping it rolls back.
#[test]
fn a_cancelled_install_stops_and_a_dropped_transaction_rolls_back() {
    let upgrade = Upgrade::new();
    let before = snapshot(upgrade.root());
    let cancellation = Cancellation::new();
    let transaction = Transaction::begin(&upgrade.layout, cancellation.clone()).unwrap();
    assert!(
        cancellation.cancel(),
        "a transaction is changing the environment"
    );
    let linker = Linker::new(LinkMode::Hardlink).with_cancellation(cancellation.clone());
    let err = upgrade.run(&transaction, &linker).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    drop(transaction);
    assert_eq!(snapshot(upgrade.root()), before);
    // Once cancelled, no transaction begins.
    assert!(Transaction::begin(&upgrade.layout, cancellation).is_err());
}
