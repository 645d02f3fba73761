use std::collections::HashMap;

use distribution_filename::WheelFilename;

use crate::platform::{Arch, Os, Platform};

/// How good a match a compatible tag is: higher is better.
///
/// The best tag of a [`Tags`] list has the highest priority; priorities are
/// only comparable between tags of the same [`Tags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagPriority(u32);

impl TagPriority {
    /// The position of the tag in [`Tags::iter`] (0 is the best tag), given the
    /// number of tags.
    fn from_index(index: usize, len: usize) -> Self {
        Self(u32::try_from(len - index).unwrap_or(u32::MAX))
    }
}

/// The tags could not be computed for an interpreter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagsError {
    /// Only CPython and PyPy have known ABI tags.
    #[error(
        "Unsupported Python implementation `{0}`: wheel tags are known for `cpython` and `pypy`"
    )]
    UnsupportedImplementation(String),
    /// Python 2 and earlier are not supported.
    #[error("Unsupported Python version {}.{}: only Python 3 is supported", .0.0, .0.1)]
    UnsupportedPythonVersion((u8, u8)),
    /// The architecture has no wheel platform tag on this operating system.
    #[error("Unsupported architecture `{arch}` on {os}")]
    UnsupportedArch {
        /// The operating system.
        os: String,
        /// The architecture.
        arch: Arch,
    },
}

/// The wheel tags an interpreter accepts, best first, with a fast lookup from a
/// tag to its priority.
///
/// The order is the one `packaging.tags.sys_tags()` produces (packaging 26.3):
/// the interpreter's own ABI tags, then the stable ABI (`abi3`, or `abi3t` for
/// free-threaded builds) of this and every older minor version, then the
/// `compatible_tags()` (`pyXY-none-{platform}`, `{interpreter}-none-any`,
/// `pyXY-none-any`). Within each group, platforms come in the order of
/// [`platform_tags`].
#[derive(Debug, Clone)]
pub struct Tags {
    /// The tags in priority order, best first.
    tags: Vec<(String, String, String)>,
    /// python tag -> abi tag -> platform tag -> priority.
    map: HashMap<String, HashMap<String, HashMap<String, TagPriority>>>,
}

impl Tags {
    /// Tags from an explicit list, best first. When a tag repeats, its first
    /// (best) position counts.
    pub fn new(tags: Vec<(String, String, String)>) -> Self {
        let mut map: HashMap<String, HashMap<String, HashMap<String, TagPriority>>> =
            HashMap::new();
        let len = tags.len();
        for (index, (python, abi, platform)) in tags.iter().enumerate() {
            map.entry(python.clone())
                .or_default()
                .entry(abi.clone())
                .or_default()
                .entry(platform.clone())
                .or_insert(TagPriority::from_index(index, len));
        }
        Self { tags, map }
    }

