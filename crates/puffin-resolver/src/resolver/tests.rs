//! Resolution scenarios on projects held in memory.

use std::collections::HashMap;
use std::sync::Arc;

use pep508_rs::MarkerEnvironmentBuilder;

use super::*;
use crate::VersionInfo;

/// Projects in memory: versions with their index data and metadata.
#[derive(Default)]
struct Memory {
    versions: HashMap<PackageName, VersionMap>,
    metadata: HashMap<(PackageName, Version), Arc<Metadata>>,
}

impl Memory {
    /// Add `name` at `version` with these `Requires-Dist` lines.
    fn add(&mut self, name: &str, version: &str, requires: &[&str]) -> &mut Self {
        self.add_with(name, version, requires, VersionInfo::default(), None)
    }

    fn add_with(
        &mut self,
        name: &str,
        version: &str,
        requires: &[&str],
        info: VersionInfo,
        requires_python: Option<&str>,
    ) -> &mut Self {
        let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for requirement in requires {
            text.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        if let Some(requires_python) = requires_python {
            text.push_str(&format!("Requires-Python: {requires_python}\n"));
        }
        let metadata = Metadata::parse(text.as_bytes()).unwrap();
        let name = PackageName::new(name).unwrap();
        self.versions
            .entry(name.clone())
            .or_default()
            .insert(metadata.version.clone(), info);
        self.metadata
            .insert((name, metadata.version.clone()), Arc::new(metadata));
        self
    }
}

impl MetadataProvider for Memory {
    fn versions(&self, name: &PackageName) -> Result<Arc<VersionMap>, ResolveError> {
        Ok(Arc::new(
            self.versions.get(name).cloned().unwrap_or_default(),
        ))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<Metadata>, ResolveError> {
        self.metadata
            .get(&(name.clone(), version.clone()))
            .cloned()
            .ok_or_else(|| ResolveError::MissingMetadata {
                package: name.clone(),
                version: version.clone(),
            })
    }
}

fn markers() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
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

fn requirements(lines: &[&str]) -> Vec<RootRequirement> {
    lines
        .iter()
        .map(|line| RootRequirement {
            requirement: Requirement::from_str(line).unwrap(),
            source: "-r requirements.in".to_string(),
        })
        .collect()
}

fn solve_with(
    memory: &Memory,
    lines: &[&str],
    options: &ResolverOptions,
) -> Result<Resolution, ResolveError> {
    resolve(&requirements(lines), options, memory)
}

/// `name==version` lines of a resolution, sorted.
fn pins(memory: &Memory, lines: &[&str]) -> Vec<String> {
    let resolution = solve_with(memory, lines, &ResolverOptions::new(markers())).unwrap();
    pins_of(&resolution)
}

fn pins_of(resolution: &Resolution) -> Vec<String> {
    resolution
        .packages
        .iter()
        .map(|(name, package)| format!("{name}=={}", package.version))
        .collect()
}

fn yanked() -> VersionInfo {
    VersionInfo {
        yanked: true,
        ..VersionInfo::default()
    }
}

#[test]
fn diamond() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b", "c"])
        .add("b", "1.0", &["d>=1.0"])
        .add("c", "1.0", &["d<2"])
        .add("d", "0.9", &[])
        .add("d", "1.5", &[])
        .add("d", "2.0", &[]);
    assert_eq!(
        pins(&memory, &["a"]),
        ["a==1.0", "b==1.0", "c==1.0", "d==1.5"]
    );
}

/// The newest `a` needs a `b` that conflicts with the root's `c`: the
/// solver backtracks to the older `a`.
#[test]
fn backtracking() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b<2"])
        .add("a", "2.0", &["b>=2"])
        .add("b", "1.0", &[])
        .add("b", "2.0", &["c==1.0"])
        .add("c", "1.0", &[])
        .add("c", "2.0", &[]);
    assert_eq!(
        pins(&memory, &["a", "c==2.0"]),
        ["a==1.0", "b==1.0", "c==2.0"]
    );
}

#[test]
fn extras() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b; extra == 'x'", "c; extra == 'y'", "d>=1"])
        .add("b", "1.0", &[])
        .add("c", "1.0", &[])
        .add("d", "1.0", &[]);
    let resolution = solve_with(&memory, &["A[X]"], &ResolverOptions::new(markers())).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0", "b==1.0", "d==1.0"]);
    let a = &resolution.packages[&PackageName::new("a").unwrap()];
    assert_eq!(a.extras.iter().collect::<Vec<_>>(), ["x"]);
    assert_eq!(pins(&memory, &["a"]), ["a==1.0", "d==1.0"]);
}

