//! `git+` URLs in pip's forms.

use std::fmt;
use std::str::FromStr;

use percent_encoding::percent_decode_str;
use puffin_redact::{redact_text, redact_url};
use url::Url;

use crate::error::GitUrlError;

/// The transports a `git+` URL may use.
const SCHEMES: [&str; 5] = ["https", "http", "ssh", "git", "file"];

/// Characters git gives a meaning in a revision (`main~1`, `a..b`, `@{u}`,
/// `tag^{}`), or never allows in a ref name: refused in `@rev`, so that it
/// is only ever a branch, a tag or a commit.
const REV_SPECIAL: [char; 9] = ['~', '^', ':', '?', '*', '[', '\\', '{', '}'];

/// A `git+` requirement URL, as pip writes them:
/// `git+https://host/org/repo.git@v1.0#subdirectory=pkg&egg=name`,
/// `git+ssh://git@host/org/repo.git@main`, `git+file:///abs/path/repo@<sha>`.
///
/// The repository URL keeps its credentials, for fetching; [`fmt::Display`]
/// masks them. The `egg=` fragment (a name hint) is ignored, as are other
/// fragment keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GitUrl {
    repository: Url,
    rev: Option<String>,
    subdirectory: Option<String>,
}

impl GitUrl {
    /// Parse a `git+` URL. Other version control systems (`hg+`, `svn+`,
    /// `bzr+`) are refused as not supported; a revision starting with `-` or
    /// holding a character git gives a meaning to is refused, and so is a
    /// subdirectory that is absolute or has a `..` component.
    pub fn parse(url: &str) -> Result<Self, GitUrlError> {
        let redacted = || redact_text(url).into_owned();
        let lower = url.to_ascii_lowercase();
        for (prefix, vcs) in [
            ("hg+", "Mercurial"),
            ("svn+", "Subversion"),
            ("bzr+", "Bazaar"),
        ] {
            if lower.starts_with(prefix) {
                return Err(GitUrlError::UnsupportedVcs {
                    url: redacted(),
                    vcs,
                });
            }
        }
        let Some(rest) = lower.starts_with("git+").then(|| &url[4..]) else {
            return Err(GitUrlError::NotGit { url: redacted() });
        };
        let mut repository = Url::parse(rest).map_err(|err| GitUrlError::InvalidUrl {
            url: redacted(),
            reason: err.to_string(),
        })?;
        if !SCHEMES.contains(&repository.scheme()) {
            return Err(GitUrlError::NotGit { url: redacted() });
        }
        let subdirectory = match repository.fragment() {
            Some(fragment) => parse_subdirectory(fragment, &redacted)?,
            None => None,
        };
        repository.set_fragment(None);
        let rev = match repository.path().rsplit_once('@') {
            Some((path, rev)) => {
                let rev = percent_decode_str(rev).decode_utf8_lossy().into_owned();
                let path = path.to_string();
                repository.set_path(&path);
                check_rev(&rev).map_err(|reason| GitUrlError::InvalidRev {
                    url: redacted(),
                    rev: rev.clone(),
                    reason,
                })?;
                Some(rev)
            }
            None => None,
        };
        Ok(Self {
            repository,
            rev,
            subdirectory,
        })
    }

    /// The repository URL, without `git+`, `@rev` and fragment, with its
    /// credentials (never print it: use [`puffin_redact::redact_url`]).
    pub fn repository(&self) -> &Url {
        &self.repository
    }

    /// The revision after `@`: a branch, a tag, or a full or short commit.
    pub fn rev(&self) -> Option<&str> {
        self.rev.as_deref()
    }

    /// The `#subdirectory=` of the project inside the repository, normalized
    /// (`/`-separated, no `.` or empty components).
    pub fn subdirectory(&self) -> Option<&str> {
        self.subdirectory.as_deref()
    }

    /// The same URL at another revision, e.g. pinned to the commit a fetch
    /// resolved (for PEP 610's `direct_url.json`).
    #[must_use]
    pub fn with_rev(&self, rev: &str) -> Self {
        Self {
            rev: Some(rev.to_string()),
            ..self.clone()
        }
    }

    /// The repository's identity for cache keys: the repository URL without
    /// credentials and without a trailing `/`. The scheme and host are
    /// lowercase (the URL parser makes them so); the path is kept as is (a
    /// `.git` suffix is not dropped: for `file://` repositories it names
    /// another directory).
    pub fn canonical(&self) -> String {
        let mut url = self.repository.clone();
        // Only fails for URLs that cannot have credentials, which have none.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.as_str().trim_end_matches('/').to_string()
    }

    /// The repository URL with credentials masked, for messages.
    pub(crate) fn redacted(&self) -> String {
        redact_url(&self.repository)
    }
}

impl FromStr for GitUrl {
    type Err = GitUrlError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Self::parse(url)
    }
}

impl fmt::Display for GitUrl {
    /// `git+<repository, credentials masked>[@rev][#subdirectory=...]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "git+{}", redact_url(&self.repository))?;
        if let Some(rev) = &self.rev {
            write!(f, "@{rev}")?;
        }
        if let Some(subdirectory) = &self.subdirectory {
            write!(f, "#subdirectory={subdirectory}")?;
        }
        Ok(())
    }
}

