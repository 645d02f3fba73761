//! `puffin pip-sync`: what it installs, removes and prints, and its errors.

use crate::common::TestContext;

/// A fresh environment gets the listed wheel, importable.
#[test]
fn install() {
    let Some(context) = TestContext::new() else {
        return;
    };
    context.wheel("demo", "1.0");
    let requirements = context.requirements("demo==1.0\n");
    let output = context
        .pip_sync_local()
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", context.filtered(&output));
    insta::assert_snapshot!(context.filtered(&output));
    assert_eq!(context.installed(), ["demo==1.0"]);
    assert_eq!(
        context.assert_python("import demo; print(demo.VERSION)"),
        "1.0"
    );
}
