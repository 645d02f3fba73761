//! Reading the requirements of a sync from requirements files.

use std::path::{Path, PathBuf};

use requirements_txt::RequirementsTxt;

use crate::{Error, SyncRequirement, SyncRequirements};

impl SyncRequirements {
    /// Read and merge requirements files (pip's format), relative paths in
    /// them resolved against `working_dir`. Returns the requirements and the
    /// warnings of the files (options accepted without effect).
    ///
    /// The last `--index-url` wins; extra indexes, find-links and
    /// `--require-hashes` add up. Editable requirements are refused.
    pub fn read(paths: &[PathBuf], working_dir: &Path) -> Result<(Self, Vec<String>), Error> {
        let mut merged = Self::default();
        let mut warnings = Vec::new();
        for path in paths {
            // A directory or a device is for the parser to name.
            if !path.exists() {
                return Err(Error::RequirementsNotFound(path.clone()));
            }
            let file = RequirementsTxt::parse(path, working_dir)?;
            warnings.extend(file.warnings.iter().map(ToString::to_string));
            merged.add(file)?;
        }
        Ok((merged, warnings))
    }

    /// Merge one parsed file.
    fn add(&mut self, file: RequirementsTxt) -> Result<(), Error> {
        if let Some(editable) = file.editables.first() {
            return Err(Error::Editable {
                requirement: editable.path_or_url.clone(),
                file: editable.file.clone(),
                line: editable.line,
            });
        }
        self.requirements
            .extend(file.requirements.into_iter().map(|entry| SyncRequirement {
                origin: format!("{}:{}", entry.file.display(), entry.line),
                requirement: entry.requirement,
                hashes: entry.hashes,
            }));
        if file.index_url.is_some() {
            self.index.index_url = file.index_url;
        }
        self.index.extra_index_urls.extend(file.extra_index_urls);
        self.index.find_links.extend(file.find_links);
        self.index.no_index |= file.no_index;
        self.require_hashes |= file.require_hashes;
        Ok(())
    }
}
