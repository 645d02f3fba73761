//! A target platform named by a wheel platform tag (`--python-platform`), for
//! installing wheels for another machine (e.g. a Lambda bundle).

use std::str::FromStr;

use crate::{Arch, Os, Platform, PlatformError};

impl Arch {
    /// The architecture a platform tag names: its Linux name, or the macOS and
    /// Windows spellings (`arm64`, `amd64`).
    fn from_tag_name(name: &str) -> Option<Self> {
        Some(match name {
            "x86_64" | "amd64" => Self::X86_64,
            "i686" | "i386" | "x86" => Self::X86,
            "aarch64" | "arm64" => Self::Aarch64,
            "armv7l" => Self::Armv7L,
            "armv6l" => Self::Armv6L,
            "ppc64le" => Self::Ppc64Le,
            "ppc64" => Self::Ppc64,
            "s390x" => Self::S390X,
            "riscv64" => Self::Riscv64,
            "loongarch64" => Self::LoongArch64,
            _ => return None,
        })
    }
}

/// `(major, minor, arch)` of `<major>_<minor>_<arch>` (the arch may hold `_`).
fn versioned(rest: &str) -> Option<(u16, u16, Arch)> {
    let mut parts = rest.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let arch = Arch::from_tag_name(parts.next()?)?;
    Some((major, minor, arch))
}

impl Platform {
    /// The platform a wheel platform tag names: `manylinux_2_17_aarch64` and
    /// its legacy aliases (`manylinux2014_aarch64`, `manylinux2010_x86_64`,
    /// `manylinux1_x86_64`), `musllinux_1_2_x86_64`, `macosx_14_0_arm64`,
    /// `win_amd64`, `win32`, `win_arm64`, and `linux_<arch>` (taken as
    /// manylinux 2.17, the oldest glibc still in common use).
    pub fn from_tag(tag: &str) -> Result<Self, PlatformError> {
        let unknown = || PlatformError::UnknownPlatformTag(tag.to_string());
        let manylinux = |major, minor, arch| Self::new(Os::Manylinux { major, minor }, arch);
        let legacy = [
            ("manylinux2014_", (2, 17)),
            ("manylinux2010_", (2, 12)),
            ("manylinux1_", (2, 5)),
        ];
        for (prefix, (major, minor)) in legacy {
            if let Some(arch) = tag.strip_prefix(prefix) {
                return Ok(manylinux(
                    major,
                    minor,
                    Arch::from_tag_name(arch).ok_or_else(unknown)?,
                ));
            }
        }
        if let Some(rest) = tag.strip_prefix("manylinux_") {
            let (major, minor, arch) = versioned(rest).ok_or_else(unknown)?;
            return Ok(manylinux(major, minor, arch));
        }
        if let Some(rest) = tag.strip_prefix("musllinux_") {
            let (major, minor, arch) = versioned(rest).ok_or_else(unknown)?;
            return Ok(Self::new(Os::Musllinux { major, minor }, arch));
        }
        if let Some(rest) = tag.strip_prefix("macosx_") {
            let (major, minor, arch) = versioned(rest).ok_or_else(unknown)?;
            return Ok(Self::new(Os::Macos { major, minor }, arch));
        }
        if let Some(arch) = tag.strip_prefix("linux_") {
            return Ok(manylinux(
                2,
                17,
                Arch::from_tag_name(arch).ok_or_else(unknown)?,
            ));
        }
        match tag {
            "win32" => Ok(Self::new(Os::Windows, Arch::X86)),
            "win_amd64" => Ok(Self::new(Os::Windows, Arch::X86_64)),
            "win_arm64" => Ok(Self::new(Os::Windows, Arch::Aarch64)),
            _ => Err(unknown()),
        }
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        Self::from_tag(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tags;

    #[test]
    fn parses_platform_tags() {
        let aarch64 = Platform::from_tag("manylinux2014_aarch64").unwrap();
        assert_eq!(
            aarch64,
            Platform::new(
                Os::Manylinux {
                    major: 2,
                    minor: 17
                },
                Arch::Aarch64
            )
        );
        assert_eq!(
            Platform::from_tag("manylinux_2_17_aarch64").unwrap(),
            aarch64
        );
        assert_eq!(
            Platform::from_tag("musllinux_1_2_x86_64").unwrap(),
            Platform::new(Os::Musllinux { major: 1, minor: 2 }, Arch::X86_64)
        );
        assert_eq!(
            Platform::from_tag("macosx_14_0_arm64").unwrap(),
            Platform::new(
                Os::Macos {
                    major: 14,
                    minor: 0
                },
                Arch::Aarch64
            )
        );
        assert_eq!(
            Platform::from_tag("win_amd64").unwrap(),
            Platform::new(Os::Windows, Arch::X86_64)
        );
        for bad in ["manylinux2014_sparc", "plan9", "manylinux_2_x86_64", ""] {
            assert!(Platform::from_tag(bad).is_err(), "{bad}");
        }
    }

    /// The tags for `manylinux2014_aarch64` accept an aarch64 wheel of that
    /// policy and refuse an x86_64 one.
    #[test]
    fn tags_of_another_platform() {
        let platform = Platform::from_tag("manylinux2014_aarch64").unwrap();
        let tags = Tags::from_env(&platform, (3, 11), "cpython", (3, 11), false, false).unwrap();
        assert!(
            tags.priority("cp311", "cp311", "manylinux2014_aarch64")
                .is_some()
        );
        assert!(
            tags.priority("cp311", "cp311", "manylinux_2_17_aarch64")
                .is_some()
        );
        assert!(
            tags.priority("cp311", "cp311", "manylinux2014_x86_64")
                .is_none()
        );
    }
}
