//! PEP 440 version specifiers as PubGrub version sets.
//!
//! Each operator of the [version specifiers] specification becomes a
//! [`Ranges<Version>`]; a comma-separated list is their intersection. The
//! exclusive comparisons follow the specification's special cases: `<V` does
//! not admit pre-releases of `V` and `>V` does not admit post-releases of `V`
//! (unless `V` is itself one).
//!
//! [version specifiers]: https://packaging.python.org/en/latest/specifications/version-specifiers/

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use version_ranges::Ranges;

/// The versions that all of `specifiers` admit.
pub(crate) fn specifiers_to_ranges(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |acc, specifier| {
        acc.intersection(&specifier_to_ranges(specifier))
    })
}

/// The versions that one specifier admits.
pub(crate) fn specifier_to_ranges(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version().clone();
    match specifier.operator() {
        // "Arbitrary equality" compares strings; a version that parses is
        // treated as an exact pin.
        Operator::Equal | Operator::ExactEqual => Ranges::singleton(version),
        Operator::NotEqual => Ranges::singleton(version).complement(),
        Operator::EqualStar => prefix_range(&version),
        Operator::NotEqualStar => prefix_range(&version).complement(),
        Operator::TildeEqual => compatible_release(version),
        Operator::LessThan => less_than(version),
        Operator::LessThanEqual => Ranges::lower_than(version),
        Operator::GreaterThan => greater_than(version),
        Operator::GreaterThanEqual => Ranges::higher_than(version),
    }
}

/// `==V.*`: every version whose release starts with `V`'s release, from
/// the prefix's first development release up to (not including) the next
/// prefix's first development release.
fn prefix_range(version: &Version) -> Ranges<Version> {
    let release = version.release();
    let lower = Version::new(release.iter().copied())
        .with_epoch(version.epoch())
        .with_dev(Some(0));
    let mut next = release.to_vec();
    if let Some(last) = next.last_mut() {
        *last += 1;
    }
    let upper = Version::new(next)
        .with_epoch(version.epoch())
        .with_dev(Some(0));
    Ranges::from_range_bounds(lower..upper)
}

/// `~=X.Y.Z` is `>=X.Y.Z, ==X.Y.*` (PEP 440, "Compatible release").
fn compatible_release(version: Version) -> Ranges<Version> {
    let release = version.release();
    let prefix_len = release.len().saturating_sub(1).max(1);
    let prefix = Version::new(release[..prefix_len].iter().copied()).with_epoch(version.epoch());
    Ranges::higher_than(version).intersection(&prefix_range(&prefix))
}

/// `<V` excludes the pre-releases of `V` unless `V` is one: the bound is
/// the smallest version with `V`'s release.
fn less_than(version: Version) -> Ranges<Version> {
    if version.any_prerelease() {
        Ranges::strictly_lower_than(version)
    } else {
        Ranges::strictly_lower_than(version.with_min(Some(0)))
    }
}

/// `>V` excludes the post-releases (and local versions) of `V` unless `V`
/// is a post-release: the bound is the largest version with `V`'s release.
fn greater_than(version: Version) -> Ranges<Version> {
    if let Some(dev) = version.dev() {
        Ranges::higher_than(version.with_dev(Some(dev + 1)))
    } else if let Some(post) = version.post() {
        Ranges::higher_than(version.with_post(Some(post + 1)))
    } else {
        Ranges::strictly_higher_than(version.with_max(Some(0)))
    }
}

/// Whether a specifier names a pre-release, which lets pre-releases of its
/// project be chosen (PEP 440, "Handling of pre-releases").
pub(crate) fn names_prerelease(specifiers: &VersionSpecifiers) -> bool {
    specifiers.iter().any(|s| s.version().any_prerelease())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn admits(specifiers: &str, version: &str) -> bool {
        let specifiers = VersionSpecifiers::from_str(specifiers).unwrap();
        specifiers_to_ranges(&specifiers).contains(&Version::from_str(version).unwrap())
    }

    #[test]
    fn operators() {
        let cases = [
            ("==1.0", "1.0", true),
            ("==1.0", "1.0.0", true),
            ("==1.0", "1.0.1", false),
            ("===1.0", "1.0", true),
            ("!=1.0", "1.0", false),
            ("!=1.0", "1.1", true),
            ("<2", "1.9", true),
            ("<2", "2.0a1", false),
            ("<2", "2.0", false),
            ("<2.0b1", "2.0a1", true),
            ("<=2", "2.0", true),
            (">1.0", "1.0.post1", false),
            (">1.0", "1.1", true),
            (">1.0.post1", "1.0.post2", true),
            (">=1.0", "1.0", true),
            (">=1.0", "0.9", false),
            ("~=1.4.5", "1.4.9", true),
            ("~=1.4.5", "1.5", false),
            ("~=1.4", "1.9", true),
            ("~=1.4", "2.0", false),
            ("==1.4.*", "1.4.2", true),
            ("==1.4.*", "1.4", true),
            ("==1.4.*", "1.5", false),
            ("!=1.4.*", "1.4.2", false),
            ("!=1.4.*", "1.5", true),
            (">=1, <3, !=2.0", "2.0", false),
            (">=1, <3, !=2.0", "2.1", true),
        ];
        for (specifiers, version, expected) in cases {
            assert_eq!(
                admits(specifiers, version),
                expected,
                "{specifiers} admits {version}"
            );
        }
    }

    #[test]
    fn prerelease_specifiers() {
        let pre = VersionSpecifiers::from_str(">=2.0b1").unwrap();
        let stable = VersionSpecifiers::from_str(">=2.0, <3").unwrap();
        assert!(names_prerelease(&pre));
        assert!(!names_prerelease(&stable));
    }
}
