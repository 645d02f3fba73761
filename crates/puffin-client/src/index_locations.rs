use std::fmt;
use std::path::{Path, PathBuf};

use fs_err as fs;
use tracing::debug;
use url::Url;

use crate::auth::redact;
use crate::network::{NetworkLayers, PipNetworkLayer};
use crate::{ClientError, NetworkArgs, NetworkSettings};

/// The index options of one layer (the command line, or a requirements file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexArgs {
    /// `--index-url` / `-i`.
    pub index_url: Option<String>,
    /// `--extra-index-url`, in order.
    pub extra_index_urls: Vec<String>,
    /// `--find-links` / `-f`: directories, files' directories or URLs of HTML pages.
    pub find_links: Vec<String>,
    /// `--no-index`.
    pub no_index: bool,
    /// `--cert`, `--client-cert`, `--trusted-host` and `--keyring-provider`.
    pub network: NetworkArgs,
}

/// A `--find-links` location: a local directory of wheels, or an HTML page of links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlatIndexLocation {
    /// A local directory (a `file:` URL becomes a path).
    Path(PathBuf),
    /// An HTML page whose anchors link to distributions.
    Url(Url),
}

impl fmt::Display for FlatIndexLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(path) => write!(f, "{}", path.display()),
            Self::Url(url) => f.write_str(&redact(url)),
        }
    }
}

/// Which configuration layer chose the index, for `-v` to say why an index is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexOrigin {
    /// `--index-url` or `--extra-index-url` on the command line.
    CommandLine,
    /// `--index-url` or `--extra-index-url` inside the requirements file.
    RequirementsFile,
    /// `PUFFIN_INDEX_URL` or `PUFFIN_EXTRA_INDEX_URL`.
    PuffinEnv,
    /// `PIP_INDEX_URL` or `PIP_EXTRA_INDEX_URL`.
    PipEnv,
    /// `index-url` or `extra-index-url` in this pip configuration file.
    PipConfig(PathBuf),
    /// The default index of the pip that ships with the base interpreter.
    PipDefault,
    /// `--no-index`: no index at all.
    NoIndex,
}

impl fmt::Display for IndexOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CommandLine => f.write_str("the command line"),
            Self::RequirementsFile => f.write_str("the requirements file"),
            Self::PuffinEnv => f.write_str("`PUFFIN_INDEX_URL`/`PUFFIN_EXTRA_INDEX_URL`"),
            Self::PipEnv => f.write_str("`PIP_INDEX_URL`/`PIP_EXTRA_INDEX_URL`"),
            Self::PipConfig(path) => write!(f, "pip's configuration file `{}`", path.display()),
            Self::PipDefault => f.write_str("the default index of the interpreter's pip"),
            Self::NoIndex => f.write_str("`--no-index`"),
        }
    }
}

/// Where to look for distributions: the indexes, in the order they are
/// searched, and the find-links locations, which are always searched too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexLocations {
    /// The main index (`--index-url`), searched after the extra ones.
    pub index_url: Option<Url>,
    /// The extra indexes (`--extra-index-url`), searched before the main one, in order.
    pub extra_index_urls: Vec<Url>,
    /// `--find-links` locations from every layer.
    pub find_links: Vec<FlatIndexLocation>,
    /// `--no-index`: search the find-links locations only.
    pub no_index: bool,
    /// Which layer chose the index.
    pub origin: IndexOrigin,
    /// How to reach them: certificates, trusted hosts, keyring.
    pub network: NetworkSettings,
}

impl fmt::Display for IndexLocations {
    /// E.g. ``index `http://127.0.0.1:8000/simple/` (from the command line)``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.no_index {
            f.write_str("no index (`--no-index`)")?;
        } else {
            let indexes: Vec<String> = self
                .indexes()
                .map(|url| format!("`{}`", redact(url)))
                .collect();
            write!(
                f,
                "{} {} (from {})",
                if indexes.len() == 1 {
                    "index"
                } else {
                    "indexes"
                },
                indexes.join(", "),
                self.origin
            )?;
        }
        if !self.find_links.is_empty() {
            let links: Vec<String> = self.find_links.iter().map(|l| format!("`{l}`")).collect();
            write!(f, ", find-links {}", links.join(", "))?;
        }
        Ok(())
    }
}

