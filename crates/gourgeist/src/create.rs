use std::io;
use std::path::{Path, PathBuf};

use fs_err as fs;
use puffin_interpreter::Interpreter;
use tracing::{debug, instrument};

use crate::Error;
use crate::activate::ACTIVATORS;

/// How to create a virtual environment.
#[derive(Debug, Clone, Default)]
pub struct VenvOptions {
    /// Replace an existing environment at the path (only a directory holding
    /// `pyvenv.cfg`, `bin/python` or `bin/activate` is ever removed).
    pub clear: bool,
    /// The prompt the activation scripts show; `.` means the name of the
    /// current directory; by default the environment directory's name.
    pub prompt: Option<String>,
}

/// Where the parts of a new virtual environment are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenvLayout {
    /// The environment's root (absolute).
    pub root: PathBuf,
    /// The scripts directory (`bin`).
    pub bin: PathBuf,
    /// The environment's interpreter (`bin/python`).
    pub python: PathBuf,
    /// `lib/pythonX.Y/site-packages`.
    pub site_packages: PathBuf,
    /// `include/site/pythonX.Y`: where installers put the C headers of
    /// wheels (pip's and puffin's scheme; `sysconfig` names the base
    /// interpreter's include directory, outside the environment). Created by
    /// the first install that has headers.
    pub include: PathBuf,
}

