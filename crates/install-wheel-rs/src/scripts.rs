//! Scripts: launchers for entry points ([entry points specification]) and
//! `#!python` shebang rewriting for `.data/scripts` ([binary distribution
//! format], "recommended installer features").
//!
//! [entry points specification]: https://packaging.python.org/en/latest/specifications/entry-points/
//! [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#recommended-installer-features

use std::io::Read;
use std::path::Path;

use crate::Error;

/// Longest shebang line the kernel passes on whole (`BINPRM_BUF_SIZE` is 128
/// bytes including `#!` and the newline on Linux).
const MAX_SHEBANG_PATH: usize = 127;

/// One `console_scripts` or `gui_scripts` entry: `name = module:object.attr [extras]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPoint {
    /// The launcher's filename.
    pub(crate) name: String,
    /// The module to import, e.g. `demo.cli`.
    pub(crate) module: String,
    /// The object path inside the module, e.g. `main` or `App.run`.
    pub(crate) object: String,
}

/// Read the `[console_scripts]` and `[gui_scripts]` sections of
/// `entry_points.txt` (an INI file). Extras (`[x]`) are ignored, as pip does.
pub(crate) fn parse_entry_points(text: &str, path: &Path) -> Result<Vec<EntryPoint>, Error> {
    let mut entry_points = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line
            .strip_prefix('[')
            .and_then(|line| line.strip_suffix(']'))
        {
            in_scripts = matches!(section.trim(), "console_scripts" | "gui_scripts");
            continue;
        }
        if !in_scripts {
            continue;
        }
        let invalid = |name: &str, reason: &str| Error::InvalidEntryPoint {
            path: path.to_path_buf(),
            name: name.to_string(),
            reason: reason.to_string(),
        };
        let Some((name, value)) = line.split_once('=') else {
            return Err(invalid(line, "expected `name = module:function`"));
        };
        let name = name.trim();
        check_script_name(name).map_err(|reason| invalid(name, &reason))?;
        // Extras: `module:function [extra1, extra2]`.
        let value = match value.find('[') {
            Some(bracket) => &value[..bracket],
            None => value,
        }
        .trim();
        let Some((module, object)) = value.split_once(':') else {
            return Err(invalid(
                name,
                &format!("`{value}` must be `module:function` for a script"),
            ));
        };
        let (module, object) = (module.trim(), object.trim());
        if !is_dotted_identifier(module) || !is_dotted_identifier(object) {
            return Err(invalid(
                name,
                &format!("`{value}` is not of the form `module.path:object.attribute`"),
            ));
        }
        entry_points.push(EntryPoint {
            name: name.to_string(),
            module: module.to_string(),
            object: object.to_string(),
        });
    }
    Ok(entry_points)
}

/// A launcher name must be a plain filename, and must not replace the
/// environment's interpreter or activation scripts.
pub(crate) fn check_script_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".to_string());
    }
    if name.contains(['/', '\\']) || name.contains("..") || name == "." {
        return Err("a script name must be a plain filename without `/`, `\\` or `..`".to_string());
    }
    if name.contains(|c: char| c.is_control()) {
        return Err("the name contains a control character".to_string());
    }
    match reserved_script_name(name) {
        Some(reason) => Err(reason.to_string()),
        None => Ok(()),
    }
}

/// Why no file of a wheel may have `name` in the environment's scripts
/// directory, if it may not: the interpreter (`python`, `python3`,
/// `python3.12`, `pythonw`, `python3.13t`) and the activation scripts a
/// virtual environment is made with (`activate`, `activate.*`,
/// `activate_this.py`, `deactivate.bat`). Names that only start with
/// `activate`, such as argcomplete's `activate-global-python-argcomplete`,
/// are allowed.
pub(crate) fn reserved_script_name(name: &str) -> Option<&'static str> {
    let interpreter = name.strip_prefix("python").is_some_and(|rest| {
        rest.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'w' | 't'))
    });
    if interpreter {
        return Some("a wheel must not replace the environment's Python interpreter");
    }
    let activation = name == "activate"
        || name.starts_with("activate.")
        || name == "activate_this.py"
        || name == "deactivate.bat";
    activation.then_some("a wheel must not replace the environment's activation scripts")
}

