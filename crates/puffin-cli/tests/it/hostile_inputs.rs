//! Hostile servers and odd input files (issue 14): secrets never reach the
//! output or the environment, and inputs are bounded in memory.

use std::process::{Command, Output};

use fs_err as fs;
use puffin_test_support::{IndexServer, IndexServerOptions, RawResponse};

use crate::common::TestContext;

/// The password the tests hide in `${PUFFIN_SECRET}`-style variables.
const SECRET: &str = "s3cr3t-Pa55w0rd";

/// The peak RSS a test allows for a hostile input, in bytes.
const PEAK_RSS_LIMIT: u64 = 300 * 1000 * 1000;

/// Forks, runs `argv[2:]` in the child, writes the child's `ru_maxrss` (KiB)
/// to `argv[1]`, and exits as the child did.
const FORK_AND_MEASURE: &str = r#"
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"#;

/// Run `command` to completion; its output and its peak resident set size in
/// bytes.
///
/// The command is started by a small `python3` process that forks it and
/// reports its `ru_maxrss`: a process started straight from this test
/// process begins with this process's high-water RSS (`posix_spawn` shares
/// its memory map until `exec`, and `exec` keeps the larger mark), so the
/// buffers of other tests running at the same time (the 53 MB page of
/// [`a_large_legitimate_page_is_parsed_in_bounded_memory`]) counted as the
/// child's: 319 MB measured for a run that peaks at 92 MB.
fn run_measuring_memory(command: Command) -> (Output, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut wrapper = Command::new("python3");
    wrapper
        .arg("-c")
        .arg(FORK_AND_MEASURE)
        .arg(report.path())
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapper.env(key, value),
            None => wrapper.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        wrapper.current_dir(dir);
    }
    let output = wrapper.stdin(std::process::Stdio::null()).output().unwrap();
    let kib = fs::read_to_string(report.path()).unwrap();
    let peak = kib.trim().parse::<u64>().unwrap() * 1024;
    (output, peak)
}

/// Everything a run printed.
fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `pip-sync -vv` of `requirements`, with `SECRET_PASSWORD` set: asserts
/// that the run fails and that the secret appears nowhere in its output, and
/// returns the filtered stderr.
fn failing_run_hides_the_secret(context: &TestContext, requirements: &str) -> String {
    let output = context
        .pip_sync()
        .arg(context.requirements(requirements))
        .arg("-vv")
        .env("SECRET_PASSWORD", SECRET)
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(!output.status.success(), "expected a failure:\n{text}");
    assert!(
        !text.contains(SECRET),
        "the secret leaked for {requirements:?}:\n{text}"
    );
    context.filtered(&output)
}

/// The three errors that printed an expanded `${VAR}` password ("does not
/// point to a wheel", "names foo but the wheel is for bar", "Invalid index
/// URL"), and every log line at `-vv`, show the URL redacted.
#[test]
fn expanded_passwords_are_redacted_in_errors_and_logs() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let server = context.server();
    let authority = server
        .base_url()
        .replace("http://", "http://user:${SECRET_PASSWORD}@");

    let stderr = failing_run_hides_the_secret(
        &context,
        &format!("demo @ {authority}/files/demo-1.0.tar.gz\n"),
    );
    assert!(stderr.contains("user:****@"), "{stderr}");
    assert!(stderr.contains("Failed to download"), "{stderr}");

    let stderr = failing_run_hides_the_secret(
        &context,
        &format!("other @ {authority}/files/demo-1.0-py3-none-any.whl\n"),
    );
    assert!(stderr.contains("but the wheel"), "{stderr}");

    // The tag check and the wheel filename check of direct URLs (issue 12,
    // items 2 and 11) printed the URL as expanded.
    let stderr = failing_run_hides_the_secret(
        &context,
        &format!("demo @ {authority}/files/demo-1.0-cp311-cp311-win_amd64.whl\n"),
    );
    assert!(
        stderr.contains("which this environment does not support"),
        "{stderr}"
    );
    assert!(stderr.contains("user:****@"), "{stderr}");
    let stderr = failing_run_hides_the_secret(
        &context,
        &format!("demo @ {authority}/files/demo%2F-1.0-py3-none-any.whl\n"),
    );
    assert!(stderr.contains("is not a valid wheel filename"), "{stderr}");
    assert!(stderr.contains("user:****@"), "{stderr}");

    let stderr = failing_run_hides_the_secret(
        &context,
        "--index-url http://user:${SECRET_PASSWORD}@127.0.0.1:notaport/simple/\ndemo==1.0\n",
    );
    assert!(stderr.contains("Invalid index URL"), "{stderr}");

    // A run that reaches the index and fails there: every request is logged.
    let stderr = failing_run_hides_the_secret(
        &context,
        &format!("--index-url {authority}/simple/\ndemo==1.0\nghost==1.0\n"),
    );
    assert!(stderr.contains("ghost"), "{stderr}");
}

