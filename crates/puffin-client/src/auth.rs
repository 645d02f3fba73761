//! Credentials for indexes: from the index URL's user info, kept for every
//! request to the same host (file downloads often have no credentials in
//! their URLs), and from `~/.netrc`. Credentials are never logged: every URL
//! in a message goes through [`redact`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use fs_err as fs;
use tracing::debug;
use url::Url;

/// A URL as text with its user info masked, for messages and logs (the one
/// redaction of the workspace, see [`puffin_redact`]).
pub(crate) use puffin_redact::redact_url as redact;

/// A user name and an optional password for HTTP basic authentication.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .finish()
    }
}

/// The host key credentials are stored under: scheme, host and port.
fn host_key(url: &Url) -> Option<String> {
    Some(format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

/// Credentials known for each host: the ones given in index URLs, then netrc.
#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialStore {
    by_host: Arc<RwLock<HashMap<String, Credentials>>>,
    netrc: Option<Arc<Netrc>>,
}

impl CredentialStore {
    /// A store with the netrc file that `NETRC` names, else `~/.netrc`, if it exists.
    pub(crate) fn new(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let path = env("NETRC")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|home| Path::new(&home).join(".netrc")));
        let netrc = path
            .filter(|p| p.is_file())
            .and_then(|path| match fs::read_to_string(&path) {
                Ok(text) => Some(Arc::new(Netrc::parse(&text))),
                Err(err) => {
                    debug!(%err, "Ignoring unreadable netrc file");
                    None
                }
            });
        Self {
            by_host: Arc::default(),
            netrc,
        }
    }

    /// Strip credentials from `url`, remembering them for its host.
    pub(crate) fn take_from_url(&self, url: &mut Url) {
        if url.username().is_empty() && url.password().is_none() {
            return;
        }
        let credentials = Credentials {
            username: percent_decode(url.username()),
            password: url.password().map(percent_decode),
        };
        if let Some(key) = host_key(url) {
            self.by_host
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, credentials);
        }
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }

    /// Remember `credentials` for the host of `url` (e.g. from the keyring),
    /// for every later request to it.
    pub(crate) fn remember(&self, url: &Url, credentials: Credentials) {
        if let Some(key) = host_key(url) {
            self.by_host
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, credentials);
        }
    }

    /// The credentials for a request to `url`: its own user info, else those
    /// remembered for its host, else the netrc entry for its host.
    pub(crate) fn for_url(&self, url: &Url) -> Option<Credentials> {
        if !url.username().is_empty() {
            return Some(Credentials {
                username: percent_decode(url.username()),
                password: url.password().map(percent_decode),
            });
        }
        if let Some(key) = host_key(url)
            && let Some(found) = self
                .by_host
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&key)
        {
            return Some(found.clone());
        }
        self.netrc.as_ref()?.for_host(url.host_str()?)
    }
}

/// Decode the `%XX` escapes of a URL's user or password.
fn percent_decode(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

/// A parsed `.netrc`: `machine <host> login <user> password <password>`
/// entries and an optional `default` entry. `macdef` blocks are skipped.
///
/// Hand-written on purpose: of the crates, `netrc` was last released in
/// 2015; `rust-netrc` is dormant (three releases, none since early 2025),
/// keys `default` in the same map as a machine of that name and cannot tell
/// a missing password from an empty one; uv's fork of it, `uv-netrc`, is
/// published as an internal component with an unstable API; `netrc-parser`
/// had two releases in one day and pulls in nom, regex, serde and toml.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Netrc {
    machines: Vec<(String, Credentials)>,
    default: Option<Credentials>,
}

