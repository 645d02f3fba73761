//! pip's `--no-binary` / `--only-binary` options: which projects may be
//! installed from a wheel, and which may be built from a source distribution.
//!
//! pip keeps two sets of names and updates them value by value
//! (`FormatControl.handle_mutual_excludes`): `:all:` empties both sets and
//! puts `:all:` into the option's own set (the rest of the value is ignored
//! unless it contains `:none:`), `:none:` empties the option's own set, and a
//! name is removed from the other set and added to this one. A name in a set
//! outranks `:all:` in the other (`get_allowed_formats`).

use std::collections::BTreeSet;
use std::fmt;

use distribution_filename::PackageName;

use crate::ClientError;

/// pip's `--no-binary` and `--only-binary` (and uv's `--no-build`): per
/// project, whether a wheel may be used and whether a source distribution may
/// be built. The default allows both.
///
/// ```
/// # use puffin_client::FormatPolicy;
/// # use distribution_filename::PackageName;
/// let policy = FormatPolicy::from_pip_args(
///     &[":all:".to_string()],
///     &["numpy".to_string()],
///     false,
/// )?;
/// let numpy = PackageName::new("numpy").unwrap();
/// let flask = PackageName::new("flask").unwrap();
/// assert!(policy.allows_wheel(&numpy) && !policy.allows_source(&numpy));
/// assert!(!policy.allows_wheel(&flask) && policy.allows_source(&flask));
/// # Ok::<(), puffin_client::ClientError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatPolicy {
    /// Projects that must be built from source.
    no_binary: FormatSet,
    /// Projects that must come from a wheel.
    only_binary: FormatSet,
    /// `--no-build` was given (named in messages).
    no_build: bool,
    /// The caller cannot build at all ([`crate::RegistryClient::select_wheel`]).
    wheels_required: bool,
}

/// The names given to one option, or `:all:`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FormatSet {
    all: bool,
    names: BTreeSet<PackageName>,
}

impl FormatSet {
    fn clear(&mut self) {
        self.all = false;
        self.names.clear();
    }
}

/// One of the two options, as named in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormatOption {
    NoBinary,
    OnlyBinary,
}

impl fmt::Display for FormatOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoBinary => "--no-binary",
            Self::OnlyBinary => "--only-binary",
        })
    }
}

impl FormatPolicy {
    /// The policy of pip's options. pip applies every `--no-binary` and
    /// `--only-binary` value in the order given on the command line (and in
    /// requirements files); here the `no_binary` values are applied first,
    /// then the `only_binary` values, each list in its order, so of two
    /// conflicting values the `--only-binary` one wins, and a later `:all:`
    /// overrides everything before it. `no_build` (uv's `--no-build`) is an
    /// `--only-binary :all:` applied last. A caller that knows the real order
    /// applies the values itself with [`Self::no_binary`] and
    /// [`Self::only_binary`].
    ///
    /// Each value is `:all:`, `:none:`, or package names separated by commas
    /// (surrounding spaces ignored); an empty name (as in `foo,,bar` or an
    /// empty value) or an invalid one is an error.
    pub fn from_pip_args(
        no_binary: &[String],
        only_binary: &[String],
        no_build: bool,
    ) -> Result<Self, ClientError> {
        let mut policy = Self::default();
        for value in no_binary {
            policy.no_binary(value)?;
        }
        for value in only_binary {
            policy.only_binary(value)?;
        }
        if no_build {
            policy.no_build();
        }
        Ok(policy)
    }

    /// Wheels only, for a caller that cannot build: messages say that
    /// building from source is not supported, naming no option.
    pub(crate) fn wheels_required() -> Self {
        let mut policy = Self::default();
        policy.only_binary.all = true;
        policy.wheels_required = true;
        policy
    }

    /// Apply one `--no-binary` value (`:all:`, `:none:` or names).
    pub fn no_binary(&mut self, value: &str) -> Result<(), ClientError> {
        self.apply(FormatOption::NoBinary, value)
    }

    /// Apply one `--only-binary` value (`:all:`, `:none:` or names).
    pub fn only_binary(&mut self, value: &str) -> Result<(), ClientError> {
        self.apply(FormatOption::OnlyBinary, value)
    }

    /// Apply uv's `--no-build`: `--only-binary :all:`.
    pub fn no_build(&mut self) {
        self.no_binary.clear();
        self.only_binary.clear();
        self.only_binary.all = true;
        self.no_build = true;
    }