/// An extra pins its project to the same version: `a[x]` at 2.0 needs a
/// `b` that does not exist, so both fall back to 1.0.
#[test]
fn extras_share_the_version() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b; extra == 'x'"])
        .add("a", "2.0", &["b>=5; extra == 'x'"])
        .add("b", "1.0", &[]);
    assert_eq!(pins(&memory, &["a", "a[x]"]), ["a==1.0", "b==1.0"]);
}

#[test]
fn markers_are_evaluated() {
    let mut memory = Memory::default();
    memory
        .add(
            "a",
            "1.0",
            &["b; sys_platform == 'win32'", "c; python_version >= '3.8'"],
        )
        .add("b", "1.0", &[])
        .add("c", "1.0", &[])
        .add("d", "1.0", &[]);
    assert_eq!(
        pins(&memory, &["a", "d; python_version < '3'"]),
        ["a==1.0", "c==1.0"]
    );
}

/// `Requires-Python` from the index page and from the metadata both exclude.
#[test]
fn requires_python_excludes() {
    let mut memory = Memory::default();
    let needs_312 = VersionInfo {
        requires_python: Some(VersionSpecifiers::from_str(">=3.12").unwrap()),
        ..VersionInfo::default()
    };
    memory
        .add("a", "1.0", &[])
        .add_with("a", "2.0", &[], needs_312, None)
        .add("b", "1.0", &[])
        .add_with("b", "2.0", &[], VersionInfo::default(), Some(">=3.12"));
    assert_eq!(pins(&memory, &["a", "b"]), ["a==1.0", "b==1.0"]);
}

#[test]
fn prereleases() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &[])
        .add("a", "2.0b1", &[])
        .add("b", "1.0a1", &[]);
    // Final releases first; a pre-release when nothing else fits.
    assert_eq!(pins(&memory, &["a", "b"]), ["a==1.0", "b==1.0a1"]);
    // A specifier that names a pre-release allows them.
    assert_eq!(pins(&memory, &["a>=1.0b1"]), ["a==2.0b1"]);
    // `--pre` allows them everywhere.
    let mut options = ResolverOptions::new(markers());
    options.prereleases = true;
    let resolution = solve_with(&memory, &["a"], &options).unwrap();
    assert_eq!(pins_of(&resolution), ["a==2.0b1"]);
}

#[test]
fn yanked_versions_need_an_exact_pin() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &[])
        .add_with("a", "2.0", &[], yanked(), None);
    assert_eq!(pins(&memory, &["a"]), ["a==1.0"]);
    assert_eq!(pins(&memory, &["a==2.0"]), ["a==2.0"]);
    // Only an exact pin selects it.
    let not_exact = solve_with(&memory, &["a>1.0"], &ResolverOptions::new(markers()));
    assert!(matches!(not_exact, Err(ResolveError::NoSolution { .. })));
}

#[test]
fn previous_pins_are_kept() {
    let mut memory = Memory::default();
    memory.add("a", "1.0", &[]).add("a", "2.0", &[]);
    let mut options = ResolverOptions::new(markers());
    options.preferences.insert(
        PackageName::new("a").unwrap(),
        Version::from_str("1.0").unwrap(),
    );
    let resolution = solve_with(&memory, &["a"], &options).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0"]);
    // A pin that the requirements exclude gives way.
    let resolution = solve_with(&memory, &["a>1"], &options).unwrap();
    assert_eq!(pins_of(&resolution), ["a==2.0"]);
}

#[test]
fn required_by() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["c"])
        .add("b", "1.0", &["c"])
        .add("c", "1.0", &[]);
    let resolution = solve_with(&memory, &["a", "b"], &ResolverOptions::new(markers())).unwrap();
    let c = &resolution.packages[&PackageName::new("c").unwrap()];
    let a = &resolution.packages[&PackageName::new("a").unwrap()];
    assert_eq!(
        c.required_by.iter().collect::<Vec<_>>(),
        [
            &RequiredBy::Project(PackageName::new("a").unwrap()),
            &RequiredBy::Project(PackageName::new("b").unwrap())
        ]
    );
    assert_eq!(
        a.required_by.iter().collect::<Vec<_>>(),
        [&RequiredBy::Source("-r requirements.in".to_string())]
    );
}

