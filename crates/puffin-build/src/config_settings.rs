use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// One `-C key=value` (`--config-settings`) argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSettingEntry {
    /// The part before the first `=`.
    pub key: String,
    /// The part after the first `=` (may be empty, may hold more `=`).
    pub value: String,
}

/// Why a `-C` argument could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigSettingError {
    /// There is no `=` in the argument.
    #[error("Invalid config setting `{0}`: expected `KEY=VALUE`")]
    MissingEquals(String),
    /// The part before `=` is empty.
    #[error("Invalid config setting `{0}`: the key before `=` is empty")]
    EmptyKey(String),
}

impl FromStr for ConfigSettingEntry {
    type Err = ConfigSettingError;

    /// Read `key=value` as pip's `--config-settings` does: split at the first
    /// `=`; the value may be empty.
    fn from_str(argument: &str) -> Result<Self, Self::Err> {
        let Some((key, value)) = argument.split_once('=') else {
            return Err(ConfigSettingError::MissingEquals(argument.to_string()));
        };
        if key.is_empty() {
            return Err(ConfigSettingError::EmptyKey(argument.to_string()));
        }
        Ok(Self {
            key: key.to_string(),
            value: value.to_string(),
        })
    }
}

/// The `config_settings` passed to every hook of a build ([PEP 517]).
///
/// A key given once is passed as a string, a key given several times as the
/// list of its values in the order given (pip's behaviour). Keys are sorted,
/// so [`ConfigSettings::digest`] and the [`Display`](fmt::Display) form are
/// stable and fit in cache keys.
///
/// [PEP 517]: https://peps.python.org/pep-0517/#config-settings
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSettings(BTreeMap<String, Vec<String>>);

impl ConfigSettings {
    /// No settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `value` to `key` (a repeated key collects a list).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.entry(key.into()).or_default().push(value.into());
    }

    /// Whether there are no settings.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values of `key`, in the order given.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.0.get(key).map(Vec::as_slice)
    }

    /// The settings as the hooks receive them: a JSON object whose values are
    /// strings (a key given once) or lists of strings (a repeated key).
    pub fn to_json(&self) -> serde_json::Value {
        let object = self
            .0
            .iter()
            .map(|(key, values)| {
                let value = match values.as_slice() {
                    [value] => serde_json::Value::from(value.as_str()),
                    values => serde_json::Value::from(values.to_vec()),
                };
                (key.clone(), value)
            })
            .collect();
        serde_json::Value::Object(object)
    }

    /// A stable hex SHA-256 of the settings, for cache keys: equal settings
    /// (whatever the order of distinct keys) give equal digests.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(&self.0).unwrap_or_default();
        data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
    }
}

impl FromIterator<ConfigSettingEntry> for ConfigSettings {
    fn from_iter<I: IntoIterator<Item = ConfigSettingEntry>>(entries: I) -> Self {
        let mut settings = Self::new();
        for entry in entries {
            settings.insert(entry.key, entry.value);
        }
        settings
    }
}

impl FromStr for ConfigSettings {
    type Err = ConfigSettingError;

    /// One `key=value`; collect several with [`FromIterator`].
    fn from_str(argument: &str) -> Result<Self, Self::Err> {
        Ok(std::iter::once(argument.parse::<ConfigSettingEntry>()?).collect())
    }
}

impl fmt::Display for ConfigSettings {
    /// `key=value key=value ...`, sorted by key, a repeated key once per value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (key, values) in &self.0 {
            for value in values {
                if !first {
                    f.write_str(" ")?;
                }
                first = false;
                write!(f, "{key}={value}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_value() {
        let entry: ConfigSettingEntry = "--build-option=--a=b".parse().unwrap();
        assert_eq!(entry.key, "--build-option");
        assert_eq!(entry.value, "--a=b");
        let empty: ConfigSettingEntry = "key=".parse().unwrap();
        assert_eq!(empty.value, "");
        assert_eq!(
            "novalue".parse::<ConfigSettingEntry>(),
            Err(ConfigSettingError::MissingEquals("novalue".to_string()))
        );
        assert_eq!(
            "=value".parse::<ConfigSettingEntry>(),
            Err(ConfigSettingError::EmptyKey("=value".to_string()))
        );
    }

    #[test]
    fn one_value_is_a_string_and_repeated_keys_a_list() {
        let settings: ConfigSettings = ["b=2", "a=1", "b=3"]
            .into_iter()
            .map(|argument| argument.parse().unwrap())
            .collect();
        assert_eq!(
            settings.to_json(),
            serde_json::json!({"a": "1", "b": ["2", "3"]})
        );
        assert_eq!(settings.to_string(), "a=1 b=2 b=3");
    }

    #[test]
    fn digest_is_stable_and_distinguishes() {
        let one: ConfigSettings = ["a=1", "b=2"]
            .into_iter()
            .map(|argument| argument.parse().unwrap())
            .collect();
        let other_order: ConfigSettings = ["b=2", "a=1"]
            .into_iter()
            .map(|argument| argument.parse().unwrap())
            .collect();
        let different: ConfigSettings = "a=2".parse().unwrap();
        assert_eq!(one.digest(), other_order.digest());
        assert_ne!(one.digest(), different.digest());
        assert_ne!(ConfigSettings::new().digest(), different.digest());
        assert_eq!(one.digest().len(), 64);
    }
}
