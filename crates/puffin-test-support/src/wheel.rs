use std::io::Write;
use std::path::{Path, PathBuf};

use data_encoding::BASE64URL_NOPAD;
use fs_err as fs;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

/// Builds a small wheel with a valid `.dist-info` (METADATA, WHEEL, RECORD).
///
/// ```
/// # use puffin_test_support::WheelBuilder;
/// let dir = tempfile::tempdir().unwrap();
/// let whl = WheelBuilder::new("demo", "1.0")
///     .file("demo/__init__.py", "VALUE = 1\n")
///     .console_script("demo", "demo:main")
///     .build(dir.path());
/// assert!(whl.ends_with("demo-1.0-py3-none-any.whl"));
/// ```
#[derive(Debug, Clone)]
pub struct WheelBuilder {
    name: String,
    version: String,
    tag: String,
    build_tag: Option<String>,
    root_is_purelib: bool,
    wheel_version: String,
    files: Vec<(String, Vec<u8>, u32)>,
    dirs: Vec<String>,
    metadata_lines: Vec<String>,
    console_scripts: Vec<(String, String)>,
    gui_scripts: Vec<(String, String)>,
    dist_info_overrides: Vec<(String, Option<Vec<u8>>)>,
}

impl WheelBuilder {
    /// A wheel for `name` at `version`, tagged `py3-none-any`, pure Python.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            tag: "py3-none-any".to_string(),
            build_tag: None,
            root_is_purelib: true,
            wheel_version: "1.0".to_string(),
            files: Vec::new(),
            dirs: Vec::new(),
            metadata_lines: Vec::new(),
            console_scripts: Vec::new(),
            gui_scripts: Vec::new(),
            dist_info_overrides: Vec::new(),
        }
    }

    /// Set the `{python}-{abi}-{platform}` tag, e.g. `cp311-cp311-manylinux_2_17_x86_64`.
    #[must_use]
    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = tag.to_string();
        self
    }

    /// Set the build tag.
    #[must_use]
    pub fn build_tag(mut self, build_tag: &str) -> Self {
        self.build_tag = Some(build_tag.to_string());
        self
    }

    /// Set `Root-Is-Purelib` in WHEEL.
    #[must_use]
    pub fn root_is_purelib(mut self, purelib: bool) -> Self {
        self.root_is_purelib = purelib;
        self
    }

    /// Set `Wheel-Version` in WHEEL.
    #[must_use]
    pub fn wheel_version(mut self, version: &str) -> Self {
        self.wheel_version = version.to_string();
        self
    }

    /// Add a regular file (mode 0o644) at a `/`-separated path in the archive.
    #[must_use]
    pub fn file(self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.file_with_mode(path, contents, 0o644)
    }

    /// Add an executable file (mode 0o755).
    #[must_use]
    pub fn executable(self, path: &str, contents: impl AsRef<[u8]>) -> Self {
        self.file_with_mode(path, contents, 0o755)
    }

    /// Add a file with the given unix mode.
    #[must_use]
    pub fn file_with_mode(mut self, path: &str, contents: impl AsRef<[u8]>, mode: u32) -> Self {
        self.files
            .push((path.to_string(), contents.as_ref().to_vec(), mode));
        self
    }

    /// Add an explicit directory entry (`path/` in the archive, which RECORD
    /// does not list), e.g. an empty directory.
    #[must_use]
    pub fn dir(mut self, path: &str) -> Self {
        self.dirs.push(path.trim_end_matches('/').to_string());
        self
    }

    /// Add a line to METADATA, e.g. `Requires-Dist: idna>=2.5`.
    #[must_use]
    pub fn metadata_line(mut self, line: &str) -> Self {
        self.metadata_lines.push(line.to_string());
        self
    }

    /// Add a `Requires-Dist` line to METADATA.
    #[must_use]
    pub fn requires(self, requirement: &str) -> Self {
        self.metadata_line(&format!("Requires-Dist: {requirement}"))
    }

    /// Add a `console_scripts` entry point, e.g. `("demo", "demo.cli:main")`.
    #[must_use]
    pub fn console_script(mut self, name: &str, target: &str) -> Self {
        self.console_scripts
            .push((name.to_string(), target.to_string()));
        self
    }

    /// Add a `gui_scripts` entry point.
    #[must_use]
    pub fn gui_script(mut self, name: &str, target: &str) -> Self {
        self.gui_scripts
            .push((name.to_string(), target.to_string()));
        self
    }

    /// Replace a generated `.dist-info` file (`METADATA`, `WHEEL`, `RECORD`,
    /// `entry_points.txt`) with these bytes, or leave it out with `None`.
    #[must_use]
    pub fn dist_info_file(mut self, name: &str, contents: Option<&[u8]>) -> Self {
        self.dist_info_overrides
            .push((name.to_string(), contents.map(<[u8]>::to_vec)));
        self
    }

    /// The escaped distribution name used in filenames and `.dist-info`.
    fn escaped_name(&self) -> String {
        let mut escaped = String::new();
        let mut last_was_separator = false;
        for c in self.name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !last_was_separator {
                    escaped.push('_');
                }
                last_was_separator = true;
            } else {
                escaped.push(c);
                last_was_separator = false;
            }
        }
        escaped
    }

    /// The wheel's filename, e.g. `demo-1.0-py3-none-any.whl`.
    pub fn filename(&self) -> String {
        match &self.build_tag {
            Some(build) => format!(
                "{}-{}-{build}-{}.whl",
                self.escaped_name(),
                self.version,
                self.tag
            ),
            None => format!("{}-{}-{}.whl", self.escaped_name(), self.version, self.tag),
        }
    }

    /// The `.dist-info` directory name.
    pub fn dist_info_dir(&self) -> String {
        format!("{}-{}.dist-info", self.escaped_name(), self.version)
    }

    /// Every entry of the wheel in archive order: payload first, then
    /// `.dist-info` with RECORD last. Each entry is `(path, bytes, mode)`.
    pub fn entries(&self) -> Vec<(String, Vec<u8>, u32)> {
        let dist_info = self.dist_info_dir();
        let mut entries = self.files.clone();

        let mut metadata = format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
            self.name, self.version
        );
        for line in &self.metadata_lines {
            metadata.push_str(line);
            metadata.push('\n');
        }
        let wheel = format!(
            "Wheel-Version: {}\nGenerator: puffin-test-support\nRoot-Is-Purelib: {}\nTag: {}\n",
            self.wheel_version, self.root_is_purelib, self.tag
        );
        let mut generated = vec![
            ("METADATA".to_string(), metadata.into_bytes()),
            ("WHEEL".to_string(), wheel.into_bytes()),
        ];
        if !self.console_scripts.is_empty() || !self.gui_scripts.is_empty() {
            let mut text = String::new();
            for (section, scripts) in [
                ("console_scripts", &self.console_scripts),
                ("gui_scripts", &self.gui_scripts),
            ] {
                if scripts.is_empty() {
                    continue;
                }
                text.push_str(&format!("[{section}]\n"));
                for (name, target) in scripts {
                    text.push_str(&format!("{name} = {target}\n"));
                }
                text.push('\n');
            }
            generated.push(("entry_points.txt".to_string(), text.into_bytes()));
        }
        for (name, contents) in &self.dist_info_overrides {
            generated.retain(|(existing, _)| existing != name);
            if let Some(contents) = contents
                && name != "RECORD"
            {
                generated.push((name.clone(), contents.clone()));
            }
        }
        for (name, contents) in generated {
            entries.push((format!("{dist_info}/{name}"), contents, 0o644));
        }

        let record_path = format!("{dist_info}/RECORD");
        match self
            .dist_info_overrides
            .iter()
            .find(|(name, _)| name == "RECORD")
        {
            Some((_, Some(contents))) => entries.push((record_path, contents.clone(), 0o644)),
            Some((_, None)) => {}
            None => {
                let mut record = String::new();
                for (path, contents, _) in &entries {
                    let digest = BASE64URL_NOPAD.encode(&Sha256::digest(contents));
                    record.push_str(&format!("{path},sha256={digest},{}\n", contents.len()));
                }
                record.push_str(&format!("{record_path},,\n"));
                entries.push((record_path, record.into_bytes(), 0o644));
            }
        }
        entries
    }

    /// Write the wheel archive into `dir` and return its path.
    pub fn build(&self, dir: &Path) -> PathBuf {
        let path = dir.join(self.filename());
        write_archive(&path, &self.dirs, &self.entries());
        path
    }

    /// Write the wheel unzipped into `dir/<filename stem>` and return that directory.
    pub fn build_unpacked(&self, dir: &Path) -> PathBuf {
        let root = dir.join(self.filename().trim_end_matches(".whl"));
        for path in &self.dirs {
            fs::create_dir_all(root.join(path)).unwrap();
        }
        for (path, contents, mode) in self.entries() {
            let target = root.join(&path);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::write(&target, contents).unwrap();
            set_mode(&target, mode);
        }
        root
    }
}

/// Write a zip archive with the given `(path, bytes, mode)` entries, deflated.
pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>, u32)]) {
    write_archive(path, &[], entries);
}

/// Write a zip archive with directory entries (`dir/`, mode 0o755) first, then
/// the files.
fn write_archive(path: &Path, dirs: &[String], entries: &[(String, Vec<u8>, u32)]) {
    let file = fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for dir in dirs {
        let options = SimpleFileOptions::default().unix_permissions(0o755);
        zip.add_directory(format!("{dir}/"), options).unwrap();
    }
    for (name, contents, mode) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap();
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}
