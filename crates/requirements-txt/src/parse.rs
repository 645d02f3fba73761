use std::collections::HashSet;
use std::path::{Path, PathBuf};

use fs_err as fs;
use pep508_rs::{MarkerEnvironment, MarkerTree, Requirement, RequirementOrigin};
use url::Url;

use crate::error::{Location, RequirementsTxtError, RequirementsTxtWarning};
use crate::lines::{LogicalLine, logical_lines};
use crate::options::{OptionKind, ParsedOption, parse_options, tokenize, validate_hash};
use crate::read::{MAX_LINE_LENGTH, read_file};
use crate::requirement::{Parsed, SourceTarget, is_url, parse_requirement, parse_source};

/// A parsed pip requirements file, with its `-r` and `-c` includes merged in.
///
/// See [pip's requirements file format]. Options apply to the whole run
/// wherever they appear: a later `--index-url` replaces an earlier one, the
/// `--extra-index-url`, `--find-links` and `--trusted-host` values accumulate.
///
/// [pip's requirements file format]: https://pip.pypa.io/en/stable/reference/requirements-file-format/
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementsTxt {
    /// The requirements, in file order (included files at the `-r` line).
    pub requirements: Vec<RequirementEntry>,
    /// The requirements of `-c` constraint files.
    pub constraints: Vec<RequirementEntry>,
    /// Paths and URLs that must be built: `-e`/`--editable` lines, and bare
    /// project directories, source archives and `git+` URLs, in file order.
    pub sources: Vec<SourceEntry>,
    /// `-i`/`--index-url`, the last one given.
    pub index_url: Option<String>,
    /// Every `--extra-index-url`.
    pub extra_index_urls: Vec<String>,
    /// Every `-f`/`--find-links`; a relative path that exists relative to the
    /// requirements file's directory is made relative to it, as pip does.
    pub find_links: Vec<String>,
    /// `--no-index` was given.
    pub no_index: bool,
    /// `--pre` was given.
    pub pre: bool,
    /// `--require-hashes` was given.
    pub require_hashes: bool,
    /// Every `--no-binary` value (`:all:`, `:none:` or comma-separated names).
    pub no_binary: Vec<String>,
    /// Every `--only-binary` value (`:all:`, `:none:` or comma-separated names).
    pub only_binary: Vec<String>,
    /// Every `--trusted-host`.
    pub trusted_hosts: Vec<String>,
    /// Options that were accepted but have no effect, for the caller to show.
    pub warnings: Vec<RequirementsTxtWarning>,
}

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementEntry {
    /// The requirement. A bare wheel path or URL (`./dist/foo-1.0-py3-none-any.whl`,
    /// `file:///abs/foo-1.0-py3-none-any.whl`) becomes `foo @ file:///abs/...whl`,
    /// named after the wheel filename; relative paths are resolved against the
    /// working directory, as pip does.
    pub requirement: Requirement,
    /// The `--hash` values, `sha256:<hex>`, as written.
    pub hashes: Vec<String>,
    /// The file the line is in.
    pub file: PathBuf,
    /// The 1-based line the requirement starts on.
    pub line: usize,
}

impl RequirementEntry {
    /// Whether the requirement's markers hold in an environment (with no extras).
    pub fn evaluate_markers(&self, env: &MarkerEnvironment) -> bool {
        self.requirement.evaluate_markers(env, &[])
    }
}

/// A path or URL that must be built before it is installed: a `-e` line, or
/// a bare project directory, source archive or `git+` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    /// The path or URL, as written (with environment variables expanded).
    pub target: String,
    /// The absolute URL: `file://` for paths (relative ones, and `file:.`,
    /// resolved against the working directory, as pip does), else the URL.
    pub url: Url,
    /// The name given by an `#egg=<name>` fragment.
    pub name: Option<String>,
    /// The extras, `path[extra,...]`.
    pub extras: Vec<String>,
    /// The markers, `path ; marker`.
    pub marker: Option<MarkerTree>,
    /// Whether it came from `-e`/`--editable`.
    pub editable: bool,
    /// The `--hash` values, `sha256:<hex>`, as written.
    pub hashes: Vec<String>,
    /// The file the line is in.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
}

