//! Parse pip [requirements files].
//!
//! [`RequirementsTxt::parse`] reads a requirements file and the files it
//! includes with `-r` and `-c`, and returns the PEP 508 requirements (with
//! their `--hash` values and the file and line they come from), the
//! constraints, the editables, and the index options. Comments, `\`
//! continuations and `${VAR}` environment variables work as in pip. Errors
//! name the file, line and column, show the line with a caret under the
//! offending part, and say what was expected.
//!
//! Markers stay unevaluated in the [`Requirement`](pep508_rs::Requirement);
//! [`RequirementEntry::evaluate_markers`] and
//! [`RequirementsTxt::requirements_for`] evaluate them against a
//! [`MarkerEnvironment`](pep508_rs::MarkerEnvironment).
//!
//! [requirements files]: https://pip.pypa.io/en/stable/reference/requirements-file-format/

mod error;
mod lines;
mod options;
mod parse;
mod read;
mod requirement;

pub use error::{
    FileError, InvalidEncoding, Location, RequirementsTxtError, RequirementsTxtWarning,
};
pub use parse::{RequirementEntry, RequirementsTxt, SourceEntry};
pub use read::{MAX_FILE_SIZE, MAX_LINE_LENGTH};