/// Options collected from one source, before their strings are parsed.
#[derive(Debug, Default)]
struct Layer {
    index_url: Option<String>,
    extra_index_urls: Vec<String>,
    find_links: Vec<String>,
    /// `no-index` in pip's configuration, or `PIP_NO_INDEX`.
    no_index: Option<bool>,
    /// `cert`, `client-cert`, `trusted-host` and `keyring-provider`.
    network: PipNetworkLayer,
}

/// A boolean as pip reads one from its environment and configuration files.
fn pip_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl IndexLocations {
    /// Local find-links only (`--no-index`), e.g. for tests.
    pub fn find_links_only(find_links: Vec<FlatIndexLocation>) -> Self {
        Self {
            index_url: None,
            extra_index_urls: Vec::new(),
            find_links,
            no_index: true,
            origin: IndexOrigin::NoIndex,
            network: NetworkSettings::default(),
        }
    }

    /// One index and nothing else, e.g. for tests.
    pub fn from_index(index_url: Url) -> Self {
        Self {
            index_url: Some(index_url),
            extra_index_urls: Vec::new(),
            find_links: Vec::new(),
            no_index: false,
            origin: IndexOrigin::CommandLine,
            network: NetworkSettings::default(),
        }
    }

    /// The indexes in the order they are searched: the extra indexes first,
    /// then the main index. The first index that has a project is the only one
    /// used for it, so a public index cannot shadow a private project's name
    /// (dependency confusion).
    pub fn indexes(&self) -> impl Iterator<Item = &Url> {
        self.extra_index_urls
            .iter()
            .chain(self.index_url.iter())
            .filter(|_| !self.no_index)
    }

    /// Find the indexes and find-links locations. For the index URL, the first
    /// layer that sets one wins:
    ///
    /// 1. `--index-url` on the command line (`cli`), then in the requirements file (`file`);
    /// 2. `PUFFIN_INDEX_URL`;
    /// 3. pip's own configuration: `PIP_INDEX_URL`, then `index-url` in pip's
    ///    configuration files (see [`pip_config_files`]);
    /// 4. `pip_default_index`, the default index of the interpreter's pip;
    /// 5. otherwise [`ClientError::NoIndex`], unless `--no-index`.
    ///
    /// Extra index URLs come from the command line and the requirements file
    /// together; if neither sets any, from the first of `PUFFIN_EXTRA_INDEX_URL`,
    /// `PIP_EXTRA_INDEX_URL` and pip's configuration that does (space separated
    /// in the environment, as pip reads them). Find-links locations from every
    /// layer add up: the command line, the file, `PUFFIN_FIND_LINKS`,
    /// `PIP_FIND_LINKS` and pip's `find-links`. `--no-index` in
    /// either `cli` or `file` drops every index.
    ///
    /// The network settings ([`IndexLocations::network`]) come from the
    /// same layers: `--cert`, `--client-cert` and `--keyring-provider` from
    /// `cli`, else `file`, else `PIP_CERT` / `PIP_CLIENT_CERT` /
    /// `PIP_KEYRING_PROVIDER`, else pip's `cert` / `client-cert` /
    /// `keyring-provider`; trusted hosts from all of them together
    /// (`PIP_TRUSTED_HOST` space separated). An invalid value is
    /// [`ClientError::InvalidNetworkOption`], naming where it came from.
    ///
    /// `env` reads an environment variable (injectable for tests).
    pub fn discover(
        cli: &IndexArgs,
        file: &IndexArgs,
        env: &dyn Fn(&str) -> Option<String>,
        pip_default_index: Option<&str>,
    ) -> Result<Self, ClientError> {
        let (pip_config, pip_config_path) = read_pip_config(env)?;
        // pip's precedence: the command line, the environment, the files.
        let no_index = cli.no_index
            || file.no_index
            || env("PIP_NO_INDEX")
                .and_then(|value| pip_bool(&value))
                .or(pip_config.no_index)
                .unwrap_or(false);
        let split = |value: Option<String>| -> Vec<String> {
            value
                .map(|v| v.split_whitespace().map(ToString::to_string).collect())
                .unwrap_or_default()
        };
        let puffin_env = Layer {
            index_url: env("PUFFIN_INDEX_URL").filter(|v| !v.trim().is_empty()),
            extra_index_urls: split(env("PUFFIN_EXTRA_INDEX_URL")),
            find_links: split(env("PUFFIN_FIND_LINKS")),
            no_index: None,
            network: PipNetworkLayer::default(),
        };
        let pip_env = Layer {
            index_url: env("PIP_INDEX_URL").filter(|v| !v.trim().is_empty()),
            extra_index_urls: split(env("PIP_EXTRA_INDEX_URL")),
            find_links: split(env("PIP_FIND_LINKS")),
            no_index: None,
            network: PipNetworkLayer::from_env(env),
        };

        // The index URL: first layer wins.
        let candidates: [(Option<&String>, IndexOrigin); 6] = [
            (cli.index_url.as_ref(), IndexOrigin::CommandLine),
            (file.index_url.as_ref(), IndexOrigin::RequirementsFile),
            (puffin_env.index_url.as_ref(), IndexOrigin::PuffinEnv),
            (pip_env.index_url.as_ref(), IndexOrigin::PipEnv),
            (
                pip_config.index_url.as_ref(),
                IndexOrigin::PipConfig(pip_config_path.clone().unwrap_or_default()),
            ),
            (None, IndexOrigin::PipDefault),
        ];
        let mut index = None;
        for (value, origin) in candidates {
            if let Some(value) = value {
                index = Some((value.clone(), origin));
                break;
            }
        }
        if index.is_none()
            && let Some(default) = pip_default_index
        {
            index = Some((default.to_string(), IndexOrigin::PipDefault));
        }

        // Extra index URLs: the command line and the file together, else the first later layer.
        let extras: (Vec<String>, IndexOrigin) =
            if !cli.extra_index_urls.is_empty() || !file.extra_index_urls.is_empty() {
                let origin = if cli.extra_index_urls.is_empty() {
                    IndexOrigin::RequirementsFile
                } else {
                    IndexOrigin::CommandLine
                };
                let urls = cli
                    .extra_index_urls
                    .iter()
                    .chain(&file.extra_index_urls)
                    .cloned()
                    .collect();
                (urls, origin)
            } else if !puffin_env.extra_index_urls.is_empty() {
                (puffin_env.extra_index_urls.clone(), IndexOrigin::PuffinEnv)
            } else if !pip_env.extra_index_urls.is_empty() {
                (pip_env.extra_index_urls.clone(), IndexOrigin::PipEnv)
            } else {
                (
                    pip_config.extra_index_urls.clone(),
                    IndexOrigin::PipConfig(pip_config_path.clone().unwrap_or_default()),
                )
            };

        let find_links = cli
            .find_links
            .iter()
            .chain(&file.find_links)
            .chain(&puffin_env.find_links)
            .chain(&pip_env.find_links)
            .chain(&pip_config.find_links)
            .map(|link| parse_find_links(link))
            .collect::<Result<Vec<_>, _>>()?;

        let network = NetworkLayers {
            cli: &cli.network,
            file: &file.network,
            env: pip_env.network,
            config: pip_config.network,
        }
        .resolve()?;

        if no_index {
            return Ok(Self {
                index_url: None,
                extra_index_urls: Vec::new(),
                find_links,
                no_index: true,
                origin: IndexOrigin::NoIndex,
                network,
            });
        }

        let extra_origin = extras.1;
        let extra_index_urls = extras
            .0
            .iter()
            .map(|url| parse_index_url(url, &extra_origin))
            .collect::<Result<Vec<_>, _>>()?;
        let (index_url, origin) = match index {
            Some((url, origin)) => (Some(parse_index_url(&url, &origin)?), origin),
            None if !extra_index_urls.is_empty() => (None, extra_origin),
            None => return Err(ClientError::NoIndex),
        };
        let locations = Self {
            index_url,
            extra_index_urls,
            find_links,
            no_index: false,
            origin,
            network,
        };
        debug!(locations = %locations, "Index locations");
        Ok(locations)
    }
}

