//! Compare [`Tags::from_env`] with `packaging.tags.sys_tags()` of the host's `python3`.

use std::process::Command;

use platform_tags::{Platform, Tags};

/// Run a Python snippet with `python3`, `None` if it cannot run.
fn python(code: &str) -> Option<String> {
    let output = Command::new("python3").arg("-c").arg(code).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).expect("python3 printed UTF-8"))
}

/// The full tag list of the host's `python3` equals ours, in order.
#[test]
#[allow(clippy::print_stdout)]
fn matches_packaging_sys_tags() {
    let Some(expected) =
        python("from packaging import tags; print('\\n'.join(str(t) for t in tags.sys_tags()))")
    else {
        println!("Skipping: `python3` with the `packaging` package is not available");
        return;
    };
    let Some(packaging_version) = python("import packaging; print(packaging.__version__)") else {
        println!("Skipping: could not read the `packaging` version");
        return;
    };
    let version: Vec<u32> = packaging_version
        .trim()
        .split('.')
        .map_while(|part| part.parse().ok())
        .collect();
    if version < vec![26, 3] {
        // Before 26.3 packaging put `linux_{arch}` last among the platforms.
        println!(
            "Skipping: packaging {} is older than 26.3",
            packaging_version.trim()
        );
        return;
    }
    let info = python(
        "import sys, sysconfig\n\
         print(sys.version_info[0], sys.version_info[1], sys.implementation.name,\n\
               sys.implementation.version[0], sys.implementation.version[1],\n\
               int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))),\n\
               int(bool(sysconfig.get_config_var('Py_DEBUG'))))",
    )
    .expect("python3 runs");
    let fields: Vec<&str> = info.split_whitespace().collect();
    let [
        major,
        minor,
        name,
        impl_major,
        impl_minor,
        gil_disabled,
        debug,
    ] = fields[..]
    else {
        panic!("unexpected interpreter info: {info}");
    };
    let platform = Platform::current().unwrap();
    let tags = Tags::from_env(
        &platform,
        (major.parse().unwrap(), minor.parse().unwrap()),
        name,
        (impl_major.parse().unwrap(), impl_minor.parse().unwrap()),
        gil_disabled == "1",
        debug == "1",
    )
    .unwrap();
    let ours: Vec<String> = tags
        .iter()
        .map(|(python, abi, platform)| format!("{python}-{abi}-{platform}"))
        .collect();
    let expected: Vec<&str> = expected.lines().collect();
    for (index, (ours, expected)) in ours.iter().zip(&expected).enumerate() {
        assert_eq!(ours, expected, "tag {index} differs ({platform})");
    }
    assert_eq!(ours.len(), expected.len(), "tag count differs ({platform})");
}

/// For fixed macOS and Windows platforms, our tags equal packaging's
/// `cpython_tags()` + `compatible_tags()` given the same platform list.
#[test]
#[allow(clippy::print_stdout)]
fn matches_packaging_for_fixed_platforms() {
    use platform_tags::{Arch, Os};

    let cases = [
        (
            Os::Macos {
                major: 14,
                minor: 2,
            },
            Arch::Aarch64,
            "list(tags.mac_platforms((14, 2), 'arm64'))",
        ),
        (
            Os::Macos {
                major: 13,
                minor: 0,
            },
            Arch::X86_64,
            "list(tags.mac_platforms((13, 0), 'x86_64'))",
        ),
        (
            Os::Macos {
                major: 10,
                minor: 15,
            },
            Arch::X86_64,
            "list(tags.mac_platforms((10, 15), 'x86_64'))",
        ),
        (Os::Windows, Arch::X86_64, "['win_amd64']"),
    ];
    for (os, arch, platforms) in cases {
        for (version, abis) in [((3, 12), "['cp312']"), ((3, 7), "['cp37m']")] {
            let code = format!(
                "from packaging import tags\n\
                 p = {platforms}\n\
                 v = {version:?}\n\
                 i = 'cp%d%d' % v\n\
                 ts = list(tags.cpython_tags(v, {abis}, p)) + list(tags.compatible_tags(v, i, p))\n\
                 print('\\n'.join(str(t) for t in ts))"
            );
            let Some(expected) = python(&code) else {
                println!("Skipping: `python3` with the `packaging` package is not available");
                return;
            };
            let platform = Platform::new(os.clone(), arch);
            let tags =
                Tags::from_env(&platform, version, "cpython", version, false, false).unwrap();
            let ours: Vec<String> = tags
                .iter()
                .map(|(python, abi, platform)| format!("{python}-{abi}-{platform}"))
                .collect();
            let expected: Vec<&str> = expected.lines().collect();
            assert_eq!(ours, expected, "{platform} with Python {version:?}");
        }
    }
}
