use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::UNIX_EPOCH;

use fs_err as fs;
use pep440_rs::Version;
use pep508_rs::MarkerEnvironment;
use platform_tags::{Platform, Tags, TagsError};
use puffin_cache::{Cache, CacheBucket};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{debug, instrument, warn};

use crate::Error;

/// The script that describes an interpreter as JSON (see `query.py`).
const QUERY_SCRIPT: &str = include_str!("query.py");

/// Where an installer puts each kind of file in an environment: the
/// `sysconfig` install scheme of the interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemePaths {
    /// Pure-Python modules (`site-packages`).
    pub purelib: PathBuf,
    /// Platform-specific modules (often the same as `purelib`).
    pub platlib: PathBuf,
    /// Console scripts (`bin`).
    pub scripts: PathBuf,
    /// Data files (the environment prefix).
    pub data: PathBuf,
    /// The root of C headers installed from wheels: `<venv>/include/site/python3.X`
    /// in a virtual environment (as pip and uv use; `sysconfig` names the base
    /// interpreter's directory there), `sysconfig`'s `include` elsewhere.
    pub include: PathBuf,
}

/// What puffin knows about one Python interpreter, from a single run of a
/// query script (cached on disk, see [`Interpreter::query`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// `sys.executable`.
    pub sys_executable: PathBuf,
    /// `sys.version_info[:3]`, e.g. `(3, 11, 7)`.
    pub python_version: (u8, u8, u8),
    /// `sys.implementation.name`, e.g. `cpython`.
    pub implementation_name: String,
    /// `sys.implementation.version[:2]`.
    pub implementation_version: (u8, u8),
    /// `sys.prefix`: the environment's root.
    pub prefix: PathBuf,
    /// `sys.base_prefix`: the root of the installation a virtual environment
    /// was made from (equal to `prefix` outside one).
    pub base_prefix: PathBuf,
    /// `sys._base_executable`: the interpreter a virtual environment's
    /// `bin/python` stands for, if the interpreter tells.
    pub base_executable: Option<PathBuf>,
    /// The install scheme (`sysconfig.get_paths()`).
    pub scheme: SchemePaths,
    /// The PEP 508 marker environment.
    pub markers: MarkerEnvironment,
    /// 32 or 64.
    pub pointer_size: u8,
    /// A free-threaded build (`Py_GIL_DISABLED`).
    pub gil_disabled: bool,
    /// A debug build (`Py_DEBUG`).
    pub debug: bool,
    /// `sysconfig.get_platform()`, e.g. `linux-x86_64`.
    pub sysconfig_platform: String,
    /// The default index URL of the pip that comes with the interpreter (its
    /// own, its base installation's, or the one `ensurepip` bundles), `None`
    /// when there is no pip.
    pub pip_default_index: Option<String>,
    /// PEP 668: the message of the `EXTERNALLY-MANAGED` file in the standard
    /// library directory, if there is one. It applies only outside a virtual
    /// environment (see [`crate::PythonEnvironment::discover`]).
    pub externally_managed: Option<String>,
}

/// A cached answer: the interpreter it describes and the facts that must
/// still hold for it to be reused.
#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    key: CacheKey,
    interpreter: Interpreter,
}

/// What makes a cached answer valid: the same path, resolving to the same
/// file with the same modification time, asked with the same script.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CacheKey {
    path: PathBuf,
    resolved: PathBuf,
    modified_ns: u128,
    script: String,
}

impl Interpreter {
    /// Describe the interpreter at `python`.
    ///
    /// The answer is cached in the cache's interpreter bucket, in a file named
    /// by a digest of the absolute (not canonicalized: a virtual environment's
    /// `bin/python` is a symlink whose location matters) path. It is reused
    /// while the file the path resolves to and its modification time are
    /// unchanged, so a later call starts no Python process at all.
    #[instrument(skip_all, fields(python = %python.display()))]
    pub fn query(python: &Path, cache: &Cache) -> Result<Self, Error> {
        let path = std::path::absolute(python).map_err(|err| Error::InterpreterMetadata {
            path: python.to_path_buf(),
            err,
        })?;
        let key = CacheKey::new(&path)?;
        let entry_path = cache.bucket(CacheBucket::Interpreter).join(format!(
            "{}.json",
            digest(path.as_os_str().as_encoded_bytes())
        ));

        // A shim picks the interpreter it runs each time (pyenv reads
        // `.python-version`, `PYENV_VERSION`, ...), so its answer may differ
        // from one run to the next with no file changing.
        let cacheable = !is_shim(&key.resolved);
        if !cacheable {
            debug!(resolved = %key.resolved.display(), "Not caching the answer of a shim");
        } else if let Some(interpreter) = read_cache(&entry_path, &key) {
            debug!(entry = %entry_path.display(), "Using the cached interpreter query");
            return Ok(interpreter);
        }

        debug!("Querying the interpreter");
        let interpreter = run_query(&path)?;
        if !cacheable {
            return Ok(interpreter);
        }
        let entry = CacheEntry { key, interpreter };
        if let Err(err) = write_cache(&entry_path, &entry) {
            warn!(entry = %entry_path.display(), %err, "Failed to cache the interpreter query");
        }
        Ok(entry.interpreter)
    }

