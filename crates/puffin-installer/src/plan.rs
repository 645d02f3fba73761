//! The plan of a sync: for every requirement that applies, keep what is
//! installed, install, or reinstall; remove everything else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;

use distribution_filename::{PackageName, WheelFilename, WheelFilenameError};
use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, Requirement, VersionOrUrl};
use platform_tags::Tags;
use puffin_package::HashDigest;
use url::Url;

use crate::site_packages::{InstalledDist, SitePackages};
use crate::{BuildSource, SyncRequirements};

/// Distributions a sync never removes even when the requirements do not list
/// them, as pip-tools does: the installers themselves.
pub const PROTECTED_PACKAGES: &[&str] = &["pip", "setuptools", "wheel", "puffin"];

/// One requirement of the sync, with where it came from.
#[derive(Debug, Clone)]
pub struct SyncRequirement {
    /// The requirement as written.
    pub requirement: Requirement,
    /// The `--hash` values (`sha256:<hex>`) given for it.
    pub hashes: Vec<String>,
    /// Where it was written, e.g. `requirements.txt:12`.
    pub origin: String,
    /// For a requirement built from source: what to build (its URL in
    /// `requirement` is then the one it was written with).
    pub build: Option<BuildSource>,
}

/// Where the wheel of a requirement comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WheelSource {
    /// A package index or find-links location, chosen by version.
    Registry {
        /// The version specifiers; an exact pin is `==x`.
        specifiers: VersionSpecifiers,
    },
    /// A wheel file on the local disk (`./x.whl`, `file://`).
    LocalWheel {
        /// The absolute path of the wheel.
        path: PathBuf,
        /// The URL as recorded in `direct_url.json`.
        url: Url,
        /// The parsed filename.
        filename: WheelFilename,
    },
    /// A wheel at a remote URL (`name @ https://...whl`).
    RemoteWheel {
        /// The URL.
        url: Url,
        /// The parsed filename.
        filename: WheelFilename,
    },
    /// A wheel built from source (a project directory, a source archive,
    /// a git commit).
    Build(BuildSource),
}

impl WheelSource {
    /// The exact version this source pins, if it does.
    pub fn exact_version(&self) -> Option<&Version> {
        match self {
            Self::Registry { specifiers } => exact_pin(specifiers),
            Self::LocalWheel { filename, .. } | Self::RemoteWheel { filename, .. } => {
                Some(&filename.version)
            }
            Self::Build(_) => None,
        }
    }

    /// The URL recorded in `direct_url.json`, for direct URL sources.
    pub fn direct_url(&self) -> Option<&Url> {
        match self {
            Self::Registry { .. } | Self::Build(_) => None,
            Self::LocalWheel { url, .. } | Self::RemoteWheel { url, .. } => Some(url),
        }
    }
}

/// The single version a specifier set allows, when it is one `==` pin without
/// wildcards.
pub fn exact_pin(specifiers: &VersionSpecifiers) -> Option<&Version> {
    match specifiers.iter().collect::<Vec<_>>().as_slice() {
        [specifier] if matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual) => {
            Some(specifier.version())
        }
        _ => None,
    }
}

/// A requirement that applies to the target interpreter, with its source.
#[derive(Debug, Clone)]
pub struct PlannedRequirement {
    /// The normalized name.
    pub name: PackageName,
    /// Where the wheel comes from.
    pub source: WheelSource,
    /// The requirement's `--hash` values.
    pub hashes: Vec<HashDigest>,
    /// Where it was written.
    pub origin: String,
}

/// Why a distribution is (re)installed.
#[derive(Debug, Clone)]
pub enum InstallReason {
    /// Nothing of that name is installed.
    New,
    /// Another version, or another source, is installed and is replaced.
    Replace(InstalledDist),
    /// The same version is installed, but a reinstall was asked for.
    Reinstall(InstalledDist),
}

/// One install of the plan.
#[derive(Debug, Clone)]
pub struct PlannedInstall {
    /// What to install.
    pub requirement: PlannedRequirement,
    /// Why.
    pub reason: InstallReason,
}

