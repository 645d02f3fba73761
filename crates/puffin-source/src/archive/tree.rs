//! Writing the entries of an archive into a fresh directory, safely by
//! construction.
//!
//! The writer records every path it creates (directory, file or symbolic
//! link) under its normalized name, and the destination is a fresh directory
//! that nothing else writes to, so the record is the truth about the tree:
//!
//! - an entry is written only below directories the writer created itself:
//!   a parent recorded as a file or a link is refused, so no entry is ever
//!   written through a link (`link -> /tmp`, then `link/evil`);
//! - symbolic links are created only at the end, after every link's target
//!   has been resolved over the complete record (following the other links
//!   of the archive, as the kernel would) without ever leaving the tree;
//! - a hard link must name a regular file written earlier.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use fs_err as fs;
use tracing::trace;

use super::names::{check_link_target, printable};
use crate::error::{ArchiveError, EntryError};

/// How many links a target may go through, as Linux's `MAXSYMLINKS`.
const MAX_LINK_DEPTH: usize = 40;

/// What the writer created at a normalized path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File,
    /// A symbolic link, created in [`TreeWriter::finish`]; its raw target.
    Symlink(String),
}

/// Why a link's target cannot be resolved inside the tree.
#[derive(Debug)]
enum LinkProblem {
    Escapes,
    Loop,
}

/// Writes entries below `dest`, recording what it writes.
#[derive(Debug)]
pub(crate) struct TreeWriter<'a> {
    archive: &'a Path,
    dest: &'a Path,
    nodes: BTreeMap<String, Node>,
    /// Symbolic links in archive order: (normalized path, entry name).
    symlinks: Vec<(String, String)>,
}

impl<'a> TreeWriter<'a> {
    /// A writer into the existing, empty directory `dest`.
    pub(crate) fn new(archive: &'a Path, dest: &'a Path) -> Self {
        Self {
            archive,
            dest,
            nodes: BTreeMap::new(),
            symlinks: Vec::new(),
        }
    }

    /// An error about `entry`.
    pub(crate) fn unsafe_entry(&self, entry: &str, reason: EntryError) -> ArchiveError {
        ArchiveError::UnsafeEntry {
            archive: self.archive.to_path_buf(),
            entry: printable(entry),
            reason,
        }
    }

    fn write_error(&self, entry: &str, path: PathBuf, err: io::Error) -> ArchiveError {
        ArchiveError::Write {
            archive: self.archive.to_path_buf(),
            entry: printable(entry),
            path,
            err,
        }
    }

