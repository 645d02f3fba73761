//! Everything the CLI writes to the terminal goes through [`Printer`].

use std::io::IsTerminal;

use owo_colors::OwoColorize;

/// Where and how much to print: status lines on stderr, colour only on a terminal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    quiet: bool,
    verbose: u8,
    color: bool,
    progress: bool,
}

impl Printer {
    pub(crate) fn new(quiet: bool, verbose: u8) -> Self {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self {
            quiet,
            verbose,
            color,
            progress: true,
        }
    }

    /// Whether progress bars may be drawn at all (`--no-progress` says no).
    #[must_use]
    pub(crate) fn with_progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// Set up `tracing` output on stderr: none by default (what the user
    /// must see reaches the CLI as values and is printed), `-v` for debug,
    /// `-vv` for trace, overridden by `RUST_LOG`.
    pub(crate) fn init_tracing(self) {
        let default = match self.verbose {
            // Nothing to log: no subscriber at all, so that a quick command
            // (a no-op sync) does not set up a filter and a formatter.
            0 if std::env::var_os("RUST_LOG").is_none() => return,
            0 => "off",
            1 => "debug",
            _ => "trace",
        };
        let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .without_time()
            .with_ansi(self.color)
            .init();
    }

    /// Whether progress bars may be drawn (not with `-q` or `--no-progress`).
    pub(crate) fn shows_progress(self) -> bool {
        !self.quiet && self.progress
    }

    pub(crate) fn color(self) -> bool {
        self.color
    }

    /// A status line, e.g. `Installed 3 packages in 12ms`.
    pub(crate) fn status(self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// A detail shown only with `-v`.
    pub(crate) fn verbose(self, line: impl std::fmt::Display) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{line}");
        }
    }

    /// A warning meant for a person, printed once by the caller.
    pub(crate) fn warn(self, message: impl std::fmt::Display) {
        if self.quiet {
            return;
        }
        if self.color {
            eprintln!("{}{} {message}", "warning".yellow().bold(), ":".bold());
        } else {
            eprintln!("warning: {message}");
        }
    }

    /// An error with its chain of causes, one `Caused by:` line each.
    pub(crate) fn error(self, err: &anyhow::Error) {
        if self.color {
            eprintln!("{}{} {err}", "error".red().bold(), ":".bold());
        } else {
            eprintln!("error: {err}");
        }
        for cause in err.chain().skip(1) {
            let cause = cause.to_string();
            let mut lines = cause.lines();
            if let Some(first) = lines.next() {
                if self.color {
                    eprintln!("  {}: {first}", "Caused by".red().bold());
                } else {
                    eprintln!("  Caused by: {first}");
                }
            }
            for line in lines {
                eprintln!("    {line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_off_with_quiet_or_no_progress() {
        assert!(!Printer::new(true, 0).shows_progress());
        assert!(!Printer::new(false, 0).with_progress(false).shows_progress());
        assert!(Printer::new(false, 0).shows_progress());
    }
}
