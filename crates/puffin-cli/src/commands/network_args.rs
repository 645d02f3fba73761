//! The options of commands that reach package indexes: TLS trust, a client
//! certificate, trusted hosts and the keyring.

use std::path::PathBuf;

use puffin_client::{KeyringProvider, NetworkArgs as ClientNetworkArgs};

/// How to reach the indexes (`pip-sync`, `pip-compile`). Each option also
/// comes from pip's environment variable and configuration file (the
/// command line first, then `PIP_*`, then pip.conf), which the library reads.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct NetworkArgs {
    /// A PEM bundle of CA certificates to trust besides the system's
    /// [env: PIP_CERT; pip.conf: cert].
    #[arg(long, value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,

    /// A PEM file with a client certificate and its private key, for
    /// indexes that require one [env: PIP_CLIENT_CERT; pip.conf: client-cert].
    #[arg(long, value_name = "FILE")]
    pub(crate) client_cert: Option<PathBuf>,

    /// Allow plain http and skip certificate checks for this host, or only
    /// for this host and port (repeatable) [env: PIP_TRUSTED_HOST; pip.conf:
    /// trusted-host].
    #[arg(long, value_name = "HOST[:PORT]")]
    pub(crate) trusted_host: Vec<String>,

    /// After an index answers 401, get the password from the `keyring`
    /// command (`subprocess`) or not (`disabled`, the default)
    /// [env: PIP_KEYRING_PROVIDER; pip.conf: keyring-provider].
    #[arg(long, value_name = "PROVIDER", value_parser = parse_keyring_provider)]
    pub(crate) keyring_provider: Option<KeyringProvider>,
}

impl NetworkArgs {
    /// The library's form of the command line's layer.
    pub(crate) fn to_client(&self) -> ClientNetworkArgs {
        ClientNetworkArgs {
            cert: self.cert.clone(),
            client_cert: self.client_cert.clone(),
            trusted_hosts: self.trusted_host.clone(),
            keyring_provider: self.keyring_provider,
        }
    }
}

fn parse_keyring_provider(value: &str) -> Result<KeyringProvider, String> {
    value.parse()
}
