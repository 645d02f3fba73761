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

/// For fixed macOS, Windows and Linux platforms (packaging's glibc and musl
/// detection replaced by fixed versions) and several interpreters, our tags
/// equal packaging's `cpython_tags()`/`generic_tags()` + `compatible_tags()`
/// given the same platform list.
#[test]
#[allow(clippy::print_stdout)]
fn matches_packaging_for_fixed_platforms() {
    use platform_tags::{Arch, Os};

    let platforms = [
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
        (Os::Windows, Arch::Aarch64, "['win_arm64']"),
        (
            Os::Manylinux {
                major: 2,
                minor: 28,
            },
            Arch::X86_64,
            "['linux_x86_64'] + list(_manylinux.platform_tags(['x86_64']))",
        ),
        (
            Os::Manylinux {
                major: 2,
                minor: 28,
            },
            Arch::Aarch64,
            "['linux_aarch64'] + list(_manylinux.platform_tags(['aarch64']))",
        ),
        (
            Os::Manylinux {
                major: 2,
                minor: 28,
            },
            Arch::S390X,
            "['linux_s390x'] + list(_manylinux.platform_tags(['s390x']))",
        ),
        (
            Os::Musllinux { major: 1, minor: 2 },
            Arch::Aarch64,
            "['linux_aarch64'] + list(_musllinux.platform_tags(['aarch64']))",
        ),
    ];
    // (implementation, python version, implementation version, gil disabled,
    // debug, packaging's tags for the platform list `p`)
    let interpreters = [
        (
            "cpython",
            (3, 12),
            (3, 12),
            false,
            false,
            "list(tags.cpython_tags((3, 12), ['cp312'], p)) + list(tags.compatible_tags((3, 12), 'cp312', p))",
        ),
        (
            "cpython",
            (3, 7),
            (3, 7),
            false,
            false,
            "list(tags.cpython_tags((3, 7), ['cp37m'], p)) + list(tags.compatible_tags((3, 7), 'cp37', p))",
        ),
        (
            "cpython",
            (3, 13),
            (3, 13),
            true,
            true,
            "list(tags.cpython_tags((3, 13), ['cp313td', 'cp313t'], p)) + list(tags.compatible_tags((3, 13), 'cp313', p))",
        ),
        (
            "cpython",
            (3, 11),
            (3, 11),
            false,
            true,
            "list(tags.cpython_tags((3, 11), ['cp311d', 'cp311'], p)) + list(tags.compatible_tags((3, 11), 'cp311', p))",
        ),
        (
            "pypy",
            (3, 10),
            (7, 3),
            false,
            false,
            "list(tags.generic_tags('pp310', ['pypy310_pp73'], p)) + list(tags.compatible_tags((3, 10), 'pp3', p))",
        ),
    ];
    for (os, arch, platform_list) in platforms {
        for (name, version, implementation_version, gil_disabled, debug, expected) in interpreters {
            let code = format!(
                "from packaging import tags, _manylinux, _musllinux\n\
                 _manylinux._get_glibc_version = lambda: _manylinux._GLibCVersion(2, 28)\n\
                 _musllinux._get_musl_version = lambda executable: _musllinux._MuslVersion(1, 2)\n\
                 p = {platform_list}\n\
                 print('\\n'.join(str(t) for t in {expected}))"
            );
            let Some(expected) = python(&code) else {
                println!("Skipping: `python3` with the `packaging` package is not available");
                return;
            };
            let platform = Platform::new(os.clone(), arch);
            let tags = Tags::from_env(
                &platform,
                version,
                name,
                implementation_version,
                gil_disabled,
                debug,
            )
            .unwrap();
            let ours: Vec<String> = tags
                .iter()
                .map(|(python, abi, platform)| format!("{python}-{abi}-{platform}"))
                .collect();
            let expected: Vec<&str> = expected.lines().collect();
            assert_eq!(ours, expected, "{platform}, {name} {version:?}");
        }
    }
}
