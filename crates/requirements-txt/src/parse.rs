use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use distribution_filename::WheelFilename;
use fs_err as fs;
use pep508_rs::{MarkerEnvironment, Requirement, RequirementOrigin};
use url::Url;

use crate::error::{Location, RequirementsTxtError, RequirementsTxtWarning};
use crate::lines::{LogicalLine, logical_lines};

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
    /// The `-e`/`--editable` lines (puffin reports them; it does not install them).
    pub editables: Vec<EditableEntry>,
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

/// One `-e`/`--editable` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditableEntry {
    /// The path or URL, as written (with environment variables expanded).
    pub path_or_url: String,
    /// The file the line is in.
    pub file: PathBuf,
    /// The 1-based line.
    pub line: usize,
}

impl RequirementsTxt {
    /// Read and parse a requirements file and everything it includes.
    ///
    /// `working_dir` resolves relative wheel paths in requirement lines (pip
    /// resolves them against the current directory); `-r`, `-c` and
    /// `--find-links` paths are resolved against the including file's directory.
    pub fn parse(path: &Path, working_dir: &Path) -> Result<Self, RequirementsTxtError> {
        let content = fs::read_to_string(path).map_err(|err| RequirementsTxtError::Read {
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
        let mut stack = vec![(canonical, path.to_path_buf())];
        let working_dir = std::path::absolute(working_dir).unwrap_or(working_dir.to_path_buf());
        result.parse_file(content, path, &working_dir, false, &mut stack)?;
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
        stack: &mut Vec<(PathBuf, PathBuf)>,
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
        for line in logical_lines(content) {
            self.parse_line(&context, &line, stack)?;
        }
        Ok(())
    }

    fn parse_line(
        &mut self,
        context: &FileContext<'_>,
        line: &LogicalLine,
        stack: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<(), RequirementsTxtError> {
        let tokens = tokenize(&line.text);
        let Some(first) = tokens.first() else {
            return Ok(());
        };
        if first.text.starts_with('-') {
            let options = parse_options(context, line, &tokens)?;
            for option in options {
                self.apply_option(context, line, option, stack)?;
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
                            "`{}` is ignored: puffin installs wheels and never builds",
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
        stack: &mut Vec<(PathBuf, PathBuf)>,
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
                self.include(context, line, &option, &value, constraint, stack)?;
            }
            OptionKind::Editable => {
                if context.constraint {
                    return Err(unsupported(
                        "editable requirements are not allowed in a constraints file",
                    ));
                }
                self.editables.push(EditableEntry {
                    path_or_url: value,
                    file: context.file.to_path_buf(),
                    line: line.first_line(),
                });
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
            // puffin only installs wheels, which is what these ask for anyway.
            OptionKind::OnlyBinary | OptionKind::PreferBinary | OptionKind::AlwaysUnzip => {}
            OptionKind::NoBinary => {
                if value != ":none:" {
                    return Err(unsupported(
                        "puffin installs wheels only and cannot build from source; remove `--no-binary` or use pip",
                    ));
                }
            }
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
        stack: &mut Vec<(PathBuf, PathBuf)>,
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
            err,
        })?;
        if let Some(index) = stack.iter().position(|(seen, _)| *seen == canonical) {
            let cycle = stack[index..]
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
        let content = fs::read_to_string(&path).map_err(|err| RequirementsTxtError::Include {
            location: location(),
            path: path.clone(),
            err,
        })?;
        stack.push((canonical, path.clone()));
        let result = self.parse_file(&content, &path, context.working_dir, constraint, stack);
        stack.pop();
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

/// The file being parsed: what error locations need.
struct FileContext<'a> {
    file: &'a Path,
    physical: Vec<&'a str>,
    constraint: bool,
    working_dir: &'a Path,
}

impl FileContext<'_> {
    /// The directory includes are relative to.
    fn directory(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }

    /// The location of `text[start..end]` of a logical line.
    fn location(&self, line: &LogicalLine, start: usize, end: usize) -> Location {
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

/// A whitespace-separated token of a logical line.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    start: usize,
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (index, ch) in text.char_indices() {
        if ch.is_whitespace() {
            if let Some(begin) = start.take() {
                tokens.push(Token {
                    text: &text[begin..index],
                    start: begin,
                });
            }
        } else if start.is_none() {
            start = Some(index);
        }
    }
    if let Some(begin) = start {
        tokens.push(Token {
            text: &text[begin..],
            start: begin,
        });
    }
    tokens
}

/// The options pip accepts in requirements files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionKind {
    Requirement,
    Constraint,
    Editable,
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    NoIndex,
    Pre,
    RequireHashes,
    TrustedHost,
    Hash,
    OnlyBinary,
    PreferBinary,
    NoBinary,
    UseFeature,
    GlobalOption,
    ConfigSettings,
    InstallOption,
    AlwaysUnzip,
}

/// `(long name, short name, takes a value, kind)`.
const OPTIONS: &[(&str, Option<char>, bool, OptionKind)] = &[
    ("requirement", Some('r'), true, OptionKind::Requirement),
    ("constraint", Some('c'), true, OptionKind::Constraint),
    ("editable", Some('e'), true, OptionKind::Editable),
    ("index-url", Some('i'), true, OptionKind::IndexUrl),
    ("extra-index-url", None, true, OptionKind::ExtraIndexUrl),
    ("find-links", Some('f'), true, OptionKind::FindLinks),
    ("no-index", None, false, OptionKind::NoIndex),
    ("pre", None, false, OptionKind::Pre),
    ("require-hashes", None, false, OptionKind::RequireHashes),
    ("trusted-host", None, true, OptionKind::TrustedHost),
    ("hash", None, true, OptionKind::Hash),
    ("only-binary", None, true, OptionKind::OnlyBinary),
    ("prefer-binary", None, false, OptionKind::PreferBinary),
    ("no-binary", None, true, OptionKind::NoBinary),
    ("use-feature", None, true, OptionKind::UseFeature),
    ("global-option", None, true, OptionKind::GlobalOption),
    (
        "config-settings",
        Some('C'),
        true,
        OptionKind::ConfigSettings,
    ),
    ("install-option", None, true, OptionKind::InstallOption),
    ("always-unzip", Some('Z'), false, OptionKind::AlwaysUnzip),
];

/// An option with its value and where it is on the logical line.
#[derive(Debug)]
struct ParsedOption {
    kind: OptionKind,
    /// The option as written, e.g. `--index-url` or `-i`.
    name: String,
    value: Option<String>,
    /// Byte range of the option and its value.
    start: usize,
    value_start: usize,
    end: usize,
}

/// Parse option tokens like pip's `optparse` does: `--name=value`,
/// `--name value`, `-xvalue`, `-x value`, and unambiguous prefixes of long
/// names (`--extra-index`).
fn parse_options(
    context: &FileContext<'_>,
    line: &LogicalLine,
    tokens: &[Token<'_>],
) -> Result<Vec<ParsedOption>, RequirementsTxtError> {
    let mut options = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let token = tokens[index];
        let token_end = token.start + token.text.len();
        index += 1;
        let unknown = || RequirementsTxtError::UnknownOption {
            location: context.location(line, token.start, token_end),
            option: token
                .text
                .split('=')
                .next()
                .unwrap_or(token.text)
                .to_string(),
        };
        let (spec, name, inline_value, inline_start) =
            if let Some(long) = token.text.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (long, None),
                };
                let exact = OPTIONS.iter().find(|spec| spec.0 == name);
                let spec = match exact {
                    Some(spec) => spec,
                    None => {
                        let mut candidates = OPTIONS
                            .iter()
                            .filter(|spec| !name.is_empty() && spec.0.starts_with(name));
                        match (candidates.next(), candidates.next()) {
                            (Some(spec), None) => spec,
                            _ => return Err(unknown()),
                        }
                    }
                };
                (
                    spec,
                    format!("--{}", spec.0),
                    value,
                    token.start + 2 + name.len() + 1,
                )
            } else if let Some(short) = token.text.strip_prefix('-') {
                let mut chars = short.chars();
                let Some(letter) = chars.next() else {
                    return Err(unknown());
                };
                let Some(spec) = OPTIONS.iter().find(|spec| spec.1 == Some(letter)) else {
                    return Err(unknown());
                };
                let rest = chars.as_str();
                let value = (!rest.is_empty()).then_some(rest);
                (
                    spec,
                    format!("-{letter}"),
                    value,
                    token.start + 1 + letter.len_utf8(),
                )
            } else {
                return Err(RequirementsTxtError::Requirement {
                    location: context.location(line, token.start, token_end),
                    reason: "expected an option; put each requirement on its own line".to_string(),
                });
            };
        let (_, _, takes_value, kind) = *spec;
        let (value, value_start, end) = match (takes_value, inline_value) {
            (true, Some(value)) if !value.is_empty() => (Some(value), inline_start, token_end),
            (true, _) => {
                let Some(next) = tokens.get(index) else {
                    return Err(RequirementsTxtError::MissingValue {
                        location: context.location(line, token.start, token_end),
                        option: name,
                    });
                };
                index += 1;
                (Some(next.text), next.start, next.start + next.text.len())
            }
            (false, Some(_)) => {
                return Err(RequirementsTxtError::UnsupportedOption {
                    location: context.location(line, token.start, token_end),
                    reason: format!("`{name}` takes no value"),
                    option: name,
                });
            }
            (false, None) => (None, token_end, token_end),
        };
        options.push(ParsedOption {
            kind,
            name,
            value: value.map(|value| unquote(value).to_string()),
            start: token.start,
            value_start,
            end,
        });
    }
    Ok(options)
}

/// Remove one pair of matching quotes, as pip's `shlex` splitting would.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|value| value.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// Check a `--hash` value: pip accepts `sha256`, `sha384` and `sha512`.
fn validate_hash(value: &str) -> Result<(), String> {
    let expected = "expected `--hash=<algorithm>:<hex digest>` with sha256, sha384 or sha512, e.g. `--hash=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae`";
    let Some((algorithm, digest)) = value.split_once(':') else {
        return Err(format!(
            "`{value}` has no `:` between algorithm and digest; {expected}"
        ));
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "unsupported hash algorithm `{algorithm}`; {expected}"
            ));
        }
    };
    if digest.len() != length || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "a {algorithm} digest is {length} hexadecimal characters, got `{digest}`; {expected}"
        ));
    }
    Ok(())
}

