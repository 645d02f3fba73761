//! `puffin pip-compile`: requirements in, one [`puffin_resolver`] resolution,
//! a pinned requirements file out, in pip-tools' format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use distribution_filename::PackageName;
use fs_err as fs;
use pep440_rs::Version;
use platform_tags::Platform;
use puffin_cache::Cache;
use puffin_client::{IndexArgs, IndexLocations, RegistryClientBuilder};
use puffin_installer::SyncRequirements;
use puffin_interpreter::Interpreter;
use puffin_resolver::{
    IndexProvider, Resolution, ResolverOptions, ResolverReporter, RootRequirement,
};

use crate::GlobalArgs;
use crate::commands::compile_output::{OutputOptions, render};
use crate::commands::environment::{EnvironmentRequest, find_environment, open_cache};
use crate::commands::network_args::NetworkArgs;
use crate::commands::{ExitStatus, installer_error};
use crate::printer::Printer;

/// Arguments of `puffin pip-compile`.
#[derive(Args, Debug, Default)]
pub(crate) struct PipCompileArgs {
    /// The input requirements files (pip's format), e.g. `requirements.in`.
    #[arg(required = true, value_name = "SRC_FILES")]
    src_files: Vec<PathBuf>,

    /// Where to write the pinned requirements (`-` for standard output)
    /// [default: `<name>.txt` for a single `<name>.in`, else standard output].
    #[arg(short, long)]
    output_file: Option<PathBuf>,

    /// Add a `--hash` for every file of each pinned version.
    #[arg(long)]
    generate_hashes: bool,

    /// Leave out the `# via` comments.
    #[arg(long)]
    no_annotate: bool,

    /// Leave out the header comment.
    #[arg(long)]
    no_header: bool,

    /// Ignore the pins of the existing output file.
    #[arg(short = 'U', long)]
    upgrade: bool,

    /// Ignore the existing pin of this package (repeatable).
    #[arg(short = 'P', long, value_name = "NAME")]
    upgrade_package: Vec<PackageName>,

    /// Allow pre-releases of every package.
    #[arg(long)]
    pre: bool,

    /// The Python to resolve for: a path, a name on PATH or a version
    /// [default: the active virtual environment, else `.venv`].
    #[arg(short, long)]
    python: Option<String>,

    /// Use only the cache: never the network.
    #[arg(long)]
    offline: bool,

    /// The package index (a PEP 503 simple index) [default: as pip is
    /// configured: PUFFIN_INDEX_URL, PIP_INDEX_URL, pip.conf, pip's default].
    #[arg(short, long)]
    index_url: Option<String>,

    /// Another index, looked at before the main one (repeatable).
    #[arg(long)]
    extra_index_url: Vec<String>,

    #[command(flatten)]
    network: NetworkArgs,
}

pub(crate) fn run(
    args: PipCompileArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let interpreter = find_interpreter(args.python.clone(), &cache, printer)?;
    let (requirements, file_index) = read_inputs(&args.src_files, printer)?;
    let output_file = output_file(&args);
    let preferences = match &output_file {
        Some(path) if !args.upgrade => previous_pins(path, &args.upgrade_package, printer)?,
        _ => BTreeMap::new(),
    };
    let mut options = ResolverOptions::new(interpreter.markers.clone());
    options.prereleases = args.pre;
    options.preferences = preferences;
    let index = IndexArgs {
        index_url: args.index_url.clone(),
        extra_index_urls: args.extra_index_url.clone(),
        network: args.network.to_client(),
        ..IndexArgs::default()
    };
    let locations = IndexLocations::discover(
        &index,
        &file_index,
        &|key: &str| std::env::var(key).ok(),
        interpreter.pip_default_index.as_deref(),
    )?;
    let input = ResolveInput {
        locations,
        requirements,
        options,
    };
    let resolution = resolve(&args, &interpreter, &cache, input, printer)?;
    printer.status(format_args!(
        "Resolved {} packages in {:.2?}",
        resolution.packages.len(),
        start.elapsed()
    ));
    let text = render(
        &resolution,
        &OutputOptions {
            header: !args.no_header,
            annotate: !args.no_annotate,
            hashes: args.generate_hashes,
            python: interpreter.markers.python_version().string.clone(),
            command: header_command(),
        },
    );
    match output_file {
        Some(path) => fs::write(&path, text)?,
        None => print!("{text}"),
    }
    Ok(ExitStatus::Success)
}

/// What to resolve, and where to look.
struct ResolveInput {
    locations: IndexLocations,
    requirements: Vec<RootRequirement>,
    options: ResolverOptions,
}

