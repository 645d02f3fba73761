//! How to reach the indexes: extra CA certificates (`--cert`), a client
//! certificate (`--client-cert`), hosts whose certificates are not checked
//! (`--trusted-host`) and where to get a password after a 401
//! (`--keyring-provider`), read with pip's precedence: the command line, then
//! pip's environment variables, then pip's configuration files.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use url::Url;

use crate::ClientError;

/// Where to get a password when an index answers 401 and the password is not
/// known (pip's `--keyring-provider`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyringProvider {
    /// Never ask a keyring (the default).
    #[default]
    Disabled,
    /// Run the `keyring` command found on `PATH`, as pip's `subprocess`
    /// provider does.
    Subprocess,
}

impl FromStr for KeyringProvider {
    type Err = String;

    /// `disabled` or `subprocess`; pip's `import` and `auto` need a Python
    /// `keyring` module, which puffin cannot import.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "disabled" => Ok(Self::Disabled),
            "subprocess" => Ok(Self::Subprocess),
            "import" | "auto" => Err(format!(
                "`{value}` needs pip's own Python process; use `subprocess` (runs the `keyring` command) or `disabled`"
            )),
            _ => Err("expected `disabled` or `subprocess`".to_string()),
        }
    }
}

impl fmt::Display for KeyringProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Disabled => "disabled",
            Self::Subprocess => "subprocess",
        })
    }
}

/// A `--trusted-host` value: a host name or IP address, and optionally the
/// one port it is trusted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedHost {
    /// The host, lowercase, IPv6 addresses without brackets.
    host: String,
    /// The port, if the value named one.
    port: Option<u16>,
}

impl FromStr for TrustedHost {
    type Err = String;

    /// `HOST` or `HOST:PORT` (`[::1]:8443` for IPv6); a URL's scheme and path
    /// are ignored, so `https://host:8443/simple/` works too.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let trimmed = value.trim();
        let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
        let authority = without_scheme.split('/').next().unwrap_or_default();
        let parsed = Url::parse(&format!("scheme://{authority}/"))
            .map_err(|err| format!("expected `HOST` or `HOST:PORT` ({err})"))?;
        let host = match parsed.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err("expected `HOST` or `HOST:PORT`".to_string()),
        };
        if host.is_empty() || !parsed.username().is_empty() {
            return Err("expected `HOST` or `HOST:PORT`".to_string());
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port: parsed.port(),
        })
    }
}

impl fmt::Display for TrustedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => write!(f, "{host}:{port}"),
            None => f.write_str(&host),
        }
    }
}

impl TrustedHost {
    /// Whether requests to `url` go to this host (and port, if one was given).
    pub fn matches(&self, url: &Url) -> bool {
        self.matches_host(url_host(url).as_deref())
            && self
                .port
                .is_none_or(|port| url.port_or_known_default() == Some(port))
    }

    /// Whether `host` (a name or an IP address without brackets) is this
    /// host, whatever the port.
    pub(crate) fn matches_host(&self, host: Option<&str>) -> bool {
        host.is_some_and(|host| host.eq_ignore_ascii_case(&self.host))
    }
}

/// The host of a URL as [`TrustedHost`] stores hosts: IPv6 without brackets.
fn url_host(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Ipv6(ip) => Some(ip.to_string()),
        host => Some(host.to_string()),
    }
}

/// The network options of one layer: the command line (every field), or a
/// requirements file (only `--trusted-host`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkArgs {
    /// `--cert`: a PEM bundle of CA certificates trusted besides the system's.
    pub cert: Option<PathBuf>,
    /// `--client-cert`: a PEM file with a client certificate and its private key.
    pub client_cert: Option<PathBuf>,
    /// `--trusted-host`, each `HOST` or `HOST:PORT`.
    pub trusted_hosts: Vec<String>,
    /// `--keyring-provider`.
    pub keyring_provider: Option<KeyringProvider>,
}

/// The network settings in force, from every layer (see
/// [`crate::IndexLocations::discover`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSettings {
    /// CA bundles trusted besides the system's (`--cert`, `PIP_CERT`, `cert`).
    pub certs: Vec<PathBuf>,
    /// The client certificate and key (`--client-cert`, `PIP_CLIENT_CERT`, `client-cert`).
    pub client_cert: Option<PathBuf>,
    /// The trusted hosts of every layer together, as pip adds them up.
    pub trusted_hosts: Vec<TrustedHost>,
    /// `--keyring-provider`, `PIP_KEYRING_PROVIDER`, `keyring-provider`, else disabled.
    pub keyring_provider: KeyringProvider,
}

