//! The PubGrub dependency provider: which versions exist, which one to try
//! next, and what a version depends on.
//!
//! - Versions come from a [`MetadataProvider`]; the newest that the range
//!   admits is tried first, unless the previous output pinned one
//!   ([`ResolverOptions::preferences`]).
//! - Yanked versions are only chosen for an exact pin (PEP 592).
//! - Pre-releases are chosen when `--pre` is given, when a specifier for the
//!   project names one, or when no final release is in the range (pip's rule,
//!   PEP 440 "Handling of pre-releases").
//! - A version whose `Requires-Python` excludes the target Python depends on
//!   the virtual package `Python` in that range, so the explanation of a
//!   failure names the reason.
//! - Constraints (pip's `-c`) restrict the versions that
//!   [`DependencyProvider::choose_version`] may pick for their project,
//!   whoever requires it, and require nothing: a project that nothing needs
//!   is never decided. When the constraint leaves no version in a range,
//!   PubGrub learns "no version of `foo` in that range", and the explanation
//!   names the constraint.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use distribution_filename::PackageName;
use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, Requirement, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics,
    PubGrubError, SelectedDependencies,
};
use puffin_client::FormatPolicy;
use puffin_package::Metadata;
use tracing::debug;
use version_ranges::Ranges;

use crate::package::PubGrubPackage;
use crate::provider::{MetadataProvider, VersionMap};
use crate::ranges::{names_prerelease, specifiers_to_ranges};
use crate::resolution::{RequiredBy, Resolution, ResolvedPackage};
use crate::{ResolveError, report};

/// A requirement given to the resolver, with where it came from (for the
/// `# via` annotations), e.g. `-r requirements.in`.
#[derive(Debug, Clone)]
pub struct RootRequirement {
    /// The requirement.
    pub requirement: Requirement,
    /// Its source, as the output names it.
    pub source: String,
}

/// How to resolve.
#[derive(Debug, Clone)]
pub struct ResolverOptions {
    /// The environment that markers are evaluated against; its
    /// `python_full_version` is the Python that `Requires-Python` must admit.
    pub markers: MarkerEnvironment,
    /// Allow pre-releases of every project (`--pre`).
    pub prereleases: bool,
    /// Versions to keep when the ranges allow them (the pins of a previous
    /// output file).
    pub preferences: BTreeMap<PackageName, Version>,
    /// Constraints (pip's `-c`): each limits the versions of its project if
    /// the project is needed, and adds nothing otherwise. Those whose markers
    /// do not hold are ignored; extras and URLs are not allowed.
    pub constraints: Vec<RootRequirement>,
    /// Which files may be used (`--no-binary`, `--only-binary`,
    /// `--no-build`). A version is a candidate if it has a compatible wheel
    /// that the policy allows, or a source distribution that it allows. The
    /// provider applies it when it lists versions: [`crate::IndexProvider::from_options`]
    /// takes it from here.
    pub format_policy: FormatPolicy,
}

impl ResolverOptions {
    /// Resolve for `markers`, without pre-releases, preferences or
    /// constraints, with wheels and sources allowed.
    pub fn new(markers: MarkerEnvironment) -> Self {
        Self {
            markers,
            prereleases: false,
            preferences: BTreeMap::new(),
            constraints: Vec::new(),
            format_policy: FormatPolicy::default(),
        }
    }

    /// Resolve for Python `major.minor` on the platform of `markers` (pip's
    /// `--python-version`): see [`crate::markers_for_python_version`].
    pub fn for_python_version(markers: &MarkerEnvironment, version: (u64, u64)) -> Self {
        Self::new(crate::python::markers_for_python_version(markers, version))
    }
}

/// Resolve `requirements`: one version of every project they need,
/// directly or not.
///
/// # Errors
///
/// [`ResolveError::NoSolution`] with an explanation when the requirements
/// conflict, or the provider's error.
pub fn resolve(
    requirements: &[RootRequirement],
    options: &ResolverOptions,
    provider: &dyn MetadataProvider,
) -> Result<Resolution, ResolveError> {
    let solver = Solver::new(requirements, options, provider)?;
    match pubgrub::resolve(&solver, PubGrubPackage::Root, Version::new([0])) {
        Ok(selected) => solver.resolution(&selected),
        Err(PubGrubError::NoSolution(tree)) => {
            // Folded-away facts worth saying: projects that no index has.
            let mut missing = Vec::new();
            for name in tree.packages().into_iter().filter_map(PubGrubPackage::name) {
                if provider.versions(name)?.is_empty() && !missing.contains(name) {
                    missing.push(name.clone());
                }
            }
            Err(ResolveError::NoSolution {
                report: report::explain(&tree, &solver.python, &missing, &solver.limits),
            })
        }
        Err(
            PubGrubError::ErrorRetrievingDependencies { source, .. }
            | PubGrubError::ErrorChoosingVersion { source, .. }
            | PubGrubError::ErrorInShouldCancel(source),
        ) => Err(source),
    }
}

