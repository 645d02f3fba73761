use std::fmt;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// An operating system, with the version information that decides which
/// binary wheels run on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Os {
    /// Linux with glibc `major.minor` ([PEP 600] `manylinux_{major}_{minor}`).
    ///
    /// [PEP 600]: https://peps.python.org/pep-0600/
    Manylinux {
        /// The glibc major version (2).
        major: u16,
        /// The glibc minor version.
        minor: u16,
    },
    /// Linux with musl `major.minor` ([PEP 656] `musllinux_{major}_{minor}`).
    ///
    /// [PEP 656]: https://peps.python.org/pep-0656/
    Musllinux {
        /// The musl major version (1).
        major: u16,
        /// The musl minor version.
        minor: u16,
    },
    /// macOS `major.minor`.
    Macos {
        /// The macOS major version, e.g. 14, or 10 for 10.x releases.
        major: u16,
        /// The macOS minor version.
        minor: u16,
    },
    /// Windows (the platform tag does not carry a version).
    Windows,
    /// FreeBSD, with its release string as `uname -r` prints it, e.g. `13.2-RELEASE`.
    FreeBsd {
        /// The release, e.g. `13.2-RELEASE`.
        release: String,
    },
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Manylinux { major, minor } => write!(f, "Linux (glibc {major}.{minor})"),
            Self::Musllinux { major, minor } => write!(f, "Linux (musl {major}.{minor})"),
            Self::Macos { major, minor } => write!(f, "macOS {major}.{minor}"),
            Self::Windows => f.write_str("Windows"),
            Self::FreeBsd { release } => write!(f, "FreeBSD {release}"),
        }
    }
}

/// A CPU architecture, as the Python interpreter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 64-bit x86 (`x86_64`, Windows `amd64`).
    X86_64,
    /// 32-bit x86 (Linux `i686`, macOS `i386`, Windows `win32`).
    X86,
    /// 64-bit ARM (Linux `aarch64`, macOS and Windows `arm64`).
    Aarch64,
    /// 32-bit ARM with hard float (`armv7l`).
    Armv7L,
    /// 32-bit ARMv6 (`armv6l`), which has no manylinux tags.
    Armv6L,
    /// 64-bit little-endian POWER (`ppc64le`).
    Ppc64Le,
    /// 64-bit big-endian POWER (`ppc64`).
    Ppc64,
    /// IBM Z (`s390x`).
    S390X,
    /// 64-bit RISC-V (`riscv64`).
    Riscv64,
    /// 64-bit LoongArch (`loongarch64`).
    LoongArch64,
}

impl Arch {
    /// The architecture's name in Linux platform tags (`linux_{arch}`,
    /// `manylinux_2_17_{arch}`), which is what `uname -m` prints.
    pub fn linux_name(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::X86 => "i686",
            Self::Aarch64 => "aarch64",
            Self::Armv7L => "armv7l",
            Self::Armv6L => "armv6l",
            Self::Ppc64Le => "ppc64le",
            Self::Ppc64 => "ppc64",
            Self::S390X => "s390x",
            Self::Riscv64 => "riscv64",
            Self::LoongArch64 => "loongarch64",
        }
    }

    /// The architecture of the running binary (`std::env::consts::ARCH`).
    pub fn current() -> Result<Self, PlatformError> {
        Ok(match std::env::consts::ARCH {
            "x86_64" => Self::X86_64,
            "x86" => Self::X86,
            "aarch64" => Self::Aarch64,
            "arm" => Self::Armv7L,
            "powerpc64" if cfg!(target_endian = "little") => Self::Ppc64Le,
            "powerpc64" => Self::Ppc64,
            "s390x" => Self::S390X,
            "riscv64" => Self::Riscv64,
            "loongarch64" => Self::LoongArch64,
            other => return Err(PlatformError::UnsupportedArch(other.to_string())),
        })
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.linux_name())
    }
}

/// An operating system and a CPU architecture: what decides the platform part
/// of the compatible tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    os: Os,
    arch: Arch,
}