fn explanation(memory: &Memory, lines: &[&str]) -> String {
    match solve_with(memory, lines, &ResolverOptions::new(markers())) {
        Err(ResolveError::NoSolution { report }) => report,
        other => panic!("expected no solution, got {other:?}"),
    }
}

#[test]
fn unsatisfiable() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b<2"])
        .add("b", "1.0", &[])
        .add("b", "2.0", &[]);
    insta::assert_snapshot!(explanation(&memory, &["a", "b>=2"]));
}

#[test]
fn unsatisfiable_python() {
    let mut memory = Memory::default();
    memory.add_with("a", "1.0", &[], VersionInfo::default(), Some(">=3.12"));
    insta::assert_snapshot!(explanation(&memory, &["a"]));
}

#[test]
fn unsatisfiable_missing_project() {
    let memory = Memory::default();
    insta::assert_snapshot!(explanation(&memory, &["nothing>=1"]));
}

/// Constraints from `-c constraints.txt` lines.
fn with_constraints(lines: &[&str]) -> ResolverOptions {
    let mut options = ResolverOptions::new(markers());
    options.constraints = lines
        .iter()
        .map(|line| RootRequirement {
            requirement: Requirement::from_str(line).unwrap(),
            source: "-c constraints.txt".to_string(),
        })
        .collect();
    options
}

/// A constraint forces an older version of a transitive dependency, and
/// one whose marker does not hold is ignored.
#[test]
fn constraints_limit_transitive_dependencies() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b"])
        .add("b", "1.0", &["c"])
        .add("c", "1.0", &[])
        .add("c", "2.0", &[])
        .add("c", "3.0", &[]);
    let resolution = solve_with(&memory, &["a"], &with_constraints(&["c<3", "c!=2.0"])).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0", "b==1.0", "c==1.0"]);
    let ignored = with_constraints(&["c<2; sys_platform == 'win32'"]);
    let resolution = solve_with(&memory, &["a"], &ignored).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0", "b==1.0", "c==3.0"]);
}

/// A constraint makes the solver backtrack: the newest `a` needs a `c`
/// that the constraint excludes, so the older `a` is chosen.
#[test]
fn constraints_backtrack() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["c<2"])
        .add("a", "2.0", &["c>=2"])
        .add("c", "1.0", &[])
        .add("c", "2.0", &[]);
    let resolution = solve_with(&memory, &["a"], &with_constraints(&["c<2"])).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0", "c==1.0"]);
}

/// A constraint on a project that nothing needs adds nothing, and is not
/// even looked up.
#[test]
fn constraints_add_nothing() {
    let mut memory = Memory::default();
    memory.add("a", "1.0", &[]);
    let resolution = solve_with(&memory, &["a"], &with_constraints(&["unused==1.0"])).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0"]);
}

/// A constraint on an extra's project applies to the extra too.
#[test]
fn constraints_apply_to_extras() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["b; extra == 'x'"])
        .add("a", "2.0", &["b; extra == 'x'"])
        .add("b", "1.0", &[]);
    let resolution = solve_with(&memory, &["a[x]"], &with_constraints(&["a<2"])).unwrap();
    assert_eq!(pins_of(&resolution), ["a==1.0", "b==1.0"]);
}

/// A constraint that contradicts a requirement fails with an explanation
/// that names the constraint and its file.
#[test]
fn constraints_that_contradict_are_explained() {
    let mut memory = Memory::default();
    memory
        .add("a", "1.0", &["c>=2"])
        .add("c", "1.0", &[])
        .add("c", "2.0", &[]);
    let err = solve_with(&memory, &["a"], &with_constraints(&["c<2"])).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because a depends on c>=2 and you require a, the requirements are unsatisfiable.
    The versions of c are limited by the constraint `c<2` (-c constraints.txt).
    ");
    let err = solve_with(&memory, &["c>=2"], &with_constraints(&["c<2"])).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @r"
    No solution found when resolving dependencies:
    Because there is no version of c>=2 that the constraint `c<2` (-c constraints.txt) allows and you require c>=2, the requirements are unsatisfiable.
    ");
}

/// A constraint that is a URL is refused.
#[test]
fn url_constraints_are_refused() {
    let memory = Memory::default();
    let options = with_constraints(&["c @ https://127.0.0.1/c-1.0.tar.gz"]);
    let err = solve_with(&memory, &["a"], &options).unwrap_err();
    assert!(matches!(err, ResolveError::Unsupported { .. }), "{err}");
}
