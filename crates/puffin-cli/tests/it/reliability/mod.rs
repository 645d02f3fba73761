//! Reliability and security of `puffin pip-sync` end to end: hostile wheels,
//! kills at random points, concurrent runs, a full disk and a poisoned cache.
//!
//! The invariants checked after every scenario are shared here: what a
//! directory tree holds ([`tree_listing`]), that every cache entry has a
//! manifest and still verifies ([`assert_cache_sound`]), that no temporary
//! directory is left anywhere ([`assert_no_leftovers`]) and that every
//! installed distribution's RECORD matches its files ([`assert_records_hold`]).

mod bad_wheels;
mod concurrency;
mod crash;
mod full_disk;
mod orphans;
mod pip_check;
mod poisoned_cache;
mod transactions;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_installer::{SitePackages, check_files};
use puffin_unzip::{EntryStatus, verify_entry};

/// Every path below `dir` (relative), with its kind, mode and a hash of its
/// contents; paths starting with one of `skip` (relative) are left out.
pub(crate) fn tree_listing(dir: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    let mut listing = BTreeMap::new();
    walk(dir, dir, skip, &mut listing);
    listing
}

fn walk(root: &Path, dir: &Path, skip: &[&str], listing: &mut BTreeMap<String, String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if skip.iter().any(|skip| relative.starts_with(skip)) {
            continue;
        }
        let metadata = fs::symlink_metadata(&path).unwrap();
        let mode = metadata.permissions().mode() & 0o7777;
        if metadata.is_symlink() {
            let target = fs::read_link(&path).unwrap();
            listing.insert(relative, format!("symlink -> {}", target.display()));
        } else if metadata.is_dir() {
            listing.insert(relative, format!("dir {mode:o}"));
            walk(root, &path, skip, listing);
        } else {
            let (hash, size) = install_wheel_rs::hash_file(&path).unwrap();
            listing.insert(relative, format!("file {mode:o} {size} {hash}"));
        }
    }
}

/// The published entries of the wheel store (`wheels-v1/<name>/<sha256>`),
/// excluding its temporary area and pointers.
pub(crate) fn cache_entries(cache: &Path) -> Vec<PathBuf> {
    let mut entries = Vec::new();
    let wheels = cache.join("wheels-v1");
    for package in read_dirs(&wheels) {
        if package.file_name().is_some_and(|name| name == ".tmp") {
            continue;
        }
        for entry in read_dirs(&package) {
            if entry.file_name().is_some_and(|name| name != "pointers") {
                entries.push(entry);
            }
        }
    }
    entries.sort();
    entries
}

/// The subdirectories of `dir` (none if it does not exist).
fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect()
}

/// Whether a file name is one of puffin's temporary names.
fn is_temporary(name: &str) -> bool {
    name.starts_with(".tmp")
        || name.starts_with(".puffin-tmp-")
        || name.starts_with(".puffin-txn")
        || name.contains(".stale-")
}

/// Every entry in the cache's wheels bucket has a manifest and verifies
/// (no half-extracted or changed entry).
pub(crate) fn assert_cache_sound(cache: &Path) {
    for entry in cache_entries(cache) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !is_temporary(&name),
            "a temporary directory was left in the cache: {}",
            entry.display()
        );
        let status = verify_entry(&entry).unwrap();
        assert_eq!(
            status,
            EntryStatus::Valid,
            "the cache entry {} does not verify",
            entry.display()
        );
    }
}

/// No temporary file or directory of puffin is left in site-packages, nor in
/// the cache's wheels bucket (at any level).
pub(crate) fn assert_no_leftovers(site_packages: &Path, cache: &Path) {
    let mut leftovers = Vec::new();
    for entry in fs::read_dir(site_packages).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if is_temporary(&name) {
            leftovers.push(site_packages.join(name));
        }
    }
    let wheels = cache.join("wheels-v1");
    // The store's temporary area exists between runs, empty.
    if let Ok(temp) = fs::read_dir(wheels.join(".tmp")) {
        leftovers.extend(temp.map(|entry| entry.unwrap().path()));
    }
    let mut dirs = vec![wheels];
    for _ in 0..3 {
        let mut next = Vec::new();
        for dir in dirs {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                if is_temporary(&name) && name != ".tmp" {
                    leftovers.push(entry.path());
                } else if entry.path().is_dir() {
                    next.push(entry.path());
                }
            }
        }
        dirs = next;
    }
    assert!(leftovers.is_empty(), "leftovers: {leftovers:#?}");
}

/// Every installed distribution's RECORD rows exist with their hashes.
pub(crate) fn assert_records_hold(venv: &Path) {
    let site_packages = crate::common::site_packages(venv);
    let inventory = SitePackages::from_dirs(&[site_packages.as_path()]).unwrap();
    let report = check_files(&inventory, venv);
    assert!(
        report.problems.is_empty(),
        "installed files do not match their RECORD: {:#?}",
        report.problems
    );
}

/// The `name==version` lines of a requirements text, sorted, normalized.
pub(crate) fn expected_lines(requirements: &str) -> Vec<String> {
    let mut lines: Vec<String> = requirements
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.replace('_', "-").to_lowercase())
        .collect();
    lines.sort();
    lines
}

/// `puffin pip-freeze` of the environment, as sorted lines.
pub(crate) fn freeze(context: &crate::common::TestContext, venv: &Path) -> Vec<String> {
    let output = context.command_in("pip-freeze", venv).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(ToString::to_string)
        .collect();
    lines.sort();
    lines
}

/// `puffin <args>` as a plain process (to spawn, kill or run many at once),
/// with an empty environment but `PATH` and `HOME`, targeting `venv`, with
/// the context's cache.
pub(crate) fn puffin(
    context: &crate::common::TestContext,
    venv: &Path,
    subcommand: &str,
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_puffin"));
    command
        .arg(subcommand)
        .arg("--cache-dir")
        .arg(&context.cache)
        .current_dir(&context.root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &context.root)
        .env("VIRTUAL_ENV", venv)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("XDG_CONFIG_HOME", context.root.join(".config"))
        .env("NO_COLOR", "1");
    command
}

/// `puffin pip-sync <requirements> --no-index --find-links <wheels>` into
/// `venv`.
pub(crate) fn sync_command(
    context: &crate::common::TestContext,
    venv: &Path,
    requirements: &Path,
) -> std::process::Command {
    let mut command = puffin(context, venv, "pip-sync");
    command
        .arg(requirements)
        .arg("--no-index")
        .arg("--find-links")
        .arg(&context.wheels);
    command
}

/// Files below site-packages that no installed distribution's RECORD lists
/// and that were not there in `baseline` (a [`tree_listing`] of the fresh
/// site-packages): files an interrupted run left behind.
pub(crate) fn orphans(site_packages: &Path, baseline: &BTreeMap<String, String>) -> Vec<String> {
    let inventory = SitePackages::from_dirs(&[site_packages]).unwrap();
    let mut recorded = std::collections::BTreeSet::new();
    for dist in inventory.iter() {
        let record = fs::read(dist.record_path()).unwrap();
        for entry in install_wheel_rs::read_record(record.as_slice()).unwrap() {
            recorded.insert(entry.path);
        }
    }
    tree_listing(site_packages, &[])
        .into_iter()
        .filter(|(path, kind)| {
            kind.starts_with("file") && !recorded.contains(path) && !baseline.contains_key(path)
        })
        .map(|(path, _)| path)
        .collect()
}

/// A small deterministic generator (xorshift64*), so runs are reproducible.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator with a fixed seed.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next value.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..bound`.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}
