use std::io::Write;

use anyhow::Context;
use clap::Args;
use puffin_installer::{FileProblem, check_files, check_requirements, unowned_files};

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::commands::environment::read_environment;
use crate::commands::output::{
    OutputFormat, file_problem_json, print_json, requirement_problem_json,
};
use crate::printer::Printer;

// The arguments of `puffin pip-check`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Check that installed distributions have their requirements (and, with `--files`, intact files).
#[derive(Args, Debug)]
pub(crate) struct PipCheckArgs {
    /// The environment's Python [default: the active virtual environment, else
    /// `.venv` in this or a parent directory].
    #[arg(short, long)]
    python: Option<String>,

    /// Check a Python that is not a virtual environment.
    #[arg(long)]
    system: bool,

    /// Also check that every installed file still has the hash its RECORD
    /// says (files outside the environment and rows without a hash are
    /// skipped), and list files in site-packages and the scripts directory
    /// that no RECORD lists (left by interrupted installs).
    #[arg(long)]
    files: bool,

    /// `text` (as `pip check` prints) or `json`.
    #[arg(long, value_enum, default_value_t)]
    output_format: OutputFormat,
}

/// Print every unmet requirement as `pip check` does (and, with `--files`,
/// every installed file that no longer matches its RECORD); exit 1 if there
/// is any.
pub(crate) fn run(
    args: PipCheckArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let (environment, site_packages) = read_environment(args.python, args.system, global, printer)?;

    let problems = check_requirements(&site_packages, &environment.interpreter().markers)?;
    if args.output_format == OutputFormat::Json {
        let files = args
            .files
            .then(|| check_files(&site_packages, environment.root()).problems);
        let broken = !problems.is_empty() || files.as_ref().is_some_and(|files| !files.is_empty());
        print_json(&serde_json::json!({
            "requirements": problems.iter().map(requirement_problem_json).collect::<Vec<_>>(),
            "files": files.map(|files| files.iter().map(file_problem_json).collect::<Vec<_>>()),
        }))?;
        return Ok(if broken {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        });
    }
    let mut stdout = std::io::stdout().lock();
    let mut broken = false;
    if problems.is_empty() {
        writeln!(stdout, "No broken requirements found.").context("Failed to write to stdout")?;
    }
    for problem in &problems {
        broken = true;
        writeln!(stdout, "{problem}").context("Failed to write to stdout")?;
    }

    if args.files {
        let mut report = check_files(&site_packages, environment.root());
        let unowned = unowned_files(&site_packages, &environment.layout());
        report.problems.extend(
            unowned
                .into_iter()
                .map(|path| FileProblem::Unowned { path }),
        );
        if report.problems.is_empty() {
            writeln!(stdout, "No modified files found.").context("Failed to write to stdout")?;
        }
        for problem in &report.problems {
            broken = true;
            writeln!(stdout, "{problem}").context("Failed to write to stdout")?;
        }
        printer.verbose(format_args!(
            "Checked {} files of {} distributions ({} RECORD rows skipped)",
            report.checked,
            site_packages.len(),
            report.skipped
        ));
    }
    Ok(if broken {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
