//! Credentials never leave the process: every URL that reaches an error
//! message, a log line or a file goes through this crate.
//!
//! - [`redact_text`] masks the user info of every `scheme://user:password@host`
//!   in a text (a URL, a requirement, a message), whether or not the URL
//!   parses: `https://user:****@host/`, `https://****@host/` for a lone user
//!   name (often a token), as pip's `redact_auth_from_url` does.
//!   [`redact_url`] is the same for a parsed [`Url`].
//! - [`remove_credentials`] drops the user info instead, for files that must
//!   not hold credentials ([PEP 610]'s `direct_url.json`, `pip-freeze`
//!   output), keeping only the environment variable form `${USER}` or
//!   `${USER}:${PASSWORD}` that PEP 610 allows.
//!
//! [PEP 610]: https://packaging.python.org/en/latest/specifications/direct-url-data-structure/#url

use std::borrow::Cow;

use url::Url;

/// What replaces a password (or a lone user name) in messages.
const MASK: &str = "****";

/// `text` with the user info of every URL in it masked: the password
/// replaced with `****`, and a user name without password (a token) too.
///
/// ```
/// use puffin_redact::redact_text;
/// assert_eq!(
///     redact_text("foo @ https://alice:s3cret@host/foo.whl ; python_version > '3'"),
///     "foo @ https://alice:****@host/foo.whl ; python_version > '3'"
/// );
/// assert_eq!(redact_text("https://tok3n@host:bad/"), "https://****@host:bad/");
/// ```
pub fn redact_text(text: &str) -> Cow<'_, str> {
    replace_user_info(text, |user_info| {
        Some(match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:{MASK}@"),
            None => format!("{MASK}@"),
        })
    })
}

/// A URL as text with its user info masked, see [`redact_text`].
pub fn redact_url(url: &Url) -> String {
    redact_text(url.as_str()).into_owned()
}

/// `url` (or any text holding URLs) without user names and passwords, for
/// files: PEP 610 says that `direct_url.json` MUST NOT hold credentials, except
/// a user info made only of environment variables (`${USER}`,
/// `${USER}:${PASSWORD}`), which is kept (decoded from the percent escapes a
/// URL library writes for `{` and `}`).
pub fn remove_credentials(url: &str) -> Cow<'_, str> {
    replace_user_info(url, |user_info| {
        let decoded = percent_decode(user_info);
        is_env_var_user_info(&decoded).then(|| format!("{decoded}@"))
    })
}

/// Whether the user info is `${NAME}` or `${NAME}:${NAME}` (pip's rule, with
/// names of letters, digits, `-` and `_`).
fn is_env_var_user_info(user_info: &str) -> bool {
    let is_var = |part: &str| {
        part.strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .is_some_and(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    };
    match user_info.split_once(':') {
        Some((user, password)) => is_var(user) && is_var(password),
        None => is_var(user_info),
    }
}

fn percent_decode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|hex| {
            let hex = std::str::from_utf8(hex).ok()?;
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit())
                .then(|| u8::from_str_radix(hex, 16).ok())?
        });
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a byte may end a URL scheme (RFC 3986: letters, digits, `+-.`).
fn is_scheme_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.')
}

/// Whether a character ends a URL's authority (RFC 3986), or the URL itself
/// in running text (characters that a URL never holds unescaped; `'` may be
/// in a password).
fn ends_authority(c: char) -> bool {
    matches!(c, '/' | '?' | '#' | '\\' | '"' | '`' | '<' | '>') || c.is_whitespace()
}