/// The dependencies of one package version, one range per package.
type Constraints = BTreeMap<PubGrubPackage, Ranges<Version>>;

/// What PubGrub is told about a package version.
type PubGrubDependencies = Dependencies<PubGrubPackage, Ranges<Version>, String>;

fn available(constraints: Constraints) -> PubGrubDependencies {
    Dependencies::Available(
        constraints
            .into_iter()
            .collect::<DependencyConstraints<_, _>>(),
    )
}

/// What the solver learns while it runs.
#[derive(Default)]
struct State {
    /// Projects whose specifiers name a pre-release.
    explicit_prereleases: HashSet<PackageName>,
    /// The order in which packages were discovered (earlier is decided first).
    discovered: HashMap<PubGrubPackage, usize>,
    /// The dependencies given for each package version, for `# via`.
    edges: HashMap<(PubGrubPackage, Version), Vec<PubGrubPackage>>,
}

struct Solver<'a> {
    provider: &'a dyn MetadataProvider,
    options: &'a ResolverOptions,
    python: Version,
    root: Constraints,
    root_sources: BTreeMap<PackageName, BTreeSet<String>>,
    /// The constraints that apply, by project: the versions they allow, and
    /// how they were written (for explanations).
    limits: report::Limits,
    state: RefCell<State>,
}

impl<'a> Solver<'a> {
    fn new(
        requirements: &[RootRequirement],
        options: &'a ResolverOptions,
        provider: &'a dyn MetadataProvider,
    ) -> Result<Self, ResolveError> {
        let mut solver = Self {
            provider,
            options,
            python: options.markers.python_full_version().version.clone(),
            root: Constraints::default(),
            root_sources: BTreeMap::new(),
            limits: limits(&options.constraints, &options.markers)?,
            state: RefCell::new(State::default()),
        };
        let active: Vec<&RootRequirement> = requirements
            .iter()
            .filter(|root| root.requirement.marker.evaluate(&options.markers, &[]))
            .collect();
        solver.root = solver.constraints(active.iter().map(|root| &root.requirement))?;
        for root in active {
            solver
                .root_sources
                .entry(project_name(&root.requirement))
                .or_default()
                .insert(root.source.clone());
        }
        Ok(solver)
    }