/// A server that wants `user:SECRET` and the URL of its `demo-1.0` wheel
/// with the password as `${SECRET_PASSWORD}`, for requirements to expand.
fn secret_wheel_url(context: &TestContext) -> (IndexServer, String) {
    context.wheel("demo", "1.0");
    let mut options = IndexServerOptions::new(&context.wheels);
    options.basic_auth = Some(("user".to_string(), SECRET.to_string()));
    let server = context.server_with(options);
    let url = format!(
        "{}/files/demo-1.0-py3-none-any.whl",
        server
            .base_url()
            .replace("http://", "http://user:${SECRET_PASSWORD}@")
    );
    (server, url)
}

/// `foo @ http://user:pw@host/...whl` wrote the password to
/// `direct_url.json` (mode 0644) and `pip-freeze` printed it; PEP 610 says
/// credentials MUST be removed.
#[test]
fn no_credentials_in_direct_url_json_or_freeze() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let (_server, url) = secret_wheel_url(&context);
    let requirements = context.requirements(&format!("demo @ {url}\n"));
    let sync = || {
        let output = context
            .pip_sync()
            .arg(&requirements)
            .arg("-vv")
            .env("SECRET_PASSWORD", SECRET)
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(output.status.success(), "{text}");
        assert!(!text.contains(SECRET), "{text}");
        text
    };
    sync();
    assert_eq!(context.installed(), ["demo==1.0"]);
    let direct_url = fs::read_to_string(
        context
            .site_packages()
            .join("demo-1.0.dist-info/direct_url.json"),
    )
    .unwrap();
    assert!(!direct_url.contains(SECRET), "{direct_url}");
    assert!(!direct_url.contains("user"), "{direct_url}");
    let freeze = context.pip_freeze().output().unwrap();
    let freeze = all_output(&freeze);
    assert!(!freeze.contains(SECRET), "{freeze}");
    assert!(freeze.contains("demo @ http://127.0.0.1:"), "{freeze}");

    // The recorded URL (without credentials) still satisfies the requirement.
    let again = sync();
    assert!(!again.contains("Installed"), "reinstalled:\n{again}");
}

/// `pip-compile` wrote URL requirements as expanded, so a `${VAR}`
/// password went into the output file (usually committed) and onto
/// standard output: the lines are written without credentials.
#[test]
fn pip_compile_writes_no_credentials() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let (server, url) = secret_wheel_url(&context);
    context.write("requirements.in", &format!("demo @ {url}\n"));
    for out in ["-", "requirements.txt"] {
        let output = context
            .command("pip-compile")
            .args(["requirements.in", "--no-header", "-o", out, "-vv"])
            .args(["--index-url", &server.url()])
            .env("SECRET_PASSWORD", SECRET)
            .current_dir(&context.root)
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(output.status.success(), "{text}");
        assert!(!text.contains(SECRET), "{text}");
    }
    let written = fs::read_to_string(context.root.join("requirements.txt")).unwrap();
    assert!(!written.contains(SECRET), "{written}");
    assert!(
        written.starts_with(&format!("demo @ {}/files/", server.base_url())),
        "{written}"
    );
}

