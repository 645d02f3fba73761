//! PubGrub's derivation of a failure, in sentences a person can follow:
//! "Because foo==1.0 depends on bar<2.0 and you require bar>=2.0, foo==1.0
//! cannot be used." The root package reads as "you", version sets read as
//! PEP 440 specifiers, and Python is named as such.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::ops::Bound;

use distribution_filename::PackageName;
use pep440_rs::Version;
use pubgrub::{
    DefaultStringReporter, DerivationTree, External, Map, ReportFormatter, Reporter, Term,
};
use version_ranges::Ranges;

use crate::package::PubGrubPackage;

type Tree = DerivationTree<PubGrubPackage, Ranges<Version>, String>;
type Ext = External<PubGrubPackage, Ranges<Version>, String>;
type Derived = pubgrub::Derived<PubGrubPackage, Ranges<Version>, String>;
type Terms = Map<PubGrubPackage, Term<Ranges<Version>>>;

/// The constraints (pip's `-c`) that apply, by project.
pub(crate) type Limits = BTreeMap<PackageName, Limit>;

/// The constraints on one project.
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    /// The versions they allow.
    pub(crate) range: Ranges<Version>,
    /// Each as written, with its source: ``"`foo<2` (-c constraints.txt)"``.
    pub(crate) written: Vec<String>,
}

impl Default for Limit {
    fn default() -> Self {
        Self {
            range: Ranges::full(),
            written: Vec::new(),
        }
    }
}

/// The explanation of a failed resolution, one sentence a line.
///
/// Versions that do not exist are folded into the ranges that need them
/// (`collapse_no_versions`), unless that leaves a single fact without a
/// reason. `python` is the target Python, named when a project requires
/// another; `missing` are the projects that no index has; the constraints
/// in `limits` on the projects involved are named at the end.
pub(crate) fn explain(
    tree: &Tree,
    python: &Version,
    missing: &[PackageName],
    limits: &Limits,
) -> String {
    let mut collapsed = tree.clone();
    collapsed.collapse_no_versions();
    let tree = match collapsed {
        DerivationTree::External(_) => tree,
        DerivationTree::Derived(_) => &collapsed,
    };
    let formatter = Formatter { python, limits };
    let mut report = DefaultStringReporter::report_with_formatter(tree, &formatter);
    if tree.packages().contains(&PubGrubPackage::Python) {
        report.push_str(&format!("\nThe target Python is {python}."));
    }
    for name in missing {
        report.push_str(&format!("\nNo index has the project `{name}`."));
    }
    let mut named = Vec::new();
    for name in tree.packages().into_iter().filter_map(PubGrubPackage::name) {
        if let Some(limit) = limits.get(name)
            && !named.contains(&name)
        {
            named.push(name);
            let written = limit.written.join(" and ");
            // Unless a sentence already named it.
            if !report.contains(&written) {
                report.push_str(&format!(
                    "\nThe versions of {name} are limited by the constraint {written}."
                ));
            }
        }
    }
    report
}

/// Formats a version set as specifiers after a package name: `foo` for
/// any version, `foo==1.0`, `foo>=1.0,<2.0`, several ranges joined by ` | `.
fn package_in(package: &PubGrubPackage, range: &Ranges<Version>) -> String {
    if range == &Ranges::full() {
        return package.to_string();
    }
    if let Some(version) = range.as_singleton() {
        return format!("{package}=={version}");
    }
    let segments: Vec<String> = range
        .iter()
        .map(|(lower, upper)| segment(lower, upper))
        .collect();
    format!("{package}{}", segments.join(" | "))
}

fn segment(lower: &Bound<Version>, upper: &Bound<Version>) -> String {
    let mut out = String::new();
    match lower {
        Bound::Included(v) => write!(out, ">={}", shown(v)),
        Bound::Excluded(v) => write!(out, ">{}", shown(v)),
        Bound::Unbounded => Ok(()),
    }
    .expect("writing to a string");
    if !out.is_empty() && !matches!(upper, Bound::Unbounded) {
        out.push(',');
    }
    match upper {
        Bound::Included(v) => write!(out, "<={}", shown(v)),
        Bound::Excluded(v) => write!(out, "<{}", shown(v)),
        Bound::Unbounded => Ok(()),
    }
    .expect("writing to a string");
    if out.is_empty() { "*".to_string() } else { out }
}

/// A bound without the internal markers of `<V` and `>V` (the smallest or
/// largest version with `V`'s release), which are not valid PEP 440.
fn shown(version: &Version) -> Version {
    if version.min().is_some() || version.max().is_some() {
        version.clone().with_min(None).with_max(None)
    } else {
        version.clone()
    }
}

struct Formatter<'a> {
    python: &'a Version,
    limits: &'a Limits,
}

impl ReportFormatter<PubGrubPackage, Ranges<Version>, String> for Formatter<'_> {
    type Output = String;

    fn format_external(&self, external: &Ext) -> String {
        match external {
            External::NotRoot(..) => "you require these requirements".to_string(),
            External::NoVersions(PubGrubPackage::Python, range) => format!(
                "the target Python {} does not satisfy {}",
                self.python,
                package_in(&PubGrubPackage::Python, range)
            ),
            External::NoVersions(package, range) => {
                match package.name().and_then(|name| self.limits.get(name)) {
                    Some(limit) => format!(
                        "there is no version of {} that the constraint {} allows",
                        package_in(package, range),
                        limit.written.join(" and ")
                    ),
                    None => format!("there is no version of {}", package_in(package, range)),
                }
            }
            External::Custom(package, range, reason) => {
                format!("{} cannot be used: {reason}", package_in(package, range))
            }
            External::FromDependencyOf(PubGrubPackage::Root, _, dependency, range) => {
                format!("you require {}", package_in(dependency, range))
            }
            External::FromDependencyOf(package, range, PubGrubPackage::Python, python) => {
                format!(
                    "{} requires {}",
                    package_in(package, range),
                    package_in(&PubGrubPackage::Python, python)
                )
            }
            External::FromDependencyOf(package, range, dependency, dependency_range) => format!(
                "{} depends on {}",
                package_in(package, range),
                package_in(dependency, dependency_range)
            ),
        }
    }

    fn format_terms(&self, terms: &Terms) -> String {
        let terms: Vec<_> = terms.iter().collect();
        match terms.as_slice() {
            [] | [(PubGrubPackage::Root, _)] => "the requirements are unsatisfiable".to_string(),
            [(package, Term::Positive(range))] => {
                format!("{} cannot be used", package_in(package, range))
            }
            [(package, Term::Negative(range))] => {
                format!("{} is required", package_in(package, range))
            }
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.format_external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            _ => {
                let listed: Vec<String> = terms
                    .iter()
                    .map(|(package, term)| match term {
                        Term::Positive(range) => package_in(package, range),
                        Term::Negative(range) => format!("not {}", package_in(package, range)),
                    })
                    .collect();
                format!("{} are incompatible", listed.join(", "))
            }
        }
    }

    fn explain_both_external(
        &self,
        external1: &Ext,
        external2: &Ext,
        current_terms: &Terms,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived,
        ref_id2: usize,
        derived2: &Derived,
        current_terms: &Terms,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived,
        external: &Ext,
        current_terms: &Terms,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(&self, external: &Ext, current_terms: &Terms) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_ref(&self, ref_id: usize, derived: &Derived, current_terms: &Terms) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &Ext,
        external: &Ext,
        current_terms: &Terms,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior_external),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }
}
