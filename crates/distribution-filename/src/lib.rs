//! Names of Python distributions and of the files that carry them.
//!
//! - [`PackageName`], a project name normalized as [PEP 503] says, the form used
//!   for comparisons and index URLs, with its dist-info form.
//! - [`WheelFilename`], `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`
//!   ([PEP 427]), with compressed tag sets such as `py2.py3`.
//! - [`SourceDistFilename`], `{name}-{version}.tar.gz` or `.zip` ([PEP 625]).
//!
//! [PEP 503]: https://peps.python.org/pep-0503/#normalized-names
//! [PEP 427]: https://peps.python.org/pep-0427/#file-name-convention
//! [PEP 625]: https://peps.python.org/pep-0625/

mod package_name;
mod source_dist;
mod wheel;

pub use package_name::{InvalidNameError, PackageName};
pub use source_dist::{SourceDistExtension, SourceDistFilename, SourceDistFilenameError};
pub use wheel::{BuildTag, WheelFilename, WheelFilenameError};
