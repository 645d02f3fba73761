//! Reading the requirements of a sync from requirements files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use distribution_filename::PackageName;
use pep508_rs::MarkerEnvironment;

use requirements_txt::{RequirementEntry, RequirementsTxt};

use crate::{Error, SyncRequirement, SyncRequirements};

impl SyncRequirements {
    /// Read and merge requirements files (pip's format), relative paths in
    /// them resolved against `working_dir`. Returns the requirements and the
    /// warnings of the files (options accepted without effect).
    ///
    /// A file named as a PEP 751 lock (`pylock.toml`, `pylock.<name>.toml`)
    /// is read as one, into [`SyncRequirements::locks`].
    ///
    /// The last `--index-url` wins; extra indexes, find-links and
    /// `--require-hashes` add up, and so do sources to build. The
    /// lines of `-c` files are kept apart, in
    /// [`SyncRequirements::constraints`].
    pub fn read(paths: &[PathBuf], working_dir: &Path) -> Result<(Self, Vec<String>), Error> {
        let mut merged = Self::default();
        let mut warnings = Vec::new();
        for path in paths {
            // A directory or a device is for the parser to name.
            if !path.exists() {
                return Err(Error::RequirementsNotFound(path.clone()));
            }
            if puffin_lock::is_lock_file(path) {
                let lock = puffin_lock::PyLock::read(path)?;
                merged.locks.push((path.clone(), lock));
                continue;
            }
            let file = RequirementsTxt::parse(path, working_dir)?;
            warnings.extend(file.warnings.iter().map(ToString::to_string));
            merged.add(file)?;
        }
        Ok((merged, warnings))
    }

    /// Read requirements given as the content of a requirements file named
    /// `label` (e.g. `<command line>`, for `pip-install`'s arguments written
    /// one a line): `-r`, `-c` and `-e` lines work as in a file, relative
    /// paths resolved against `working_dir` and `label`'s directory.
    pub fn read_str(
        content: &str,
        label: &Path,
        working_dir: &Path,
    ) -> Result<(Self, Vec<String>), Error> {
        let mut merged = Self::default();
        let file = RequirementsTxt::parse_str(content, label, working_dir)?;
        let warnings = file.warnings.iter().map(ToString::to_string).collect();
        merged.add(file)?;
        Ok((merged, warnings))
    }

    /// Each requirement's origin and whether a hash applies to it: its own
    /// `--hash`, or one of a constraint on its name whose markers hold (pip:
    /// hashes in a constraints file count as `--hash` for that name). The
    /// input of pip's `--require-hashes` rule.
    pub fn hashed(&self, markers: &MarkerEnvironment) -> Vec<(&str, bool)> {
        let constrained: HashSet<PackageName> = self
            .constraints
            .iter()
            .filter(|constraint| {
                !constraint.hashes.is_empty()
                    && constraint.requirement.evaluate_markers(markers, &[])
            })
            .filter_map(|constraint| PackageName::new(constraint.requirement.name.as_ref()).ok())
            .collect();
        self.requirements
            .iter()
            .map(|requirement| {
                let hashed = !requirement.hashes.is_empty()
                    || self.hash_exempt.contains(&requirement.origin)
                    || PackageName::new(requirement.requirement.name.as_ref())
                        .is_ok_and(|name| constrained.contains(&name));
                (requirement.origin.as_str(), hashed)
            })
            .collect()
    }

    /// Merge one parsed file.
    fn add(&mut self, file: RequirementsTxt) -> Result<(), Error> {
        self.requirements
            .extend(file.requirements.into_iter().map(sync_requirement));
        self.constraints
            .extend(file.constraints.into_iter().map(sync_requirement));
        if file.index_url.is_some() {
            self.index.index_url = file.index_url;
        }
        self.index.extra_index_urls.extend(file.extra_index_urls);
        self.index.find_links.extend(file.find_links);
        self.index.no_index |= file.no_index;
        self.index.network.trusted_hosts.extend(file.trusted_hosts);
        self.require_hashes |= file.require_hashes;
        self.sources.extend(file.sources);
        self.no_binary.extend(file.no_binary);
        self.only_binary.extend(file.only_binary);
        Ok(())
    }
}

/// One line of a requirements or constraints file, with its `file:line`.
fn sync_requirement(entry: RequirementEntry) -> SyncRequirement {
    SyncRequirement {
        origin: format!("{}:{}", entry.file.display(), entry.line),
        requirement: entry.requirement,
        hashes: entry.hashes,
        build: None,
    }
}
