//! The `puffin` binary: parses arguments, runs one command, prints the result.
//!
//! Only this crate writes to the terminal; the libraries return values and
//! errors, which are printed here as `error: ...` with `Caused by:` lines.

#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod allocator;
mod commands;
mod printer;
mod signals;

use printer::Printer;

/// An extremely fast Python package installer.
#[derive(Parser)]
#[command(name = "puffin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    #[command(flatten)]
    global: GlobalArgs,
}

/// Options every command takes.
#[derive(Args, Debug, Clone)]
struct GlobalArgs {
    /// Print nothing but errors.
    #[arg(global = true, short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// Print more detail (repeat for trace output).
    #[arg(global = true, short, long, action = clap::ArgAction::Count)]
    verbose: u8,

    /// The cache directory [default: `$XDG_CACHE_HOME/puffin` or `~/.cache/puffin`].
    #[arg(global = true, long, env = "PUFFIN_CACHE_DIR")]
    cache_dir: Option<PathBuf>,

    /// Use a temporary cache, removed when puffin exits.
    #[arg(global = true, long, conflicts_with = "cache_dir")]
    no_cache: bool,

    /// Draw no progress bars (they are drawn only on a terminal anyway).
    #[arg(global = true, long, env = "PUFFIN_NO_PROGRESS", value_parser = clap::builder::FalseyValueParser::new())]
    no_progress: bool,

    /// Set by SIGINT and SIGTERM (see [`signals`]).
    #[arg(skip)]
    cancellation: puffin_installer::Cancellation,
}

// Each subcommand's arguments are defined only when it runs: a no-op sync
// does not pay for building the arguments of every other command.
#[derive(Subcommand)]
#[command(defer = true)]
enum Command {
    /// Resolve requirements to a pinned requirements file (pip-tools' format).
    PipCompile(Box<commands::pip_compile::PipCompileArgs>),
    /// Make an environment contain exactly the distributions a requirements file lists.
    PipSync(Box<commands::pip_sync::PipSyncArgs>),
    /// Resolve requirements and install them, keeping everything else installed.
    PipInstall(Box<commands::pip_install::PipInstallArgs>),
    /// Uninstall distributions from an environment.
    PipUninstall(commands::pip_uninstall::PipUninstallArgs),
    /// List the installed distributions in requirements format.
    PipFreeze(commands::pip_freeze::PipFreezeArgs),
    /// Check that installed distributions have their requirements (and, with `--files`, intact files).
    PipCheck(commands::pip_check::PipCheckArgs),
    /// Create a virtual environment.
    Venv(commands::venv::VenvArgs),
    /// Remove the cache, or one package's entries in it.
    Clean(commands::clean::CleanArgs),
}

fn main() -> ExitCode {
    allocator::limit_malloc_arenas();
    let cli = Cli::parse();
    let printer =
        Printer::new(cli.global.quiet, cli.global.verbose).with_progress(!cli.global.no_progress);
    printer.init_tracing();
    if let Err(err) = signals::install(cli.global.cancellation.clone()) {
        tracing::debug!(%err, "Failed to install the signal handlers");
    }
    let result = match cli.command {
        Command::PipCompile(args) => commands::pip_compile::run(*args, &cli.global, printer),
        Command::PipSync(args) => commands::pip_sync::run(*args, &cli.global, printer),
        Command::PipInstall(args) => commands::pip_install::run(*args, &cli.global, printer),
        Command::PipUninstall(args) => commands::pip_uninstall::run(args, &cli.global, printer),
        Command::PipFreeze(args) => commands::pip_freeze::run(args, &cli.global, printer),
        Command::PipCheck(args) => commands::pip_check::run(args, &cli.global, printer),
        Command::Venv(args) => commands::venv::run(args, &cli.global, printer),
        Command::Clean(args) => commands::clean::run(args, &cli.global, printer),
    };
    match result {
        Ok(status) => status.into(),
        Err(err) => {
            printer.error(&err);
            commands::ExitStatus::from_error(&err).into()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Subcommands are built lazily, and a built one takes its description
    /// from its arguments struct: it must be the one the command list shows.
    #[test]
    fn deferred_subcommands_keep_their_description() {
        let listing = super::Cli::command();
        let mut built = super::Cli::command();
        built.build();
        for listed in listing.get_subcommands() {
            let name = listed.get_name();
            let built = built.find_subcommand(name).unwrap();
            assert!(built.get_arguments().count() > 2, "{name} was not built");
            assert_eq!(
                listed.get_about().map(ToString::to_string),
                built.get_about().map(ToString::to_string),
                "{name}"
            );
        }
    }
}