/// Why the file a wheel's `.data/data/<relative>` installs (relative to the
/// environment's root) is reserved, if it is: `pyvenv.cfg`, and the
/// reserved names of [`reserved_script_name`] in `bin` or `Scripts`.
pub(crate) fn reserved_data_path(relative: &str) -> Option<&'static str> {
    if relative == "pyvenv.cfg" {
        return Some("a wheel must not replace the environment's configuration");
    }
    let (dir, name) = relative.rsplit_once('/')?;
    matches!(dir, "bin" | "Scripts")
        .then(|| reserved_script_name(name))
        .flatten()
}

/// Whether the `.data/scripts` file `name` is a wrapper that setuptools
/// wrote for one of the entry points (old wheels ship `easy_install` both as
/// an entry point and as a script): `<ep>`, and the Windows wrappers
/// `<ep>.exe`, `<ep>.exe.manifest`, `<ep>-script.py` and `<ep>-script.pyw`.
/// The generated launcher replaces it, as pip does.
pub(crate) fn is_entry_point_wrapper(name: &str, entry_points: &[EntryPoint]) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem_len = [".exe.manifest", ".exe", "-script.pyw", "-script.py"]
        .iter()
        .find(|suffix| lower.ends_with(*suffix))
        .map_or(name.len(), |suffix| name.len() - suffix.len());
    let stem = &name[..stem_len];
    entry_points
        .iter()
        .any(|entry_point| entry_point.name == stem)
}