    /// Whether this is a virtual environment (`sys.prefix != sys.base_prefix`).
    pub fn is_virtualenv(&self) -> bool {
        self.prefix != self.base_prefix
    }

    /// The Python version as a PEP 440 version (with any pre-release part,
    /// e.g. `3.13.0rc1`).
    pub fn version(&self) -> &Version {
        &self.markers.python_full_version().version
    }

    /// The Python version as `3.11.7`.
    pub fn python_version_string(&self) -> String {
        let (major, minor, patch) = self.python_version;
        format!("{major}.{minor}.{patch}")
    }

    /// The wheel tags this interpreter accepts on `platform`, best first
    /// (the order of `packaging.tags.sys_tags()`).
    pub fn tags(&self, platform: &Platform) -> Result<Tags, TagsError> {
        let (major, minor, _) = self.python_version;
        Tags::from_env(
            platform,
            (major, minor),
            &self.implementation_name,
            self.implementation_version,
            self.gil_disabled,
            self.debug,
        )
    }

    /// The interpreter a new virtual environment should point at: the base
    /// executable when known, else `sys.executable`.
    pub fn base_interpreter(&self) -> &Path {
        self.base_executable
            .as_deref()
            .filter(|path| !path.as_os_str().is_empty())
            .unwrap_or(&self.sys_executable)
    }
}

impl CacheKey {
    fn new(path: &Path) -> Result<Self, Error> {
        let not_found = |err: std::io::Error| {
            if err.kind() == std::io::ErrorKind::NotFound {
                Error::InterpreterNotFound {
                    path: path.to_path_buf(),
                }
            } else {
                Error::InterpreterMetadata {
                    path: path.to_path_buf(),
                    err,
                }
            }
        };
        // Both follow symlinks: the key is the file that actually runs.
        let metadata = fs::metadata(path).map_err(not_found)?;
        let resolved = fs::canonicalize(path).map_err(not_found)?;
        let modified_ns = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |duration| duration.as_nanos());
        Ok(Self {
            path: path.to_path_buf(),
            resolved,
            modified_ns,
            script: digest(QUERY_SCRIPT.as_bytes()),
        })
    }
}

/// Whether `resolved` is a version manager's shim: a script (`#!`) in a
/// directory named `shims`, as pyenv and asdf make them.
fn is_shim(resolved: &Path) -> bool {
    use std::io::Read;

    if resolved.parent().and_then(Path::file_name) != Some("shims".as_ref()) {
        return false;
    }
    let mut start = [0u8; 2];
    fs::File::open(resolved)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| &start == b"#!")
}

/// The first 16 hexadecimal digits of the SHA-256 of `bytes`.
fn digest(bytes: &[u8]) -> String {
    let mut hex = data_encoding::HEXLOWER.encode(&Sha256::digest(bytes));
    hex.truncate(16);
    hex
}

/// The cached answer, if there is one for this exact key. A missing,
/// unreadable or stale entry is simply a miss.
fn read_cache(entry_path: &Path, key: &CacheKey) -> Option<Interpreter> {
    let text = match puffin_fs::read_small_to_string(entry_path, 4096) {
        Ok(text) => text,
        Err(err) => {
            if err.kind() != std::io::ErrorKind::NotFound {
                debug!(%err, "Ignoring an unreadable interpreter cache entry");
            }
            return None;
        }
    };
    match serde_json::from_str::<CacheEntry>(&text) {
        Ok(entry) if entry.key == *key => Some(entry.interpreter),
        Ok(_) => {
            debug!("The interpreter changed since it was cached");
            None
        }
        Err(err) => {
            debug!(%err, "Ignoring a malformed interpreter cache entry");
            None
        }
    }
}

/// Write the entry through a temporary file in the same directory and a
/// rename, so a concurrent reader sees the old entry or the new one, never
/// half of one.
fn write_cache(entry_path: &Path, entry: &CacheEntry) -> std::io::Result<()> {
    let dir = entry_path
        .parent()
        .expect("a cache entry lives in a bucket directory");
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|err| std::io::Error::new(err.kind(), format!("{err} in `{}`", dir.display())))?;
    let json = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    temp.write_all(&json)?;
    temp.persist(entry_path).map_err(|err| err.error)?;
    Ok(())
}