impl SourceEntry {
    /// Whether the entry's markers hold in an environment (with no extras).
    pub fn evaluate_markers(&self, env: &MarkerEnvironment) -> bool {
        self.marker
            .as_ref()
            .is_none_or(|marker| marker.evaluate(env, &[]))
    }
}

impl RequirementsTxt {
    /// Read and parse a requirements file and everything it includes.
    ///
    /// Only regular files are read (and `/dev/stdin`), of at most
    /// [`MAX_FILE_SIZE`](crate::MAX_FILE_SIZE) bytes and lines of at most
    /// [`MAX_LINE_LENGTH`] bytes, in UTF-8 or, with a byte order mark, UTF-16
    /// or UTF-32. A file included twice (`-r` diamonds) is read once.
    ///
    /// `working_dir` resolves relative wheel paths in requirement lines (pip
    /// resolves them against the current directory); `-r`, `-c` and
    /// `--find-links` paths are resolved against the including file's directory.
    pub fn parse(path: &Path, working_dir: &Path) -> Result<Self, RequirementsTxtError> {
        let content = read_file(path).map_err(|err| RequirementsTxtError::Read {
            path: path.to_path_buf(),
            err,
        })?;
        Self::parse_str(&content, path, working_dir)
    }

    /// Parse the content of the requirements file at `path` (used to name the
    /// file in errors and to resolve its includes).
    pub fn parse_str(
        content: &str,
        path: &Path,
        working_dir: &Path,
    ) -> Result<Self, RequirementsTxtError> {
        let mut result = Self::default();
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut includes = Includes {
            parsed: HashSet::from([(canonical.clone(), false)]),
            stack: vec![(canonical, path.to_path_buf())],
        };
        let working_dir = std::path::absolute(working_dir).unwrap_or(working_dir.to_path_buf());
        result.parse_file(content, path, &working_dir, false, &mut includes)?;
        Ok(result)
    }