fn is_dotted_identifier(value: &str) -> bool {
    !value.is_empty()
        && value.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// The shebang that runs `python`, as bytes including the trailing newline.
///
/// The kernel cuts shebang lines after 127 bytes and splits them at spaces,
/// so a longer path or one with spaces uses the `/bin/sh` trick: the script
/// starts as a shell script that execs the interpreter on itself, and Python
/// reads those lines as a string literal.
pub(crate) fn shebang(python: &Path) -> Vec<u8> {
    let path = path_bytes(python);
    let simple = path.len() <= MAX_SHEBANG_PATH
        && !path
            .iter()
            .any(|byte| byte.is_ascii_whitespace() || byte.is_ascii_control());
    let mut line = Vec::new();
    if simple {
        line.extend_from_slice(b"#!");
        line.extend_from_slice(&path);
        line.push(b'\n');
    } else {
        // Quote for the shell: `'` becomes `'"'"'`.
        let mut quoted = Vec::new();
        for &byte in &path {
            if byte == b'\'' {
                quoted.extend_from_slice(b"'\"'\"'");
            } else {
                quoted.push(byte);
            }
        }
        line.extend_from_slice(b"#!/bin/sh\n'''exec' '");
        line.extend_from_slice(&quoted);
        line.extend_from_slice(b"' \"$0\" \"$@\"\n' '''\n");
    }
    line
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

/// The launcher script for an entry point.
pub(crate) fn launcher(python: &Path, entry_point: &EntryPoint) -> Vec<u8> {
    let import_name = entry_point
        .object
        .split('.')
        .next()
        .unwrap_or(&entry_point.object);
    let mut script = shebang(python);
    script.extend_from_slice(
        format!(
            "# -*- coding: utf-8 -*-\n\
             import re\n\
             import sys\n\
             from {module} import {import_name}\n\
             if __name__ == \"__main__\":\n\
             \x20   sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n\
             \x20   sys.exit({object}())\n",
            module = entry_point.module,
            object = entry_point.object,
        )
        .as_bytes(),
    );
    script
}

/// Whether the file at `path` starts with `#!python`, the line
/// [`rewrite_shebang`] rewrites (only its first eight bytes are read).
pub(crate) fn starts_with_python_shebang(path: &Path) -> std::io::Result<bool> {
    const SHEBANG: &[u8] = b"#!python";
    let mut head = Vec::with_capacity(SHEBANG.len());
    fs_err::File::open(path)?
        .take(SHEBANG.len() as u64)
        .read_to_end(&mut head)?;
    Ok(head == SHEBANG)
}

/// Replace a first line that starts with `#!python` (`#!python`,
/// `#!pythonw`, `#!python3`, `#!python3.11`, ...) with the environment's
/// interpreter ([binary distribution format], "recommended installer
/// features"); other contents are returned unchanged.
///
/// Arguments after the interpreter (`#!python -u`) are kept, which pip
/// drops; they are dropped only when the `/bin/sh` trick is needed, whose
/// `exec` line cannot carry them.
///
/// [binary distribution format]: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#recommended-installer-features
pub(crate) fn rewrite_shebang(contents: &[u8], python: &Path) -> Option<Vec<u8>> {
    let rest = contents.strip_prefix(b"#!python")?;
    // The rest of the interpreter's name, e.g. `3.11` or `w`.
    let name_end = rest
        .iter()
        .position(|byte| matches!(byte, b'\n' | b'\r' | b' ' | b'\t'))
        .unwrap_or(rest.len());
    let rest = &rest[name_end..];
    let line_end = rest.iter().position(|&byte| byte == b'\n');
    let (args, body) = match line_end {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, &[][..]),
    };
    let args = args.strip_suffix(b"\r").unwrap_or(args);
    let mut script = shebang(python);
    let sh_trick = script.starts_with(b"#!/bin/sh\n'''exec'");
    if !args.trim_ascii().is_empty() && !sh_trick {
        script.pop();
        script.extend_from_slice(args);
        script.push(b'\n');
    }
    script.extend_from_slice(body);
    Some(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scripts_and_ignores_extras_and_other_groups() {
        let text = "[console_scripts]\ndemo = demo.cli:main [fast]\n\n[demo.plugins]\nx = y:z\n\n[gui_scripts]\ndemo-gui=demo:App.run\n";
        let entry_points = parse_entry_points(text, Path::new("entry_points.txt")).unwrap();
        assert_eq!(
            entry_points,
            [
                EntryPoint {
                    name: "demo".into(),
                    module: "demo.cli".into(),
                    object: "main".into()
                },
                EntryPoint {
                    name: "demo-gui".into(),
                    module: "demo".into(),
                    object: "App.run".into()
                },
            ]
        );
    }

    #[test]
    fn rejects_unsafe_names() {
        for name in [
            "../evil",
            "a/b",
            "a\\b",
            "..",
            "python",
            "python3",
            "python3.12",
            "python3.13t",
            "pythonw",
            "activate",
            "activate.fish",
            "activate_this.py",
        ] {
            let text = format!("[console_scripts]\n{name} = demo:main\n");
            assert!(
                parse_entry_points(&text, Path::new("e.txt")).is_err(),
                "{name}"
            );
        }
        assert!(
            parse_entry_points(
                "[console_scripts]\npython-tool = demo:main\nactivate-global-python-argcomplete = demo:main\n",
                Path::new("e.txt")
            )
            .is_ok()
        );
    }

    #[test]
    fn reserved_data_paths() {
        for path in [
            "pyvenv.cfg",
            "bin/python",
            "bin/python3.11",
            "Scripts/pythonw",
            "bin/activate.csh",
        ] {
            assert!(reserved_data_path(path).is_some(), "{path}");
        }
        for path in [
            "share/pyvenv.cfg",
            "bin/tool",
            "lib/python3",
            "etc/activate",
        ] {
            assert!(reserved_data_path(path).is_none(), "{path}");
        }
    }

    #[test]
    fn setuptools_wrappers_of_entry_points() {
        let entry_points = [EntryPoint {
            name: "easy_install".into(),
            module: "setuptools.command.easy_install".into(),
            object: "main".into(),
        }];
        for name in [
            "easy_install",
            "easy_install.exe",
            "easy_install.EXE",
            "easy_install-script.py",
            "easy_install-script.pyw",
            "easy_install.exe.manifest",
        ] {
            assert!(is_entry_point_wrapper(name, &entry_points), "{name}");
        }
        for name in ["easy_install-3.11", "other.exe", "easy_install.py"] {
            assert!(!is_entry_point_wrapper(name, &entry_points), "{name}");
        }
    }

    #[test]
    fn long_or_spaced_interpreters_use_the_sh_trick() {
        assert_eq!(
            shebang(Path::new("/venv/bin/python")),
            b"#!/venv/bin/python\n"
        );
        let spaced = shebang(Path::new("/my venv/bin/python"));
        assert_eq!(
            String::from_utf8(spaced).unwrap(),
            "#!/bin/sh\n'''exec' '/my venv/bin/python' \"$0\" \"$@\"\n' '''\n"
        );
        let long = format!("/{}/python", "x".repeat(130));
        assert!(shebang(Path::new(&long)).starts_with(b"#!/bin/sh\n"));
    }

    #[test]
    fn rewrites_only_the_placeholder() {
        let python = Path::new("/venv/bin/python");
        assert_eq!(
            rewrite_shebang(b"#!python\nprint(1)\n", python).unwrap(),
            b"#!/venv/bin/python\nprint(1)\n"
        );
        assert_eq!(
            rewrite_shebang(b"#!pythonw -u\nx\n", python).unwrap(),
            b"#!/venv/bin/python -u\nx\n"
        );
        // Every `#!python...` placeholder: pip rewrites them all.
        for placeholder in ["#!python3", "#!python3.11", "#!python3.11w"] {
            assert_eq!(
                rewrite_shebang(format!("{placeholder}\nx\n").as_bytes(), python).unwrap(),
                b"#!/venv/bin/python\nx\n",
                "{placeholder}"
            );
        }
        assert_eq!(
            rewrite_shebang(b"#!python3 -u\r\nx\n", python).unwrap(),
            b"#!/venv/bin/python -u\nx\n"
        );
        assert_eq!(rewrite_shebang(b"#!/usr/bin/python3\nx\n", python), None);
        assert_eq!(rewrite_shebang(b"#!/bin/sh\necho\n", python), None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            /// `entry_points.txt` comes from the wheel: any text is an error
            /// at worst, and what is accepted makes a safe launcher: a plain
            /// file name that is not the interpreter, and identifiers only in
            /// the generated Python.
            #[test]
            fn entry_points_never_panic_and_accepted_ones_are_safe(
                text in prop_oneof![
                    "\\PC{0,200}",
                    "\\[(console|gui)_scripts\\]\n([ -~]{0,12} ?= ?[ -~]{0,12}:?[ -~]{0,8}\n){0,5}",
                    "\\[console_scripts\\]\n(\\PC{0,8}=[a-z.]{1,6}:[a-z_]{1,6}\n){0,5}",
                ]
            ) {
                if let Ok(entry_points) = parse_entry_points(&text, Path::new("entry_points.txt")) {
                    for entry_point in entry_points {
                        prop_assert!(check_script_name(&entry_point.name).is_ok());
                        prop_assert!(!entry_point.name.contains(['/', '\\']));
                        prop_assert!(!entry_point.name.contains(".."));
                        for part in [&entry_point.module, &entry_point.object] {
                            prop_assert!(part.chars().all(|c| c == '.' || c == '_' || c.is_alphanumeric()));
                        }
                        let _ = launcher(Path::new("/venv/bin/python"), &entry_point);
                    }
                }
            }

            /// Names containing a separator or `..` are always refused.
            #[test]
            fn names_with_separators_are_refused(
                prefix in "\\PC{0,6}",
                separator in prop_oneof!["/", "\\\\", "\\.\\."],
                suffix in "\\PC{0,6}",
            ) {
                let name = format!("{prefix}{separator}{suffix}");
                prop_assert!(check_script_name(&name).is_err());
            }

            /// Scripts from `.data/scripts`: any bytes, with or without the
            /// placeholder.
            #[test]
            fn shebang_rewriting_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
                let python = Path::new("/venv/bin/python");
                let _ = rewrite_shebang(&bytes, python);
                let mut placeholder = b"#!python".to_vec();
                placeholder.extend_from_slice(&bytes);
                let rewritten = rewrite_shebang(&placeholder, python);
                if let Some(rewritten) = rewritten {
                    prop_assert!(rewritten.starts_with(b"#!/venv/bin/python"));
                }
            }
        }
    }
}