    /// The tags of an interpreter on a platform, in the order of
    /// `packaging.tags.sys_tags()`.
    ///
    /// - `python_version`: the language version, e.g. `(3, 12)`.
    /// - `implementation_name`: `sys.implementation.name`, `cpython` or `pypy`.
    /// - `implementation_version`: `sys.implementation.version[:2]`, e.g. `(7, 3)`
    ///   for PyPy (part of PyPy's ABI tag `pypy310_pp73`); ignored for CPython.
    /// - `gil_disabled`: a free-threaded CPython build (`Py_GIL_DISABLED`, ABI
    ///   flag `t`, only from 3.13), which cannot load `abi3` but can load `abi3t`.
    /// - `debug`: a debug CPython build (`Py_DEBUG`, ABI flag `d`), which can
    ///   also load extensions built for the release ABI.
    pub fn from_env(
        platform: &Platform,
        python_version: (u8, u8),
        implementation_name: &str,
        implementation_version: (u8, u8),
        gil_disabled: bool,
        debug: bool,
    ) -> Result<Self, TagsError> {
        if python_version.0 != 3 {
            return Err(TagsError::UnsupportedPythonVersion(python_version));
        }
        let platforms = platform_tags(platform)?;
        let mut tags = Vec::new();
        let mut push = |python: &str, abi: &str, platform: &str| {
            tags.push((python.to_string(), abi.to_string(), platform.to_string()));
        };
        let (major, minor) = python_version;
        let interpreter = match implementation_name {
            "cpython" => {
                let interpreter = format!("cp{major}{minor}");
                // `packaging.tags.cpython_tags()`.
                let threading = gil_disabled && python_version >= (3, 13);
                let base = format!("{interpreter}{}", if threading { "t" } else { "" });
                let abis = if python_version < (3, 8) {
                    // Before 3.8 the ABI carried the pymalloc flag `m`.
                    vec![format!("{base}{}m", if debug { "d" } else { "" })]
                } else if debug {
                    vec![format!("{base}d"), base]
                } else {
                    vec![base]
                };
                for abi in &abis {
                    for platform in &platforms {
                        push(&interpreter, abi, platform);
                    }
                }
                let stable_abi = if threading { "abi3t" } else { "abi3" };
                let use_stable_abi = python_version >= (3, 2);
                if use_stable_abi {
                    for platform in &platforms {
                        push(&interpreter, stable_abi, platform);
                    }
                }
                for platform in &platforms {
                    push(&interpreter, "none", platform);
                }
                if use_stable_abi {
                    for older_minor in (2..minor).rev() {
                        let older = format!("cp{major}{older_minor}");
                        for platform in &platforms {
                            push(&older, stable_abi, platform);
                        }
                    }
                }
                interpreter
            }
            "pypy" => {
                // `packaging.tags.generic_tags()`, with the ABI from PyPy's
                // extension suffix, e.g. `.pypy310-pp73-x86_64-linux-gnu.so`.
                let interpreter = format!("pp{major}{minor}");
                let (impl_major, impl_minor) = implementation_version;
                let abi = format!("pypy{major}{minor}_pp{impl_major}{impl_minor}");
                for abi in [abi.as_str(), "none"] {
                    for platform in &platforms {
                        push(&interpreter, abi, platform);
                    }
                }
                // `compatible_tags()` gets `pp3` as the interpreter on PyPy.
                format!("pp{major}")
            }
            other => return Err(TagsError::UnsupportedImplementation(other.to_string())),
        };

        // `packaging.tags.compatible_tags()`.
        let mut versions = vec![format!("py{major}{minor}"), format!("py{major}")];
        versions.extend((0..minor).rev().map(|minor| format!("py{major}{minor}")));
        for version in &versions {
            for platform in &platforms {
                push(version, "none", platform);
            }
        }
        push(&interpreter, "none", "any");
        for version in &versions {
            push(version, "none", "any");
        }
        Ok(Self::new(tags))
    }

    /// The tags, best first, as `(python, abi, platform)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.tags
            .iter()
            .map(|(python, abi, platform)| (python.as_str(), abi.as_str(), platform.as_str()))
    }

    /// The number of tags.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are no tags at all.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The priority of a single `(python, abi, platform)` tag, `None` if this
    /// interpreter does not accept it.
    pub fn priority(&self, python: &str, abi: &str, platform: &str) -> Option<TagPriority> {
        self.map.get(python)?.get(abi)?.get(platform).copied()
    }

    /// The best priority among the tags a wheel's compressed tag sets expand
    /// to, `None` if none is compatible. Three hash lookups per expanded tag.
    pub fn compatibility(&self, wheel: &WheelFilename) -> Option<TagPriority> {
        let mut best = None;
        for python in &wheel.python_tag {
            let Some(abis) = self.map.get(python.as_str()) else {
                continue;
            };
            for abi in &wheel.abi_tag {
                let Some(platforms) = abis.get(abi.as_str()) else {
                    continue;
                };
                for platform in &wheel.platform_tag {
                    if let Some(&priority) = platforms.get(platform.as_str()) {
                        best = best.max(Some(priority));
                    }
                }
            }
        }
        best
    }

    /// Whether any tag of the wheel is accepted.
    pub fn is_compatible(&self, wheel: &WheelFilename) -> bool {
        self.compatibility(wheel).is_some()
    }
}

