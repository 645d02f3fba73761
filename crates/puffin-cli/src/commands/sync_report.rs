//! What `pip-sync` prints once the sync is done: the summary, the changes
//! and the dependencies the requirements miss.

use std::collections::BTreeMap;
use std::time::Instant;

use distribution_filename::PackageName;
use owo_colors::OwoColorize;
use puffin_installer::{InstallReason, Plan, RequirementProblem, SyncReport};
use puffin_interpreter::PythonEnvironment;

use crate::commands::environment::{display_path, elapsed, packages, read_site_packages};
use crate::printer::Printer;

/// What the sync did, after the progress lines.
pub(crate) fn print_report(report: &SyncReport, dry_run: bool, printer: Printer, start: Instant) {
    let plan = &report.plan;
    if plan.is_noop() {
        printer.status(format_args!(
            "Audited {} in {}",
            packages(plan.satisfied.len()),
            elapsed(start.elapsed())
        ));
        return;
    }
    if dry_run {
        print_dry_run(plan, printer);
        return;
    }
    if let Some(fallback) = &report.fallback {
        printer.warn(fallback);
    }
    for warning in &report.warnings {
        printer.warn(warning);
    }
    if !report.link_modes.is_empty() {
        printer.verbose(format_args!(
            "Link modes used: {}",
            report
                .link_modes
                .iter()
                .map(|(mode, count)| format!("{mode} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    print_changes(plan, report, printer);
}

/// The plan, as `--dry-run` prints it.
fn print_dry_run(plan: &Plan, printer: Printer) {
    let removals = plan.extraneous.len()
        + plan
            .install
            .iter()
            .filter(|install| !matches!(install.reason, InstallReason::New))
            .count();
    printer.status(format_args!(
        "Would uninstall {} and install {} (dry run: nothing changed)",
        packages(removals),
        packages(plan.install.len())
    ));
    print_changes(plan, &SyncReport::default(), printer);
}

/// How many orphan paths a warning names.
const ORPHANS_NAMED: usize = 3;

/// The orphans: removed (`--fix`), to be removed (`--fix --dry-run`: every
/// path), or left (a warning naming a few and how to remove them).
pub(crate) fn print_orphans(report: &SyncReport, fix_dry_run: bool, printer: Printer) {
    let files = |count: usize| if count == 1 { "file" } else { "files" };
    let removed = &report.removed_orphans.files;
    if !removed.is_empty() {
        printer.status(format_args!(
            "Removed {} {} that belonged to no installed distribution: {}",
            removed.len(),
            files(removed.len()),
            name_a_few(removed)
        ));
    }
    let left = &report.orphans.files;
    if left.is_empty() {
        return;
    }
    if fix_dry_run {
        printer.status(format_args!(
            "Would remove {} {} that belong to no installed distribution (--fix, dry run: nothing changed):",
            left.len(),
            files(left.len())
        ));
        for path in left {
            printer.status(format_args!("   {}", display_path(path)));
        }
        return;
    }
    printer.warn(format_args!(
        "{} {} in site-packages belong to no installed distribution (left by an install that was \
         interrupted before puffin journaled its changes): {}. Run pip-sync with --fix to remove them",
        left.len(),
        files(left.len()),
        name_a_few(left)
    ));
}

/// The first [`ORPHANS_NAMED`] paths, quoted, and how many more.
fn name_a_few(paths: &[std::path::PathBuf]) -> String {
    let mut text = paths
        .iter()
        .take(ORPHANS_NAMED)
        .map(|path| format!("`{}`", display_path(path)))
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > ORPHANS_NAMED {
        text.push_str(&format!(" and {} more", paths.len() - ORPHANS_NAMED));
    }
    text
}

/// ` - name==old`, ` + name==new` and ` ~ name==version` lines, sorted by name.
/// The new version is the installed wheel's (an unpinned requirement's
/// version is only known once its wheel is chosen).
fn print_changes(plan: &Plan, report: &SyncReport, printer: Printer) {
    let mut lines: BTreeMap<&PackageName, Vec<(char, String)>> = BTreeMap::new();
    for dist in &plan.extraneous {
        lines
            .entry(&dist.name)
            .or_default()
            .push(('-', dist.version.to_string()));
    }
    for install in &plan.install {
        let name = &install.requirement.name;
        let new_version = report
            .installed
            .iter()
            .find(|wheel| &wheel.filename.name == name)
            .map(|wheel| wheel.filename.version.to_string())
            .or_else(|| {
                install
                    .requirement
                    .source
                    .exact_version()
                    .map(ToString::to_string)
            })
            .unwrap_or_else(|| "latest".to_string());
        let entry = lines.entry(name).or_default();
        match &install.reason {
            InstallReason::New => entry.push(('+', new_version)),
            InstallReason::Replace(old) => {
                entry.push(('-', old.version.to_string()));
                entry.push(('+', new_version));
            }
            InstallReason::Reinstall(old) => entry.push(('~', old.version.to_string())),
        }
    }
    for (name, changes) in lines {
        for (sign, version) in changes {
            print_change(printer, sign, &format!("{name}=={version}"));
        }
    }
}

fn print_change(printer: Printer, sign: char, line: &str) {
    if !printer.color() {
        printer.status(format_args!(" {sign} {line}"));
        return;
    }
    match sign {
        '+' => printer.status(format_args!(" {} {}", "+".green(), line.bold())),
        '-' => printer.status(format_args!(" {} {}", "-".red(), line.bold())),
        _ => printer.status(format_args!(" {} {}", "~".yellow(), line.bold())),
    }
}

/// Warn when an installed distribution requires something the requirements
/// do not provide (pip-sync installs only what is listed), read from each
/// distribution's METADATA.
///
/// Returns how many problems were found.
pub(crate) fn warn_missing_dependencies(
    environment: &PythonEnvironment,
    printer: Printer,
) -> usize {
    // Its warnings were printed before the sync.
    let Ok(site_packages) = read_site_packages(environment) else {
        return 0;
    };
    let markers = &environment.interpreter().markers;
    let Ok(problems) = puffin_installer::check_requirements(&site_packages, markers) else {
        return 0;
    };
    let count = problems.len();
    for problem in problems {
        match problem {
            RequirementProblem::Missing {
                dist,
                version,
                requirement,
                ..
            } => printer.warn(format_args!(
                "{dist} {version} requires {requirement}, which is not in the requirements"
            )),
            RequirementProblem::Conflict {
                dist,
                version,
                requirement,
                installed,
                installed_version,
            } => printer.warn(format_args!(
                "{dist} {version} requires {requirement}, but the requirements give {installed} \
                 {installed_version}"
            )),
            RequirementProblem::InvalidMetadata { .. } => printer.warn(problem),
        }
    }
    count
}