/// Which installed distributions to reinstall even when they match.
#[derive(Debug, Clone, Default)]
pub enum Reinstall {
    /// Keep what matches.
    #[default]
    None,
    /// Reinstall everything listed.
    All,
    /// Reinstall these packages.
    Packages(BTreeSet<PackageName>),
}

impl Reinstall {
    /// Whether `name` is to be reinstalled.
    pub fn applies_to(&self, name: &PackageName) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Packages(packages) => packages.contains(name),
        }
    }
}

/// What a sync will do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Requirements already satisfied by what is installed.
    pub satisfied: Vec<InstalledDist>,
    /// Requirements to install or reinstall.
    pub install: Vec<PlannedInstall>,
    /// Installed distributions that nothing lists (or that are replaced by a
    /// second copy of the same name): removed.
    pub extraneous: Vec<InstalledDist>,
    /// How many requirements were skipped because their markers do not match.
    pub skipped_by_markers: usize,
    /// Requirements that are not exact pins: the newest matching version is
    /// installed, and nothing they depend on.
    pub unpinned: Vec<PackageName>,
}

/// A set of requirements that cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The same package is listed twice with different requirements.
    #[error(
        "`{name}` is listed twice with different requirements: `{first}` ({first_origin}) and `{second}` ({second_origin}); pip-sync installs exactly one version of each package"
    )]
    Conflict {
        /// The package.
        name: PackageName,
        /// The first requirement.
        first: String,
        /// Where the first was written.
        first_origin: String,
        /// The second requirement.
        second: String,
        /// Where the second was written.
        second_origin: String,
    },
    /// A requirement and a constraint (`-c`) on its name allow nothing in
    /// common: another version, another URL, or no common `--hash`.
    #[error(
        "`{requirement}` ({origin}) contradicts the constraint `{constraint}` ({constraint_origin}){reason}"
    )]
    ConstraintConflict {
        /// The requirement, credentials redacted.
        requirement: String,
        /// Where it was written.
        origin: String,
        /// The constraint, credentials redacted.
        constraint: String,
        /// Where the constraint was written.
        constraint_origin: String,
        /// What they disagree on, e.g. `: they have no --hash in common`, or
        /// empty when it is the version or URL.
        reason: String,
    },
    /// A `--hash` value is not `<algorithm>:<hex digest>`.
    #[error("Invalid --hash for `{requirement}` ({origin})")]
    InvalidHash {
        /// The requirement.
        requirement: String,
        /// Where it was written.
        origin: String,
        /// Why.
        #[source]
        err: puffin_package::MetadataError,
    },
    /// A requirement's name is not a valid package name.
    #[error("`{0}` is not a valid package name")]
    InvalidName(String),
    /// A URL requirement does not point to a wheel.
    #[error(
        "`{requirement}` ({origin}) does not point to a wheel file: only wheels can be installed (building from source is not supported yet)"
    )]
    NotAWheel {
        /// The requirement.
        requirement: String,
        /// Where it was written.
        origin: String,
    },
    /// A URL requirement's last path segment ends in `.whl` but is not a valid
    /// wheel filename.
    #[error("`{requirement}` ({origin}) does not point to a valid wheel: {err}")]
    InvalidWheelFilename {
        /// The requirement, credentials redacted.
        requirement: String,
        /// Where it was written.
        origin: String,
        /// Why the filename is invalid; part of the message (the CLI shows
        /// plan errors as one line).
        err: WheelFilenameError,
    },
    /// A direct URL wheel has no tag the environment supports.
    #[error(
        "`{name} @ {url}` ({origin}): the wheel is tagged `{wheel_tags}`, which this environment does not support (its most specific tag is `{environment}`); use a wheel built for this platform and Python"
    )]
    IncompatibleWheel {
        /// The package.
        name: PackageName,
        /// The wheel's URL, credentials redacted.
        url: String,
        /// Where the requirement was written.
        origin: String,
        /// The wheel's tags, `python-abi-platform` with `.`-joined sets.
        wheel_tags: String,
        /// The environment's most specific tag, `python-abi-platform`.
        environment: String,
    },
    /// A URL requirement names another package than its wheel.
    #[error(
        "`{requirement}` ({origin}) names `{name}`, but the wheel `{filename}` is for `{wheel_name}`"
    )]
    NameMismatch {
        /// The requirement.
        requirement: String,
        /// Where it was written.
        origin: String,
        /// The requirement's name.
        name: PackageName,
        /// The wheel filename.
        filename: String,
        /// The wheel's name.
        wheel_name: PackageName,
    },
}

