//! Running the `git` program, non-interactively.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use puffin_redact::redact_text;
use tracing::{debug, trace};

use crate::error::GitError;

/// Variables that would point git at another repository than the one named
/// on the command line (they are set while a git hook runs puffin).
const REPOSITORY_VARIABLES: [&str; 8] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
];

/// The git program and the repository its messages are about.
#[derive(Debug)]
pub(crate) struct Git<'a> {
    /// The program to run.
    pub(crate) program: &'a Path,
    /// The repository URL, redacted, for messages.
    pub(crate) url: String,
}

impl Git<'_> {
    /// A git command: no terminal prompt and no askpass program (a missing
    /// credential fails instead of waiting for input), no standard input, and
    /// none of the variables that redirect git to another repository.
    fn command(&self, args: &[&OsStr]) -> Command {
        let mut command = Command::new(self.program);
        command
            .args(["-c", "core.askPass="])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS")
            .stdin(Stdio::null());
        for variable in REPOSITORY_VARIABLES {
            command.env_remove(variable);
        }
        command
    }

    fn output(&self, args: &[&OsStr]) -> Result<Output, GitError> {
        trace!(args = %self.display_args(args), "Running git");
        self.command(args).output().map_err(|err| {
            if err.kind() == io::ErrorKind::NotFound {
                GitError::GitNotFound {
                    program: self.program.to_path_buf(),
                }
            } else {
                GitError::Spawn {
                    program: self.program.to_path_buf(),
                    err,
                }
            }
        })
    }

    /// Run git; its standard output, trimmed, or an error carrying its
    /// standard error (redacted).
    pub(crate) fn run(&self, args: &[&OsStr]) -> Result<String, GitError> {
        let output = self.output(args)?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).trim().to_string());
        }
        Err(GitError::Command {
            args: self.display_args(args),
            url: self.url.clone(),
            status: output.status.to_string(),
            stderr: redact_text(String::from_utf8_lossy(&output.stderr).trim()).into_owned(),
        })
    }

    /// Run git for a yes-or-no question: its standard output, trimmed, if it
    /// succeeded, `None` if it failed.
    pub(crate) fn query(&self, args: &[&OsStr]) -> Result<Option<String>, GitError> {
        let output = self.output(args)?;
        if output.status.success() {
            Ok(Some(
                String::from_utf8_lossy(&output.stdout).trim().to_string(),
            ))
        } else {
            debug!(
                args = %self.display_args(args),
                stderr = %redact_text(String::from_utf8_lossy(&output.stderr).trim()),
                "git said no"
            );
            Ok(None)
        }
    }

    fn display_args(&self, args: &[&OsStr]) -> String {
        let joined = args
            .iter()
            .map(|arg| arg.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        redact_text(&joined).into_owned()
    }
}

/// `--git-dir=<path>`.
pub(crate) fn git_dir_arg(path: &Path) -> std::ffi::OsString {
    let mut arg = std::ffi::OsString::from("--git-dir=");
    arg.push(path.as_os_str());
    arg
}

/// The path of the default git program.
pub(crate) fn default_program() -> PathBuf {
    PathBuf::from("git")
}
