//! Passwords from the `keyring` command, as pip's `--keyring-provider
//! subprocess` gets them after an index answers 401.
//!
//! pip asks `keyring --mode=creds --output=json get <service> [<username>]`
//! (keyring 25.2.1 and later), which prints `{"username": ..., "password":
//! ...}`, for the index URL the request falls under, then for the host
//! (`host[:port]`); the user name is the one in the index URL, if any. An
//! older keyring rejects `--mode=creds` (exit status 2, "unrecognized
//! arguments"); then, with a user name, the classic `keyring get <service>
//! <username>` (which prints the password) is asked instead, as pip did
//! before 24.1. A lookup runs once per host for the whole run, found or not.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use fs_err as fs;
use tracing::{debug, warn};
use url::Url;

use crate::KeyringProvider;
use crate::auth::{Credentials, redact};

/// One lookup per host, shared by concurrent requests.
type Lookup = Arc<tokio::sync::OnceCell<Option<Credentials>>>;

/// The `keyring` command and the lookups made so far.
#[derive(Debug)]
pub(crate) struct Keyring {
    /// The executable, found on `PATH` when the client was built.
    executable: Option<PathBuf>,
    lookups: Mutex<HashMap<String, Lookup>>,
}

impl Keyring {
    /// The keyring of `provider`, or `None` when it is disabled. The
    /// `keyring` command is looked up on `env("PATH")`.
    pub(crate) fn new(
        provider: KeyringProvider,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Self> {
        match provider {
            KeyringProvider::Disabled => None,
            KeyringProvider::Subprocess => {
                let executable = env("PATH").and_then(|path| find_executable("keyring", &path));
                debug!(executable = ?executable, "Keyring provider: subprocess");
                Some(Self {
                    executable,
                    lookups: Mutex::default(),
                })
            }
        }
    }

    /// The credentials the keyring has for a request to `url`, which falls
    /// under the index `index` (if any), for `username` if one is known.
    /// Cached per host: the command runs at most once per host.
    pub(crate) async fn credentials(
        &self,
        url: &Url,
        index: Option<&Url>,
        username: Option<&str>,
    ) -> Option<Credentials> {
        let netloc = netloc(url)?;
        let lookup = self
            .lookups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(netloc.clone())
            .or_default()
            .clone();
        let Some(executable) = self.executable.clone() else {
            lookup
                .get_or_init(|| async {
                    warn!("`--keyring-provider subprocess`: no `keyring` command on `PATH`");
                    None
                })
                .await;
            return None;
        };
        // The index URL is more specific than the host, so it is asked first.
        let mut services: Vec<String> = index.map(|index| index.to_string()).into_iter().collect();
        services.push(netloc);
        let username = username.map(ToString::to_string);
        lookup
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    services
                        .iter()
                        .find_map(|service| ask(&executable, service, username.as_deref()))
                })
                .await
                .ok()
                .flatten()
            })
            .await
            .clone()
    }
}

/// `host[:port]` of a URL, as pip names a host in the keyring.
fn netloc(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// The index among `indexes` that `url` falls under, as pip chooses it: the
/// same scheme, host and port, and the longest common path prefix.
pub(crate) fn index_for<'a>(url: &Url, indexes: impl Iterator<Item = &'a Url>) -> Option<&'a Url> {
    indexes
        .filter(|index| {
            index.scheme() == url.scheme()
                && index.host_str() == url.host_str()
                && index.port_or_known_default() == url.port_or_known_default()
        })
        .max_by_key(|index| {
            let common = index
                .path()
                .bytes()
                .zip(url.path().bytes())
                .take_while(|(a, b)| a == b)
                .count();
            index.path()[..common].rfind('/')
        })
}

/// Ask the keyring for `service`; `None` when it has nothing (or fails).
fn ask(executable: &Path, service: &str, username: Option<&str>) -> Option<Credentials> {
    let mut args = vec!["--mode=creds", "--output=json", "get", service];
    args.extend(username);
    let output = run(executable, &args)?;
    if output.status.success() {
        return parse_creds(&output.stdout, service);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let outdated = output.status.code() == Some(2)
        && stderr.contains("unrecognized arguments")
        && stderr.contains("--mode=creds");
    if !outdated {
        debug!(service, status = %output.status, "The keyring has no credentials");
        return None;
    }
    let Some(username) = username else {
        warn!(
            "The `keyring` command is older than 25.2.1, which is needed to look up a user name: upgrade it, or put the user name in the index URL (`https://user@host/simple/`)"
        );
        return None;
    };
    let output = run(executable, &["get", service, username])?;
    if !output.status.success() {
        return None;
    }
    let password = String::from_utf8_lossy(&output.stdout);
    let password = password.strip_suffix('\n').unwrap_or(&password);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Some(Credentials {
        username: username.to_string(),
        password: Some(password.to_string()),
    })
}

/// Run the keyring command with no input and UTF-8 output.
fn run(executable: &Path, args: &[&str]) -> Option<std::process::Output> {
    debug!(executable = %executable.display(), service = args.get(args.len().saturating_sub(2)), "Asking the keyring");
    Command::new(executable)
        .args(args)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            warn!(executable = %executable.display(), %err, "Failed to run the `keyring` command");
        })
        .ok()
}

/// The `{"username": ..., "password": ...}` that `--output=json` prints.
fn parse_creds(stdout: &[u8], service: &str) -> Option<Credentials> {
    #[derive(serde::Deserialize)]
    struct Creds {
        username: String,
        password: String,
    }
    match serde_json::from_slice::<Creds>(stdout) {
        Ok(creds) => {
            debug!(service = %redact_service(service), "Found credentials in the keyring");
            Some(Credentials {
                username: creds.username,
                password: Some(creds.password),
            })
        }
        Err(err) => {
            warn!(%err, "Ignoring the `keyring` command's output: not the JSON of `--output=json`");
            None
        }
    }
}

/// A service name for a log line: a URL without credentials.
fn redact_service(service: &str) -> String {
    Url::parse(service).map_or_else(|_| service.to_string(), |url| redact(&url))
}

/// The first executable file `name` in the directories of `path`.
fn find_executable(name: &str, path: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file() && is_executable(candidate))
}

/// Whether a file has an execute bit.
fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_index_is_chosen() {
        let a = Url::parse("https://h.invalid/a/simple/").unwrap();
        let b = Url::parse("https://h.invalid/b/simple/").unwrap();
        let other = Url::parse("https://o.invalid/b/simple/").unwrap();
        let indexes = [a.clone(), b.clone(), other];
        let file = Url::parse("https://h.invalid/b/simple/foo/").unwrap();
        assert_eq!(index_for(&file, indexes.iter()), Some(&b));
        let elsewhere = Url::parse("https://x.invalid/b/simple/foo/").unwrap();
        assert_eq!(index_for(&elsewhere, indexes.iter()), None);
        assert_eq!(
            netloc(&Url::parse("http://127.0.0.1:8080/x").unwrap()).as_deref(),
            Some("127.0.0.1:8080")
        );
    }

    #[test]
    fn creds_json() {
        let creds = parse_creds(br#"{"username": "u", "password": "p"}"#, "h").unwrap();
        assert_eq!(creds.username, "u");
        assert_eq!(creds.password.as_deref(), Some("p"));
        assert!(parse_creds(b"p\n", "h").is_none());
    }
}