impl Netrc {
    /// Parse the netrc format: whitespace-separated tokens, `#` comments.
    pub(crate) fn parse(text: &str) -> Self {
        let mut netrc = Self::default();
        // Remove comments and `macdef` bodies (which end at a blank line).
        let mut cleaned = String::new();
        let mut in_macdef = false;
        for line in text.lines() {
            if in_macdef {
                if line.trim().is_empty() {
                    in_macdef = false;
                }
                continue;
            }
            let line = line.split('#').next().unwrap_or_default();
            if line.split_whitespace().next() == Some("macdef") {
                in_macdef = true;
                continue;
            }
            cleaned.push_str(line);
            cleaned.push('\n');
        }
        let mut tokens = cleaned.split_whitespace().peekable();
        // The entry being read: `Some(Some(host))` for a machine, `Some(None)` for default.
        let mut current: Option<Option<String>> = None;
        let mut login = None;
        let mut password = None;
        let mut finish = |current: &mut Option<Option<String>>,
                          login: &mut Option<String>,
                          password: &mut Option<String>| {
            if let Some(entry) = current.take() {
                let credentials = Credentials {
                    username: login.take().unwrap_or_default(),
                    password: password.take(),
                };
                match entry {
                    Some(host) => netrc.machines.push((host, credentials)),
                    None => {
                        if netrc.default.is_none() {
                            netrc.default = Some(credentials);
                        }
                    }
                }
            }
            *login = None;
            *password = None;
        };
        while let Some(token) = tokens.next() {
            match token {
                "machine" => {
                    finish(&mut current, &mut login, &mut password);
                    current = Some(tokens.next().map(ToString::to_string));
                    if current == Some(None) {
                        current = None;
                    }
                }
                "default" => {
                    finish(&mut current, &mut login, &mut password);
                    current = Some(None);
                }
                "login" => login = tokens.next().map(ToString::to_string),
                "password" => password = tokens.next().map(ToString::to_string),
                "account" => {
                    tokens.next();
                }
                _ => {}
            }
        }
        finish(&mut current, &mut login, &mut password);
        netrc
    }

    /// The credentials of the first `machine` entry for `host`, else the `default` entry.
    pub(crate) fn for_host(&self, host: &str) -> Option<Credentials> {
        self.machines
            .iter()
            .find(|(machine, _)| machine.eq_ignore_ascii_case(host))
            .map(|(_, credentials)| credentials.clone())
            .or_else(|| self.default.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_netrc() {
        let netrc = Netrc::parse(
            "# comment\nmachine a.invalid login alice password s3cret\n\
             macdef init\ncd /pub\n\nmachine b.invalid\n  login bob\n  password pw # trailing\n\
             default login anon password anon\n",
        );
        assert_eq!(
            netrc.for_host("A.invalid"),
            Some(Credentials {
                username: "alice".to_string(),
                password: Some("s3cret".to_string())
            })
        );
        assert_eq!(netrc.for_host("b.invalid").unwrap().username, "bob");
        assert_eq!(netrc.for_host("b.invalid").unwrap().password.unwrap(), "pw");
        assert_eq!(netrc.for_host("c.invalid").unwrap().username, "anon");
    }

    #[test]
    fn url_credentials_are_kept_for_the_host_and_never_shown() {
        let store = CredentialStore::default();
        let mut index = Url::parse("https://us%40er:p%3Ass@a.invalid/simple/").unwrap();
        assert_eq!(redact(&index), "https://us%40er:****@a.invalid/simple/");
        store.take_from_url(&mut index);
        assert_eq!(index.as_str(), "https://a.invalid/simple/");
        let file = Url::parse("https://a.invalid/files/x.whl").unwrap();
        let found = store.for_url(&file).unwrap();
        assert_eq!(found.username, "us@er");
        assert_eq!(found.password.as_deref(), Some("p:ss"));
        assert!(!format!("{found:?}").contains("p:ss"));
        // Another host or port gets nothing.
        assert!(
            store
                .for_url(&Url::parse("https://b.invalid/x").unwrap())
                .is_none()
        );
        assert!(
            store
                .for_url(&Url::parse("https://a.invalid:8443/x").unwrap())
                .is_none()
        );
    }

    #[test]
    fn netrc_from_the_netrc_variable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("netrc");
        fs::write(&path, "machine 127.0.0.1 login user password pass\n").unwrap();
        let path_str = path.to_str().unwrap().to_string();
        let store = CredentialStore::new(&|key| (key == "NETRC").then(|| path_str.clone()));
        let found = store
            .for_url(&Url::parse("http://127.0.0.1:1234/simple/").unwrap())
            .unwrap();
        assert_eq!(found.username, "user");
    }
}
