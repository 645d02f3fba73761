//! The PEP 751 lock that `pip-compile -o pylock.toml` writes: every pinned
//! package with the index it comes from, each wheel of the pinned version
//! that the index gives a hash for, and the source distribution if there is
//! one. The files are read from the project pages the resolution just
//! fetched (answered from the cache).

use std::collections::BTreeMap;
use std::str::FromStr;

use distribution_filename::{PackageName, SourceDistFilename, WheelFilename};
use pep440_rs::Version;
use puffin_cache::Cache;
use puffin_client::{IndexFile, IndexLocations, RegistryClient};
use puffin_lock::{LockFile, LockPackage, PyLock};
use puffin_resolver::Resolution;

use crate::commands::resolve::{client, runtime};

/// The lock of `resolution`, resolved for Python `python` (`X.Y`): the
/// markers it was resolved with held for that version only, so the lock's
/// `requires-python` is `==X.Y.*`.
pub(crate) fn lock_of(
    resolution: &Resolution,
    cache: &Cache,
    locations: IndexLocations,
    offline: bool,
    python: &str,
) -> anyhow::Result<PyLock> {
    let client = client(cache, locations, offline)?;
    let packages = runtime()?.block_on(async {
        let mut packages = Vec::new();
        for (name, package) in &resolution.packages {
            packages.push(locked_package(&client, name, &package.version).await?);
        }
        anyhow::Ok(packages)
    })?;
    Ok(PyLock {
        lock_version: "1.0".to_string(),
        requires_python: Some(format!("=={python}.*")),
        created_by: "puffin".to_string(),
        packages,
        ..PyLock::default()
    })
}

/// One pinned package: its files on the first index that has the project.
async fn locked_package(
    client: &RegistryClient,
    name: &PackageName,
    version: &Version,
) -> anyhow::Result<LockPackage> {
    let mut package = LockPackage {
        name: name.to_string(),
        version: Some(version.to_string()),
        ..LockPackage::default()
    };
    for index in client.index_locations().indexes() {
        let Some(files) = client.project_page(index, name).await? else {
            continue;
        };
        package.index = Some(puffin_redact::remove_credentials(index.as_str()).into_owned());
        add_files(&mut package, name, version, files);
        break;
    }
    Ok(package)
}

/// The wheels (sorted by filename) and the source distribution (`.tar.gz`
/// before `.zip`) of `version` that have a hash.
fn add_files(
    package: &mut LockPackage,
    name: &PackageName,
    version: &Version,
    files: Vec<IndexFile>,
) {
    let mut sdists = Vec::new();
    for file in files {
        if file.hashes.is_empty() {
            continue;
        }
        let wheel = WheelFilename::from_str(&file.filename)
            .ok()
            .filter(|wheel| wheel.name == *name && wheel.version == *version);
        if wheel.is_some() {
            package.wheels.push(lock_file(&file));
            continue;
        }
        let sdist = SourceDistFilename::from_str(&file.filename)
            .ok()
            .filter(|sdist| sdist.name == *name && sdist.version == *version);
        if sdist.is_some() {
            sdists.push(file);
        }
    }
    package.wheels.sort_by(|a, b| a.name.cmp(&b.name));
    sdists.sort_by_key(|file| !file.filename.ends_with(".tar.gz"));
    package.sdist = sdists.first().map(lock_file);
}

/// A file as the lock records it: name, URL (without credentials), hashes.
fn lock_file(file: &IndexFile) -> LockFile {
    let hashes: BTreeMap<String, String> = file
        .hashes
        .iter()
        .map(|hash| (hash.algorithm().to_string(), hash.digest().to_string()))
        .collect();
    LockFile {
        name: Some(file.filename.to_string()),
        url: Some(puffin_redact::remove_credentials(file.url.as_str()).into_owned()),
        hashes,
        ..LockFile::default()
    }
}