/// Options of the plan.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Which packages to reinstall even if they match.
    pub reinstall: Reinstall,
    /// Keep what is installed and not listed (`pip-install`): the plan
    /// installs and replaces, and removes nothing that the requirements do
    /// not name. A second copy of a listed name is still removed, since the
    /// one wanted replaces both.
    pub keep_unlisted: bool,
}

impl Plan {
    /// Compare the requirements with what is installed.
    ///
    /// Requirements whose markers do not match `markers` are skipped (and
    /// counted); constraints whose markers match restrict the requirement of
    /// their name (see [`SyncRequirements::constraints`]); everything
    /// installed that no applying requirement names is extraneous, except
    /// [`PROTECTED_PACKAGES`], and except everything with
    /// [`PlanOptions::keep_unlisted`].
    pub fn build(
        requirements: &SyncRequirements,
        site_packages: &SitePackages,
        markers: &MarkerEnvironment,
        options: &PlanOptions,
    ) -> Result<Self, PlanError> {
        let mut plan = Self::default();
        let mut wanted = applying_requirements(&requirements.requirements, markers, &mut plan)?;
        apply_constraints(&mut wanted, &requirements.constraints, markers)?;
        plan.unpinned = wanted
            .values()
            .filter(|(planned, _)| match &planned.source {
                WheelSource::Registry { specifiers } => exact_pin(specifiers).is_none(),
                _ => false,
            })
            .map(|(planned, _)| planned.name.clone())
            .collect();
        let wanted = wanted
            .into_iter()
            .map(|(name, (planned, _))| (name, planned));

        for (_, requirement) in wanted {
            let installed: Vec<&InstalledDist> =
                site_packages.get_all(&requirement.name).iter().collect();
            match installed.as_slice() {
                [] => plan.install.push(PlannedInstall {
                    requirement,
                    reason: InstallReason::New,
                }),
                [dist] => {
                    let dist = (*dist).clone();
                    if !satisfies(&dist, &requirement.source) {
                        plan.install.push(PlannedInstall {
                            requirement,
                            reason: InstallReason::Replace(dist),
                        });
                    } else if options.reinstall.applies_to(&requirement.name) {
                        plan.install.push(PlannedInstall {
                            requirement,
                            reason: InstallReason::Reinstall(dist),
                        });
                    } else {
                        plan.satisfied.push(dist);
                    }
                }
                // Two copies of one name: remove both, install the one wanted.
                [first, rest @ ..] => {
                    plan.extraneous
                        .extend(rest.iter().map(|dist| (*dist).clone()));
                    plan.install.push(PlannedInstall {
                        requirement,
                        reason: InstallReason::Replace((*first).clone()),
                    });
                }
            }
        }

        let listed: BTreeSet<PackageName> = plan
            .install
            .iter()
            .map(|install| install.requirement.name.clone())
            .chain(plan.satisfied.iter().map(|dist| dist.name.clone()))
            .collect();
        for dist in site_packages.iter() {
            if !options.keep_unlisted
                && !listed.contains(&dist.name)
                && !PROTECTED_PACKAGES.contains(&dist.name.as_str())
            {
                plan.extraneous.push(dist.clone());
            }
        }
        plan.install
            .sort_by(|a, b| a.requirement.name.cmp(&b.requirement.name));
        plan.satisfied.sort_by(|a, b| a.name.cmp(&b.name));
        plan.extraneous.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(plan)
    }

