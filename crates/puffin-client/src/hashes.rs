//! Hashes of downloaded files ([`HashDigest`]s, never strings), and pip's
//! `--require-hashes` rule.

use puffin_package::{HashAlgorithm, HashDigest};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::ClientError;

/// Hashes a file as it streams by: always SHA-256 (the store's key, and the
/// `--hash` line a mismatch suggests), plus SHA-384 / SHA-512 when an
/// expected hash uses them.
pub(crate) struct Hasher {
    sha256: Sha256,
    sha384: Option<Sha384>,
    sha512: Option<Sha512>,
}

impl Hasher {
    /// A hasher for every algorithm among `expected`.
    pub(crate) fn for_expected<'a>(expected: impl IntoIterator<Item = &'a HashDigest>) -> Self {
        let mut hasher = Self {
            sha256: Sha256::new(),
            sha384: None,
            sha512: None,
        };
        for hash in expected {
            match hash.algorithm() {
                HashAlgorithm::Sha256 => {}
                HashAlgorithm::Sha384 => hasher.sha384 = Some(Sha384::new()),
                HashAlgorithm::Sha512 => hasher.sha512 = Some(Sha512::new()),
            }
        }
        hasher
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        if let Some(h) = &mut self.sha384 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha512 {
            h.update(bytes);
        }
    }

    /// The digests, SHA-256 first.
    pub(crate) fn finish(self) -> Computed {
        let sha256 = HashDigest::from_bytes(HashAlgorithm::Sha256, &self.sha256.finalize());
        let mut others = Vec::new();
        if let Some(h) = self.sha384 {
            others.push(HashDigest::from_bytes(HashAlgorithm::Sha384, &h.finalize()));
        }
        if let Some(h) = self.sha512 {
            others.push(HashDigest::from_bytes(HashAlgorithm::Sha512, &h.finalize()));
        }
        Computed { sha256, others }
    }
}

/// The digests of a file: its SHA-256, and those of the other algorithms
/// that were expected.
#[derive(Debug, Clone)]
pub(crate) struct Computed {
    pub(crate) sha256: HashDigest,
    others: Vec<HashDigest>,
}

impl Computed {
    /// The digest in `algorithm`, if it was computed.
    fn get(&self, algorithm: HashAlgorithm) -> Option<&HashDigest> {
        std::iter::once(&self.sha256)
            .chain(&self.others)
            .find(|digest| digest.algorithm() == algorithm)
    }

    /// Whether `expected` is this file's digest in its algorithm.
    fn matches(&self, expected: &HashDigest) -> bool {
        self.get(expected.algorithm()) == Some(expected)
    }
}

/// Check computed digests against the index's hashes (each must match) and
/// the requirement's `--hash` values (one must match, as in pip: several
/// `--hash` options list the files of different platforms).
pub(crate) fn check(
    filename: &str,
    source: &str,
    computed: &Computed,
    index_hashes: &[HashDigest],
    required: &[HashDigest],
) -> Result<(), ClientError> {
    let mismatch = |expected: Vec<HashDigest>| ClientError::HashMismatch {
        filename: filename.to_string(),
        url: source.to_string(),
        computed: expected
            .first()
            .and_then(|first| computed.get(first.algorithm()))
            .unwrap_or(&computed.sha256)
            .clone(),
        expected,
        sha256: computed.sha256.clone(),
    };
    for hash in index_hashes {
        if computed.get(hash.algorithm()).is_some() && !computed.matches(hash) {
            return Err(mismatch(vec![hash.clone()]));
        }
    }
    if !required.is_empty() && !required.iter().any(|hash| computed.matches(hash)) {
        return Err(mismatch(required.to_vec()));
    }
    Ok(())
}

/// pip's `--require-hashes` rule: hash-checking mode is on when the flag is
/// given or any requirement has a `--hash`, and then every requirement must
/// have one. `requirements` yields each requirement's display form (e.g.
/// `foo==1.0` or `requirements.txt:3`) and whether it has a hash (its own
/// `--hash`, or one of a constraint on its name). Returns whether
/// hash-checking mode is on, or the requirements that lack a hash.
pub fn check_require_hashes<'a>(
    require_hashes: bool,
    requirements: impl IntoIterator<Item = (&'a str, bool)>,
) -> Result<bool, Vec<String>> {
    let requirements: Vec<(&str, bool)> = requirements.into_iter().collect();
    let mode = require_hashes || requirements.iter().any(|(_, hashed)| *hashed);
    if !mode {
        return Ok(false);
    }
    let missing: Vec<String> = requirements
        .iter()
        .filter(|(_, hashed)| !hashed)
        .map(|(name, _)| (*name).to_string())
        .collect();
    if missing.is_empty() {
        Ok(true)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn digest(text: &str) -> HashDigest {
        text.parse().unwrap()
    }

    #[test]
    fn hashes_and_checks() {
        let sha512 = digest(&format!("sha512:{}", "0".repeat(128)));
        let computed = Hasher::for_expected([&sha512]).finish();
        assert_eq!(computed.sha256, digest(EMPTY_SHA256));
        let computed_sha512 = computed.get(HashAlgorithm::Sha512).unwrap();
        assert!(computed_sha512.digest().starts_with("cf83e1357eefb8bd"));
        assert!(check("f.whl", "x", &computed, &[digest(EMPTY_SHA256)], &[]).is_ok());
        // An index hash in an algorithm that was not computed is not checked.
        let sha384 = digest(&format!("sha384:{}", "0".repeat(96)));
        assert!(check("f.whl", "x", &computed, &[sha384], &[]).is_ok());
        // One of several required hashes is enough.
        let zero = digest(&format!("sha256:{}", "0".repeat(64)));
        let required = [zero.clone(), digest(EMPTY_SHA256)];
        assert!(check("f.whl", "x", &computed, &[], &required).is_ok());
        let err = check("f.whl", "http://127.0.0.1:1/f.whl", &computed, &[], &[zero]).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r"
        Hash mismatch for `f.whl` (from `http://127.0.0.1:1/f.whl`):
          expected: sha256:0000000000000000000000000000000000000000000000000000000000000000
          computed: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
        If you trust this file, use `--hash=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855` in the requirement instead
        ");
    }

    #[test]
    fn require_hashes_rule() {
        assert_eq!(check_require_hashes(false, [("a", false)]), Ok(false));
        assert_eq!(check_require_hashes(true, [("a", true)]), Ok(true));
        assert_eq!(
            check_require_hashes(false, [("a", true), ("b", false)]),
            Err(vec!["b".to_string()])
        );
        assert_eq!(
            check_require_hashes(true, [("b", false)]),
            Err(vec!["b".to_string()])
        );
    }
}
