//! The errors of this crate: one enum, with a sub-enum per area.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// An error obtaining a source tree or using the built-wheel cache.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Unpacking a source archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A `git+` URL could not be parsed.
    #[error(transparent)]
    GitUrl(#[from] GitUrlError),
    /// Fetching or checking out a git repository failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Walking a local source tree failed.
    #[error("Failed to fingerprint the source tree `{}`", dir.display())]
    Fingerprint {
        /// The source tree.
        dir: PathBuf,
        /// The I/O error (it names the file).
        #[source]
        err: io::Error,
    },
    /// Reading or writing the built-wheel cache failed.
    #[error("Failed to {action} the built-wheel cache entry `{}`", path.display())]
    BuiltWheelCache {
        /// What was being done (`publish a wheel in`, `create`).
        action: &'static str,
        /// The entry or file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// A wheel to publish is not named like a wheel.
    #[error(
        "Refusing to cache `{}`: the file name is not a valid wheel file name",
        wheel.display()
    )]
    InvalidWheelFilename {
        /// The wheel.
        wheel: PathBuf,
        /// Why the name is invalid.
        #[source]
        err: distribution_filename::WheelFilenameError,
    },
}

/// An error unpacking a source archive (sdist).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The file name has no supported archive extension.
    #[error(
        "`{}` is not a supported source archive: puffin unpacks `.tar.gz`, `.tgz`, `.tar` and `.zip` files",
        archive.display()
    )]
    UnsupportedFormat {
        /// The archive.
        archive: PathBuf,
    },
    /// The archive could not be opened.
    #[error("Failed to open the source archive `{}`", archive.display())]
    Open {
        /// The archive.
        archive: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// The archive is corrupt or could not be read.
    #[error("Failed to read the source archive `{}`", archive.display())]
    Read {
        /// The archive.
        archive: PathBuf,
        /// The I/O error (a corrupt tar or gzip stream).
        #[source]
        err: io::Error,
    },
    /// The zip archive is corrupt or could not be read.
    #[error("Failed to read the source archive `{}`", archive.display())]
    Zip {
        /// The archive.
        archive: PathBuf,
        /// The zip error.
        #[source]
        err: zip::result::ZipError,
    },
    /// An entry would land outside the target or is of a refused kind.
    #[error("Refusing to unpack `{}`: the entry `{entry}` {reason}", archive.display())]
    UnsafeEntry {
        /// The archive.
        archive: PathBuf,
        /// The entry name, as stored (control characters escaped).
        entry: String,
        /// What is wrong with it.
        reason: EntryError,
    },
    /// Writing an entry failed.
    #[error("Failed to unpack `{entry}` from `{}` to `{}`", archive.display(), path.display())]
    Write {
        /// The archive.
        archive: PathBuf,
        /// The entry name.
        entry: String,
        /// Where it was being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
}

/// Why an archive entry is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryError {
    /// Nothing is left after removing `.` and empty components.
    Empty,
    /// It starts with `/` or a drive letter (`C:`).
    Absolute,
    /// It has a `..` component.
    ParentDir,
    /// It contains `\`, a separator on Windows.
    Backslash,
    /// It contains a NUL or another control character.
    ControlCharacter,
    /// The name is not UTF-8.
    NotUtf8,
    /// A device, FIFO, socket or another entry type that a source tree never holds.
    SpecialFile(String),
    /// A parent of the entry is a symbolic link or a file written earlier.
    ThroughLink(String),
    /// The entry is a directory where a file or link was written, or the reverse.
    KindConflict(String),
    /// A symbolic link's target is absolute.
    AbsoluteLinkTarget(String),
    /// A symbolic link's target resolves outside the tree.
    LinkEscapes(String),
    /// Symbolic links point at each other too deeply (or in a loop).
    LinkLoop(String),
    /// A symbolic link's target is not valid (not UTF-8, a backslash, a control character).
    InvalidLinkTarget(String),
    /// A hard link's target is not a regular file unpacked earlier from the archive.
    HardlinkTarget(String),
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "has an empty name"),
            Self::Absolute => write!(f, "is an absolute path"),
            Self::ParentDir => write!(f, "contains a `..` component, which would escape the tree"),
            Self::Backslash => write!(f, "contains a backslash; paths must be `/`-separated"),
            Self::ControlCharacter => write!(f, "contains a control character"),
            Self::NotUtf8 => write!(f, "is not valid UTF-8"),
            Self::SpecialFile(kind) => write!(
                f,
                "is a {kind}; source archives may only contain files, directories and links"
            ),
            Self::ThroughLink(parent) => write!(
                f,
                "would be written through `{parent}`, which is a link or a file, not a directory"
            ),
            Self::KindConflict(existing) => write!(
                f,
                "conflicts with the earlier entry `{existing}` of another kind"
            ),
            Self::AbsoluteLinkTarget(target) => {
                write!(f, "is a symbolic link to the absolute path `{target}`")
            }
            Self::LinkEscapes(target) => write!(
                f,
                "is a link to `{target}`, which resolves outside the unpacked tree"
            ),
            Self::LinkLoop(target) => write!(
                f,
                "is a symbolic link to `{target}`, which goes through too many links"
            ),
            Self::InvalidLinkTarget(target) => {
                write!(f, "is a link with an invalid target `{target}`")
            }
            Self::HardlinkTarget(target) => write!(
                f,
                "is a hard link to `{target}`, which is not a regular file unpacked earlier from the archive"
            ),
        }
    }
}