/// The best wheel among candidates: the one with the highest [`TagPriority`];
/// among equal priorities the higher build tag wins (a wheel without a build
/// tag loses to one with any build tag), and among full ties the first
/// candidate. Incompatible wheels are skipped; `None` if no candidate is
/// compatible.
///
/// Each candidate carries a payload `T` (e.g. its URL) returned with it.
pub fn best_wheel<'a, T>(
    tags: &Tags,
    candidates: impl IntoIterator<Item = (&'a WheelFilename, T)>,
) -> Option<(&'a WheelFilename, T)> {
    let mut best: Option<(TagPriority, &'a WheelFilename, T)> = None;
    for (wheel, payload) in candidates {
        let Some(priority) = tags.compatibility(wheel) else {
            continue;
        };
        let better = match &best {
            None => true,
            Some((best_priority, best_wheel, _)) => {
                (priority, &wheel.build_tag) > (*best_priority, &best_wheel.build_tag)
            }
        };
        if better {
            best = Some((priority, wheel, payload));
        }
    }
    best.map(|(_, wheel, payload)| (wheel, payload))
}

/// The platform tags of a platform, best first, as `packaging.tags.platform_tags()`
/// computes them (packaging 26.3).
///
/// - Linux: `linux_{arch}` first (a wheel built on this very machine), then for
///   glibc every `manylinux_{major}_{minor}_{arch}` from the host's glibc down to
///   2.17 (2.5 on x86 and x86_64), each legacy alias (`manylinux2014` = 2.17,
///   `manylinux2010` = 2.12, `manylinux1` = 2.5) right after its version; for
///   musl every `musllinux_{major}_{minor}_{arch}` down to minor 0.
///   Architectures without manylinux support (`armv6l`) get only `linux_{arch}`.
/// - macOS: every release from the host's down to 10.0 (11+ counts major
///   versions, then 10.16 to 10.4 follow), each with its binary formats
///   (`arm64`, `x86_64`, `intel`, `fat64`, `fat3`, `universal2`, `universal`...).
/// - Windows: `win_amd64`, `win32` or `win_arm64`.
/// - FreeBSD: `freebsd_{release}_{arch}`, e.g. `freebsd_13_2_release_amd64`.
pub fn platform_tags(platform: &Platform) -> Result<Vec<String>, TagsError> {
    let arch = platform.arch();
    let unsupported = || TagsError::UnsupportedArch {
        os: platform.os().to_string(),
        arch,
    };
    let mut tags = Vec::new();
    match platform.os() {
        Os::Manylinux { major, minor } => {
            let name = arch.linux_name();
            tags.push(format!("linux_{name}"));
            // PEP 600: the oldest manylinux is 2.17, or 2.5 on x86 (manylinux1).
            let oldest_minor = match arch {
                Arch::X86_64 | Arch::X86 => 5,
                Arch::Armv6L => return Ok(tags),
                _ => 17,
            };
            for glibc_major in (2..=*major).rev() {
                // Glibc has not had a major version 3 yet; packaging assumes 50
                // minor releases for a finished major version.
                let max_minor = if glibc_major == *major { *minor } else { 50 };
                let min_minor = if glibc_major == 2 { oldest_minor } else { 0 };
                for glibc_minor in (min_minor..=max_minor).rev() {
                    tags.push(format!("manylinux_{glibc_major}_{glibc_minor}_{name}"));
                    let legacy = match (glibc_major, glibc_minor) {
                        (2, 17) => Some("manylinux2014"),
                        (2, 12) => Some("manylinux2010"),
                        (2, 5) => Some("manylinux1"),
                        _ => None,
                    };
                    if let Some(legacy) = legacy {
                        tags.push(format!("{legacy}_{name}"));
                    }
                }
            }
        }
        Os::Musllinux { major, minor } => {
            let name = arch.linux_name();
            tags.push(format!("linux_{name}"));
            for musl_minor in (0..=*minor).rev() {
                tags.push(format!("musllinux_{major}_{musl_minor}_{name}"));
            }
        }
        Os::Macos { major, minor } => {
            let arch_name = match arch {
                Arch::X86_64 => "x86_64",
                Arch::Aarch64 => "arm64",
                Arch::X86 => "i386",
                Arch::Ppc64 => "ppc64",
                _ => return Err(unsupported()),
            };
            let push_formats = |tags: &mut Vec<String>, major: u16, minor: u16| {
                for format in mac_binary_formats((major, minor), arch_name) {
                    tags.push(format!("macosx_{major}_{minor}_{format}"));
                }
            };
            if *major == 10 {
                for minor in (0..=*minor).rev() {
                    push_formats(&mut tags, 10, minor);
                }
            } else if *major >= 11 {
                for major in (11..=*major).rev() {
                    push_formats(&mut tags, major, 0);
                }
                // macOS 11+ on x86_64 runs binaries for older releases; on arm64
                // only `universal2` wheels can claim a 10.x release (for their
                // x86_64 half).
                for minor in (4..=16).rev() {
                    if arch_name == "x86_64" {
                        push_formats(&mut tags, 10, minor);
                    } else {
                        tags.push(format!("macosx_10_{minor}_universal2"));
                    }
                }
            }
        }
        Os::Windows => tags.push(
            match arch {
                Arch::X86_64 => "win_amd64",
                Arch::X86 => "win32",
                Arch::Aarch64 => "win_arm64",
                _ => return Err(unsupported()),
            }
            .to_string(),
        ),
        Os::FreeBsd { release } => {
            let arch_name = match arch {
                Arch::X86_64 => "amd64",
                Arch::X86 => "i386",
                Arch::Aarch64 => "arm64",
                other => other.linux_name(),
            };
            let release = release.to_lowercase().replace(['.', '-', ' '], "_");
            tags.push(format!("freebsd_{release}_{arch_name}"));
        }
    }
    Ok(tags)
}

/// The binary formats a macOS release runs for an architecture, best first
/// (packaging's `_mac_binary_formats`).
fn mac_binary_formats(version: (u16, u16), arch: &str) -> Vec<&str> {
    let mut formats = vec![arch];
    match arch {
        "x86_64" => {
            if version < (10, 4) {
                return Vec::new();
            }
            formats.extend(["intel", "fat64", "fat3"]);
        }
        "i386" => {
            if version < (10, 4) {
                return Vec::new();
            }
            formats.extend(["intel", "fat3", "fat"]);
        }
        "ppc64" => {
            if !((10, 4)..=(10, 5)).contains(&version) {
                return Vec::new();
            }
            formats.push("fat64");
        }
        _ => {}
    }
    if matches!(arch, "arm64" | "x86_64") {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc64") {
        formats.push("universal");
    }
    formats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(tags: &Tags, count: usize) -> String {
        tags.iter()
            .take(count)
            .map(|(python, abi, platform)| format!("{python}-{abi}-{platform}\n"))
            .collect()
    }

    fn cpython(os: Os, arch: Arch, version: (u8, u8)) -> Tags {
        Tags::from_env(
            &Platform::new(os, arch),
            version,
            "cpython",
            version,
            false,
            false,
        )
        .unwrap()
    }

    fn wheel(filename: &str) -> WheelFilename {
        filename.parse().unwrap()
    }

    #[test]
    fn macos_arm64_platforms() {
        let platform = Platform::new(
            Os::Macos {
                major: 14,
                minor: 2,
            },
            Arch::Aarch64,
        );
        insta::assert_snapshot!(platform_tags(&platform).unwrap().join("\n"), @r"
        macosx_14_0_arm64
        macosx_14_0_universal2
        macosx_13_0_arm64
        macosx_13_0_universal2
        macosx_12_0_arm64
        macosx_12_0_universal2
        macosx_11_0_arm64
        macosx_11_0_universal2
        macosx_10_16_universal2
        macosx_10_15_universal2
        macosx_10_14_universal2
        macosx_10_13_universal2
        macosx_10_12_universal2
        macosx_10_11_universal2
        macosx_10_10_universal2
        macosx_10_9_universal2
        macosx_10_8_universal2
        macosx_10_7_universal2
        macosx_10_6_universal2
        macosx_10_5_universal2
        macosx_10_4_universal2
        ");
    }

    #[test]
    fn macos_arm64_first_tags() {
        let tags = cpython(
            Os::Macos {
                major: 14,
                minor: 2,
            },
            Arch::Aarch64,
            (3, 12),
        );
        assert_eq!(tags.len(), 21 * 13 + 21 * 14 + 1 + 14);
        insta::assert_snapshot!(render(&tags, 24), @r"
        cp312-cp312-macosx_14_0_arm64
        cp312-cp312-macosx_14_0_universal2
        cp312-cp312-macosx_13_0_arm64
        cp312-cp312-macosx_13_0_universal2
        cp312-cp312-macosx_12_0_arm64
        cp312-cp312-macosx_12_0_universal2
        cp312-cp312-macosx_11_0_arm64
        cp312-cp312-macosx_11_0_universal2
        cp312-cp312-macosx_10_16_universal2
        cp312-cp312-macosx_10_15_universal2
        cp312-cp312-macosx_10_14_universal2
        cp312-cp312-macosx_10_13_universal2
        cp312-cp312-macosx_10_12_universal2
        cp312-cp312-macosx_10_11_universal2
        cp312-cp312-macosx_10_10_universal2
        cp312-cp312-macosx_10_9_universal2
        cp312-cp312-macosx_10_8_universal2
        cp312-cp312-macosx_10_7_universal2
        cp312-cp312-macosx_10_6_universal2
        cp312-cp312-macosx_10_5_universal2
        cp312-cp312-macosx_10_4_universal2
        cp312-abi3-macosx_14_0_arm64
        cp312-abi3-macosx_14_0_universal2
        cp312-abi3-macosx_13_0_arm64
        ");
    }

    #[test]
    fn macos_x86_64_formats() {
        let platform = Platform::new(
            Os::Macos {
                major: 10,
                minor: 5,
            },
            Arch::X86_64,
        );
        insta::assert_snapshot!(platform_tags(&platform).unwrap().join("\n"), @r"
        macosx_10_5_x86_64
        macosx_10_5_intel
        macosx_10_5_fat64
        macosx_10_5_fat3
        macosx_10_5_universal2
        macosx_10_5_universal
        macosx_10_4_x86_64
        macosx_10_4_intel
        macosx_10_4_fat64
        macosx_10_4_fat3
        macosx_10_4_universal2
        macosx_10_4_universal
        ");
    }

    #[test]
    fn windows_tags() {
        let tags = cpython(Os::Windows, Arch::X86_64, (3, 12));
        insta::assert_snapshot!(render(&tags, usize::MAX), @r"
        cp312-cp312-win_amd64
        cp312-abi3-win_amd64
        cp312-none-win_amd64
        cp311-abi3-win_amd64
        cp310-abi3-win_amd64
        cp39-abi3-win_amd64
        cp38-abi3-win_amd64
        cp37-abi3-win_amd64
        cp36-abi3-win_amd64
        cp35-abi3-win_amd64
        cp34-abi3-win_amd64
        cp33-abi3-win_amd64
        cp32-abi3-win_amd64
        py312-none-win_amd64
        py3-none-win_amd64
        py311-none-win_amd64
        py310-none-win_amd64
        py39-none-win_amd64
        py38-none-win_amd64
        py37-none-win_amd64
        py36-none-win_amd64
        py35-none-win_amd64
        py34-none-win_amd64
        py33-none-win_amd64
        py32-none-win_amd64
        py31-none-win_amd64
        py30-none-win_amd64
        cp312-none-any
        py312-none-any
        py3-none-any
        py311-none-any
        py310-none-any
        py39-none-any
        py38-none-any
        py37-none-any
        py36-none-any
        py35-none-any
        py34-none-any
        py33-none-any
        py32-none-any
        py31-none-any
        py30-none-any
        ");
    }

    #[test]
    fn manylinux_aarch64_starts_at_2_17() {
        let platform = Platform::new(
            Os::Manylinux {
                major: 2,
                minor: 19,
            },
            Arch::Aarch64,
        );
        insta::assert_snapshot!(platform_tags(&platform).unwrap().join("\n"), @r"
        linux_aarch64
        manylinux_2_19_aarch64
        manylinux_2_18_aarch64
        manylinux_2_17_aarch64
        manylinux2014_aarch64
        ");
    }

    #[test]
    fn musllinux_tags() {
        let platform = Platform::new(Os::Musllinux { major: 1, minor: 2 }, Arch::X86_64);
        insta::assert_snapshot!(platform_tags(&platform).unwrap().join("\n"), @r"
        linux_x86_64
        musllinux_1_2_x86_64
        musllinux_1_1_x86_64
        musllinux_1_0_x86_64
        ");
    }

    #[test]
    fn free_threaded_and_debug_abis() {
        let platform = Platform::new(Os::Windows, Arch::X86_64);
        let tags = Tags::from_env(&platform, (3, 13), "cpython", (3, 13), true, true).unwrap();
        insta::assert_snapshot!(render(&tags, 6), @r"
        cp313-cp313td-win_amd64
        cp313-cp313t-win_amd64
        cp313-abi3t-win_amd64
        cp313-none-win_amd64
        cp312-abi3t-win_amd64
        cp311-abi3t-win_amd64
        ");
        assert!(!tags.is_compatible(&wheel("foo-1.0-cp312-abi3-win_amd64.whl")));
    }

    #[test]
    fn pypy_tags() {
        let platform = Platform::new(
            Os::Manylinux {
                major: 2,
                minor: 17,
            },
            Arch::X86_64,
        );
        let tags = Tags::from_env(&platform, (3, 10), "pypy", (7, 3), false, false).unwrap();
        let rendered = render(&tags, usize::MAX);
        assert!(rendered.starts_with("pp310-pypy310_pp73-linux_x86_64\n"));
        assert!(rendered.contains("\npp3-none-any\npy310-none-any\n"));
        assert!(tags.is_compatible(&wheel(
            "foo-1.0-pp310-pypy310_pp73-manylinux2014_x86_64.whl"
        )));
        assert!(!tags.is_compatible(&wheel("foo-1.0-cp310-cp310-manylinux2014_x86_64.whl")));
    }

    #[test]
    fn rejects_unknown_implementations() {
        let platform = Platform::new(Os::Windows, Arch::X86_64);
        let err = Tags::from_env(&platform, (3, 12), "graalpy", (24, 0), false, false).unwrap_err();
        insta::assert_snapshot!(err, @"Unsupported Python implementation `graalpy`: wheel tags are known for `cpython` and `pypy`");
    }

    #[test]
    fn compatibility_prefers_specific_wheels() {
        let tags = cpython(
            Os::Manylinux {
                major: 2,
                minor: 28,
            },
            Arch::X86_64,
            (3, 11),
        );
        let specific =
            wheel("numpy-1.26.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
        let abi3 = wheel("cryptography-41.0.0-cp37-abi3-manylinux_2_28_x86_64.whl");
        let pure = wheel("six-1.16.0-py2.py3-none-any.whl");
        let other_python = wheel("numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.whl");
        let too_new = wheel("foo-1.0-cp311-cp311-manylinux_2_31_x86_64.whl");
        let mac = wheel("foo-1.0-cp311-cp311-macosx_11_0_arm64.whl");
        let specific = tags.compatibility(&specific).unwrap();
        let abi3 = tags.compatibility(&abi3).unwrap();
        let pure = tags.compatibility(&pure).unwrap();
        assert!(specific > abi3 && abi3 > pure);
        assert_eq!(tags.compatibility(&other_python), None);
        assert_eq!(tags.compatibility(&too_new), None);
        assert_eq!(tags.compatibility(&mac), None);
        assert_eq!(tags.priority("py3", "none", "any"), Some(pure));
    }

    #[test]
    fn best_wheel_breaks_ties_with_build_tags() {
        let tags = cpython(Os::Windows, Arch::X86_64, (3, 12));
        let candidates = [
            wheel("foo-1.0-py3-none-any.whl"),
            wheel("foo-1.0-cp312-cp312-win_amd64.whl"),
            wheel("foo-1.0-2-cp312-cp312-win_amd64.whl"),
            wheel("foo-1.0-1-cp312-cp312-win_amd64.whl"),
            wheel("foo-1.0-cp312-cp312-macosx_11_0_arm64.whl"),
        ];
        let (best, index) =
            best_wheel(&tags, candidates.iter().enumerate().map(|(i, w)| (w, i))).unwrap();
        assert_eq!(index, 2);
        assert_eq!(best.to_string(), "foo-1.0-2-cp312-cp312-win_amd64.whl");
        assert!(best_wheel(&tags, [(&candidates[4], ())]).is_none());
        let (_, index) = best_wheel(&tags, [(&candidates[0], 0), (&candidates[1], 1)]).unwrap();
        assert_eq!(index, 1);
    }
}
