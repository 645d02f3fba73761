//! Property tests: parsing arbitrary text never panics.

use std::path::Path;

use proptest::prelude::*;
use requirements_txt::RequirementsTxt;

/// Fragments that exercise the tricky parts of the format.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\\\n".to_string()),
        Just("\n".to_string()),
        Just(" # comment".to_string()),
        Just("--hash=sha256:".to_string()),
        Just("-r".to_string()),
        Just("-e ".to_string()),
        Just("--index-url".to_string()),
        Just("${HOME}".to_string()),
        Just("${".to_string()),
        Just(" ; python_version >= \"3.8\"".to_string()),
        Just("./dist/foo-1.0-py3-none-any.whl".to_string()),
        Just("file:///x.whl".to_string()),
        Just("flask>=2".to_string()),
        Just("é".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,4}",
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(content in "\\PC*(\n\\PC*){0,5}") {
        let _ = RequirementsTxt::parse_str(&content, Path::new("/nonexistent/requirements.txt"), Path::new("/"));
    }

    #[test]
    fn parse_never_panics_on_requirement_like_text(parts in proptest::collection::vec(fragment(), 0..16)) {
        let content = parts.concat();
        let result = RequirementsTxt::parse_str(&content, Path::new("/nonexistent/requirements.txt"), Path::new("/"));
        if let Err(err) = result {
            // Rendering the error must not panic either.
            let _ = err.to_string();
        }
    }
}