/// Parse an index URL, making sure it ends in `/` so that project pages join below it.
fn parse_index_url(url: &str, origin: &IndexOrigin) -> Result<Url, ClientError> {
    let mut parsed = Url::parse(url.trim()).map_err(|err| ClientError::InvalidIndexUrl {
        url: puffin_redact::redact_text(url).into_owned(),
        origin: origin.to_string(),
        err,
    })?;
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

/// A find-links value: an `http(s)` URL is a page, a `file:` URL or anything
/// else a local path (relative paths stay relative to the working directory).
fn parse_find_links(value: &str) -> Result<FlatIndexLocation, ClientError> {
    if let Ok(url) = Url::parse(value) {
        match url.scheme() {
            "http" | "https" => return Ok(FlatIndexLocation::Url(url)),
            "file" => {
                if let Ok(path) = url.to_file_path() {
                    return Ok(FlatIndexLocation::Path(path));
                }
            }
            _ => {}
        }
    }
    Ok(FlatIndexLocation::Path(PathBuf::from(value)))
}

/// The pip configuration files, in the order pip loads them (a later file
/// overrides an earlier one), and whether `PIP_CONFIG_FILE` disables them all:
///
/// 1. global: `$XDG_CONFIG_DIRS/pip/pip.conf` (each of them, default `/etc/xdg`), then `/etc/pip.conf`;
/// 2. user: `~/.pip/pip.conf`, then `$XDG_CONFIG_HOME/pip/pip.conf` (default
///    `~/.config`); skipped when `PIP_CONFIG_FILE` names an existing file;
/// 3. site: `$VIRTUAL_ENV/pip.conf`;
/// 4. `PIP_CONFIG_FILE`; when it is `/dev/null`, no file is read at all.
pub fn pip_config_files(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let config_file = env("PIP_CONFIG_FILE").filter(|v| !v.is_empty());
    if config_file.as_deref() == Some("/dev/null") {
        return Vec::new();
    }
    let mut files = Vec::new();
    let xdg_dirs = env("XDG_CONFIG_DIRS")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/etc/xdg".to_string());
    for dir in xdg_dirs.split(':').filter(|d| !d.is_empty()) {
        files.push(Path::new(dir).join("pip").join("pip.conf"));
    }
    files.push(PathBuf::from("/etc/pip.conf"));
    let env_file_exists = config_file
        .as_deref()
        .is_some_and(|file| Path::new(file).exists());
    if !env_file_exists && let Some(home) = env("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        files.push(home.join(".pip").join("pip.conf"));
        let config_home = env("XDG_CONFIG_HOME")
            .filter(|v| Path::new(v).is_absolute())
            .map_or_else(|| home.join(".config"), PathBuf::from);
        files.push(config_home.join("pip").join("pip.conf"));
    }
    if let Some(venv) = env("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        files.push(Path::new(&venv).join("pip.conf"));
    }
    if let Some(file) = config_file {
        files.push(PathBuf::from(file));
    }
    files
}

/// The index options of pip's configuration, merged over every file, and the
/// file that set the index URL (or the last one that set anything).
fn read_pip_config(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Layer, Option<PathBuf>), ClientError> {
    let mut layer = Layer::default();
    let mut origin = None;
    for path in pip_config_files(env) {
        if !path.is_file() {
            continue;
        }
        let text = fs::read_to_string(&path).map_err(|err| ClientError::PipConfig {
            path: path.clone(),
            err: Box::new(err),
        })?;
        let options = ini::ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            enabled_indented_mutiline_value: true,
            enabled_preserve_key_leading_whitespace: false,
        };
        let ini =
            ini::Ini::load_from_str_opt(&text, options).map_err(|err| ClientError::PipConfig {
                path: path.clone(),
                err: Box::new(err),
            })?;
        debug!(path = %path.display(), "Reading pip configuration");
        // `[install]` overrides `[global]`, as pip's command sections do.
        for section in ["global", "install"] {
            let Some(properties) = ini.section(Some(section)) else {
                continue;
            };
            for (key, value) in properties.iter() {
                let values: Vec<String> =
                    value.split_whitespace().map(ToString::to_string).collect();
                match key.replace('_', "-").as_str() {
                    "index-url" => {
                        if let Some(first) = values.into_iter().next() {
                            layer.index_url = Some(first);
                            origin = Some(path.clone());
                        }
                    }
                    "extra-index-url" => {
                        layer.extra_index_urls = values;
                        if layer.index_url.is_none() {
                            origin = Some(path.clone());
                        }
                    }
                    "find-links" => layer.find_links = values,
                    "no-index" => layer.no_index = pip_bool(value),
                    other => layer.network.set(other, value, &path),
                }
            }
        }
    }
    Ok((layer, origin))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Env(HashMap<String, String>);

    impl Env {
        fn get(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
    }

    fn cli(index: Option<&str>, extras: &[&str]) -> IndexArgs {
        IndexArgs {
            index_url: index.map(ToString::to_string),
            extra_index_urls: extras.iter().map(ToString::to_string).collect(),
            ..IndexArgs::default()
        }
    }

    /// An environment with no pip configuration on the real machine: every
    /// pip config location points into an empty temporary directory.
    fn isolated(dir: &Path, extra: &[(&str, &str)]) -> Env {
        let home = dir.join("home");
        let mut pairs = vec![
            ("HOME", home.to_str().unwrap().to_string()),
            (
                "XDG_CONFIG_DIRS",
                dir.join("xdg").to_str().unwrap().to_string(),
            ),
        ];
        for (k, v) in extra {
            pairs.push((k, (*v).to_string()));
        }
        Env(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn discover(
        cli: &IndexArgs,
        file: &IndexArgs,
        env: &Env,
        default: Option<&str>,
    ) -> Result<IndexLocations, ClientError> {
        IndexLocations::discover(cli, file, &|k| env.get(k), default)
    }

    #[test]
    fn command_line_wins_over_everything() {
        let dir = tempfile::tempdir().unwrap();
        let env = isolated(
            dir.path(),
            &[
                ("PUFFIN_INDEX_URL", "http://puffin.invalid/simple"),
                ("PIP_INDEX_URL", "http://pip.invalid/simple"),
            ],
        );
        let found = discover(
            &cli(
                Some("http://cli.invalid/simple"),
                &["http://extra.invalid/"],
            ),
            &cli(
                Some("http://file.invalid/simple"),
                &["http://file-extra.invalid/"],
            ),
            &env,
            Some("http://default.invalid/simple/"),
        )
        .unwrap();
        assert_eq!(found.origin, IndexOrigin::CommandLine);
        assert_eq!(
            found.indexes().map(Url::as_str).collect::<Vec<_>>(),
            [
                "http://extra.invalid/",
                "http://file-extra.invalid/",
                "http://cli.invalid/simple/",
            ],
            "extra indexes first, the main index last, with a trailing slash"
        );
        assert_eq!(
            found.to_string(),
            "indexes `http://extra.invalid/`, `http://file-extra.invalid/`, `http://cli.invalid/simple/` (from the command line)"
        );
    }

    #[test]
    fn requirements_file_then_puffin_env_then_pip_env() {
        let dir = tempfile::tempdir().unwrap();
        let env = isolated(
            dir.path(),
            &[
                ("PUFFIN_INDEX_URL", "http://puffin.invalid/simple/"),
                (
                    "PUFFIN_EXTRA_INDEX_URL",
                    "http://pe1.invalid/ http://pe2.invalid/",
                ),
                ("PIP_INDEX_URL", "http://pip.invalid/simple/"),
            ],
        );
        let none = IndexArgs::default();
        let found = discover(&none, &cli(Some("http://file.invalid/"), &[]), &env, None).unwrap();
        assert_eq!(found.origin, IndexOrigin::RequirementsFile);
        assert_eq!(found.index_url.unwrap().as_str(), "http://file.invalid/");
        assert_eq!(
            found.extra_index_urls.len(),
            2,
            "extras from PUFFIN_EXTRA_INDEX_URL"
        );

        let found = discover(&none, &none, &env, None).unwrap();
        assert_eq!(found.origin, IndexOrigin::PuffinEnv);
        assert_eq!(
            found.index_url.unwrap().as_str(),
            "http://puffin.invalid/simple/"
        );

        let env = isolated(
            dir.path(),
            &[("PIP_INDEX_URL", "http://pip.invalid/simple/")],
        );
        let found = discover(&none, &none, &env, Some("http://default.invalid/")).unwrap();
        assert_eq!(found.origin, IndexOrigin::PipEnv);
        assert_eq!(
            found.to_string(),
            "index `http://pip.invalid/simple/` (from `PIP_INDEX_URL`/`PIP_EXTRA_INDEX_URL`)"
        );
    }

    #[test]
    fn pip_config_files_in_pips_order() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let global = dir.path().join("xdg").join("pip").join("pip.conf");
        let user = home.join(".config").join("pip").join("pip.conf");
        let legacy = home.join(".pip").join("pip.conf");
        let venv = dir.path().join("venv");
        for path in [&global, &user, &legacy] {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
        }
        fs::create_dir_all(&venv).unwrap();
        fs::write(
            &global,
            "[global]\nindex-url = http://global.invalid/simple\nfind-links = /global/wheels\n",
        )
        .unwrap();
        fs::write(
            &legacy,
            "[global]\nindex-url = http://legacy.invalid/simple\n",
        )
        .unwrap();
        // The new user file overrides the legacy one; `[install]` overrides `[global]`;
        // multi-line values are split.
        fs::write(
            &user,
            "[global]\nindex-url = http://user-global.invalid/simple\n\n[install]\nindex_url = http://user.invalid/simple\nextra-index-url =\n    http://e1.invalid/\n    http://e2.invalid/\n",
        )
        .unwrap();
        let env = isolated(dir.path(), &[]);
        let none = IndexArgs::default();
        let found = discover(&none, &none, &env, Some("http://default.invalid/")).unwrap();
        assert_eq!(
            found.index_url.unwrap().as_str(),
            "http://user.invalid/simple/"
        );
        assert_eq!(found.origin, IndexOrigin::PipConfig(user.clone()));
        assert_eq!(
            found
                .extra_index_urls
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>(),
            ["http://e1.invalid/", "http://e2.invalid/"]
        );
        assert_eq!(
            found.find_links,
            [FlatIndexLocation::Path(PathBuf::from("/global/wheels"))]
        );

        // The site file ($VIRTUAL_ENV/pip.conf) overrides the user file.
        fs::write(
            venv.join("pip.conf"),
            "[global]\nindex-url = http://site.invalid/\n",
        )
        .unwrap();
        let env = isolated(dir.path(), &[("VIRTUAL_ENV", venv.to_str().unwrap())]);
        let found = discover(&none, &none, &env, None).unwrap();
        assert_eq!(found.index_url.unwrap().as_str(), "http://site.invalid/");

        // PIP_CONFIG_FILE comes last and, when it exists, skips the user files.
        let custom = dir.path().join("custom.conf");
        fs::write(
            &custom,
            "[global]\nextra-index-url = http://custom-extra.invalid/\n",
        )
        .unwrap();
        let env = isolated(dir.path(), &[("PIP_CONFIG_FILE", custom.to_str().unwrap())]);
        let found = discover(&none, &none, &env, None).unwrap();
        assert_eq!(
            found.index_url.unwrap().as_str(),
            "http://global.invalid/simple/"
        );
        assert_eq!(
            found.extra_index_urls[0].as_str(),
            "http://custom-extra.invalid/"
        );

        // PIP_CONFIG_FILE=/dev/null disables every file.
        let env = isolated(dir.path(), &[("PIP_CONFIG_FILE", "/dev/null")]);
        let found = discover(&none, &none, &env, Some("http://default.invalid/")).unwrap();
        assert_eq!(found.origin, IndexOrigin::PipDefault);
        assert_eq!(
            found.to_string(),
            "index `http://default.invalid/` (from the default index of the interpreter's pip)"
        );
    }

    #[test]
    fn pip_env_overrides_pip_config() {
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("xdg").join("pip").join("pip.conf");
        fs::create_dir_all(global.parent().unwrap()).unwrap();
        fs::write(&global, "[global]\nindex-url = http://config.invalid/\n").unwrap();
        let env = isolated(
            dir.path(),
            &[
                ("PIP_INDEX_URL", "http://env.invalid/"),
                (
                    "PIP_FIND_LINKS",
                    "/a file:///b http://links.invalid/page.html",
                ),
            ],
        );
        let none = IndexArgs::default();
        let found = discover(&none, &none, &env, None).unwrap();
        assert_eq!(found.index_url.unwrap().as_str(), "http://env.invalid/");
        assert_eq!(
            found.find_links,
            [
                FlatIndexLocation::Path(PathBuf::from("/a")),
                FlatIndexLocation::Path(PathBuf::from("/b")),
                FlatIndexLocation::Url(Url::parse("http://links.invalid/page.html").unwrap()),
            ]
        );
    }

    #[test]
    fn no_index_from_pip_env_and_config() {
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("xdg").join("pip").join("pip.conf");
        fs::create_dir_all(global.parent().unwrap()).unwrap();
        fs::write(
            &global,
            "[global]\nindex-url = http://config.invalid/\nno-index = true\n",
        )
        .unwrap();
        let none = IndexArgs::default();
        // pip.conf's `no-index` applies...
        let env = isolated(dir.path(), &[]);
        let found = discover(&none, &none, &env, None).unwrap();
        assert!(found.no_index);
        assert_eq!(found.indexes().count(), 0);
        // ...unless the environment says otherwise, as pip reads it.
        let env = isolated(dir.path(), &[("PIP_NO_INDEX", "off")]);
        assert!(!discover(&none, &none, &env, None).unwrap().no_index);
        fs::write(&global, "[global]\nindex-url = http://config.invalid/\n").unwrap();
        let env = isolated(dir.path(), &[("PIP_NO_INDEX", "yes")]);
        assert!(discover(&none, &none, &env, None).unwrap().no_index);
    }

    #[test]
    fn no_index_keeps_find_links_from_every_layer() {
        let dir = tempfile::tempdir().unwrap();
        let env = isolated(
            dir.path(),
            &[
                ("PIP_INDEX_URL", "http://pip.invalid/simple/"),
                ("PUFFIN_FIND_LINKS", "/from-env"),
            ],
        );
        let cli = IndexArgs {
            find_links: vec!["/from-cli".to_string()],
            no_index: true,
            ..IndexArgs::default()
        };
        let file = IndexArgs {
            find_links: vec!["/from-file".to_string()],
            ..IndexArgs::default()
        };
        let found = discover(&cli, &file, &env, None).unwrap();
        assert!(found.no_index);
        assert_eq!(found.indexes().count(), 0);
        assert_eq!(found.find_links.len(), 3);
        assert_eq!(
            found.to_string(),
            "no index (`--no-index`), find-links `/from-cli`, `/from-file`, `/from-env`"
        );
    }

    #[test]
    fn nothing_configured_is_an_error_that_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let env = isolated(dir.path(), &[]);
        let none = IndexArgs::default();
        let err = discover(&none, &none, &env, None).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"No package index is configured. Set one with `--index-url <URL>`, the `PUFFIN_INDEX_URL` environment variable or `index-url` in pip's configuration (`pip config set global.index-url <URL>`), or install from local wheels with `--find-links <DIR> --no-index`");
    }

    #[test]
    fn invalid_urls_name_their_origin_without_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let env = isolated(dir.path(), &[("PUFFIN_INDEX_URL", "not a url")]);
        let none = IndexArgs::default();
        let err = discover(&none, &none, &env, None).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"Invalid index URL `not a url` (from `PUFFIN_INDEX_URL`/`PUFFIN_EXTRA_INDEX_URL`)");

        let found = discover(
            &cli(Some("http://user:secret@private.invalid/simple/"), &[]),
            &none,
            &env,
            None,
        )
        .unwrap();
        assert!(!found.to_string().contains("secret"));
    }
}