    /// pip's `handle_mutual_excludes`; the value is checked as a whole
    /// before anything changes.
    fn apply(&mut self, option: FormatOption, value: &str) -> Result<(), ClientError> {
        let items = parse_value(option, value)?;
        let (target, other) = match option {
            FormatOption::NoBinary => (&mut self.no_binary, &mut self.only_binary),
            FormatOption::OnlyBinary => (&mut self.only_binary, &mut self.no_binary),
        };
        let mut rest = items.as_slice();
        while let Some(position) = rest.iter().position(|item| *item == Item::All) {
            other.clear();
            target.clear();
            target.all = true;
            rest = &rest[position + 1..];
            // Without a `:none:` after it, `:all:` covers the remaining names.
            if !rest.contains(&Item::None) {
                return Ok(());
            }
        }
        for item in rest {
            match item {
                Item::None => target.clear(),
                Item::Name(name) => {
                    other.names.remove(name);
                    target.names.insert(name.clone());
                }
                Item::All => unreachable!("every `:all:` was consumed above"),
            }
        }
        Ok(())
    }

    /// Whether a wheel of `package` may be installed (pip's
    /// `get_allowed_formats`: a name outranks `:all:`, and `--only-binary`
    /// outranks `--no-binary`).
    pub fn allows_wheel(&self, package: &PackageName) -> bool {
        if self.only_binary.names.contains(package) {
            true
        } else if self.no_binary.names.contains(package) {
            false
        } else {
            self.only_binary.all || !self.no_binary.all
        }
    }

    /// Whether a source distribution of `package` may be built.
    pub fn allows_source(&self, package: &PackageName) -> bool {
        if self.only_binary.names.contains(package) {
            false
        } else if self.no_binary.names.contains(package) {
            true
        } else {
            !self.only_binary.all
        }
    }

    /// Why sources of `package` are refused, for a message: e.g.
    /// ``"`--only-binary :all:` forbids building from source"``.
    pub fn source_refusal(&self, package: &PackageName) -> String {
        if self.wheels_required {
            "building from source is not supported yet".to_string()
        } else if self.only_binary.names.contains(package) {
            format!("`--only-binary {package}` forbids building it from source")
        } else if self.no_build {
            "`--no-build` forbids building from source".to_string()
        } else {
            "`--only-binary :all:` forbids building from source".to_string()
        }
    }

    /// Why wheels of `package` are refused, for a message: e.g.
    /// ``"`--no-binary :all:` forbids wheels"``.
    pub fn wheel_refusal(&self, package: &PackageName) -> String {
        if self.no_binary.names.contains(package) {
            format!("`--no-binary {package}` forbids its wheels")
        } else {
            "`--no-binary :all:` forbids wheels".to_string()
        }
    }

    /// Whether the refusal of sources was asked for by the user (and is
    /// worth a mention beside other reasons).
    pub(crate) fn refuses_source_by_option(&self, package: &PackageName) -> bool {
        !self.wheels_required && !self.allows_source(package)
    }
}

/// One comma-separated item of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    All,
    None,
    Name(PackageName),
}

