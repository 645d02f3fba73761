use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use gourgeist::{VenvOptions, create_venv};
use puffin_cache::Cache;
use puffin_interpreter::{DiscoveryOptions, Interpreter, find_python};

use crate::GlobalArgs;
use crate::commands::{ExitStatus, UserError};
use crate::printer::Printer;

// The arguments of `puffin venv`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Create a virtual environment.
#[derive(Args, Debug)]
pub(crate) struct VenvArgs {
    /// Where to create the virtual environment.
    #[arg(default_value = ".venv")]
    path: PathBuf,

    /// The Python interpreter to base the environment on: a path, a name on
    /// PATH, or a version such as `3.12` [default: `python3` on PATH, else
    /// `python`].
    #[arg(short, long)]
    python: Option<String>,

    /// Install seed packages (the newest pip) into the environment, from the
    /// package index found as `pip-sync` finds it.
    #[arg(long)]
    seed: bool,

    /// Replace an existing virtual environment at the path.
    #[arg(long)]
    clear: bool,

    /// The prompt the activation scripts show [default: the directory's name;
    /// `.` for the current directory's name].
    #[arg(long)]
    prompt: Option<String>,
}

pub(crate) fn run(
    args: VenvArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let cache = Cache::from_settings(global.cache_dir.clone(), global.no_cache)
        .context("Failed to open the cache")?;
    let options = DiscoveryOptions::from_process_env()?;
    let python = find_python(args.python.as_deref(), &options).map_err(user_error)?;
    let interpreter = Interpreter::query(&python, &cache).map_err(user_error)?;
    printer.status(format_args!(
        "Using Python {} interpreter at: {}",
        interpreter.python_version_string(),
        interpreter.sys_executable.display()
    ));

    printer.status(format_args!(
        "Creating virtual environment at: {}",
        args.path.display()
    ));
    let venv_options = VenvOptions {
        clear: args.clear,
        prompt: args.prompt,
    };
    let layout = create_venv(&args.path, &interpreter, &venv_options).map_err(|err| match err {
        gourgeist::Error::Io { .. } => anyhow::Error::new(err),
        _ => UserError(err.to_string()).into(),
    })?;
    if args.seed {
        crate::commands::pip_sync::seed(&layout.python, global, printer)?;
    }

    printer.status(format_args!(
        "Activate with: {}",
        activate_command(&args.path, std::env::var_os("SHELL").as_deref())
    ));
    Ok(ExitStatus::Success)
}

/// Errors that a person fixes by asking differently exit 2; the rest keep
/// their chain.
fn user_error(err: puffin_interpreter::Error) -> anyhow::Error {
    match err {
        puffin_interpreter::Error::InterpreterNotFound { .. }
        | puffin_interpreter::Error::InterpreterNotOnPath { .. } => {
            UserError(err.to_string()).into()
        }
        _ => err.into(),
    }
}

/// `source .venv/bin/activate`, for the user's shell.
fn activate_command(path: &Path, shell: Option<&std::ffi::OsStr>) -> String {
    let shell = shell
        .map(Path::new)
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .unwrap_or("sh");
    let script = match shell {
        "fish" => "activate.fish",
        "csh" | "tcsh" => "activate.csh",
        _ => "activate",
    };
    let script = path.join("bin").join(script);
    let script = script.to_string_lossy();
    let quoted = if script
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%".contains(&b))
    {
        script.into_owned()
    } else {
        format!("'{}'", script.replace('\'', r"'\''"))
    };
    format!("source {quoted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activate_command_per_shell() {
        let path = Path::new(".venv");
        assert_eq!(activate_command(path, None), "source .venv/bin/activate");
        assert_eq!(
            activate_command(path, Some("/usr/bin/fish".as_ref())),
            "source .venv/bin/activate.fish"
        );
        assert_eq!(
            activate_command(path, Some("/bin/tcsh".as_ref())),
            "source .venv/bin/activate.csh"
        );
        assert_eq!(
            activate_command(Path::new("my env"), Some("/bin/zsh".as_ref())),
            "source 'my env/bin/activate'"
        );
    }
}