/// The host platform could not be determined.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The operating system is not one puffin knows the wheel tags of.
    #[error(
        "Unsupported operating system `{0}`: wheel tags are known for Linux, macOS, Windows and FreeBSD"
    )]
    UnsupportedOs(String),
    /// The CPU architecture is not one puffin knows the wheel tags of.
    #[error("Unsupported CPU architecture `{0}`")]
    UnsupportedArch(String),
    /// A `--python-platform` that is not a known wheel platform tag.
    #[error(
        "Unknown platform tag `{0}`: use a wheel platform tag such as `manylinux_2_17_aarch64`, `manylinux2014_x86_64`, `musllinux_1_2_x86_64`, `macosx_14_0_arm64` or `win_amd64`"
    )]
    UnknownPlatformTag(String),
    /// Neither glibc nor musl was found on a Linux host.
    #[error(
        "Could not determine the C library of this Linux host: neither glibc (`ldd --version`) nor a musl loader (`/lib/ld-musl-*.so.1`) was found"
    )]
    UnknownLibc,
    /// A command used for detection could not be run.
    #[error("Failed to run `{command}` to detect the host platform")]
    Command {
        /// The command line.
        command: String,
        /// The error from spawning it.
        #[source]
        err: std::io::Error,
    },
    /// A version string printed by the host could not be understood.
    #[error("Could not parse the {what} version from `{output}`")]
    UnparsableVersion {
        /// What was being detected, e.g. `macOS`.
        what: &'static str,
        /// The output that did not contain a version.
        output: String,
    },
}

impl Platform {
    /// A platform from its parts.
    pub fn new(os: Os, arch: Arch) -> Self {
        Self { os, arch }
    }

    /// Detect the platform this process runs on.
    ///
    /// - Linux: the glibc version from `gnu_get_libc_version()` when puffin is
    ///   linked against glibc, otherwise the version that the musl loader
    ///   (`/lib/ld-musl-{arch}.so.1`) prints, otherwise `ldd --version`.
    /// - macOS: `sw_vers -productVersion` (with `SYSTEM_VERSION_COMPAT=0`, so an
    ///   old SDK's `10.16` does not hide the real version).
    /// - FreeBSD: `uname -r`.
    /// - Windows: no version is needed.
    ///
    /// The architecture is the one puffin was compiled for.
    pub fn current() -> Result<Self, PlatformError> {
        let arch = Arch::current()?;
        let os = match std::env::consts::OS {
            "linux" => detect_linux_libc(arch)?,
            "macos" => detect_macos()?,
            "windows" => Os::Windows,
            "freebsd" => Os::FreeBsd {
                release: run("uname", &["-r"])?.trim().to_string(),
            },
            other => return Err(PlatformError::UnsupportedOs(other.to_string())),
        };
        Ok(Self { os, arch })
    }

    /// The operating system.
    pub fn os(&self) -> &Os {
        &self.os
    }

    /// The CPU architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.os, self.arch)
    }
}

/// Run a command and return its stdout and stderr, concatenated.
fn run(program: &str, args: &[&str]) -> Result<String, PlatformError> {
    let output = Command::new(program)
        .args(args)
        .env("SYSTEM_VERSION_COMPAT", "0")
        .output()
        .map_err(|err| PlatformError::Command {
            command: std::iter::once(program)
                .chain(args.iter().copied())
                .collect::<Vec<_>>()
                .join(" "),
            err,
        })?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(text)
}

/// The first `major.minor` in `text` (trailing junk such as `-2014.11` is ignored).
pub(crate) fn parse_major_minor(text: &str) -> Option<(u16, u16)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if bytes[start].is_ascii_digit() {
            let major_end = start
                + bytes[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            if bytes.get(major_end) == Some(&b'.') {
                let minor_start = major_end + 1;
                let minor_end = minor_start
                    + bytes[minor_start..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                if minor_end > minor_start {
                    let major = text[start..major_end].parse().ok()?;
                    let minor = text[minor_start..minor_end].parse().ok()?;
                    return Some((major, minor));
                }
            }
            start = major_end;
        } else {
            start += 1;
        }
    }
    None
}

