//! Hostile servers and odd input files (issue 14): secrets never reach the
//! output or the environment, and inputs are bounded in memory.

use std::io::{Read, Seek};
use std::process::{Command, Output};

use fs_err as fs;
use puffin_test_support::{IndexServerOptions, RawResponse};

use crate::common::TestContext;

/// The password the tests hide in `${PUFFIN_SECRET}`-style variables.
const SECRET: &str = "s3cr3t-Pa55w0rd";

/// The peak RSS a test allows for a hostile input, in bytes.
const PEAK_RSS_LIMIT: u64 = 300 * 1000 * 1000;

/// Run `command` to completion; its output and its peak resident set size in
/// bytes, from `wait4` of that child alone (not the test process, nor other
/// tests' children).
// `wait4` reaps the child: `Child::wait` would find nothing left to wait for.
#[allow(unsafe_code, clippy::zombie_processes)]
fn run_measuring_memory(mut command: Command) -> (Output, u64) {
    use std::os::unix::process::ExitStatusExt;

    let mut stdout = tempfile::tempfile().unwrap();
    let mut stderr = tempfile::tempfile().unwrap();
    command
        .stdin(std::process::Stdio::null())
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap());
    let child = command.spawn().unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is this process's child, not yet reaped (`Child::wait` is
    // never called), and both pointers are valid for the call.
    let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    assert_eq!(
        reaped,
        pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    let read = |file: &mut std::fs::File| {
        let mut bytes = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    };
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: read(&mut stdout),
        stderr: read(&mut stderr),
    };
    // Linux reports `ru_maxrss` in KiB.
    let peak = u64::try_from(usage.ru_maxrss).unwrap() * 1024;
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

/// `foo @ http://user:pw@host/...whl` wrote the password to
/// `direct_url.json` (mode 0644) and `pip-freeze` printed it; PEP 610 says
/// credentials MUST be removed.
#[test]
fn no_credentials_in_direct_url_json_or_freeze() {
    let Some(context) = TestContext::new() else {
        return;
    };
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