    /// Create the missing parents of `path` as directories; every existing
    /// parent must be a directory the writer created.
    fn parents(&mut self, entry: &str, path: &str) -> Result<(), ArchiveError> {
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            let parent = &path[..end + slash];
            end += slash + 1;
            match self.nodes.get(parent) {
                Some(Node::Dir) => {}
                Some(_) => {
                    let reason = EntryError::ThroughLink(parent.to_string());
                    return Err(self.unsafe_entry(entry, reason));
                }
                None => self.create_dir(entry, parent)?,
            }
        }
        Ok(())
    }

    fn create_dir(&mut self, entry: &str, path: &str) -> Result<(), ArchiveError> {
        let target = self.dest.join(path);
        // The error is wrapped with the path below.
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o755);
        }
        builder
            .create(&target)
            .map_err(|err| self.write_error(entry, target, err))?;
        self.nodes.insert(path.to_string(), Node::Dir);
        Ok(())
    }

    /// A directory entry. The archive root (an empty path) needs nothing.
    pub(crate) fn dir(&mut self, entry: &str, path: &str) -> Result<(), ArchiveError> {
        if path.is_empty() {
            return Ok(());
        }
        self.parents(entry, path)?;
        match self.nodes.get(path) {
            None => self.create_dir(entry, path),
            Some(Node::Dir) => Ok(()),
            Some(_) => Err(self.unsafe_entry(entry, EntryError::KindConflict(path.to_string()))),
        }
    }

    /// Make room for a file at `path`: a file written earlier is replaced (the
    /// later entry of an archive wins, as with `tar`), never written through.
    fn prepare_file(&mut self, entry: &str, path: &str) -> Result<PathBuf, ArchiveError> {
        if path.is_empty() {
            return Err(self.unsafe_entry(entry, EntryError::Empty));
        }
        self.parents(entry, path)?;
        let target = self.dest.join(path);
        match self.nodes.get(path) {
            None => {}
            Some(Node::File) => {
                fs::remove_file(&target)
                    .map_err(|err| self.write_error(entry, target.clone(), err))?;
            }
            Some(_) => {
                return Err(self.unsafe_entry(entry, EntryError::KindConflict(path.to_string())));
            }
        }
        Ok(target)
    }

    /// A regular file: `0o755` if the archive marks it executable, else
    /// `0o644`, both under the umask; setuid, setgid and sticky bits are dropped.
    pub(crate) fn file(
        &mut self,
        entry: &str,
        path: &str,
        contents: &mut dyn Read,
        executable: bool,
    ) -> Result<(), ArchiveError> {
        let target = self.prepare_file(entry, path)?;
        let mode = if executable { 0o755 } else { 0o644 };
        let result = puffin_fs::create_new_with_mode(&target, mode)
            .and_then(|mut file| io::copy(contents, &mut file));
        result.map_err(|err| self.write_error(entry, target, err))?;
        trace!(entry = path, executable, "Unpacked");
        self.nodes.insert(path.to_string(), Node::File);
        Ok(())
    }

    /// A hard link to `target`, an archive path that must be a regular file
    /// written earlier.
    pub(crate) fn hardlink(
        &mut self,
        entry: &str,
        path: &str,
        target: &str,
    ) -> Result<(), ArchiveError> {
        let normal = super::names::normalize_entry_name(target)
            .map_err(|_| self.unsafe_entry(entry, EntryError::HardlinkTarget(printable(target))))?;
        if self.nodes.get(&normal) != Some(&Node::File) {
            return Err(self.unsafe_entry(entry, EntryError::HardlinkTarget(printable(target))));
        }
        let link = self.prepare_file(entry, path)?;
        fs::hard_link(self.dest.join(&normal), &link)
            .map_err(|err| self.write_error(entry, link, err))?;
        self.nodes.insert(path.to_string(), Node::File);
        Ok(())
    }

    /// A symbolic link to `target` (relative to the link's directory),
    /// created by [`TreeWriter::finish`] once its target is checked.
    pub(crate) fn symlink(
        &mut self,
        entry: &str,
        path: &str,
        target: &str,
    ) -> Result<(), ArchiveError> {
        check_link_target(target).map_err(|reason| self.unsafe_entry(entry, reason))?;
        if path.is_empty() {
            return Err(self.unsafe_entry(entry, EntryError::Empty));
        }
        self.parents(entry, path)?;
        if self.nodes.contains_key(path) {
            return Err(self.unsafe_entry(entry, EntryError::KindConflict(path.to_string())));
        }
        self.nodes
            .insert(path.to_string(), Node::Symlink(target.to_string()));
        self.symlinks.push((path.to_string(), entry.to_string()));
        Ok(())
    }

    /// Check every symbolic link against the complete tree, create them, and
    /// return the top-level names.
    pub(crate) fn finish(self) -> Result<Vec<(String, bool)>, ArchiveError> {
        for (path, entry) in &self.symlinks {
            let Some(Node::Symlink(target)) = self.nodes.get(path) else {
                continue;
            };
            let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
            let start: Vec<&str> = parent.split('/').filter(|c| !c.is_empty()).collect();
            if let Err(problem) = self.resolve(start, target, 0) {
                let target = printable(target);
                let reason = match problem {
                    LinkProblem::Escapes => EntryError::LinkEscapes(target),
                    LinkProblem::Loop => EntryError::LinkLoop(target),
                };
                return Err(self.unsafe_entry(entry, reason));
            }
        }
        for (path, entry) in &self.symlinks {
            let Some(Node::Symlink(target)) = self.nodes.get(path) else {
                continue;
            };
            let link = self.dest.join(path);
            create_symlink(target, &link).map_err(|err| self.write_error(entry, link, err))?;
        }
        let mut top = BTreeMap::new();
        for (path, node) in &self.nodes {
            if !path.contains('/') {
                top.insert(path.clone(), *node == Node::Dir);
            }
        }
        Ok(top.into_iter().collect())
    }

    /// Resolve `target` from the directory `stack` as the kernel would,
    /// following the archive's links; an error if it ever leaves the tree.
    fn resolve<'n>(
        &'n self,
        mut stack: Vec<&'n str>,
        target: &'n str,
        depth: usize,
    ) -> Result<Vec<&'n str>, LinkProblem> {
        if depth > MAX_LINK_DEPTH {
            return Err(LinkProblem::Loop);
        }
        for component in target.split('/') {
            match component {
                "" | "." => {}
                ".." => {
                    if stack.pop().is_none() {
                        return Err(LinkProblem::Escapes);
                    }
                }
                name => {
                    stack.push(name);
                    if let Some(Node::Symlink(next)) = self.nodes.get(&stack.join("/")) {
                        stack.pop();
                        stack = self.resolve(stack, next, depth + 1)?;
                    }
                }
            }
        }
        Ok(stack)
    }
}

#[cfg(unix)]
fn create_symlink(target: &str, link: &Path) -> io::Result<()> {
    fs::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn create_symlink(_target: &str, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "symbolic links in source archives are only supported on Unix",
    ))
}
