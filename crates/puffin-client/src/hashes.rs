//! Hashes of downloaded files, and pip's `--require-hashes` rule.

use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::ClientError;

/// The algorithms puffin checks.
const SUPPORTED: [&str; 3] = ["sha256", "sha384", "sha512"];

/// Hashes a file as it streams by: always SHA-256 (for the `--hash` line a
/// mismatch suggests), plus SHA-384 / SHA-512 when an expected hash uses them.
pub(crate) struct Hasher {
    sha256: Sha256,
    sha384: Option<Sha384>,
    sha512: Option<Sha512>,
}

impl Hasher {
    /// A hasher for every algorithm among `expected` (`<algorithm>:<hex>`).
    pub(crate) fn for_expected<'a>(expected: impl IntoIterator<Item = &'a String>) -> Self {
        let mut hasher = Self {
            sha256: Sha256::new(),
            sha384: None,
            sha512: None,
        };
        for hash in expected {
            match hash.split_once(':').map(|(algorithm, _)| algorithm) {
                Some("sha384") => hasher.sha384 = Some(Sha384::new()),
                Some("sha512") => hasher.sha512 = Some(Sha512::new()),
                _ => {}
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

    /// The digests, as `<algorithm>:<hex>`, SHA-256 first.
    pub(crate) fn finish(self) -> Vec<String> {
        let hex = |bytes: &[u8]| data_encoding::HEXLOWER.encode(bytes);
        let mut digests = vec![format!("sha256:{}", hex(&self.sha256.finalize()))];
        if let Some(h) = self.sha384 {
            digests.push(format!("sha384:{}", hex(&h.finalize())));
        }
        if let Some(h) = self.sha512 {
            digests.push(format!("sha512:{}", hex(&h.finalize())));
        }
        digests
    }
}

/// Check computed digests against the index's hashes (each supported one must
/// match) and the requirement's `--hash` values (one must match, as in pip:
/// several `--hash` options list the files of different platforms).
pub(crate) fn check(
    filename: &str,
    source: &str,
    computed: &[String],
    index_hashes: &[String],
    required: &[String],
) -> Result<(), ClientError> {
    for hash in required {
        let algorithm = hash.split_once(':').map(|(a, _)| a);
        if !algorithm.is_some_and(|a| SUPPORTED.contains(&a)) {
            return Err(ClientError::UnsupportedHash {
                filename: filename.to_string(),
                hash: hash.clone(),
            });
        }
    }
    let computed_for = |expected: &str| -> Option<&String> {
        let algorithm = expected.split_once(':')?.0;
        computed
            .iter()
            .find(|c| c.split_once(':').is_some_and(|(a, _)| a == algorithm))
    };
    let matches = |expected: &String| {
        computed_for(expected).is_some_and(|c| c.eq_ignore_ascii_case(expected))
    };
    let mismatch = |expected: Vec<String>| {
        let computed_hash = expected
            .first()
            .and_then(|e| computed_for(e))
            .unwrap_or(&computed[0])
            .clone();
        ClientError::HashMismatch {
            filename: filename.to_string(),
            url: source.to_string(),
            expected,
            computed: computed_hash,
            sha256: computed[0].clone(),
        }
    };
    for hash in index_hashes {
        if computed_for(hash).is_some() && !matches(hash) {
            return Err(mismatch(vec![hash.clone()]));
        }
    }
    if !required.is_empty() && !required.iter().any(matches) {
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

    #[test]
    fn hashes_and_checks() {
        let hasher = Hasher::for_expected(&["sha512:00".to_string()]);
        let computed = hasher.finish();
        assert_eq!(computed[0], EMPTY_SHA256);
        assert!(computed[1].starts_with("sha512:cf83e1357eefb8bd"));
        assert!(check("f.whl", "x", &computed, &[EMPTY_SHA256.to_string()], &[]).is_ok());
        // An unknown index algorithm is not checked; a required one is an error.
        assert!(check("f.whl", "x", &computed, &["md5:00".to_string()], &[]).is_ok());
        assert!(matches!(
            check("f.whl", "x", &computed, &[], &["md5:00".to_string()]),
            Err(ClientError::UnsupportedHash { .. })
        ));
        // One of several required hashes is enough.
        let required = ["sha256:00".to_string(), EMPTY_SHA256.to_string()];
        assert!(check("f.whl", "x", &computed, &[], &required).is_ok());
        let err = check(
            "f.whl",
            "http://127.0.0.1:1/f.whl",
            &computed,
            &[],
            &["sha256:00".to_string()],
        )
        .unwrap_err();
        insta::assert_snapshot!(err.to_string(), @r"
        Hash mismatch for `f.whl` (from `http://127.0.0.1:1/f.whl`):
          expected: sha256:00
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