    /// The constraints of requirements whose markers already held: each
    /// project in the intersection of its specifiers, and each extra too.
    fn constraints<'r>(
        &self,
        requirements: impl Iterator<Item = &'r Requirement>,
    ) -> Result<Constraints, ResolveError> {
        let mut constraints = Constraints::default();
        for requirement in requirements {
            let name = project_name(requirement);
            let range = match &requirement.version_or_url {
                None => Ranges::full(),
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                    self.note_specifiers(&name, specifiers);
                    specifiers_to_ranges(specifiers)
                }
                Some(VersionOrUrl::Url(_)) => {
                    return Err(ResolveError::Unsupported {
                        requirement: requirement.to_string(),
                        reason: "URL requirements are not resolved yet",
                    });
                }
            };
            let extras = requirement
                .extras
                .iter()
                .map(|extra| PubGrubPackage::Extra(name.clone(), extra.to_string()));
            for package in std::iter::once(PubGrubPackage::Project(name.clone())).chain(extras) {
                self.discover(&package);
                constraints
                    .entry(package)
                    .and_modify(|existing: &mut Ranges<Version>| {
                        *existing = existing.intersection(&range);
                    })
                    .or_insert_with(|| range.clone());
            }
        }
        Ok(constraints)
    }

    fn note_specifiers(&self, name: &PackageName, specifiers: &VersionSpecifiers) {
        if names_prerelease(specifiers) {
            self.state
                .borrow_mut()
                .explicit_prereleases
                .insert(name.clone());
        }
    }

    /// Remember when a package was first seen, and let the provider fetch
    /// ahead for a new project.
    fn discover(&self, package: &PubGrubPackage) {
        let mut state = self.state.borrow_mut();
        let next = state.discovered.len();
        if state.discovered.contains_key(package) {
            return;
        }
        state.discovered.insert(package.clone(), next);
        drop(state);
        if let PubGrubPackage::Project(name) = package {
            self.provider.prefetch(name);
        }
    }

    /// The version to try for a project: the preferred one if the range
    /// admits it, else the newest that the range admits, yanked versions only
    /// for an exact pin, pre-releases per [`Self::prereleases_allowed`] or
    /// when no final release fits.
    fn candidate(
        &self,
        name: &PackageName,
        versions: &VersionMap,
        range: &Ranges<Version>,
    ) -> Option<Version> {
        let exact = range.as_singleton().is_some();
        let fits = |version: &Version, yanked: bool| range.contains(version) && (exact || !yanked);
        if let Some(preferred) = self.options.preferences.get(name)
            && let Some(info) = versions.get(preferred)
            && fits(preferred, info.yanked)
        {
            return Some(preferred.clone());
        }
        let newest = |prereleases: bool| {
            versions
                .iter()
                .rev()
                .find(|(version, info)| {
                    fits(version, info.yanked) && (prereleases || !version.any_prerelease())
                })
                .map(|(version, _)| version.clone())
        };
        newest(self.prereleases_allowed(name)).or_else(|| newest(true))
    }

    fn prereleases_allowed(&self, name: &PackageName) -> bool {
        self.options.prereleases || self.state.borrow().explicit_prereleases.contains(name)
    }

    /// What a project (or one of its extras) depends on at `version`.
    fn project_dependencies(
        &self,
        package: &PubGrubPackage,
        version: &Version,
    ) -> Result<PubGrubDependencies, ResolveError> {
        let Some(name) = package.name() else {
            return Ok(available(Constraints::default()));
        };
        let versions = self.provider.versions(name)?;
        let Some(info) = versions.get(version) else {
            return Ok(Dependencies::Unavailable("is not on the index".to_string()));
        };
        if let Some(reason) = &info.unusable {
            return Ok(Dependencies::Unavailable(reason.clone()));
        }
        if let Some(python) = self.python_conflict(info.requires_python.as_ref()) {
            return Ok(available(python));
        }
        let metadata = self.provider.metadata(name, version)?;
        if let Some(python) = self.python_conflict(metadata.requires_python.as_ref()) {
            return Ok(available(python));
        }
        let mut constraints = self.metadata_constraints(package, &metadata)?;
        if let PubGrubPackage::Extra(..) = package {
            constraints.insert(
                PubGrubPackage::Project(name.clone()),
                Ranges::singleton(version.clone()),
            );
        } else {
            constraints.remove(package);
        }
        Ok(available(constraints))
    }

    /// A dependency on the virtual Python package if `requires_python`
    /// excludes the target Python.
    fn python_conflict(&self, requires_python: Option<&VersionSpecifiers>) -> Option<Constraints> {
        let specifiers = requires_python?;
        if specifiers.contains(&self.python) {
            return None;
        }
        let mut constraints = Constraints::default();
        constraints.insert(PubGrubPackage::Python, specifiers_to_ranges(specifiers));
        Some(constraints)
    }

    /// The `Requires-Dist` entries that apply: for a project, those whose
    /// markers hold without extras; for an extra, those that the extra turns on.
    fn metadata_constraints(
        &self,
        package: &PubGrubPackage,
        metadata: &Metadata,
    ) -> Result<Constraints, ResolveError> {
        let markers = &self.options.markers;
        let extra = match package {
            PubGrubPackage::Extra(_, extra) => ExtraName::from_str(extra).ok(),
            _ => None,
        };
        let applies = |requirement: &&Requirement| {
            let base = requirement.marker.evaluate(markers, &[]);
            match &extra {
                None => base,
                Some(extra) => {
                    !base
                        && requirement
                            .marker
                            .evaluate(markers, std::slice::from_ref(extra))
                }
            }
        };
        self.constraints(metadata.requires_dist.iter().filter(applies))
    }

    /// The chosen versions, with what required each.
    fn resolution(
        &self,
        selected: &SelectedDependencies<PubGrubPackage, Version>,
    ) -> Result<Resolution, ResolveError> {
        let mut packages = BTreeMap::new();
        for (package, version) in selected.iter() {
            if let PubGrubPackage::Project(name) = package {
                let versions = self.provider.versions(name)?;
                let hashes = versions
                    .get(version)
                    .map(|info| info.hashes.clone())
                    .unwrap_or_default();
                packages.insert(name.clone(), ResolvedPackage::new(version.clone(), hashes));
            }
        }
        for (package, version) in selected.iter() {
            if let PubGrubPackage::Extra(name, extra) = package
                && let Some(resolved) = packages.get_mut(name)
            {
                resolved.extras.insert(extra.clone());
            }
            self.annotate(&mut packages, package, version);
        }
        Ok(Resolution { packages })
    }

    /// Record `package` as the reason for each of its dependencies.
    fn annotate(
        &self,
        packages: &mut BTreeMap<PackageName, ResolvedPackage>,
        package: &PubGrubPackage,
        version: &Version,
    ) {
        let state = self.state.borrow();
        let key = (package.clone(), version.clone());
        for dependency in state.edges.get(&key).into_iter().flatten() {
            let Some(dependency) = dependency.name() else {
                continue;
            };
            if Some(dependency) == package.name() {
                continue;
            }
            let Some(resolved) = packages.get_mut(dependency) else {
                continue;
            };
            match package.name() {
                Some(name) => {
                    resolved
                        .required_by
                        .insert(RequiredBy::Project(name.clone()));
                }
                None => {
                    let sources = self.root_sources.get(dependency).into_iter().flatten();
                    resolved
                        .required_by
                        .extend(sources.cloned().map(RequiredBy::Source));
                }
            }
        }
    }
}

