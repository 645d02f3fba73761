//! Archive hashes as a type: the algorithm and the digest, parsed once from
//! pip's `<algorithm>:<hex>` form (`--hash=sha256:...`, index `#sha256=...`
//! fragments) and compared without hand conversions.

use std::fmt;
use std::str::FromStr;

use crate::MetadataError;

/// A hash algorithm puffin can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    /// SHA-256: the one every index publishes and the wheel store is keyed by.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The name as pip writes it: `sha256`, `sha384`, `sha512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The length of a digest in hex digits.
    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }
}

impl FromStr for HashAlgorithm {
    type Err = MetadataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sha256" => Ok(Self::Sha256),
            "sha384" => Ok(Self::Sha384),
            "sha512" => Ok(Self::Sha512),
            _ => Err(MetadataError::UnsupportedHash(s.to_string())),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A digest of an archive: the algorithm and the lowercase hex digest.
///
/// Parsing checks the digest's length and alphabet, so a `HashDigest` can be
/// used as a path component (the wheel store names entries by their SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HashDigest {
    algorithm: HashAlgorithm,
    /// Boxed: a digest never grows, and errors that carry two digests stay
    /// small.
    digest: Box<str>,
}

impl HashDigest {
    /// A digest from raw bytes, e.g. a hasher's output.
    pub fn from_bytes(algorithm: HashAlgorithm, bytes: &[u8]) -> Self {
        let digest: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        Self {
            algorithm,
            digest: digest.into_boxed_str(),
        }
    }

    /// A digest from its algorithm and hex digest (any case).
    pub fn new(algorithm: HashAlgorithm, hex: &str) -> Result<Self, MetadataError> {
        let valid = hex.len() == algorithm.hex_len() && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(MetadataError::InvalidHash(format!("{algorithm}:{hex}")));
        }
        Ok(Self {
            algorithm,
            digest: hex.to_ascii_lowercase().into_boxed_str(),
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The digest in lowercase hex.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

impl FromStr for HashDigest {
    type Err = MetadataError;

    /// Parse `<algorithm>:<hex>` (pip's `--hash` form) or `<algorithm>=<hex>`
    /// (a URL fragment).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algorithm, hex) = s
            .split_once(':')
            .or_else(|| s.split_once('='))
            .ok_or_else(|| MetadataError::InvalidHash(s.to_string()))?;
        Self::new(algorithm.parse()?, hex)
    }
}

impl fmt::Display for HashDigest {
    /// `<algorithm>:<hex>`, as `--hash` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.digest)
    }
}

impl serde::Serialize for HashDigest {
    /// As `<algorithm>:<hex>`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HashDigest {
    /// From `<algorithm>:<hex>`, checked as [`HashDigest::from_str`] checks it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn parses_both_forms_and_normalizes_case() {
        let upper = format!("SHA256:{}", HEX.to_ascii_uppercase());
        let digest: HashDigest = upper.parse().unwrap();
        assert_eq!(digest.algorithm(), HashAlgorithm::Sha256);
        assert_eq!(digest.digest(), HEX);
        assert_eq!(digest.to_string(), format!("sha256:{HEX}"));
        let fragment: HashDigest = format!("sha256={HEX}").parse().unwrap();
        assert_eq!(fragment, digest);
    }

    #[test]
    fn refuses_bad_digests() {
        for bad in [
            "sha256".to_string(),
            format!("md5:{HEX}"),
            "sha256:abc".to_string(),
            format!("sha256:{}/", &HEX[..63]),
            format!("sha384:{HEX}"),
        ] {
            assert!(bad.parse::<HashDigest>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serializes_as_pip_writes_it() {
        let digest: HashDigest = format!("sha256:{HEX}").parse().unwrap();
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"sha256:{HEX}\""));
        assert_eq!(serde_json::from_str::<HashDigest>(&json).unwrap(), digest);
        assert!(serde_json::from_str::<HashDigest>("\"md5:00\"").is_err());
    }

    #[test]
    fn from_bytes_is_lowercase_hex() {
        let digest = HashDigest::from_bytes(HashAlgorithm::Sha256, &[0xAB; 32]);
        assert_eq!(digest.digest(), "ab".repeat(32));
    }
}