/// Why a revision is refused, if it is.
fn check_rev(rev: &str) -> Result<(), &'static str> {
    if rev.is_empty() {
        Err("is empty")
    } else if rev.starts_with('-') {
        Err("starts with `-`, which git would read as an option")
    } else if rev.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("contains whitespace or a control character")
    } else if rev.contains("..") || rev.contains(REV_SPECIAL) {
        Err("contains characters git does not allow in a branch or tag name")
    } else {
        Ok(())
    }
}

/// The normalized `subdirectory` of a fragment such as
/// `subdirectory=pkg&egg=name`, if it has one.
fn parse_subdirectory(
    fragment: &str,
    redacted: &dyn Fn() -> String,
) -> Result<Option<String>, GitUrlError> {
    let mut found = None;
    for pair in fragment.split('&') {
        let Some(("subdirectory", value)) = pair.split_once('=') else {
            continue;
        };
        let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
        let invalid = |reason| GitUrlError::InvalidSubdirectory {
            url: redacted(),
            subdirectory: value.clone(),
            reason,
        };
        if value.starts_with('/') || value.contains('\\') || value.as_bytes().get(1) == Some(&b':')
        {
            return Err(invalid("must be a relative, `/`-separated path"));
        }
        let mut parts = Vec::new();
        for part in value.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(invalid("must not contain `..`")),
                part => parts.push(part),
            }
        }
        found = (!parts.is_empty()).then(|| parts.join("/"));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pip_forms() {
        let url =
            GitUrl::parse("git+https://host/org/repo.git@v1.0#subdirectory=pkg&egg=name").unwrap();
        assert_eq!(url.repository().as_str(), "https://host/org/repo.git");
        assert_eq!(url.rev(), Some("v1.0"));
        assert_eq!(url.subdirectory(), Some("pkg"));

        let url = GitUrl::parse("git+ssh://git@host/org/repo.git@main").unwrap();
        assert_eq!(url.repository().as_str(), "ssh://git@host/org/repo.git");
        assert_eq!(url.rev(), Some("main"));
        assert_eq!(url.canonical(), "ssh://host/org/repo.git");

        let url = GitUrl::parse("git+file:///abs/path/repo@0123abc").unwrap();
        assert_eq!(url.repository().as_str(), "file:///abs/path/repo");
        assert_eq!(url.rev(), Some("0123abc"));

        let url = GitUrl::parse("git+http://host/repo/").unwrap();
        assert_eq!(url.rev(), None);
        assert_eq!(url.subdirectory(), None);
        assert_eq!(url.canonical(), "http://host/repo");

        let url =
            GitUrl::parse("git+https://host/repo.git@feature/x#subdirectory=./a//b/").unwrap();
        assert_eq!(url.rev(), Some("feature/x"));
        assert_eq!(url.subdirectory(), Some("a/b"));
    }

    #[test]
    fn credentials_are_kept_but_never_shown() {
        let url = GitUrl::parse("git+https://user:s3cret@host/repo.git@v1#subdirectory=p").unwrap();
        assert_eq!(url.repository().password(), Some("s3cret"));
        assert_eq!(
            url.to_string(),
            "git+https://user:****@host/repo.git@v1#subdirectory=p"
        );
        assert_eq!(url.canonical(), "https://host/repo.git");
        let err = GitUrl::parse("git+https://user:s3cret@host/repo.git@-x").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn refuses_other_vcs_and_bad_parts() {
        for url in [
            "hg+https://host/repo",
            "svn+https://host/repo",
            "bzr+https://host/repo",
        ] {
            let err = GitUrl::parse(url).unwrap_err();
            assert!(matches!(err, GitUrlError::UnsupportedVcs { .. }), "{err}");
            assert!(err.to_string().contains("not supported"), "{err}");
        }
        assert!(matches!(
            GitUrl::parse("https://host/repo"),
            Err(GitUrlError::NotGit { .. })
        ));
        assert!(matches!(
            GitUrl::parse("git+ftp://host/repo"),
            Err(GitUrlError::NotGit { .. })
        ));
        // The scp-like form needs `ssh://` in a URL.
        assert!(matches!(
            GitUrl::parse("git+git@host:repo"),
            Err(GitUrlError::InvalidUrl { .. })
        ));
        assert!(matches!(
            GitUrl::parse("git+https://[bad/repo"),
            Err(GitUrlError::InvalidUrl { .. })
        ));
        for rev in ["-x", "--upload-pack=evil", "a..b", "main~1", "x^{}", ""] {
            let err = GitUrl::parse(&format!("git+https://host/repo@{rev}")).unwrap_err();
            assert!(
                matches!(err, GitUrlError::InvalidRev { .. }),
                "{rev}: {err}"
            );
        }
        for subdirectory in ["/abs", "a/../..", "..", "C:/x", "a\\b"] {
            let err = GitUrl::parse(&format!(
                "git+https://host/repo#subdirectory={subdirectory}"
            ))
            .unwrap_err();
            assert!(
                matches!(err, GitUrlError::InvalidSubdirectory { .. }),
                "{subdirectory}: {err}"
            );
        }
    }

    #[test]
    fn pins_and_displays() {
        let url = GitUrl::parse("git+https://host/repo.git@main#subdirectory=pkg").unwrap();
        let pinned = url.with_rev("0123456789012345678901234567890123456789");
        assert_eq!(
            pinned.to_string(),
            "git+https://host/repo.git@0123456789012345678901234567890123456789#subdirectory=pkg"
        );
        assert_eq!(GitUrl::parse(&pinned.to_string()).unwrap(), pinned);
    }
}