    /// Refuse direct URL wheels (`name @ file://...`, `name @ https://...`)
    /// whose tags do not fit the environment, as wheels from an index or
    /// `--find-links` are never chosen then: a `win_amd64` wheel, a `cp312`
    /// wheel on 3.11, or a made-up ABI was installed silently.
    pub fn check_wheel_tags(&self, tags: &Tags) -> Result<(), PlanError> {
        for install in &self.install {
            let requirement = &install.requirement;
            let (url, filename) = match &requirement.source {
                WheelSource::Registry { .. } | WheelSource::Build(_) => continue,
                WheelSource::LocalWheel { url, filename, .. }
                | WheelSource::RemoteWheel { url, filename } => (url, filename),
            };
            if tags.is_compatible(filename) {
                continue;
            }
            let environment = tags
                .iter()
                .next()
                .map(|(python, abi, platform)| format!("{python}-{abi}-{platform}"))
                .unwrap_or_else(|| "none".to_string());
            return Err(PlanError::IncompatibleWheel {
                name: requirement.name.clone(),
                url: puffin_redact::redact_url(url),
                origin: requirement.origin.clone(),
                wheel_tags: format!(
                    "{}-{}-{}",
                    filename.python_tag.join("."),
                    filename.abi_tag.join("."),
                    filename.platform_tag.join(".")
                ),
                environment,
            });
        }
        Ok(())
    }

    /// Whether the plan changes nothing.
    pub fn is_noop(&self) -> bool {
        self.install.is_empty() && self.extraneous.is_empty()
    }

    /// Whether the plan only installs new distributions: it removes and
    /// replaces nothing.
    pub fn only_adds(&self) -> bool {
        self.extraneous.is_empty()
            && self
                .install
                .iter()
                .all(|install| matches!(install.reason, InstallReason::New))
    }
}

/// The planned requirement of each name, with the line it was first written on.
type Wanted<'a> = BTreeMap<PackageName, (PlannedRequirement, &'a SyncRequirement)>;

/// The requirements whose markers match, one per name, with their sources.
fn applying_requirements<'a>(
    requirements: &'a [SyncRequirement],
    markers: &MarkerEnvironment,
    plan: &mut Plan,
) -> Result<Wanted<'a>, PlanError> {
    let mut wanted: Wanted<'a> = BTreeMap::new();
    for sync_requirement in requirements {
        let requirement = &sync_requirement.requirement;
        if !requirement.evaluate_markers(markers, &[]) {
            plan.skipped_by_markers += 1;
            continue;
        }
        let name = package_name(sync_requirement)?;
        let source = wheel_source(sync_requirement, &name)?;
        let planned = PlannedRequirement {
            name: name.clone(),
            source,
            hashes: parse_hashes(sync_requirement)?,
            origin: sync_requirement.origin.clone(),
        };
        if let Some((existing, existing_requirement)) = wanted.get_mut(&name) {
            if existing.source != planned.source {
                return Err(PlanError::Conflict {
                    name,
                    first: existing_requirement.requirement.to_string(),
                    first_origin: existing_requirement.origin.clone(),
                    second: requirement.to_string(),
                    second_origin: sync_requirement.origin.clone(),
                });
            }
            // The same requirement twice: keep every hash given for it.
            for hash in planned.hashes {
                if !existing.hashes.contains(&hash) {
                    existing.hashes.push(hash);
                }
            }
            continue;
        }
        wanted.insert(name, (planned, sync_requirement));
    }
    Ok(wanted)
}

/// The normalized name of a requirement.
fn package_name(sync_requirement: &SyncRequirement) -> Result<PackageName, PlanError> {
    let name = &sync_requirement.requirement.name;
    PackageName::from_str(name.as_ref()).map_err(|_| PlanError::InvalidName(name.to_string()))
}

