//! Property tests: the parsers never panic, and canonical wheel filenames
//! round-trip through parsing and display.

use distribution_filename::{PackageName, SourceDistFilename, WheelFilename};
use proptest::prelude::*;

/// A name in its wheel-filename form: lowercase runs joined by `_`.
fn dist_info_name() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9]{1,6}", 1..4).prop_map(|parts| parts.join("_"))
}

/// A version in the canonical PEP 440 form, so that display is the identity.
fn version() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(0u32..200, 1..4),
        proptest::option::of(("(a|b|rc)", 0u32..20)),
        proptest::option::of(0u32..20),
        proptest::option::of(0u32..20),
    )
        .prop_map(|(release, pre, post, dev)| {
            let mut version = release
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if let Some((kind, number)) = pre {
                version.push_str(&format!("{kind}{number}"));
            }
            if let Some(post) = post {
                version.push_str(&format!(".post{post}"));
            }
            if let Some(dev) = dev {
                version.push_str(&format!(".dev{dev}"));
            }
            version
        })
}

fn tag_set() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9_]{1,12}", 1..3).prop_map(|tags| tags.join("."))
}

fn wheel_filename() -> impl Strategy<Value = String> {
    (
        dist_info_name(),
        version(),
        proptest::option::of("[1-9][0-9]{0,3}[a-z_]{0,3}"),
        tag_set(),
        tag_set(),
        tag_set(),
    )
        .prop_map(|(name, version, build, python, abi, platform)| {
            let build = build.map(|build| format!("-{build}")).unwrap_or_default();
            format!("{name}-{version}{build}-{python}-{abi}-{platform}.whl")
        })
}

proptest! {
    #[test]
    fn wheel_filename_parse_never_panics(filename in "\\PC{0,60}") {
        let _ = filename.parse::<WheelFilename>();
    }

    #[test]
    fn wheel_filename_like_input_never_panics(
        parts in proptest::collection::vec("[a-zA-Z0-9_.!+]{0,8}", 0..8),
        build in "[0-9]{0,30}",
    ) {
        let filename = format!("{}-{build}.whl", parts.join("-"));
        let _ = filename.parse::<WheelFilename>();
    }

    #[test]
    fn wheel_filename_round_trips(filename in wheel_filename()) {
        let wheel: WheelFilename = filename.parse().unwrap();
        prop_assert_eq!(wheel.to_string(), filename.clone());
        let reparsed: WheelFilename = wheel.to_string().parse().unwrap();
        prop_assert_eq!(reparsed, wheel);
    }

    #[test]
    fn source_dist_and_name_parsing_never_panic(input in "\\PC{0,40}") {
        let _ = input.parse::<SourceDistFilename>();
        let _ = PackageName::new(&input);
        let _ = format!("{input}.tar.gz").parse::<SourceDistFilename>();
    }
}

proptest! {
    /// A build or platform tag with `/` (from `%2F` in an index link) was
    /// accepted, and the filename was then joined into cache paths: a valid
    /// filename with any unsafe character inserted anywhere is refused.
    #[test]
    fn unsafe_characters_are_refused_anywhere(
        filename in wheel_filename(),
        position in any::<proptest::sample::Index>(),
        unsafe_char in prop_oneof![
            Just('/'), Just('\\'), Just('\0'), Just('\n'), Just(':'), Just('*'), Just('\u{7f}')
        ],
    ) {
        let mut chars: Vec<char> = filename.chars().collect();
        chars.insert(position.index(chars.len() + 1), unsafe_char);
        let wheel: String = chars.iter().collect();
        prop_assert!(wheel.parse::<WheelFilename>().is_err(), "{wheel:?}");
        let sdist = wheel.replace(".whl", ".tar.gz");
        prop_assert!(sdist.parse::<SourceDistFilename>().is_err(), "{sdist:?}");
    }
}

/// The error says which character and why.
#[test]
fn unsafe_character_errors_name_the_character() {
    let err = "foo-1.0-1%2F..-py3-none-any.whl"
        .replace("%2F", "/")
        .parse::<WheelFilename>()
        .unwrap_err();
    insta::assert_snapshot!(err, @"`foo-1.0-1/..-py3-none-any.whl` is not a valid wheel filename: it contains `/`, which cannot be in a file name");
    let err = "foo-1.0-py3-none-any\0.whl"
        .parse::<WheelFilename>()
        .unwrap_err();
    insta::assert_snapshot!(err, @"`foo-1.0-py3-none-any\\0.whl` is not a valid wheel filename: it contains the control character U+0000, which cannot be in a file name");
}
