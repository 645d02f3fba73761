//! Hostile servers and odd input files (issue 14): secrets never reach the
//! output or the environment, and inputs are bounded in memory.

use std::process::Output;

use fs_err as fs;
use puffin_test_support::IndexServerOptions;

use crate::common::TestContext;

/// The password the tests hide in `${PUFFIN_SECRET}`-style variables.
const SECRET: &str = "s3cr3t-Pa55w0rd";

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
    assert!(stderr.contains("does not point to a wheel"), "{stderr}");

    let stderr = failing_run_hides_the_secret(
        &context,
        &format!("other @ {authority}/files/demo-1.0-py3-none-any.whl\n"),
    );
    assert!(stderr.contains("but the wheel"), "{stderr}");

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