/// pip's constraints (`-c`): a constraint whose markers hold restricts the
/// version (or URL) and the hashes of the requirement of its name, and
/// installs nothing when no requirement names it. A pin that contradicts a
/// constraint is an error naming both lines; an unpinned requirement gets
/// the constraint's specifiers too, so the newest version allowed by both is
/// chosen. Hashes in a constraint count as `--hash` for the name; when both
/// have some, only those in common are allowed, as in pip.
fn apply_constraints(
    wanted: &mut Wanted<'_>,
    constraints: &[SyncRequirement],
    markers: &MarkerEnvironment,
) -> Result<(), PlanError> {
    for constraint in constraints {
        if !constraint.requirement.evaluate_markers(markers, &[]) {
            continue;
        }
        let name = package_name(constraint)?;
        let Some((planned, written)) = wanted.get_mut(&name) else {
            continue;
        };
        let conflict = |reason: &str| PlanError::ConstraintConflict {
            requirement: puffin_redact::redact_text(&written.requirement.to_string()).into_owned(),
            origin: written.origin.clone(),
            constraint: puffin_redact::redact_text(&constraint.requirement.to_string())
                .into_owned(),
            constraint_origin: constraint.origin.clone(),
            reason: reason.to_string(),
        };
        let source = wheel_source(constraint, &name)?;
        planned.source = constrain_source(&planned.source, &source).ok_or_else(|| conflict(""))?;
        let hashes = parse_hashes(constraint)?;
        planned.hashes = constrain_hashes(std::mem::take(&mut planned.hashes), hashes)
            .ok_or_else(|| conflict(": they have no --hash in common"))?;
        planned.origin = format!("{}, constrained by {}", planned.origin, constraint.origin);
    }
    Ok(())
}

/// What both a requirement's and a constraint's sources allow, or `None`
/// when they contradict. An exact pin stays the only specifier, so that the
/// store finds it without the network.
fn constrain_source(requirement: &WheelSource, constraint: &WheelSource) -> Option<WheelSource> {
    match (requirement, constraint) {
        (
            WheelSource::Registry { specifiers: wanted },
            WheelSource::Registry {
                specifiers: allowed,
            },
        ) => {
            if let Some(version) = exact_pin(wanted) {
                return allowed.contains(version).then(|| requirement.clone());
            }
            if let Some(version) = exact_pin(allowed) {
                return wanted.contains(version).then(|| constraint.clone());
            }
            let mut merged: Vec<VersionSpecifier> = wanted.iter().cloned().collect();
            for specifier in allowed.iter() {
                if !merged.contains(specifier) {
                    merged.push(specifier.clone());
                }
            }
            Some(WheelSource::Registry {
                specifiers: merged.into_iter().collect(),
            })
        }
        // A direct URL constrains a requirement that allows its version to
        // that URL; a version constraint must allow a direct URL's version.
        (WheelSource::Registry { specifiers }, direct)
        | (direct, WheelSource::Registry { specifiers }) => direct
            .exact_version()
            .is_some_and(|version| specifiers.contains(version))
            .then(|| direct.clone()),
        (first, second) => (first == second).then(|| first.clone()),
    }
}

/// The hashes allowed by a requirement and a constraint: either's when the
/// other has none, else those in common (`None` if there are none).
fn constrain_hashes(
    requirement: Vec<HashDigest>,
    constraint: Vec<HashDigest>,
) -> Option<Vec<HashDigest>> {
    if constraint.is_empty() {
        return Some(requirement);
    }
    if requirement.is_empty() {
        return Some(constraint);
    }
    let common: Vec<HashDigest> = requirement
        .into_iter()
        .filter(|hash| constraint.contains(hash))
        .collect();
    (!common.is_empty()).then_some(common)
}

/// The `--hash` values of a requirement, parsed.
fn parse_hashes(sync_requirement: &SyncRequirement) -> Result<Vec<HashDigest>, PlanError> {
    sync_requirement
        .hashes
        .iter()
        .map(|hash| {
            hash.parse().map_err(|err| PlanError::InvalidHash {
                requirement: sync_requirement.requirement.to_string(),
                origin: sync_requirement.origin.clone(),
                err,
            })
        })
        .collect()
}