impl NetworkSettings {
    /// Whether `url`'s host is trusted: its certificate is not checked and
    /// plain `http` is fine.
    pub fn is_trusted(&self, url: &Url) -> bool {
        self.trusted_hosts.iter().any(|host| host.matches(url))
    }

    /// Whether `url` is secure as pip decides it: `https` or `file`, a
    /// loopback host, or a trusted host. Anything else travels in clear text.
    pub fn is_secure(&self, url: &Url) -> bool {
        match url.scheme() {
            "https" | "file" => return true,
            _ => {}
        }
        let loopback = match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        loopback || self.is_trusted(url)
    }
}

/// The network options read from pip's environment or configuration, as text.
#[derive(Debug, Default)]
pub(crate) struct PipNetworkLayer {
    pub(crate) cert: Option<String>,
    pub(crate) client_cert: Option<String>,
    pub(crate) trusted_hosts: Vec<String>,
    pub(crate) keyring_provider: Option<String>,
    /// The last configuration file that set one of them.
    pub(crate) path: Option<PathBuf>,
}

impl PipNetworkLayer {
    /// `PIP_CERT`, `PIP_CLIENT_CERT`, `PIP_TRUSTED_HOST` (space separated) and
    /// `PIP_KEYRING_PROVIDER`.
    pub(crate) fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let value = |key: &str| env(key).filter(|v| !v.trim().is_empty());
        Self {
            cert: value("PIP_CERT"),
            client_cert: value("PIP_CLIENT_CERT"),
            trusted_hosts: value("PIP_TRUSTED_HOST")
                .map(|v| v.split_whitespace().map(ToString::to_string).collect())
                .unwrap_or_default(),
            keyring_provider: value("PIP_KEYRING_PROVIDER"),
            path: None,
        }
    }

    /// Read one key of the pip configuration file `path`, if it is a network option.
    pub(crate) fn set(&mut self, key: &str, value: &str, path: &Path) {
        let value = value.trim();
        let known = ["cert", "client-cert", "trusted-host", "keyring-provider"];
        if known.contains(&key) {
            self.path = Some(path.to_path_buf());
        }
        match key {
            "cert" => self.cert = Some(value.to_string()),
            "client-cert" => self.client_cert = Some(value.to_string()),
            "trusted-host" => {
                self.trusted_hosts = value.split_whitespace().map(ToString::to_string).collect();
            }
            "keyring-provider" => self.keyring_provider = Some(value.to_string()),
            _ => {}
        }
    }
}

/// The layers of network options, in pip's precedence.
pub(crate) struct NetworkLayers<'a> {
    /// The command line.
    pub(crate) cli: &'a NetworkArgs,
    /// The requirements file.
    pub(crate) file: &'a NetworkArgs,
    /// pip's environment variables.
    pub(crate) env: PipNetworkLayer,
    /// pip's configuration files, merged.
    pub(crate) config: PipNetworkLayer,
}