/// Replace the user info (with its `@`) of every `scheme://user info@host` in
/// `text` with what `replacement` returns for it (`None`: remove it). The user
/// info ends at the last `@` of the authority, so that an unescaped `@` in a
/// password is covered too.
fn replace_user_info(text: &str, replacement: impl Fn(&str) -> Option<String>) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let authority_start = search + found + 3;
        let authority_end = text[authority_start..]
            .find(ends_authority)
            .map_or(text.len(), |end| authority_start + end);
        let has_scheme = text[..search + found]
            .bytes()
            .next_back()
            .is_some_and(is_scheme_byte);
        if has_scheme && let Some(at) = text[authority_start..authority_end].rfind('@') {
            let user_info = &text[authority_start..authority_start + at];
            out.push_str(&text[copied..authority_start]);
            out.push_str(&replacement(user_info).unwrap_or_default());
            copied = authority_start + at + 1;
        }
        // Not past the authority: text before a `/` may end a scheme (`a://b://`).
        search = authority_start;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords_and_tokens() {
        assert_eq!(
            redact_text("https://us%40er:p%3Ass@a.invalid/simple/"),
            "https://us%40er:****@a.invalid/simple/"
        );
        assert_eq!(
            redact_text("https://token@a.invalid/simple/"),
            "https://****@a.invalid/simple/"
        );
        assert_eq!(
            redact_text("`http://u:p@ss@h/x` and `https://v:q@g`"),
            "`http://u:****@h/x` and `https://v:****@g`"
        );
        // No user info: untouched, and not copied.
        assert!(matches!(
            redact_text("git+https://h/repo.git@v1.0 and a@b"),
            Cow::Borrowed(_)
        ));
        // Not a URL: no scheme before `://`.
        assert_eq!(redact_text("://u:p@h"), "://u:p@h");
        // An invalid URL (a bad port) is masked too.
        assert_eq!(redact_text("http://u:p@h:port/"), "http://u:****@h:port/");
    }

    #[test]
    fn redacts_parsed_urls() {
        let url = Url::parse("https://alice:s3cret@a.invalid/simple/").unwrap();
        assert_eq!(redact_url(&url), "https://alice:****@a.invalid/simple/");
    }

    #[test]
    fn removes_credentials_but_keeps_environment_variables() {
        assert_eq!(
            remove_credentials("https://alice:s3cret@a.invalid/foo.whl"),
            "https://a.invalid/foo.whl"
        );
        assert_eq!(
            remove_credentials("https://tok3n@a.invalid/foo.whl"),
            "https://a.invalid/foo.whl"
        );
        assert_eq!(
            remove_credentials("https://${USER}:${PASS_WORD}@a.invalid/foo.whl"),
            "https://${USER}:${PASS_WORD}@a.invalid/foo.whl"
        );
        let url = Url::parse("https://${USER}@a.invalid/foo.whl").unwrap();
        assert_eq!(
            remove_credentials(url.as_str()),
            "https://${USER}@a.invalid/foo.whl"
        );
        // Half a variable is a credential.
        assert_eq!(
            remove_credentials("https://${USER}:pw@a.invalid/"),
            "https://a.invalid/"
        );
    }

    proptest::proptest! {
        /// Whatever surrounds it, a password never survives redaction or removal.
        #[test]
        fn passwords_never_survive(
            before in "\\PC{0,12}",
            scheme in "[a-z][a-z0-9+.-]{0,6}",
            user in "[A-Za-z0-9._~%-]{0,8}",
            password in "SECRET[A-Za-z0-9._~%!$&'()*+,;=@-]{0,12}",
            host in "[a-z0-9.-]{0,10}(:[0-9a-z]{0,5})?",
            after in "([/?#][\\PC]{0,12})?",
        ) {
            let text = format!("{before}{scheme}://{user}:{password}@{host}{after}");
            let redacted = redact_text(&text);
            let removed = remove_credentials(&text);
            let leaked = |out: &str| out.matches(password.as_str()).count()
                > (before.matches(password.as_str()).count() + after.matches(password.as_str()).count());
            proptest::prop_assert!(!leaked(&redacted), "{redacted}");
            proptest::prop_assert!(!leaked(&removed), "{removed}");
        }
    }
}