/// Where a requirement's wheel comes from.
fn wheel_source(
    sync_requirement: &SyncRequirement,
    name: &PackageName,
) -> Result<WheelSource, PlanError> {
    let requirement = &sync_requirement.requirement;
    if let Some(build) = &sync_requirement.build {
        return Ok(WheelSource::Build(build.clone()));
    }
    match &requirement.version_or_url {
        None => Ok(WheelSource::Registry {
            specifiers: VersionSpecifiers::empty(),
        }),
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => Ok(WheelSource::Registry {
            specifiers: specifiers.clone(),
        }),
        Some(VersionOrUrl::Url(verbatim)) => {
            let url = verbatim.to_url();
            let shown = puffin_redact::redact_text(&requirement.to_string()).into_owned();
            let not_a_wheel = || PlanError::NotAWheel {
                requirement: shown.clone(),
                origin: sync_requirement.origin.clone(),
            };
            let last_segment = url
                .path_segments()
                .and_then(|mut segments| segments.next_back())
                .ok_or_else(not_a_wheel)?;
            let decoded = percent_encoding::percent_decode_str(last_segment)
                .decode_utf8_lossy()
                .into_owned();
            let filename = WheelFilename::from_str(&decoded).map_err(|err| {
                if decoded.to_ascii_lowercase().ends_with(".whl") {
                    PlanError::InvalidWheelFilename {
                        requirement: shown.clone(),
                        origin: sync_requirement.origin.clone(),
                        err,
                    }
                } else {
                    not_a_wheel()
                }
            })?;
            if &filename.name != name {
                return Err(PlanError::NameMismatch {
                    requirement: shown,
                    origin: sync_requirement.origin.clone(),
                    name: name.clone(),
                    filename: decoded,
                    wheel_name: filename.name,
                });
            }
            if url.scheme() == "file" {
                let path = url.to_file_path().map_err(|()| not_a_wheel())?;
                Ok(WheelSource::LocalWheel {
                    path,
                    url,
                    filename,
                })
            } else {
                Ok(WheelSource::RemoteWheel { url, filename })
            }
        }
    }
}

/// Whether an installed distribution is what the source asks for: the same
/// version (within the specifiers for a registry requirement), and for direct
/// URLs the same URL in `direct_url.json`.
fn satisfies(dist: &InstalledDist, source: &WheelSource) -> bool {
    let installed_url = dist
        .direct_url()
        .ok()
        .flatten()
        .and_then(|json| direct_url_of(&json));
    match source {
        WheelSource::Registry { specifiers } => {
            installed_url.is_none() && specifiers.contains(&dist.version)
        }
        WheelSource::Build(build) => dist
            .direct_url()
            .ok()
            .flatten()
            .and_then(|json| puffin_package::DirectUrl::from_json(&json).ok())
            .is_some_and(|installed| build.is_installed_as(&installed, &dist.path)),
        WheelSource::LocalWheel { url, filename, .. }
        | WheelSource::RemoteWheel { url, filename } => {
            dist.version == filename.version
                // `direct_url.json` holds the URL without credentials.
                && installed_url.is_some_and(|installed| {
                    installed == puffin_redact::remove_credentials(url.as_str())
                })
        }
    }
}