/// A `git+` URL that puffin cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitUrlError {
    /// Another version control system (`hg+`, `svn+`, `bzr+`).
    #[error("`{url}`: {vcs} requirements are not supported; only `git+` URLs are")]
    UnsupportedVcs {
        /// The URL (redacted).
        url: String,
        /// The VCS name (`Mercurial`, `Subversion`, `Bazaar`).
        vcs: &'static str,
    },
    /// Not a `git+` URL at all.
    #[error(
        "`{url}` is not a git URL: expected `git+https://`, `git+http://`, `git+ssh://`, `git+git://` or `git+file://`"
    )]
    NotGit {
        /// The URL (redacted).
        url: String,
    },
    /// The part after `git+` is not a valid URL.
    #[error("`{url}` is not a valid URL: {reason}")]
    InvalidUrl {
        /// The URL (redacted).
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// The `@rev` part is unusable.
    #[error("`{url}`: the revision `{rev}` {reason}")]
    InvalidRev {
        /// The URL (redacted).
        url: String,
        /// The revision.
        rev: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The `#subdirectory=` fragment is unusable.
    #[error("`{url}`: the subdirectory `{subdirectory}` {reason}")]
    InvalidSubdirectory {
        /// The URL (redacted).
        url: String,
        /// The subdirectory.
        subdirectory: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// An error running git or managing the git cache.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The git program was not found.
    #[error("git is required for `git+...` requirements: install git (`{}` was not found)", program.display())]
    GitNotFound {
        /// The program that was run.
        program: PathBuf,
    },
    /// The git program could not be started for another reason.
    #[error("Failed to run `{}`", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// A git command failed.
    #[error("`git {args}` failed for `{url}` ({status}):\n{stderr}")]
    Command {
        /// The arguments (redacted).
        args: String,
        /// The repository URL (redacted).
        url: String,
        /// The exit status.
        status: String,
        /// Git's standard error (redacted, trimmed).
        stderr: String,
    },
    /// The revision exists neither as a branch, a tag nor a commit.
    #[error("`{url}` has no branch, tag or commit named `{rev}`")]
    UnknownRev {
        /// The repository URL (redacted).
        url: String,
        /// The revision.
        rev: String,
    },
    /// Offline, and the cache cannot answer without fetching.
    #[error(
        "`{url}`{} is not in the cache, and fetching it is not allowed offline; run once without `--offline` or pin a full commit that is cached",
        rev.as_ref().map(|rev| format!(" at `{rev}`")).unwrap_or_default()
    )]
    Offline {
        /// The repository URL (redacted).
        url: String,
        /// The revision asked for, if any.
        rev: Option<String>,
    },
    /// A cache directory or lock could not be created or renamed.
    #[error("Failed to {action} `{}`", path.display())]
    Cache {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        err: io::Error,
    },
    /// The subdirectory asked for is not a directory of the checkout.
    #[error("The subdirectory `{subdirectory}` does not exist in `{url}` at commit {commit}")]
    MissingSubdirectory {
        /// The repository URL (redacted).
        url: String,
        /// The commit.
        commit: String,
        /// The subdirectory.
        subdirectory: String,
    },
}
