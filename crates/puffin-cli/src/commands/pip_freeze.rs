use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use puffin_installer::{InstalledDist, SitePackages};
use puffin_package::{DirectUrl, DirectUrlInfo};
use serde_json::json;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::commands::environment::read_environment;
use crate::commands::output::{OutputFormat, print_json};
use crate::printer::Printer;

// The arguments of `puffin pip-freeze`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// List the installed distributions in requirements format.
#[derive(Args, Debug)]
pub(crate) struct PipFreezeArgs {
    /// The environment's Python [default: the active virtual environment, else
    /// `.venv` in this or a parent directory].
    #[arg(short, long)]
    python: Option<String>,

    /// List a Python that is not a virtual environment.
    #[arg(long)]
    system: bool,

    /// Leave out distributions installed in editable mode.
    #[arg(long)]
    exclude_editable: bool,

    /// List the distributions installed in this directory (a site-packages
    /// or `--target` directory) instead of an environment's (repeatable).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["python", "system"])]
    path: Vec<PathBuf>,

    /// `text` (requirements, as `pip-sync` accepts them) or `json`.
    #[arg(long, value_enum, default_value_t)]
    output_format: OutputFormat,
}

/// One listed distribution.
struct Frozen {
    name: String,
    version: String,
    /// For direct URL installs, without credentials (PEP 610 forbids them).
    url: Option<String>,
    editable: bool,
}

impl Frozen {
    fn of(dist: &InstalledDist) -> Self {
        let direct_url = dist
            .direct_url()
            .ok()
            .flatten()
            .and_then(|json| DirectUrl::from_json(&json).ok());
        let editable = matches!(
            direct_url.as_ref().map(|direct_url| &direct_url.info),
            Some(DirectUrlInfo::Dir(info)) if info.editable == Some(true)
        );
        Self {
            name: dist.name.to_string(),
            version: dist.version.to_string(),
            url: direct_url.map(|direct_url| requirement_url(&direct_url)),
            editable,
        }
    }

    /// The requirement line: `name==version`, `name @ url` or `-e path`.
    fn line(&self) -> String {
        match &self.url {
            Some(url) if self.editable => {
                let path = url::Url::parse(url)
                    .ok()
                    .filter(|url| url.scheme() == "file")
                    .and_then(|url| url.to_file_path().ok());
                match path {
                    Some(path) => format!("-e {}", path.display()),
                    None => format!("-e {url}"),
                }
            }
            Some(url) => format!("{} @ {url}", self.name),
            None => format!("{}=={}", self.name, self.version),
        }
    }
}

/// The URL a requirement names to install this again: for git, pip's
/// `git+<url>@<commit>` (with its `#subdirectory=`), else the URL, never
/// with credentials.
fn requirement_url(direct_url: &DirectUrl) -> String {
    let url = puffin_redact::remove_credentials(&direct_url.url).into_owned();
    let DirectUrlInfo::Vcs(vcs) = &direct_url.info else {
        return url;
    };
    let subdirectory = direct_url
        .subdirectory
        .as_ref()
        .map(|subdirectory| format!("#subdirectory={subdirectory}"))
        .unwrap_or_default();
    format!("{}+{url}@{}{subdirectory}", vcs.vcs, vcs.commit_id)
}

/// Print every installed distribution as a requirement that `pip-sync`
/// accepts back: `name==version`, or `name @ url` for direct URL installs.
pub(crate) fn run(
    args: PipFreezeArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let site_packages = if args.path.is_empty() {
        read_environment(args.python, args.system, global, printer)?.1
    } else {
        let dirs: Vec<&Path> = args.path.iter().map(PathBuf::as_path).collect();
        SitePackages::from_dirs(&dirs)?
    };
    let mut frozen: Vec<Frozen> = site_packages
        .iter()
        .map(Frozen::of)
        .filter(|frozen| !(args.exclude_editable && frozen.editable))
        .collect();
    frozen.sort_by_key(Frozen::line);
    if args.output_format == OutputFormat::Json {
        let list: Vec<_> = frozen
            .iter()
            .map(|frozen| {
                json!({"name": frozen.name, "version": frozen.version, "url": frozen.url, "editable": frozen.editable})
            })
            .collect();
        print_json(&json!(list))?;
        return Ok(ExitStatus::Success);
    }
    let mut stdout = std::io::stdout().lock();
    for frozen in frozen {
        writeln!(stdout, "{}", frozen.line()).context("Failed to write to stdout")?;
    }
    Ok(ExitStatus::Success)
}