/// Resolve on a runtime of its own, with the index's provider.
fn resolve(
    args: &PipCompileArgs,
    interpreter: &Interpreter,
    cache: &Cache,
    input: ResolveInput,
    printer: Printer,
) -> anyhow::Result<Resolution> {
    let ResolveInput {
        locations,
        requirements,
        options,
    } = input;
    let platform = Platform::current()?;
    let tags = interpreter.tags(&platform)?;
    let client = RegistryClientBuilder::new(cache.clone())
        .index_locations(locations)
        .offline(args.offline)
        .build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    let markers = interpreter.markers.clone();
    let preferences = options.preferences.clone();
    let resolution = runtime.block_on(async move {
        let provider = IndexProvider::new(Arc::new(client), tags, markers)
            .with_preferences(preferences)
            .with_reporter(Arc::new(ResolveProgress(printer)));
        provider.resolve(requirements, options).await
    })?;
    Ok(resolution)
}

/// Reports the resolver's fetches as verbose lines.
struct ResolveProgress(Printer);

impl ResolverReporter for ResolveProgress {
    fn on_metadata(&self, name: &PackageName, version: &Version) {
        self.0
            .verbose(format_args!("Read the metadata of {name} {version}"));
    }
}

/// The interpreter to resolve for: `--python`, else the environment's.
fn find_interpreter(
    python: Option<String>,
    cache: &Cache,
    printer: Printer,
) -> anyhow::Result<Interpreter> {
    let request = EnvironmentRequest {
        python,
        system: true,
        break_system_packages: false,
        read_only: true,
        create_if_missing: false,
        system_fallback: false,
    };
    let environment = find_environment(&request, cache, printer)?;
    Ok(environment.interpreter().clone())
}

/// The requirements of every input file, each named `-r <file>` as given,
/// and the index options the files set.
fn read_inputs(
    files: &[PathBuf],
    printer: Printer,
) -> anyhow::Result<(Vec<RootRequirement>, IndexArgs)> {
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    let mut requirements = Vec::new();
    let mut index = IndexArgs::default();
    for file in files {
        let (read, warnings) = SyncRequirements::read(std::slice::from_ref(file), &cwd)
            .map_err(|err| installer_error(err, printer))?;
        for warning in warnings {
            printer.warn(warning);
        }
        let source = format!("-r {}", file.display());
        requirements.extend(read.requirements.into_iter().map(|entry| RootRequirement {
            requirement: entry.requirement,
            source: source.clone(),
        }));
        if read.index.index_url.is_some() {
            index.index_url = read.index.index_url;
        }
        index.extra_index_urls.extend(read.index.extra_index_urls);
        index.find_links.extend(read.index.find_links);
        index.no_index |= read.index.no_index;
        index
            .network
            .trusted_hosts
            .extend(read.index.network.trusted_hosts);
    }
    Ok((requirements, index))
}

/// `-o`, else `<name>.txt` beside a single `<name>.in`; `None` for
/// standard output.
fn output_file(args: &PipCompileArgs) -> Option<PathBuf> {
    match &args.output_file {
        Some(path) if path.as_os_str() == "-" => None,
        Some(path) => Some(path.clone()),
        None => match args.src_files.as_slice() {
            [input] if input.extension().is_some_and(|ext| ext == "in") => {
                Some(input.with_extension("txt"))
            }
            _ => None,
        },
    }
}

/// The `name==version` pins of an existing output file, except those to
/// upgrade; none if the file does not exist.
fn previous_pins(
    path: &Path,
    upgrade: &[PackageName],
    printer: Printer,
) -> anyhow::Result<BTreeMap<PackageName, Version>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    let (read, _) = SyncRequirements::read(&[path.to_path_buf()], &cwd)
        .map_err(|err| installer_error(err, printer))?;
    let mut pins = BTreeMap::new();
    for entry in read.requirements {
        let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) =
            &entry.requirement.version_or_url
        else {
            continue;
        };
        let [specifier] = specifiers.iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        let Ok(name) = PackageName::new(entry.requirement.name.as_ref()) else {
            continue;
        };
        if *specifier.operator() == pep440_rs::Operator::Equal && !upgrade.contains(&name) {
            pins.insert(name, specifier.version().clone());
        }
    }
    Ok(pins)
}

/// The command line for the header, without the options that name indexes
/// or the cache (which may hold credentials or temporary paths).
fn header_command() -> String {
    const SKIPPED: [&str; 4] = ["--index-url", "-i", "--extra-index-url", "--cache-dir"];
    let mut words = vec!["puffin".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if SKIPPED.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        if SKIPPED
            .iter()
            .any(|option| arg.starts_with(&format!("{option}=")))
        {
            continue;
        }
        words.push(arg);
    }
    words.join(" ")
}