/// pip's prefix scheme (`pip install --prefix DIR`): `sysconfig`'s
/// `posix_prefix` (or `nt`) paths with every base set to DIR.
const PREFIX_SCHEME_SCRIPT: &str = r#"
import json, os, sys, sysconfig
prefix = sys.argv[1]
scheme = "nt" if os.name == "nt" else "posix_prefix"
base = {"base": prefix, "platbase": prefix, "installed_base": prefix, "installed_platbase": prefix}
paths = sysconfig.get_paths(scheme=scheme, vars=base)
json.dump({key: paths[key] for key in ("purelib", "platlib", "scripts", "data", "include")}, sys.stdout)
"#;

impl Interpreter {
    /// The install scheme of `pip install --prefix <prefix>` for this
    /// interpreter (its own `sysconfig`, with every base set to `prefix`).
    pub fn prefix_scheme(&self, prefix: &Path) -> Result<SchemePaths, Error> {
        let path = &self.sys_executable;
        let output = Command::new(path)
            .arg("-I")
            .arg("-c")
            .arg(PREFIX_SCHEME_SCRIPT)
            .arg(prefix)
            .output()
            .map_err(|err| Error::Spawn {
                path: path.clone(),
                err,
            })?;
        if !output.status.success() {
            return Err(Error::QueryFailed {
                path: path.clone(),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        serde_json::from_slice(&output.stdout).map_err(|err| Error::QueryOutput {
            path: path.clone(),
            stdout: String::from_utf8_lossy(&output.stdout)
                .chars()
                .take(300)
                .collect(),
            err,
        })
    }
}

/// Run the query script with the interpreter and parse its answer.
fn run_query(path: &Path) -> Result<Interpreter, Error> {
    // `-I`: isolated mode, so neither `PYTHONPATH` nor the user's site
    // directory can change the answer.
    let output = Command::new(path)
        .arg("-I")
        .arg("-c")
        .arg(QUERY_SCRIPT)
        .output()
        .map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                Error::InterpreterNotFound {
                    path: path.to_path_buf(),
                }
            } else {
                Error::Spawn {
                    path: path.to_path_buf(),
                    err,
                }
            }
        })?;
    if !output.status.success() {
        return Err(Error::QueryFailed {
            path: path.to_path_buf(),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    serde_json::from_slice(&output.stdout).map_err(|err| {
        let mut stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if stdout.len() > 300 {
            let mut end = 300;
            while !stdout.is_char_boundary(end) {
                end -= 1;
            }
            stdout.truncate(end);
            stdout.push_str("...");
        }
        Error::QueryOutput {
            path: path.to_path_buf(),
            stdout,
            err,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable() {
        assert_eq!(digest(b"/usr/bin/python3"), digest(b"/usr/bin/python3"));
        assert_ne!(digest(b"/usr/bin/python3"), digest(b"/usr/bin/python"));
        assert_eq!(digest(b"").len(), 16);
    }

    #[test]
    fn parses_a_query_answer() {
        let json = r##"{
            "sys_executable": "/venv/bin/python",
            "python_version": [3, 13, 0],
            "implementation_name": "cpython",
            "implementation_version": [3, 13],
            "prefix": "/venv",
            "base_prefix": "/usr",
            "base_executable": "/usr/bin/python3.13",
            "scheme": {
                "purelib": "/venv/lib/python3.13/site-packages",
                "platlib": "/venv/lib/python3.13/site-packages",
                "scripts": "/venv/bin",
                "data": "/venv",
                "include": "/usr/include/python3.13"
            },
            "markers": {
                "implementation_name": "cpython",
                "implementation_version": "3.13.0rc1",
                "os_name": "posix",
                "platform_machine": "x86_64",
                "platform_python_implementation": "CPython",
                "platform_release": "6.1.0",
                "platform_system": "Linux",
                "platform_version": "#1 SMP",
                "python_full_version": "3.13.0rc1",
                "python_version": "3.13",
                "sys_platform": "linux"
            },
            "pointer_size": 64,
            "gil_disabled": true,
            "debug": false,
            "sysconfig_platform": "linux-x86_64",
            "pip_default_index": null,
            "externally_managed": null
        }"##;
        let interpreter: Interpreter = serde_json::from_str(json).unwrap();
        assert!(interpreter.is_virtualenv());
        assert_eq!(interpreter.python_version_string(), "3.13.0");
        assert_eq!(interpreter.version().to_string(), "3.13.0rc1");
        assert_eq!(
            interpreter.base_interpreter(),
            Path::new("/usr/bin/python3.13")
        );
        assert!(interpreter.gil_disabled);
        assert_eq!(interpreter.markers.sys_platform(), "linux");

        let platform = platform_tags::Platform::new(
            platform_tags::Os::Manylinux {
                major: 2,
                minor: 17,
            },
            platform_tags::Arch::X86_64,
        );
        let tags = interpreter.tags(&platform).unwrap();
        let first = tags.iter().next().unwrap();
        assert_eq!((first.0, first.1), ("cp313", "cp313t"));
        assert!(
            tags.iter()
                .any(|tag| tag == ("cp313", "cp313t", "manylinux_2_17_x86_64"))
        );
    }
}
