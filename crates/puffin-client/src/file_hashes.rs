//! The hashes an index lists for a file, kept small: a page can list
//! hundreds of thousands of files, nearly each with one SHA-256, which is
//! held as its 32 bytes inside the [`IndexFile`](crate::IndexFile) rather
//! than as a list of hex strings.

use puffin_package::{HashAlgorithm, HashDigest};
use serde::{Deserialize, Serialize};

/// The hashes of one file (or of its metadata file), in algorithms puffin
/// checks. Serialized as a list of `<algorithm>:<hex>` strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileHashes(Repr);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Repr {
    #[default]
    None,
    /// One SHA-256, the usual case.
    Sha256([u8; 32]),
    /// Any other set.
    Digests(Box<[HashDigest]>),
}

impl FileHashes {
    /// The hashes among `digests`, each kept once, in their order.
    pub fn new(digests: impl IntoIterator<Item = HashDigest>) -> Self {
        let mut unique: Vec<HashDigest> = Vec::new();
        for digest in digests {
            if !unique.contains(&digest) {
                unique.push(digest);
            }
        }
        match unique.as_slice() {
            [] => Self(Repr::None),
            [only] if only.algorithm() == HashAlgorithm::Sha256 => {
                match decode_sha256(only.digest()) {
                    Some(bytes) => Self(Repr::Sha256(bytes)),
                    None => Self(Repr::Digests(unique.into_boxed_slice())),
                }
            }
            _ => Self(Repr::Digests(unique.into_boxed_slice())),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::None => 0,
            Repr::Sha256(_) => 1,
            Repr::Digests(digests) => digests.len(),
        }
    }

    /// The hashes as [`HashDigest`]s.
    pub fn to_vec(&self) -> Vec<HashDigest> {
        match &self.0 {
            Repr::None => Vec::new(),
            Repr::Sha256(bytes) => {
                vec![HashDigest::new(HashAlgorithm::Sha256, &encode_sha256(bytes)).expect("hex")]
            }
            Repr::Digests(digests) => digests.to_vec(),
        }
    }

    /// The hashes, one [`HashDigest`] at a time.
    pub fn iter(&self) -> impl Iterator<Item = HashDigest> + '_ {
        self.to_vec().into_iter()
    }
}

/// The bytes of a lowercase hex SHA-256 digest (as [`HashDigest`] keeps it).
/// Written out by hand: a page decodes one a file, and so does every debug
/// build's test.
fn decode_sha256(hex: &str) -> Option<[u8; 32]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0; 32];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(bytes)
}

/// The lowercase hex of a SHA-256 digest.
fn encode_sha256(bytes: &[u8; 32]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(64);
    for byte in bytes {
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    text
}

impl From<Vec<HashDigest>> for FileHashes {
    fn from(digests: Vec<HashDigest>) -> Self {
        Self::new(digests)
    }
}

impl FromIterator<HashDigest> for FileHashes {
    fn from_iter<I: IntoIterator<Item = HashDigest>>(digests: I) -> Self {
        Self::new(digests)
    }
}

impl Serialize for FileHashes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            // Written straight from the bytes: a cached page writes one a file.
            Repr::Sha256(bytes) => {
                let text = format!("sha256:{}", encode_sha256(bytes));
                serializer.collect_seq([text])
            }
            _ => serializer.collect_seq(self.to_vec()),
        }
    }
}

impl<'de> Deserialize<'de> for FileHashes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<HashDigest>::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn digest(text: &str) -> HashDigest {
        text.parse().unwrap()
    }

    /// One SHA-256 is held as bytes and given back as the same digest;
    /// duplicates are dropped, and other sets are kept in order.
    #[test]
    fn round_trips() {
        let sha256 = digest(&format!("sha256:{SHA256}"));
        let hashes = FileHashes::new([sha256.clone(), sha256.clone()]);
        assert!(matches!(hashes.0, Repr::Sha256(_)));
        assert_eq!(hashes.to_vec(), std::slice::from_ref(&sha256));
        let sha512 = digest(&format!("sha512:{}", "ab".repeat(64)));
        let both = FileHashes::new([sha512.clone(), sha256.clone()]);
        assert_eq!(both.len(), 2);
        assert_eq!(both.to_vec(), [sha512, sha256]);
        assert!(FileHashes::default().is_empty());
        let json = serde_json::to_string(&both).unwrap();
        assert_eq!(serde_json::from_str::<FileHashes>(&json).unwrap(), both);
        assert_eq!(
            serde_json::to_string(&hashes).unwrap(),
            format!(r#"["sha256:{SHA256}"]"#)
        );
    }

    /// A file of a page costs little: the common single SHA-256 needs no
    /// allocation of its own.
    #[test]
    fn is_small() {
        assert!(std::mem::size_of::<FileHashes>() <= 40);
    }
}