/// Split a value into its items, refusing empty and invalid names.
fn parse_value(option: FormatOption, value: &str) -> Result<Vec<Item>, ClientError> {
    let invalid = |problem: String| ClientError::InvalidFormatOption {
        option: option.to_string(),
        value: value.to_string(),
        problem,
    };
    value
        .split(',')
        .map(str::trim)
        .map(|item| match item {
            ":all:" => Ok(Item::All),
            ":none:" => Ok(Item::None),
            "" => Err(invalid("it contains an empty name".to_string())),
            name => PackageName::new(name)
                .map(Item::Name)
                .map_err(|_| invalid(format!("`{name}` is not a valid package name"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(ToString::to_string).collect()
    }

    /// `W` wheel only, `S` source only, `WS` both, for `foo` then `bar`.
    fn formats(no_binary: &[&str], only_binary: &[&str], no_build: bool) -> String {
        let policy =
            FormatPolicy::from_pip_args(&strings(no_binary), &strings(only_binary), no_build)
                .unwrap();
        ["foo", "bar"]
            .iter()
            .map(|name| {
                let name = PackageName::new(name).unwrap();
                let mut formats = String::new();
                if policy.allows_wheel(&name) {
                    formats.push('W');
                }
                if policy.allows_source(&name) {
                    formats.push('S');
                }
                formats
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn pip_semantics() {
        #[allow(clippy::type_complexity)]
        let table: &[(&[&str], &[&str], bool, &str)] = &[
            (&[], &[], false, "WS WS"),
            (&[":all:"], &[], false, "S S"),
            (&[], &[":all:"], false, "W W"),
            (&[], &[], true, "W W"),
            (&["foo"], &[], false, "S WS"),
            (&[], &["Foo"], false, "W WS"),
            (&["foo, bar"], &[], false, "S S"),
            // A name outranks `:all:` in the other option.
            (&[":all:"], &["foo"], false, "W S"),
            (&["foo"], &[":all:"], false, "W W"),
            (&["bar"], &[":all:", "foo"], false, "W W"),
            // A name moves from one set to the other.
            (&["foo"], &["foo"], false, "W WS"),
            // A later `:all:` overrides what came before, in both sets.
            (&["foo", ":all:"], &[], false, "S S"),
            (&["foo"], &["bar", ":all:"], false, "W W"),
            // `:none:` clears its own option only.
            (&[":all:", ":none:"], &[], false, "WS WS"),
            (&["foo", ":none:", "bar"], &[], false, "WS S"),
            (&[":all:,:none:,foo"], &[], false, "S WS"),
            (&[":all:,foo"], &[], false, "S S"),
            (&["foo"], &[":none:"], false, "S WS"),
            // `--no-build` is `--only-binary :all:` applied last.
            (&["foo"], &[], true, "W W"),
            (&[], &[":none:"], true, "W W"),
        ];
        for (no_binary, only_binary, no_build, expected) in table {
            assert_eq!(
                formats(no_binary, only_binary, *no_build),
                *expected,
                "--no-binary {no_binary:?} --only-binary {only_binary:?} no_build={no_build}"
            );
        }
    }

    #[test]
    fn values_apply_in_the_order_given() {
        let foo = PackageName::new("foo").unwrap();
        let mut policy = FormatPolicy::default();
        policy.only_binary("foo").unwrap();
        policy.no_binary("foo").unwrap();
        assert!(!policy.allows_wheel(&foo));
        assert!(policy.allows_source(&foo));
        policy.only_binary(":all:").unwrap();
        assert!(policy.allows_wheel(&foo));
        assert!(!policy.allows_source(&foo));
    }

    #[test]
    fn invalid_values() {
        let message = |no_binary: &[&str], only_binary: &[&str]| {
            FormatPolicy::from_pip_args(&strings(no_binary), &strings(only_binary), false)
                .unwrap_err()
                .to_string()
        };
        insta::assert_snapshot!(message(&["foo,,bar"], &[]), @"Invalid `--no-binary` value `foo,,bar`: it contains an empty name; expected `:all:`, `:none:` or package names separated by commas");
        insta::assert_snapshot!(message(&[], &[""]), @"Invalid `--only-binary` value ``: it contains an empty name; expected `:all:`, `:none:` or package names separated by commas");
        insta::assert_snapshot!(message(&[], &[":any:"]), @"Invalid `--only-binary` value `:any:`: `:any:` is not a valid package name; expected `:all:`, `:none:` or package names separated by commas");
        // A bad value changes nothing, even after a valid item.
        let mut policy = FormatPolicy::default();
        policy.no_binary(":all:,,").unwrap_err();
        assert_eq!(policy, FormatPolicy::default());
    }

    #[test]
    fn refusals_name_the_option() {
        let foo = PackageName::new("foo").unwrap();
        let policy = FormatPolicy::from_pip_args(&[], &strings(&["foo"]), false).unwrap();
        assert_eq!(
            policy.source_refusal(&foo),
            "`--only-binary foo` forbids building it from source"
        );
        let policy = FormatPolicy::from_pip_args(&[], &[], true).unwrap();
        assert_eq!(
            policy.source_refusal(&foo),
            "`--no-build` forbids building from source"
        );
        let policy = FormatPolicy::from_pip_args(&strings(&["foo"]), &[], false).unwrap();
        assert_eq!(
            policy.wheel_refusal(&foo),
            "`--no-binary foo` forbids its wheels"
        );
        assert!(!FormatPolicy::wheels_required().refuses_source_by_option(&foo));
    }
}
