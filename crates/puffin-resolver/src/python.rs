//! Resolving for another Python version of the same platform (pip's
//! `--python-version X.Y`).

use std::str::FromStr;

use pep508_rs::{MarkerEnvironment, StringVersion};

/// `markers` with Python `major.minor`: `python_version` is `X.Y`,
/// `python_full_version` is `X.Y.0` (or the running interpreter's own full
/// version when it is already `X.Y`), and `implementation_version` follows
/// it when it equalled the Python version (CPython); the platform markers are
/// kept. `Requires-Python` is then checked against `python_full_version`.
pub fn markers_for_python_version(
    markers: &MarkerEnvironment,
    (major, minor): (u64, u64),
) -> MarkerEnvironment {
    let current = markers.python_full_version();
    let same_minor = current.version.release().get(..2) == Some(&[major, minor][..]);
    let full = if same_minor {
        current.string.clone()
    } else {
        format!("{major}.{minor}.0")
    };
    let string_version =
        |value: &str| StringVersion::from_str(value).expect("digits and dots are a version");
    let mut adjusted = markers
        .clone()
        .with_python_version(string_version(&format!("{major}.{minor}")))
        .with_python_full_version(string_version(&full));
    if markers.implementation_version().string == current.string {
        adjusted = adjusted.with_implementation_version(string_version(&full));
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use pep508_rs::MarkerEnvironmentBuilder;

    use super::*;

    fn markers(implementation_version: &str) -> MarkerEnvironment {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version,
            os_name: "posix",
            platform_machine: "x86_64",
            platform_python_implementation: "CPython",
            platform_release: "6.1.0",
            platform_system: "Linux",
            platform_version: "#1 SMP",
            python_full_version: "3.11.4",
            python_version: "3.11",
            sys_platform: "linux",
        })
        .unwrap()
    }

    #[test]
    fn another_minor_version() {
        let adjusted = markers_for_python_version(&markers("3.11.4"), (3, 12));
        assert_eq!(adjusted.python_version().string, "3.12");
        assert_eq!(adjusted.python_full_version().string, "3.12.0");
        assert_eq!(adjusted.implementation_version().string, "3.12.0");
        assert_eq!(adjusted.sys_platform(), "linux");
    }

    #[test]
    fn same_minor_version_keeps_the_patch() {
        let adjusted = markers_for_python_version(&markers("3.11.4"), (3, 11));
        assert_eq!(adjusted.python_full_version().string, "3.11.4");
    }

    /// Another implementation's own version (PyPy's 7.3) is kept.
    #[test]
    fn other_implementations_keep_their_version() {
        let adjusted = markers_for_python_version(&markers("7.3.12"), (3, 10));
        assert_eq!(adjusted.implementation_version().string, "7.3.12");
        assert_eq!(adjusted.python_full_version().string, "3.10.0");
    }
}