    /// The requirements whose markers hold in `env` (with no extras).
    pub fn requirements_for<'a>(
        &'a self,
        env: &'a MarkerEnvironment,
    ) -> impl Iterator<Item = &'a RequirementEntry> + 'a {
        self.requirements
            .iter()
            .filter(move |entry| entry.evaluate_markers(env))
    }

    fn parse_file(
        &mut self,
        content: &str,
        file: &Path,
        working_dir: &Path,
        constraint: bool,
        includes: &mut Includes,
    ) -> Result<(), RequirementsTxtError> {
        let context = FileContext {
            file,
            physical: content
                .strip_prefix('\u{feff}')
                .unwrap_or(content)
                .lines()
                .collect(),
            constraint,
            working_dir,
        };
        let lines = logical_lines(content, MAX_LINE_LENGTH).map_err(|line| {
            RequirementsTxtError::LineTooLong {
                file: file.to_path_buf(),
                line,
                limit: MAX_LINE_LENGTH,
            }
        })?;
        for line in lines {
            self.parse_line(&context, &line, includes)?;
        }
        Ok(())
    }

    fn parse_line(
        &mut self,
        context: &FileContext<'_>,
        line: &LogicalLine,
        includes: &mut Includes,
    ) -> Result<(), RequirementsTxtError> {
        let tokens = tokenize(&line.text);
        let Some(first) = tokens.first() else {
            return Ok(());
        };
        if first.text.starts_with('-') {
            let options = parse_options(context, line, &tokens)?;
            for option in options {
                self.apply_option(context, line, option, includes)?;
            }
            return Ok(());
        }
        let split = tokens
            .iter()
            .position(|token| token.text.starts_with('-'))
            .unwrap_or(tokens.len());
        let end = tokens
            .get(split)
            .map_or(line.text.len(), |token| token.start);
        let text = line.text[first.start..end].trim_end();
        let requirement = parse_requirement(context, line, first.start, text)?;
        let mut hashes = Vec::new();
        for option in parse_options(context, line, &tokens[split..])? {
            match option.kind {
                OptionKind::Hash => {
                    let value = option.value.unwrap_or_default();
                    validate_hash(&value).map_err(|reason| RequirementsTxtError::InvalidHash {
                        location: context.location(line, option.value_start, option.end),
                        reason,
                    })?;
                    hashes.push(value);
                }
                OptionKind::GlobalOption | OptionKind::ConfigSettings => {
                    self.warn(
                        context,
                        line,
                        format!(
                            "`{}` on a requirement line is ignored: pass build settings with `-C`/`--config-settings` on the command line",
                            option.name
                        ),
                    );
                }
                OptionKind::InstallOption => {
                    return Err(unsupported_install_option(context, line, &option));
                }
                _ => {
                    return Err(RequirementsTxtError::MisplacedOption {
                        location: context.location(line, option.start, option.end),
                        option: option.name,
                    });
                }
            }
        }
        let requirement = match requirement {
            Parsed::Named(requirement) => requirement,
            Parsed::Source(target) => {
                return self.push_source(context, line, target, false, hashes);
            }
        };
        let entry = RequirementEntry {
            requirement: requirement
                .with_origin(RequirementOrigin::File(context.file.to_path_buf())),
            hashes,
            file: context.file.to_path_buf(),
            line: line.first_line(),
        };
        if context.constraint {
            self.constraints.push(entry);
        } else {
            self.requirements.push(entry);
        }
        Ok(())
    }

    fn push_source(
        &mut self,
        context: &FileContext<'_>,
        line: &LogicalLine,
        target: SourceTarget,
        editable: bool,
        hashes: Vec<String>,
    ) -> Result<(), RequirementsTxtError> {
        if context.constraint {
            return Err(RequirementsTxtError::UnsupportedRequirement {
                location: context.location(line, 0, line.text.len()),
                reason: "constraints must be named requirements (`name==version`), not paths, archives or URLs to build".to_string(),
            });
        }
        self.sources.push(SourceEntry {
            target: target.target,
            url: target.url,
            name: target.name,
            extras: target.extras,
            marker: target.marker,
            editable,
            hashes,
            file: context.file.to_path_buf(),
            line: line.first_line(),
        });
        Ok(())
    }

    fn warn(&mut self, context: &FileContext<'_>, line: &LogicalLine, message: String) {
        self.warnings.push(RequirementsTxtWarning {
            file: context.file.to_path_buf(),
            line: line.first_line(),
            message,
        });
    }

    fn apply_option(
        &mut self,
        context: &FileContext<'_>,
        line: &LogicalLine,
        option: ParsedOption,
        includes: &mut Includes,
    ) -> Result<(), RequirementsTxtError> {
        let value = option.value.clone().unwrap_or_default();
        let unsupported = |reason: &str| RequirementsTxtError::UnsupportedOption {
            location: context.location(line, option.start, option.end),
            option: option.name.clone(),
            reason: reason.to_string(),
        };
        match option.kind {
            OptionKind::Requirement | OptionKind::Constraint => {
                let constraint = option.kind == OptionKind::Constraint;
                self.include(context, line, &option, &value, constraint, includes)?;
            }
            OptionKind::Editable => {
                if context.constraint {
                    return Err(unsupported(
                        "editable requirements are not allowed in a constraints file",
                    ));
                }
                let target = parse_source(context, line, option.value_start, &value)?;
                self.push_source(context, line, target, true, Vec::new())?;
            }
            OptionKind::IndexUrl => self.index_url = Some(value),
            OptionKind::ExtraIndexUrl => self.extra_index_urls.push(value),
            OptionKind::FindLinks => {
                let relative = context.directory().join(&value);
                if !is_url(&value) && Path::new(&value).is_relative() && relative.exists() {
                    self.find_links.push(relative.display().to_string());
                } else {
                    self.find_links.push(value);
                }
            }
            OptionKind::NoIndex => self.no_index = true,
            OptionKind::Pre => self.pre = true,
            OptionKind::RequireHashes => self.require_hashes = true,
            OptionKind::TrustedHost => self.trusted_hosts.push(value),
            OptionKind::Hash => {
                return Err(RequirementsTxtError::HashWithoutRequirement {
                    location: context.location(line, option.start, option.end),
                });
            }
            OptionKind::OnlyBinary => self.only_binary.push(value),
            OptionKind::NoBinary => self.no_binary.push(value),
            // puffin prefers wheels anyway; `--always-unzip` is a no-op in pip.
            OptionKind::PreferBinary | OptionKind::AlwaysUnzip => {}
            OptionKind::UseFeature | OptionKind::GlobalOption | OptionKind::ConfigSettings => {
                self.warn(
                    context,
                    line,
                    format!("`{}` is ignored: it has no effect on puffin", option.name),
                );
            }
            OptionKind::InstallOption => {
                return Err(unsupported_install_option(context, line, &option));
            }
        }
        Ok(())
    }

    fn include(
        &mut self,
        context: &FileContext<'_>,
        line: &LogicalLine,
        option: &ParsedOption,
        value: &str,
        constraint: bool,
        includes: &mut Includes,
    ) -> Result<(), RequirementsTxtError> {
        let location = || context.location(line, option.value_start, option.end);
        let path = if let Some(url) = value
            .strip_prefix("file:")
            .and_then(|_| Url::parse(value).ok())
        {
            url.to_file_path()
                .map_err(|()| RequirementsTxtError::UnsupportedOption {
                    location: location(),
                    option: option.name.clone(),
                    reason: format!("`{value}` is not a local file URL"),
                })?
        } else if is_url(value) {
            return Err(RequirementsTxtError::UnsupportedOption {
                location: location(),
                option: option.name.clone(),
                reason: "requirements files can only include local files; download the file first"
                    .to_string(),
            });
        } else {
            context.directory().join(value)
        };
        let canonical = fs::canonicalize(&path).map_err(|err| RequirementsTxtError::Include {
            location: location(),
            path: path.clone(),
            err: err.into(),
        })?;
        if let Some(index) = includes
            .stack
            .iter()
            .position(|(seen, _)| *seen == canonical)
        {
            let cycle = includes.stack[index..]
                .iter()
                .map(|(_, shown)| shown.as_path())
                .chain([path.as_path()])
                .map(|path| format!("`{}`", path.display()))
                .collect::<Vec<_>>()
                .join(" -> ");
            return Err(RequirementsTxtError::IncludeCycle {
                location: location(),
                cycle,
            });
        }
        // Each file once per kind, however often the include tree repeats it:
        // diamonds of `-r` lines would otherwise take 2^n reads.
        if !includes.parsed.insert((canonical.clone(), constraint)) {
            return Ok(());
        }
        let content = read_file(&path).map_err(|err| RequirementsTxtError::Include {
            location: location(),
            path: path.clone(),
            err,
        })?;
        includes.stack.push((canonical, path.clone()));
        let result = self.parse_file(&content, &path, context.working_dir, constraint, includes);
        includes.stack.pop();
        result
    }
}