/// The `url` of a `direct_url.json` document.
fn direct_url_of(json: &str) -> Option<String> {
    puffin_package::DirectUrl::from_json(json)
        .ok()
        .map(|direct_url| direct_url.url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requirement_of(text: &str) -> SyncRequirement {
        SyncRequirement {
            requirement: Requirement::from_str(text).unwrap(),
            hashes: Vec::new(),
            origin: "requirements.txt:1".to_string(),
            build: None,
        }
    }

    fn planned(text: &str) -> Plan {
        let sync_requirement = requirement_of(text);
        let name = PackageName::new(sync_requirement.requirement.name.as_ref()).unwrap();
        let source = wheel_source(&sync_requirement, &name).unwrap();
        Plan {
            install: vec![PlannedInstall {
                requirement: PlannedRequirement {
                    name,
                    source,
                    hashes: Vec::new(),
                    origin: sync_requirement.origin,
                },
                reason: InstallReason::New,
            }],
            ..Plan::default()
        }
    }

    fn cp311_linux() -> Tags {
        Tags::new(vec![
            (
                "cp311".to_string(),
                "cp311".to_string(),
                "manylinux_2_17_x86_64".to_string(),
            ),
            (
                "cp311".to_string(),
                "abi3".to_string(),
                "linux_x86_64".to_string(),
            ),
            ("py3".to_string(), "none".to_string(), "any".to_string()),
        ])
    }

    /// Issue 12, item 2: a direct URL wheel for another platform, another
    /// Python or a made-up ABI was installed silently.
    #[test]
    fn direct_url_wheels_are_tag_checked() {
        let tags = cp311_linux();
        for wheel in [
            "demo-1.0-cp311-cp311-win_amd64.whl",
            "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "demo-1.0-cp311-fakeabi-manylinux_2_17_x86_64.whl",
        ] {
            for base in ["file:///wheels", "https://example.invalid/wheels"] {
                let plan = planned(&format!("demo @ {base}/{wheel}"));
                let err = plan.check_wheel_tags(&tags).unwrap_err();
                assert!(
                    matches!(err, PlanError::IncompatibleWheel { .. }),
                    "{wheel}"
                );
            }
        }
        let err = planned("demo @ file:///wheels/demo-1.0-cp311-cp311-win_amd64.whl")
            .check_wheel_tags(&tags)
            .unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"`demo @ file:///wheels/demo-1.0-cp311-cp311-win_amd64.whl` (requirements.txt:1): the wheel is tagged `cp311-cp311-win_amd64`, which this environment does not support (its most specific tag is `cp311-cp311-manylinux_2_17_x86_64`); use a wheel built for this platform and Python");
        for wheel in [
            "demo-1.0-py3-none-any.whl",
            "demo-1.0-cp311-abi3-linux_x86_64.whl",
            "demo-1.0-py2.py3-none-any.whl",
        ] {
            let plan = planned(&format!("demo @ file:///wheels/{wheel}"));
            plan.check_wheel_tags(&tags).unwrap();
        }
    }

    /// Issue 12, item 11: an invalid wheel filename was reported as "building
    /// from source is not supported".
    #[test]
    fn invalid_wheel_filenames_are_reported_as_such() {
        let sync_requirement =
            requirement_of("invalid-version @ file:///w/invalid_version-2010i-py3-none-any.whl");
        let name = PackageName::new("invalid-version").unwrap();
        let err = wheel_source(&sync_requirement, &name).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"`invalid-version @ file:///w/invalid_version-2010i-py3-none-any.whl` (requirements.txt:1) does not point to a valid wheel: `invalid_version-2010i-py3-none-any.whl` is not a valid wheel filename: `2010i` is not a PEP 440 version");
        let sync_requirement = requirement_of("invalid @ file:///w/invalid.whl");
        let name = PackageName::new("invalid").unwrap();
        let err = wheel_source(&sync_requirement, &name).unwrap_err();
        assert!(matches!(err, PlanError::InvalidWheelFilename { .. }));
        assert!(!err.to_string().contains("source"), "{err}");
        // Not a wheel at all: still the source-build message.
        let sync_requirement = requirement_of("demo @ file:///w/demo-1.0.tar.gz");
        let name = PackageName::new("demo").unwrap();
        let err = wheel_source(&sync_requirement, &name).unwrap_err();
        assert!(matches!(err, PlanError::NotAWheel { .. }));
    }

    /// Issue 14, item 5: the tag and filename errors printed the URL with
    /// its password (expanded from `${VAR}` or as written).
    #[test]
    fn url_errors_redact_credentials() {
        let tags = cp311_linux();
        let err = planned("demo @ https://user:s3cret@host/demo-1.0-cp311-cp311-win_amd64.whl")
            .check_wheel_tags(&tags)
            .unwrap_err();
        assert!(matches!(err, PlanError::IncompatibleWheel { .. }));
        assert!(err.to_string().contains("user:****@host"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");

        let sync_requirement = requirement_of("bad @ https://user:s3cret@host/bad%2F-1.0.whl");
        let name = PackageName::new("bad").unwrap();
        let err = wheel_source(&sync_requirement, &name).unwrap_err();
        assert!(matches!(err, PlanError::InvalidWheelFilename { .. }));
        assert!(err.to_string().contains("user:****@host"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    fn registry(specifiers: &str) -> WheelSource {
        WheelSource::Registry {
            specifiers: VersionSpecifiers::from_str(specifiers).unwrap(),
        }
    }

    /// Issue 14, item 3: constraints were parsed and then ignored.
    #[test]
    fn constraints_narrow_or_contradict() {
        let narrowed = constrain_source(&registry(">=1"), &registry("<2")).unwrap();
        assert_eq!(narrowed, registry(">=1, <2"));
        // A pin stays the only specifier, so the store finds it offline.
        assert_eq!(
            constrain_source(&registry(">=1"), &registry("==1.5")),
            Some(registry("==1.5"))
        );
        assert_eq!(
            constrain_source(&registry("==1.5"), &registry("<2")),
            Some(registry("==1.5"))
        );
        assert_eq!(
            constrain_source(&registry("==2.0"), &registry("==1.0")),
            None
        );
        let url = planned("demo @ file:///w/demo-1.0-py3-none-any.whl").install[0]
            .requirement
            .source
            .clone();
        assert_eq!(constrain_source(&registry(">=1"), &url), Some(url.clone()));
        assert_eq!(constrain_source(&url, &registry(">=2")), None);

        let hash = |hex: char| -> HashDigest {
            format!("sha256:{}", hex.to_string().repeat(64))
                .parse()
                .unwrap()
        };
        assert_eq!(
            constrain_hashes(vec![], vec![hash('a')]),
            Some(vec![hash('a')])
        );
        assert_eq!(
            constrain_hashes(vec![hash('a'), hash('b')], vec![hash('b')]),
            Some(vec![hash('b')])
        );
        assert_eq!(constrain_hashes(vec![hash('a')], vec![hash('b')]), None);
    }

    fn linux_markers() -> MarkerEnvironment {
        MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: "cpython",
            implementation_version: "3.11.4",
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

    /// `pip-install` plans with `keep_unlisted`: what the requirements do
    /// not name stays, what they name is installed or replaced.
    #[test]
    fn keep_unlisted_removes_nothing_unlisted() {
        let dir = tempfile::tempdir().unwrap();
        for dist in ["demo-1.0.dist-info", "other-1.0.dist-info"] {
            fs_err::create_dir(dir.path().join(dist)).unwrap();
        }
        let site_packages = SitePackages::from_dirs(&[dir.path()]).unwrap();
        let requirements = SyncRequirements {
            requirements: vec![requirement_of("demo==2.0"), requirement_of("new==1.0")],
            ..SyncRequirements::default()
        };
        let markers = linux_markers();
        let sync = Plan::build(
            &requirements,
            &site_packages,
            &markers,
            &PlanOptions::default(),
        )
        .unwrap();
        let names = |dists: &[InstalledDist]| {
            dists
                .iter()
                .map(|dist| dist.name.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&sync.extraneous), ["other"]);

        let options = PlanOptions {
            keep_unlisted: true,
            ..PlanOptions::default()
        };
        let install = Plan::build(&requirements, &site_packages, &markers, &options).unwrap();
        assert!(install.extraneous.is_empty(), "{:?}", install.extraneous);
        let planned: Vec<(String, bool)> = install
            .install
            .iter()
            .map(|install| {
                (
                    install.requirement.name.to_string(),
                    matches!(install.reason, InstallReason::Replace(_)),
                )
            })
            .collect();
        assert_eq!(
            planned,
            [("demo".to_string(), true), ("new".to_string(), false)]
        );
        assert!(install.satisfied.is_empty());
    }
}