/// Create a virtual environment at `path` for the `base` interpreter.
///
/// PEP 405: a `pyvenv.cfg` whose `home` key names the directory of the base
/// interpreter, next to a `bin` directory with the interpreter, makes Python
/// take the directory as `sys.prefix` and use its own site-packages. The
/// environment is written to a temporary sibling directory and renamed into
/// place, so a failure never leaves half an environment at `path`.
///
/// An existing non-empty directory is an error unless `options.clear` is set,
/// and even then only a virtual environment (holding `pyvenv.cfg`, or, when
/// that was lost, `bin/python` or `bin/activate`) is removed.
#[instrument(skip_all, fields(path = %path.display()))]
pub fn create_venv(
    path: &Path,
    base: &Interpreter,
    options: &VenvOptions,
) -> Result<VenvLayout, Error> {
    let root = std::path::absolute(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let io_error = |err: io::Error| Error::Io {
        path: root.clone(),
        err,
    };

    let existing = check_target(&root, options.clear)?;
    let parent = root.parent().unwrap_or(Path::new("/"));
    fs::create_dir_all(parent).map_err(io_error)?;

    let name = root
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "venv".to_string());
    let prompt = match options.prompt.as_deref() {
        Some(".") => std::env::current_dir()
            .ok()
            .and_then(|dir| {
                dir.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| name.clone()),
        Some(prompt) => prompt.to_string(),
        None => name.clone(),
    };

    let temp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{name}-"))
        .tempdir_in(parent)
        .map_err(|err| {
            io_error(io::Error::new(
                err.kind(),
                format!(
                    "failed to create a temporary directory in `{}`: {err}",
                    parent.display()
                ),
            ))
        })?;
    let layout = write_layout(temp.path(), &root, base, &prompt, options.prompt.is_some())
        .map_err(io_error)?;

    match existing {
        Existing::Nothing | Existing::EmptyDir => {}
        Existing::VirtualEnv => {
            debug!("Removing the existing environment");
            fs::remove_dir_all(&root).map_err(io_error)?;
        }
    }
    // Renaming over an empty directory replaces it.
    fs::rename(temp.path(), &root).map_err(io_error)?;
    // The directory moved; nothing is left for the guard to remove.
    let _ = temp.keep();
    Ok(layout)
}

/// What is at the target path now.
enum Existing {
    Nothing,
    EmptyDir,
    VirtualEnv,
}

fn check_target(root: &Path, clear: bool) -> Result<Existing, Error> {
    let metadata = match fs::symlink_metadata(root) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(err) => {
            return Err(Error::Io {
                path: root.to_path_buf(),
                err,
            });
        }
    };
    if !metadata.is_dir() {
        return Err(Error::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let empty = fs::read_dir(root)
        .map_err(|err| Error::Io {
            path: root.to_path_buf(),
            err,
        })?
        .next()
        .is_none();
    if empty {
        return Ok(Existing::EmptyDir);
    }
    if !clear {
        return Err(Error::AlreadyExists {
            path: root.to_path_buf(),
        });
    }
    // A broken environment may have lost `pyvenv.cfg` (the discovery error
    // for it suggests `--clear`), so its interpreter or activation script
    // also marks it; a (possibly dangling) symlink counts.
    let is_venv = [
        "pyvenv.cfg",
        "bin/python",
        "bin/activate",
        "Scripts/python.exe",
    ]
    .iter()
    .any(|marker| fs::symlink_metadata(root.join(marker)).is_ok());
    if !is_venv {
        return Err(Error::ClearNotAVirtualEnv {
            path: root.to_path_buf(),
        });
    }
    Ok(Existing::VirtualEnv)
}

/// Write the environment into `dir`, which will be renamed to `root`: every
/// file that records the location uses `root`.
fn write_layout(
    dir: &Path,
    root: &Path,
    base: &Interpreter,
    prompt: &str,
    write_prompt: bool,
) -> io::Result<VenvLayout> {
    let (major, minor, _) = base.python_version;
    let base_python = base.base_interpreter();
    let is_pypy = base.implementation_name == "pypy";
    let bin_name = if cfg!(windows) { "Scripts" } else { "bin" };

    // `lib/python3.12` (`python3.13t` for a free-threaded build,
    // `pypy3.10` for PyPy): the directory `sysconfig` names in the venv
    // scheme.
    let lib_name = if is_pypy {
        format!("pypy{major}.{minor}")
    } else if base.gil_disabled {
        format!("python{major}.{minor}t")
    } else {
        format!("python{major}.{minor}")
    };
    let site_packages = Path::new("lib").join(&lib_name).join("site-packages");
    fs::create_dir_all(dir.join(&site_packages))?;

    // Like `python -m venv`: 64-bit POSIX systems other than macOS look for
    // `lib64` too.
    if base.pointer_size == 64
        && base.markers.os_name() == "posix"
        && base.markers.sys_platform() != "darwin"
    {
        symlink("lib".as_ref(), &dir.join("lib64"))?;
    }

    let bin = dir.join(bin_name);
    fs::create_dir_all(&bin)?;
    let mut names = vec![
        "python".to_string(),
        format!("python{major}"),
        format!("python{major}.{minor}"),
    ];
    if is_pypy {
        names.push("pypy".to_string());
        names.push(format!("pypy{major}"));
    }
    for name in &names {
        symlink(base_python, &bin.join(name))?;
    }

    for activator in ACTIVATORS {
        fs::write(
            bin.join(activator.name),
            activator.render(root, bin_name, prompt),
        )?;
    }

    fs::write(
        dir.join("pyvenv.cfg"),
        pyvenv_cfg(base, base_python, write_prompt.then_some(prompt)),
    )?;
    // Keep the environment out of version control (as `python -m venv` does
    // since 3.13).
    fs::write(dir.join(".gitignore"), "# Created by puffin\n*\n")?;

    Ok(VenvLayout {
        root: root.to_path_buf(),
        bin: root.join(bin_name),
        python: root.join(bin_name).join(if cfg!(windows) {
            "python.exe"
        } else {
            "python"
        }),
        site_packages: root.join(site_packages),
        include: root
            .join("include")
            .join("site")
            .join(format!("python{major}.{minor}")),
    })
}

/// PEP 405's `pyvenv.cfg`: `home` is the directory of the base interpreter;
/// `include-system-site-packages = false` isolates the environment.
fn pyvenv_cfg(base: &Interpreter, base_python: &Path, prompt: Option<&str>) -> String {
    let home = base_python.parent().unwrap_or(Path::new("/"));
    let mut cfg = format!(
        "home = {}\nimplementation = {}\nversion = {}\ninclude-system-site-packages = false\npuffin = {}\n",
        home.display(),
        base.markers.platform_python_implementation(),
        base.markers.python_full_version().string,
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(prompt) = prompt {
        cfg.push_str(&format!("prompt = {prompt}\n"));
    }
    cfg
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    fs::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    if target.is_dir() {
        fs::os::windows::fs::symlink_dir(target, link)
    } else {
        fs::os::windows::fs::symlink_file(target, link)
    }
}