fn unsupported_install_option(
    context: &FileContext<'_>,
    line: &LogicalLine,
    option: &ParsedOption,
) -> RequirementsTxtError {
    RequirementsTxtError::UnsupportedOption {
        location: context.location(line, option.start, option.end),
        option: option.name.clone(),
        reason: "`--install-option` was removed in pip 23.1 and puffin never builds from source"
            .to_string(),
    }
}

/// The includes seen so far.
pub(crate) struct Includes {
    /// The files already parsed (canonical path, as constraints or not).
    parsed: HashSet<(PathBuf, bool)>,
    /// The chain of files being parsed (canonical, as written), for cycles.
    stack: Vec<(PathBuf, PathBuf)>,
}

/// The file being parsed: what error locations need.
pub(crate) struct FileContext<'a> {
    pub(crate) file: &'a Path,
    pub(crate) physical: Vec<&'a str>,
    pub(crate) constraint: bool,
    pub(crate) working_dir: &'a Path,
}

impl FileContext<'_> {
    /// The directory includes are relative to.
    pub(crate) fn directory(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }

    /// The location of `text[start..end]` of a logical line.
    pub(crate) fn location(&self, line: &LogicalLine, start: usize, end: usize) -> Location {
        let from = line.origin(start);
        let to = line.origin(end.max(start + 1) - 1);
        let source_line = self
            .physical
            .get(from.line - 1)
            .copied()
            .unwrap_or_default();
        let column = source_line
            .char_indices()
            .take_while(|(index, _)| *index < from.byte)
            .count()
            + 1;
        let last_byte = if to.line == from.line {
            to.byte
        } else {
            source_line.len()
        };
        let width = source_line
            .char_indices()
            .filter(|(index, _)| *index >= from.byte && *index <= last_byte)
            .count();
        Location {
            file: self.file.to_path_buf(),
            line: from.line,
            column,
            source_line: source_line.to_string(),
            width,
        }
    }
}