impl NetworkLayers<'_> {
    /// Resolve: single values from the first layer that sets them (the
    /// command line, then the file, then the environment, then the
    /// configuration), trusted hosts from every layer.
    pub(crate) fn resolve(self) -> Result<NetworkSettings, ClientError> {
        let config_origin = || match &self.config.path {
            Some(path) => format!("pip's configuration file `{}`", path.display()),
            None => "pip's configuration".to_string(),
        };
        let cert = self
            .cli
            .cert
            .clone()
            .or_else(|| self.file.cert.clone())
            .or_else(|| self.env.cert.as_ref().map(PathBuf::from))
            .or_else(|| self.config.cert.as_ref().map(PathBuf::from));
        let client_cert = self
            .cli
            .client_cert
            .clone()
            .or_else(|| self.file.client_cert.clone())
            .or_else(|| self.env.client_cert.as_ref().map(PathBuf::from))
            .or_else(|| self.config.client_cert.as_ref().map(PathBuf::from));
        let keyring_provider = match (
            self.cli.keyring_provider.or(self.file.keyring_provider),
            &self.env.keyring_provider,
            &self.config.keyring_provider,
        ) {
            (Some(provider), _, _) => provider,
            (None, Some(value), _) => parse_option(
                "keyring-provider",
                value,
                "`PIP_KEYRING_PROVIDER`".to_string(),
            )?,
            (None, None, Some(value)) => parse_option("keyring-provider", value, config_origin())?,
            (None, None, None) => KeyringProvider::Disabled,
        };
        let mut trusted_hosts = Vec::new();
        let layers: [(&[String], String); 4] = [
            (&self.cli.trusted_hosts, "the command line".to_string()),
            (
                &self.file.trusted_hosts,
                "the requirements file".to_string(),
            ),
            (&self.env.trusted_hosts, "`PIP_TRUSTED_HOST`".to_string()),
            (&self.config.trusted_hosts, config_origin()),
        ];
        for (values, origin) in layers {
            for value in values {
                let host: TrustedHost = parse_option("trusted-host", value, origin.clone())?;
                if !trusted_hosts.contains(&host) {
                    trusted_hosts.push(host);
                }
            }
        }
        Ok(NetworkSettings {
            certs: cert.into_iter().collect(),
            client_cert,
            trusted_hosts,
            keyring_provider,
        })
    }
}

/// Parse an option's value, naming the option and where it came from.
fn parse_option<T: FromStr<Err = String>>(
    option: &str,
    value: &str,
    origin: String,
) -> Result<T, ClientError> {
    value
        .parse()
        .map_err(|problem| ClientError::InvalidNetworkOption {
            option: option.to_string(),
            value: value.to_string(),
            origin,
            problem,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn trusted_hosts_match_host_and_port() {
        let host: TrustedHost = "Index.Example.invalid".parse().unwrap();
        assert!(host.matches(&url("https://index.example.invalid/simple/")));
        assert!(host.matches(&url("http://index.example.invalid:8080/")));
        assert!(!host.matches(&url("https://other.invalid/")));

        let with_port: TrustedHost = "127.0.0.1:8443".parse().unwrap();
        assert_eq!(with_port.to_string(), "127.0.0.1:8443");
        assert!(with_port.matches(&url("https://127.0.0.1:8443/simple/")));
        assert!(!with_port.matches(&url("https://127.0.0.1:9443/simple/")));
        // The default port counts as given.
        let https: TrustedHost = "a.invalid:443".parse().unwrap();
        assert!(https.matches(&url("https://a.invalid/")));

        let ipv6: TrustedHost = "[::1]:8000".parse().unwrap();
        assert!(ipv6.matches(&url("http://[::1]:8000/")));
        assert_eq!(ipv6.to_string(), "[::1]:8000");

        let from_url: TrustedHost = "https://b.invalid:4443/simple/".parse().unwrap();
        assert_eq!(from_url.to_string(), "b.invalid:4443");

        for bad in ["", "a.invalid:port", "user@a.invalid", "a b"] {
            assert!(bad.parse::<TrustedHost>().is_err(), "{bad}");
        }
    }

    #[test]
    fn secure_origins_are_pips() {
        let settings = NetworkSettings {
            trusted_hosts: vec!["plain.invalid".parse().unwrap()],
            ..NetworkSettings::default()
        };
        assert!(settings.is_secure(&url("https://a.invalid/")));
        assert!(settings.is_secure(&url("http://127.0.0.1:8000/")));
        assert!(settings.is_secure(&url("http://localhost/")));
        assert!(settings.is_secure(&url("http://[::1]/")));
        assert!(settings.is_secure(&url("http://plain.invalid/simple/")));
        assert!(!settings.is_secure(&url("http://other.invalid/simple/")));
    }

    #[test]
    fn keyring_provider_values() {
        assert_eq!(
            "subprocess".parse::<KeyringProvider>(),
            Ok(KeyringProvider::Subprocess)
        );
        assert_eq!(
            "Disabled".parse::<KeyringProvider>(),
            Ok(KeyringProvider::Disabled)
        );
        assert!(
            "import"
                .parse::<KeyringProvider>()
                .unwrap_err()
                .contains("subprocess")
        );
        assert!("keychain".parse::<KeyringProvider>().is_err());
    }
}
