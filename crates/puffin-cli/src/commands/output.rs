//! `--output-format json`: machine-readable output of `pip-sync --dry-run`,
//! `pip-freeze` and `pip-check`. The schemas are documented in
//! `docs/json-output.md`; every document is one JSON value on stdout.

use std::io::Write;

use anyhow::Context;
use puffin_installer::{FileProblem, InstallReason, Plan, RequirementProblem};
use serde_json::{Value, json};

/// How a command prints its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON document on stdout (see `docs/json-output.md`).
    Json,
}

/// Print one JSON document on stdout.
pub(crate) fn print_json(value: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value).context("Failed to write to stdout")?;
    writeln!(stdout).context("Failed to write to stdout")
}

/// `pip-sync --dry-run`: what would be kept, installed and removed.
pub(crate) fn plan_json(plan: &Plan) -> Value {
    let install: Vec<Value> = plan
        .install
        .iter()
        .map(|install| {
            let (reason, replaces) = match &install.reason {
                InstallReason::New => ("new", None),
                InstallReason::Replace(old) => ("replace", Some(old.version.to_string())),
                InstallReason::Reinstall(old) => ("reinstall", Some(old.version.to_string())),
            };
            json!({
                "name": install.requirement.name.as_str(),
                "version": install.requirement.source.exact_version().map(ToString::to_string),
                "reason": reason,
                "replaces": replaces,
            })
        })
        .collect();
    let dist = |dist: &puffin_installer::InstalledDist| json!({"name": dist.name.as_str(), "version": dist.version.to_string()});
    json!({
        "install": install,
        "uninstall": plan.extraneous.iter().map(dist).collect::<Vec<_>>(),
        "keep": plan.satisfied.iter().map(dist).collect::<Vec<_>>(),
    })
}

/// One unmet requirement of `pip-check`.
pub(crate) fn requirement_problem_json(problem: &RequirementProblem) -> Value {
    let message = problem.to_string();
    match problem {
        RequirementProblem::Missing {
            dist,
            version,
            required,
            requirement,
        } => json!({
            "type": "missing", "name": dist.as_str(), "version": version.to_string(),
            "required": required, "requirement": requirement, "message": message,
        }),
        RequirementProblem::Conflict {
            dist,
            version,
            requirement,
            installed,
            installed_version,
        } => json!({
            "type": "conflict", "name": dist.as_str(), "version": version.to_string(),
            "requirement": requirement, "installed": installed.as_str(),
            "installed_version": installed_version.to_string(), "message": message,
        }),
        RequirementProblem::InvalidMetadata {
            dist,
            version,
            path,
            ..
        } => json!({
            "type": "invalid-metadata", "name": dist.as_str(), "version": version.to_string(),
            "path": path, "message": message,
        }),
    }
}

/// One changed file of `pip-check --files`.
pub(crate) fn file_problem_json(problem: &FileProblem) -> Value {
    json!({"message": problem.to_string()})
}
