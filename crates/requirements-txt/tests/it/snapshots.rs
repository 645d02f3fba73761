//! Snapshots of every file in `test-data/requirements-txt`: the parsed result
//! of the valid files, the error message of each file in `bad/`.

use std::error::Error;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use fs_err as fs;
use requirements_txt::{RequirementEntry, RequirementsTxt};

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data/requirements-txt")
        .canonicalize()
        .expect("test-data/requirements-txt exists")
}

/// Replace the machine-specific test-data directory with `[TEST-DATA]`.
fn filter(text: &str) -> String {
    let dir = test_data();
    let url = url::Url::from_directory_path(&dir).unwrap().to_string();
    text.replace(url.trim_end_matches('/'), "file://[TEST-DATA]")
        .replace(&dir.display().to_string(), "[TEST-DATA]")
}

fn render_entries(out: &mut String, title: &str, entries: &[RequirementEntry]) {
    if entries.is_empty() {
        return;
    }
    writeln!(out, "{title}:").unwrap();
    for entry in entries {
        let file = entry.file.file_name().unwrap().to_string_lossy();
        writeln!(out, "  {file}:{}: {}", entry.line, entry.requirement).unwrap();
        for hash in &entry.hashes {
            writeln!(out, "    --hash={hash}").unwrap();
        }
    }
}

/// A compact rendering of everything parsed.
fn render(requirements: &RequirementsTxt) -> String {
    let mut out = String::new();
    render_entries(&mut out, "requirements", &requirements.requirements);
    render_entries(&mut out, "constraints", &requirements.constraints);
    if !requirements.sources.is_empty() {
        writeln!(out, "sources:").unwrap();
        for source in &requirements.sources {
            let file = source.file.file_name().unwrap().to_string_lossy();
            let editable = if source.editable { "-e " } else { "" };
            let name = source.name.as_deref().unwrap_or("?");
            writeln!(
                out,
                "  {file}:{}: {editable}{} ({name} at {}) extras={:?} marker={:?}",
                source.line,
                source.target,
                source.url,
                source.extras,
                source
                    .marker
                    .as_ref()
                    .and_then(|m| m.contents())
                    .map(|m| m.to_string())
            )
            .unwrap();
            for hash in &source.hashes {
                writeln!(out, "    --hash={hash}").unwrap();
            }
        }
    }
    for (name, values) in [
        ("no-binary", &requirements.no_binary),
        ("only-binary", &requirements.only_binary),
    ] {
        for value in values {
            writeln!(out, "{name}: {value}").unwrap();
        }
    }
    if let Some(index_url) = &requirements.index_url {
        writeln!(out, "index-url: {index_url}").unwrap();
    }
    for (name, values) in [
        ("extra-index-url", &requirements.extra_index_urls),
        ("find-links", &requirements.find_links),
        ("trusted-host", &requirements.trusted_hosts),
    ] {
        for value in values {
            writeln!(out, "{name}: {value}").unwrap();
        }
    }
    for (name, set) in [
        ("no-index", requirements.no_index),
        ("pre", requirements.pre),
        ("require-hashes", requirements.require_hashes),
    ] {
        if set {
            writeln!(out, "{name}").unwrap();
        }
    }
    for warning in &requirements.warnings {
        writeln!(out, "warning: {warning}").unwrap();
    }
    filter(&out)
}

/// An error with its causes, as the CLI prints it.
fn render_error(err: &dyn Error) -> String {
    let mut out = format!("error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        write!(out, "\n  Caused by: {cause}").unwrap();
        source = cause.source();
    }
    filter(&out)
}

fn txt_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    files
}

#[test]
fn valid_files() {
    let dir = test_data();
    let files = txt_files(&dir);
    assert!(
        files.len() >= 7,
        "expected the valid test files in {}",
        dir.display()
    );
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let requirements = RequirementsTxt::parse(&path, &dir)
            .unwrap_or_else(|err| panic!("{}: {}", path.display(), render_error(&err)));
        insta::assert_snapshot!(name, render(&requirements));
    }
}

#[test]
fn bad_files() {
    let dir = test_data();
    let files = txt_files(&dir.join("bad"));
    assert!(
        files.len() >= 10,
        "expected the bad test files in {}",
        dir.display()
    );
    for path in files {
        let name = format!("bad-{}", path.file_stem().unwrap().to_string_lossy());
        let err = RequirementsTxt::parse(&path, &dir)
            .map(|parsed| render(&parsed))
            .expect_err(&format!("{} should fail", path.display()));
        insta::assert_snapshot!(name, render_error(&err));
    }
}

/// The error format promised to users, pinned exactly.
#[test]
fn error_display_shape() {
    let err = RequirementsTxt::parse_str(
        "click\n\nflask >= = 2.0\n",
        Path::new("requirements.txt"),
        Path::new("/"),
    )
    .unwrap_err();
    insta::assert_snapshot!(err, @r"
    Couldn't parse requirement in `requirements.txt` at line 3, column 7
      flask >= = 2.0
            ^^^^^^^^
    expected version to start with a number, but no leading ASCII digits were found
    ");
}

/// A missing top-level file names the file.
#[test]
fn missing_file() {
    let err = RequirementsTxt::parse(Path::new("/nonexistent/requirements.txt"), Path::new("/"))
        .unwrap_err();
    insta::assert_snapshot!(render_error(&err), @r"
    error: Couldn't read requirements file `/nonexistent/requirements.txt`
      Caused by: failed to query resolved metadata `/nonexistent/requirements.txt`: No such file or directory (os error 2)
    ");
}
