//! Metadata from `prepare_metadata_for_build_wheel`, or from the wheel.

use serde_json::json;

use crate::common::TestContext;

/// The hook's `.dist-info` directory is returned with its `METADATA`; no
/// wheel is built.
#[tokio::test]
async fn prepares_metadata_with_the_hook() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("demo", &["fake-build-req"], json!({}));
    let metadata = test
        .builder()
        .metadata(&test.ctx, &tree, &test.out_dir(), "demo @ 1.0")
        .await
        .unwrap();

    assert_eq!(
        metadata.dist_info,
        test.out_dir().join("demo-1.0.dist-info")
    );
    let text = String::from_utf8(metadata.metadata).unwrap();
    assert!(text.contains("Name: demo\n"), "{text}");
    assert!(text.contains("Requires-Dist: dep-of-demo\n"), "{text}");
    assert_eq!(metadata.wheel, None);
    assert_eq!(
        TestContext::hooks(&tree),
        [
            "get_requires_for_build_wheel",
            "prepare_metadata_for_build_wheel"
        ]
    );
    assert_eq!(test.ctx.calls()[0].requirements, ["fake-build-req"]);
    assert_eq!(test.leftovers(), Vec::<String>::new());
}

/// Without `prepare_metadata_for_build_wheel`, the wheel is built and its
/// `.dist-info` unpacked next to it; the wheel is returned for reuse.
#[tokio::test]
async fn falls_back_to_building_the_wheel() {
    let Some(test) = TestContext::new() else {
        return;
    };
    let tree = test.tree("demo", &[], json!({"no_prepare": true}));
    let metadata = test
        .builder()
        .metadata(&test.ctx, &tree, &test.out_dir(), "demo")
        .await
        .unwrap();

    assert_eq!(
        metadata.wheel,
        Some(test.out_dir().join("demo-1.0-py3-none-any.whl"))
    );
    assert_eq!(
        metadata.dist_info,
        test.out_dir().join("demo-1.0.dist-info")
    );
    for file in ["METADATA", "WHEEL", "RECORD"] {
        assert!(metadata.dist_info.join(file).is_file(), "{file}");
    }
    // Only the `.dist-info` directory is unpacked.
    assert!(!test.out_dir().join("demo").exists());
    let text = String::from_utf8(metadata.metadata).unwrap();
    assert!(text.contains("Name: demo\n"), "{text}");
    assert_eq!(
        TestContext::hooks(&tree),
        ["get_requires_for_build_wheel", "build_wheel"]
    );
}