/// The glibc version this process is linked against.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn linked_glibc_version() -> Option<(u16, u16)> {
    // SAFETY: `gnu_get_libc_version` takes no arguments and returns a pointer
    // to a static, NUL-terminated string owned by glibc.
    let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    parse_major_minor(&version.to_string_lossy())
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn linked_glibc_version() -> Option<(u16, u16)> {
    None
}

/// Parse `musl libc (x86_64)\nVersion 1.2.4\n...` as the musl loader prints it.
pub(crate) fn parse_musl_loader_output(output: &str) -> Option<(u16, u16)> {
    let mut lines = output
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    if !lines.next()?.starts_with("musl") {
        return None;
    }
    parse_major_minor(lines.next()?.strip_prefix("Version ")?)
}

fn detect_linux_libc(arch: Arch) -> Result<Os, PlatformError> {
    if let Some((major, minor)) = linked_glibc_version() {
        return Ok(Os::Manylinux { major, minor });
    }
    // The musl loader prints its version when run without arguments.
    let musl_arch = match arch {
        Arch::X86 => "i386",
        Arch::Armv7L | Arch::Armv6L => "armhf",
        other => other.linux_name(),
    };
    let loader = format!("/lib/ld-musl-{musl_arch}.so.1");
    if let Ok(output) = run(&loader, &[])
        && let Some((major, minor)) = parse_musl_loader_output(&output)
    {
        return Ok(Os::Musllinux { major, minor });
    }
    // Last resort: glibc's `ldd` prints e.g. `ldd (GNU libc) 2.36`, musl's
    // prints the loader banner.
    let Ok(output) = run("ldd", &["--version"]) else {
        return Err(PlatformError::UnknownLibc);
    };
    if let Some((major, minor)) = parse_musl_loader_output(&output) {
        return Ok(Os::Musllinux { major, minor });
    }
    let first_line = output.lines().next().unwrap_or_default();
    if first_line.contains("GLIBC") || first_line.contains("GNU libc") {
        let version = first_line.rsplit(' ').next().unwrap_or_default();
        return parse_major_minor(version)
            .map(|(major, minor)| Os::Manylinux { major, minor })
            .ok_or_else(|| PlatformError::UnparsableVersion {
                what: "glibc",
                output: first_line.to_string(),
            });
    }
    Err(PlatformError::UnknownLibc)
}

fn detect_macos() -> Result<Os, PlatformError> {
    let output = run("sw_vers", &["-productVersion"])?;
    let trimmed = output.trim();
    // `sw_vers` prints `14` for 14.0 on some releases.
    let version =
        parse_major_minor(trimmed).or_else(|| trimmed.parse().ok().map(|major| (major, 0)));
    let (major, minor) = version.ok_or_else(|| PlatformError::UnparsableVersion {
        what: "macOS",
        output: trimmed.to_string(),
    })?;
    Ok(Os::Macos { major, minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_with_trailing_junk() {
        assert_eq!(parse_major_minor("2.36"), Some((2, 36)));
        assert_eq!(parse_major_minor("2.20-2014.11"), Some((2, 20)));
        assert_eq!(parse_major_minor("ldd (GNU libc) 2.17"), Some((2, 17)));
        assert_eq!(parse_major_minor("14.2.1"), Some((14, 2)));
        assert_eq!(parse_major_minor("14"), None);
        assert_eq!(parse_major_minor("x.1"), None);
    }

    #[test]
    fn parses_musl_loader_banner() {
        let banner = "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\nUsage: ...";
        assert_eq!(parse_musl_loader_output(banner), Some((1, 2)));
        assert_eq!(parse_musl_loader_output("ldd (GNU libc) 2.36"), None);
    }

    #[test]
    fn current_platform_is_detected() {
        let platform = match Platform::current() {
            Ok(platform) => platform,
            Err(err) => panic!("{err}"),
        };
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(matches!(platform.os(), Os::Manylinux { major: 2, .. }));
        }
    }
}
