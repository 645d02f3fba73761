//! Property tests: the parsers never panic, and `direct_url.json` round-trips.

use std::collections::BTreeMap;

use proptest::prelude::*;
use puffin_package::{ArchiveInfo, DirInfo, DirectUrl, DirectUrlInfo, Metadata, VcsInfo};

/// Lines that look like core metadata fields, some valid, some not.
fn metadata_line() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("Name"),
        Just("Version"),
        Just("Requires-Dist"),
        Just("Requires-Python"),
        Just("Provides-Extra"),
        Just("Metadata-Version"),
        Just("name"),
    ];
    prop_oneof![
        (name.clone(), "\\PC{0,30}").prop_map(|(name, value)| format!("{name}: {value}")),
        (name, "[ -~]{0,30}").prop_map(|(name, value)| format!("{name}: {value}")),
        "[ \t][ -~]{0,20}",
        "[ -~]{0,40}",
        Just(String::new()),
    ]
}

fn direct_url() -> impl Strategy<Value = DirectUrl> {
    let text = "[ -~]{0,20}";
    let info = prop_oneof![
        (
            proptest::option::of(text),
            proptest::option::of(proptest::collection::btree_map(text, text, 0..3))
        )
            .prop_map(|(hash, hashes)| DirectUrlInfo::Archive(ArchiveInfo { hash, hashes })),
        proptest::option::of(any::<bool>())
            .prop_map(|editable| DirectUrlInfo::Dir(DirInfo { editable })),
        (text, proptest::option::of(text), text).prop_map(
            |(vcs, requested_revision, commit_id)| {
                DirectUrlInfo::Vcs(VcsInfo {
                    vcs,
                    requested_revision,
                    commit_id,
                })
            }
        ),
    ];
    (any::<String>(), proptest::option::of(text), info).prop_map(|(url, subdirectory, info)| {
        DirectUrl {
            url,
            subdirectory,
            info,
        }
    })
}

proptest! {
    #[test]
    fn metadata_parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Metadata::parse(&bytes);
    }

    #[test]
    fn metadata_parse_never_panics_on_header_like_text(lines in proptest::collection::vec(metadata_line(), 0..12)) {
        let _ = Metadata::parse(lines.join("\n").as_bytes());
    }

    #[test]
    fn metadata_parse_never_panics_on_requirements(
        requirement in "[a-z]{1,3}[-._]?( ?\\[[a-z,]{0,5}\\])?( ?(>=|==|~=|<)[0-9.*]{0,4})?( ?@ ?[ -~]{0,10})?( ?; ?(python_version|extra|os_name) ?(==|>=|in|not in) ?\"[ -~é]{0,4}\"?)?( ?(and|or) ?)?\\PC{0,3}"
    ) {
        let _ = Metadata::parse(format!("Name: a\nVersion: 1\nRequires-Dist: {requirement}\n").as_bytes());
    }

    #[test]
    fn direct_url_json_round_trips(url in direct_url()) {
        prop_assert_eq!(DirectUrl::from_json(&url.to_json()).unwrap(), url);
    }

    #[test]
    fn archive_hashes_round_trip(digest in "[0-9a-f]{64}") {
        let url = DirectUrl::archive("file:///w.whl", Some(format!("sha256={digest}")));
        let DirectUrlInfo::Archive(info) = &url.info else { panic!("not an archive") };
        prop_assert_eq!(info.hashes.as_ref().unwrap(), &BTreeMap::from([("sha256".to_string(), digest.clone())]));
        prop_assert_eq!(DirectUrl::from_json(&url.to_json()).unwrap(), url);
    }
}