/// `scheme://...` (or `file:`): a URL rather than a path.
fn is_url(value: &str) -> bool {
    if value.starts_with("file:") {
        return true;
    }
    value.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Parse the requirement part of a line (without trailing options).
fn parse_requirement(
    context: &FileContext<'_>,
    line: &LogicalLine,
    offset: usize,
    text: &str,
) -> Result<Requirement, RequirementsTxtError> {
    let whole = || context.location(line, offset, offset + text.len());
    // pip separates the markers of a URL or path with `; ` (a `;` may appear
    // inside a URL).
    let (target, marker) = match text.find("; ") {
        Some(index) => (text[..index].trim_end(), Some(text[index + 1..].trim())),
        None => (text, None),
    };
    let (target, extras) = match target
        .strip_suffix(']')
        .and_then(|rest| rest.rsplit_once('['))
    {
        Some((path, extras)) => (path, Some(extras)),
        None => (target, None),
    };
    let is_pep508_direct = text
        .split_once('@')
        .is_some_and(|(name, _)| !name.contains(['/', '\\', ':']));
    let looks_like_path = target.starts_with(['.', '/', '\\', '~'])
        || target.contains(['/', '\\'])
        || target.to_ascii_lowercase().ends_with(".whl");
    if is_pep508_direct || !(is_url(target) || looks_like_path) {
        if let Some((index, len, reason)) = pep508_panic_guard(text) {
            let start = offset + index;
            return Err(RequirementsTxtError::Requirement {
                location: context.location(line, start, start + len),
                reason,
            });
        }
        return Requirement::from_str(text).map_err(|err| {
            let start = offset + err.start.min(text.len());
            RequirementsTxtError::Requirement {
                location: context.location(line, start, start + err.len),
                reason: err.message.to_string(),
            }
        });
    }
    // The extension is judged without a URL's fragment (`#sha256=...`) or query.
    let lowercase = if is_url(target) {
        target.split(['#', '?']).next().unwrap_or(target)
    } else {
        target
    }
    .to_ascii_lowercase();
    let unsupported = |reason: String| RequirementsTxtError::UnsupportedRequirement {
        location: whole(),
        reason,
    };
    if !lowercase.ends_with(".whl") {
        let what = if lowercase.starts_with("git+")
            || lowercase.starts_with("hg+")
            || lowercase.starts_with("svn+")
            || lowercase.starts_with("bzr+")
        {
            "a version control URL"
        } else if [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
            .iter()
            .any(|extension| lowercase.ends_with(extension))
        {
            "a source distribution"
        } else {
            "a source tree"
        };
        return Err(unsupported(format!(
            "`{target}` is {what}, which would have to be built; puffin installs wheels only (build a wheel first, or use `-e` for a local project)"
        )));
    }
    let url = if is_url(target) {
        Url::parse(target).map_err(|err| RequirementsTxtError::Requirement {
            location: whole(),
            reason: format!("`{target}` is not a valid URL: {err}"),
        })?
    } else {
        let path = normalize(&context.working_dir.join(target));
        Url::from_file_path(&path).map_err(|()| RequirementsTxtError::Requirement {
            location: whole(),
            reason: format!("`{}` cannot be turned into a file URL", path.display()),
        })?
    };
    let filename = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .map(percent_decode)
        .unwrap_or_default();
    let wheel =
        WheelFilename::from_str(&filename).map_err(|err| RequirementsTxtError::Requirement {
            location: whole(),
            reason: err.to_string(),
        })?;
    let mut pep508 = wheel.name.to_string();
    if let Some(extras) = extras {
        pep508.push_str(&format!("[{extras}]"));
    }
    pep508.push_str(&format!(" @ {url}"));
    if let Some(marker) = marker {
        pep508.push_str(&format!(" ; {marker}"));
    }
    if let Some((_, _, reason)) = pep508_panic_guard(&pep508) {
        return Err(RequirementsTxtError::Requirement {
            location: whole(),
            reason,
        });
    }
    Requirement::from_str(&pep508).map_err(|err| RequirementsTxtError::Requirement {
        location: whole(),
        reason: format!("{} (in `{pep508}`)", err.message),
    })
}

/// Inputs on which pep508_rs 0.9.2 panics instead of returning an error, as
/// `(byte offset, byte length, reason)`.
///
/// - A name ending in `.`, `-` or `_` followed by more text (`foo- >=1`): the
///   parser accepts it, then `PackageName::new` rejects it and it panics.
/// - A multi-byte character where the marker parser looks ahead
///   (`a ; python_version >= "3.8"é`): it counts characters as bytes and
///   slices inside the character. Outside the URL of `name @ url`, non-ASCII
///   characters are invalid or (in marker strings) unheard of.
fn pep508_panic_guard(text: &str) -> Option<(usize, usize, String)> {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .count();
    if name_len > 0 && matches!(text.as_bytes()[name_len - 1], b'.' | b'-' | b'_') {
        return Some((
            name_len - 1,
            1,
            format!(
                "package name `{}` must end with a letter or digit",
                &text[..name_len]
            ),
        ));
    }
    // Only the first `@`, before any `;`, starts the URL of `name @ url`.
    let mut url_possible = true;
    let mut in_url = false;
    let mut after_at = false;
    for (index, ch) in text.char_indices() {
        if in_url {
            in_url = !ch.is_whitespace();
        } else if after_at && !ch.is_whitespace() {
            after_at = false;
            in_url = true;
        } else if ch == '@' && url_possible {
            after_at = true;
            url_possible = false;
        } else if ch == ';' {
            url_possible = false;
        } else if !ch.is_ascii() {
            return Some((
                index,
                ch.len_utf8(),
                format!("unexpected character `{ch}`: names, versions and markers are ASCII"),
            ));
        }
    }
    None
}

/// Remove `.` and resolve `..` components without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
            other => normalized.push(other),
        }
    }
    normalized
}

/// Decode `%XX` escapes (e.g. `%2B` for the `+` of a local version).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
