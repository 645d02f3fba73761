use std::fmt;
use std::path::PathBuf;

/// Where in a requirements file something went wrong, rendered as
/// `` in `{file}` at line {line}, column {column}`` followed by the physical
/// line and a caret under the offending part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The requirements file.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column, in characters.
    pub column: usize,
    /// The physical line as written.
    pub source_line: String,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            " in `{}` at line {}, column {}\n  {}\n  {}{}",
            self.file.display(),
            self.line,
            self.column,
            self.source_line.replace('\t', " "),
            " ".repeat(self.column.saturating_sub(1)),
            "^".repeat(self.width.max(1)),
        )
    }
}

/// A requirements file that could not be read or understood.
///
/// Every variant about the file's content carries a [`Location`]; the message
/// says what was expected.
#[derive(Debug, thiserror::Error)]
pub enum RequirementsTxtError {
    /// The top-level requirements file could not be read.
    #[error("Couldn't read requirements file `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        err: FileError,
    },
    /// A file named by `-r` or `-c` could not be read.
    #[error("Couldn't read the included file `{}`{location}", path.display())]
    Include {
        /// The `-r`/`-c` line.
        location: Location,
        /// The included file, resolved against the including file's directory.
        path: PathBuf,
        /// Why.
        #[source]
        err: FileError,
    },
    /// A logical line (with its `\\` continuations) is longer than the limit.
    #[error(
        "Line {line} of `{}` is longer than {} KiB, the limit for a line of a requirements file",
        file.display(), limit / 1024
    )]
    LineTooLong {
        /// The requirements file.
        file: PathBuf,
        /// The 1-based line where the long logical line starts.
        line: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// `-r`/`-c` lines form a cycle.
    #[error("Requirements files include each other in a cycle{location}\nthe cycle is {cycle}")]
    IncludeCycle {
        /// The `-r`/`-c` line that closes the cycle.
        location: Location,
        /// The files of the cycle, `` `a.txt` -> `b.txt` -> `a.txt` ``.
        cycle: String,
    },
    /// A line is not a valid requirement.
    #[error("Couldn't parse requirement{location}\n{reason}")]
    Requirement {
        /// The offending part.
        location: Location,
        /// What was expected (from the PEP 508 parser when it is a PEP 508 error).
        reason: String,
    },
    /// A requirement puffin cannot install (a source directory, an sdist, VCS).
    #[error("Unsupported requirement{location}\n{reason}")]
    UnsupportedRequirement {
        /// The requirement.
        location: Location,
        /// Why and what to do instead.
        reason: String,
    },
    /// An option pip does not know either.
    #[error(
        "Unknown option `{option}`{location}\nexpected a requirement or one of the options pip accepts in requirements files"
    )]
    UnknownOption {
        /// The option.
        location: Location,
        /// The option as written.
        option: String,
    },
    /// A pip option puffin rejects.
    #[error("Unsupported option `{option}`{location}\n{reason}")]
    UnsupportedOption {
        /// The option.
        location: Location,
        /// The option as written.
        option: String,
        /// Why it is rejected.
        reason: String,
    },
    /// An option that takes a value has none.
    #[error(
        "Missing value for `{option}`{location}\nexpected `{option} <value>` or `{option}=<value>`"
    )]
    MissingValue {
        /// The option.
        location: Location,
        /// The option as written.
        option: String,
    },
    /// A file-level option after a requirement on the same logical line.
    #[error(
        "Option `{option}` after a requirement{location}\nonly `--hash`, `--global-option` and `--config-settings` may follow a requirement; put `{option}` on its own line"
    )]
    MisplacedOption {
        /// The option.
        location: Location,
        /// The option as written.
        option: String,
    },
    /// `--hash` on a line without a requirement.
    #[error(
        "`--hash` without a requirement{location}\nexpected `--hash` to follow a requirement on the same line (or on a `\\` continuation of it)"
    )]
    HashWithoutRequirement {
        /// The `--hash` option.
        location: Location,
    },
    /// A `--hash` value that is not `<algorithm>:<hex digest>`.
    #[error("Invalid hash{location}\n{reason}")]
    InvalidHash {
        /// The hash value.
        location: Location,
        /// What was expected.
        reason: String,
    },
}

/// Why a requirements file could not be read (the file is named by the
/// [`RequirementsTxtError`] that carries this).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened or read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A directory, a FIFO, a device: reading it would fail, block or never end.
    #[error("It is {kind}, not a regular file; give the path of a requirements file")]
    NotAFile {
        /// What it is, e.g. `a directory`.
        kind: &'static str,
    },
    /// The file is larger than the limit.
    #[error("It is larger than {} MiB, the limit for a requirements file", limit / 1024 / 1024)]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The bytes are not valid in the file's encoding.
    #[error(transparent)]
    Encoding(Box<InvalidEncoding>),
}

/// Bytes that are not valid in a requirements file's encoding.
#[derive(Debug, thiserror::Error)]
#[error("Invalid {encoding} at byte offset {offset} (line {line}): {byte}; {hint}")]
pub struct InvalidEncoding {
    /// `UTF-8`, or the encoding a byte order mark selected.
    pub encoding: &'static str,
    /// The 0-based offset in the file of the first invalid byte.
    pub offset: usize,
    /// The 1-based line of that byte.
    pub line: usize,
    /// The offending byte or unit, e.g. `0xE9`.
    pub byte: String,
    /// What the file probably is and what to do.
    pub hint: &'static str,
}

/// Something in a requirements file that puffin ignores, for the caller to
/// show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementsTxtWarning {
    /// The requirements file.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// What is ignored and why.
    pub message: String,
}

impl fmt::Display for RequirementsTxtWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (`{}` at line {})",
            self.message,
            self.file.display(),
            self.line
        )
    }
}