/// `-r /dev/zero` read until allocation failed (and `-r fifo` hung): both
/// are refused before they are opened, with memory bounded.
#[test]
fn dev_zero_is_refused_with_bounded_memory() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let mut command = context.std_command_in("pip-sync", &context.venv);
    command.arg(context.requirements("-r /dev/zero\n"));
    let (output, peak) = run_measuring_memory(command);
    let stderr = context.filtered(&output);
    println!("peak RSS of `-r /dev/zero`: {} MB", peak / 1_000_000);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    insta::assert_snapshot!(stderr, @r"
    error: Couldn't read the included file `/dev/zero` in `[TEMP]/requirements.txt` at line 1, column 4
      -r /dev/zero
         ^^^^^^^^^
      Caused by: It is a device, not a regular file; give the path of a requirements file
    ");
    assert!(peak < PEAK_RSS_LIMIT, "peak RSS {peak} bytes");
}

/// A directory given as the requirements file was reported as "not found".
#[test]
fn a_directory_as_the_requirements_file() {
    let Some(context) = TestContext::new() else {
        return;
    };
    fs::create_dir(context.root.join("reqs")).unwrap();
    let output = context.pip_sync().arg("reqs").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(context.filtered(&output), @r"
    error: Couldn't read requirements file `reqs`
      Caused by: It is a directory, not a regular file; give the path of a requirements file
    ");
}

/// `/dev/stdin` is the one non-regular file that is read: requirements can
/// be piped in.
#[test]
fn requirements_from_stdin() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let output = context
        .pip_sync_local()
        .arg("/dev/stdin")
        .write_stdin("demo==1.0\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// An HTML page of NUL bytes cost about 110 bytes of memory per byte (a
/// 1 GiB page that gzip shrinks to 1 MB got puffin killed at 24 GB): a page
/// under the limit parses, one over it is refused, both in bounded memory.
#[test]
fn a_nul_page_is_parsed_or_refused_with_bounded_memory() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let mut options = IndexServerOptions::new(&context.wheels);
    let mib = 1024 * 1024;
    let page = |mebibytes| {
        RawResponse::gzip_html(
            b"<html><body><a href='x'>",
            &vec![0; mib],
            mebibytes,
            b"</a></body></html>",
        )
    };
    options.raw.insert("/simple/small/".to_string(), page(60));
    // Just over the 64 MiB limit: compressing in a debug build is slow.
    options.raw.insert("/simple/huge/".to_string(), page(72));
    let server = context.server_with(options);
    for (name, expected) in [
        ("small", "`small` was not found in the index `[INDEX]`"),
        (
            "huge",
            "The index page `[INDEX]huge/` is larger than 67108864 bytes once decompressed",
        ),
    ] {
        let mut command = context.std_command_in("pip-sync", &context.venv);
        command
            .arg(context.requirements(&format!("{name}==1.0\n")))
            .args(["--index-url", &server.url()]);
        let (output, peak) = run_measuring_memory(command);
        let stderr = context.filtered(&output);
        println!("peak RSS of the {name} NUL page: {} MB", peak / 1_000_000);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(peak < PEAK_RSS_LIMIT, "{name}: peak RSS {peak} bytes");
    }
}

/// How many links [`a_large_legitimate_page_is_parsed_in_bounded_memory`]
/// serves: 4 wheels of each of 75,000 versions, plus the one installed.
const LARGE_PAGE_VERSIONS: usize = 75_000;

/// The peak RSS that test allows, in bytes. A legitimate 100 MB page of 511k
/// links cost a pip-sync of one pin 1017 MB (the page held whole, a second
/// copy of the file list to choose from, a parsed filename per file, the
/// cached page serialized in memory); it now costs 222 MB, about 380 bytes a
/// link over the 27 MB of a run with a small page. This page of 300k links
/// (53 MB) takes about 150 MB; before, a page of 297k links (58 MB) took
/// 604 MB.
const LARGE_PAGE_RSS_LIMIT: u64 = 200 * 1000 * 1000;

/// A project page of `versions` versions of `big` (four wheels each, every
/// tenth version with a `Requires-Python`, each with a SHA-256), then the
/// wheel of `big` 50.0.0 that the server has.
fn large_page(versions: usize, wheel: &str) -> Vec<u8> {
    use std::fmt::Write;

    let tags = [
        "cp311-cp311-manylinux_2_17_x86_64",
        "cp310-cp310-win_amd64",
        "cp39-cp39-macosx_11_0_arm64",
        "py2-none-any",
    ];
    let mut page = String::from("<!DOCTYPE html><html><body><h1>Links for big</h1>\n");
    for i in 0..versions {
        let version = format!("{}.{}.{}", i / 10_000, i / 100 % 100, i % 100);
        let requires_python = if i % 10 == 0 {
            " data-requires-python=\"&gt;=3.7\""
        } else {
            ""
        };
        for (n, tag) in tags.iter().enumerate() {
            let filename = format!("big-{version}-{tag}.whl");
            writeln!(
                page,
                "<a href=\"../../files/{filename}#sha256={:064x}\"{requires_python}>{filename}</a><br/>",
                i * 4 + n
            )
            .unwrap();
        }
    }
    writeln!(page, "<a href=\"../../files/{wheel}\">{wheel}</a><br/>").unwrap();
    page.push_str("</body></html>\n");
    page.into_bytes()
}

/// Issue 14, item 1: a legitimate 100 MB page took gigabytes to parse and
/// choose from. A page of 300k links (53 MB, accepted with a raised
/// `PUFFIN_MAX_INDEX_PAGE_SIZE`) is parsed as it arrives, cached and chosen
/// from in bounded memory, and the pinned wheel is installed.
#[test]
fn a_large_legitimate_page_is_parsed_in_bounded_memory() {
    let Some(context) = TestContext::new() else {
        return;
    };
    let wheel = context.wheel("big", "50.0.0");
    let filename = wheel.file_name().unwrap().to_str().unwrap();
    let body = large_page(LARGE_PAGE_VERSIONS, filename);
    assert!(body.len() > 50_000_000, "{} bytes", body.len());
    let mut options = IndexServerOptions::new(&context.wheels);
    options.raw.insert(
        "/simple/big/".to_string(),
        RawResponse {
            body,
            content_type: "text/html".to_string(),
            content_encoding: None,
        },
    );
    let server = context.server_with(options);
    let mut command = context.std_command_in("pip-sync", &context.venv);
    command
        .arg(context.requirements("big==50.0.0\n"))
        .args(["--index-url", &server.url()])
        .env("PUFFIN_MAX_INDEX_PAGE_SIZE", "200000000");
    let (output, peak) = run_measuring_memory(command);
    println!("peak RSS of the large page: {} MB", peak / 1_000_000);
    assert!(output.status.success(), "{}", context.filtered(&output));
    assert_eq!(context.installed(), ["big==50.0.0"]);
    assert!(peak < LARGE_PAGE_RSS_LIMIT, "peak RSS {peak} bytes");
}

/// A download cut short was never retried: it is, and `-v` says so.
#[test]
fn a_truncated_download_is_retried_and_logged() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let mut options = IndexServerOptions::new(&context.wheels);
    options
        .truncate_first
        .insert("/files/demo-1.0-py3-none-any.whl".to_string(), 1);
    let server = context.server_with(options);
    let output = context
        .pip_sync()
        .arg(context.requirements("demo==1.0\n"))
        .args(["--index-url", &server.url(), "-v"])
        .output()
        .unwrap();
    let stderr = context.filtered(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Download broke off, retrying"), "{stderr}");
    assert_eq!(server.count("/files/demo-1.0-py3-none-any.whl"), 2);
    assert_eq!(context.installed(), ["demo==1.0"]);
}

/// A wheel shipping a top-level `<name>.egg-info` made every later sync
/// fail: the `.egg-info` was taken for an unremovable second copy. It
/// belongs to the wheel whose RECORD lists it.
#[test]
fn a_wheel_shipping_an_egg_info_does_not_break_later_syncs() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.build(
        &crate::common::simple_wheel("demo", "1.0")
            .file("demo.egg-info/PKG-INFO", "Name: demo\nVersion: 1.0\n")
            .file("stray.egg-info/PKG-INFO", "Name: stray\nVersion: 0.1\n"),
    );
    context.wheel("other", "1.0");
    for requirements in ["demo==1.0\n", "demo==1.0\nother==1.0\n", "other==1.0\n"] {
        let output = context
            .pip_sync_local()
            .arg(context.requirements(requirements))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{requirements:?}: {}",
            context.filtered(&output)
        );
    }
    assert_eq!(context.installed(), ["other==1.0"]);
    assert!(!context.site_packages().join("demo.egg-info").exists());
}