/// The constraints whose markers hold, by project: the intersection of
/// their ranges, and each as written with its source.
pub(crate) fn limits(
    constraints: &[RootRequirement],
    markers: &MarkerEnvironment,
) -> Result<report::Limits, ResolveError> {
    let mut limits = report::Limits::new();
    for constraint in constraints {
        let requirement = &constraint.requirement;
        if !requirement.marker.evaluate(markers, &[]) {
            continue;
        }
        let range = match &requirement.version_or_url {
            None => Ranges::full(),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers_to_ranges(specifiers),
            Some(VersionOrUrl::Url(_)) => {
                return Err(ResolveError::Unsupported {
                    requirement: requirement.to_string(),
                    reason: "a constraint cannot be a URL",
                });
            }
        };
        let limit = limits.entry(project_name(requirement)).or_default();
        limit.range = limit.range.intersection(&range);
        let mut written = requirement.clone();
        written.marker = pep508_rs::MarkerTree::default();
        limit
            .written
            .push(format!("`{written}` ({})", constraint.source));
    }
    Ok(limits)
}

/// The PEP 503 name of a requirement's project (a `pep508_rs` name is
/// already normalized).
fn project_name(requirement: &Requirement) -> PackageName {
    PackageName::new(requirement.name.as_ref()).expect("a PEP 508 name is a valid package name")
}

impl DependencyProvider for Solver<'_> {
    type P = PubGrubPackage;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Err = ResolveError;
    /// Python first, then the packages that conflicted most, then the
    /// packages discovered first.
    type Priority = (u32, Reverse<usize>);

    fn prioritize(
        &self,
        package: &PubGrubPackage,
        _range: &Ranges<Version>,
        statistics: &PackageResolutionStatistics,
    ) -> Self::Priority {
        if *package == PubGrubPackage::Python {
            return (u32::MAX, Reverse(0));
        }
        let order = self
            .state
            .borrow()
            .discovered
            .get(package)
            .copied()
            .unwrap_or(usize::MAX);
        (statistics.conflict_count(), Reverse(order))
    }

    fn choose_version(
        &self,
        package: &PubGrubPackage,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ResolveError> {
        match package {
            PubGrubPackage::Root => Ok(Some(Version::new([0]))),
            PubGrubPackage::Python => Ok(range.contains(&self.python).then(|| self.python.clone())),
            PubGrubPackage::Project(name) | PubGrubPackage::Extra(name, _) => {
                let versions = self.provider.versions(name)?;
                let chosen = match self.limits.get(name) {
                    Some(limit) => {
                        self.candidate(name, &versions, &range.intersection(&limit.range))
                    }
                    None => self.candidate(name, &versions, range),
                };
                debug!(%package, ?chosen, "Chose a version");
                Ok(chosen)
            }
        }
    }

    fn get_dependencies(
        &self,
        package: &PubGrubPackage,
        version: &Version,
    ) -> Result<PubGrubDependencies, ResolveError> {
        let dependencies = match package {
            PubGrubPackage::Root => available(self.root.clone()),
            PubGrubPackage::Python => available(Constraints::default()),
            _ => self.project_dependencies(package, version)?,
        };
        if let Dependencies::Available(constraints) = &dependencies {
            self.state.borrow_mut().edges.insert(
                (package.clone(), version.clone()),
                constraints
                    .iter()
                    .map(|(package, _)| package.clone())
                    .collect(),
            );
        }
        Ok(dependencies)
    }
}

#[cfg(test)]
mod tests;
