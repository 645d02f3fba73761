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
use pep508_rs::{MarkerEnvironment, VersionOrUrl};
use platform_tags::{Platform, Tags};
use puffin_cache::Cache;
use puffin_client::{IndexArgs, IndexLocations};
use puffin_installer::{
    BuildOptions, SyncOptions, SyncRequirement, SyncRequirements, TargetPython,
};
use puffin_interpreter::{Interpreter, PythonEnvironment};
use puffin_lock::{PyLock, is_lock_file};
use puffin_resolver::{RequiredBy, Resolution, ResolverOptions, RootRequirement};

use crate::GlobalArgs;
use crate::commands::compile_lock::lock_of;
use crate::commands::compile_output::{DirectLine, OutputOptions, render};
use crate::commands::environment::{EnvironmentRequest, find_environment, open_cache};
use crate::commands::network_args::NetworkArgs;
use crate::commands::resolve::{ResolveInput, resolve};
use crate::commands::{ExitStatus, installer_error};
use crate::printer::Printer;
use requirements_txt::SourceEntry;

// The arguments of `puffin pip-compile`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Resolve requirements to a pinned requirements file (pip-tools' format).
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

    /// Constrain versions with this file (pip's constraints format,
    /// repeatable), as `-c` lines of the inputs do.
    #[arg(short, long, value_name = "FILE")]
    constraint: Vec<PathBuf>,

    /// Write requirements without their extras (`name==1.0`, not
    /// `name[extra]==1.0`).
    #[arg(long)]
    strip_extras: bool,

    /// Resolve for this Python version (`3.12`) of the same platform,
    /// rather than the interpreter's.
    #[arg(long, value_name = "X.Y", value_parser = TargetPython::parse_version)]
    python_version: Option<(u8, u8)>,

    /// Never choose a wheel of these packages (`:all:`, `:none:` or names):
    /// their metadata is prepared from the source distribution.
    #[arg(long, value_name = "NAMES")]
    no_binary: Vec<String>,

    /// Never choose a source distribution of these packages (`:all:`,
    /// `:none:` or names).
    #[arg(long, value_name = "NAMES")]
    only_binary: Vec<String>,

    /// Never build from source (as `--only-binary :all:`).
    #[arg(long)]
    no_build: bool,
}

pub(crate) fn run(
    args: PipCompileArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let cache = open_cache(global.cache_dir.clone(), global.no_cache)?;
    let environment = find_interpreter(args.python.clone(), &cache, printer)?;
    let interpreter = environment.interpreter().clone();
    let target = CompileTarget::new(&interpreter, args.python_version)?;
    let inputs = read_inputs(&args, printer)?;
    let output_file = output_file(&args);
    let mut options = ResolverOptions::new(target.markers.clone());
    options.prereleases = args.pre;
    if let Some(path) = output_file.as_deref().filter(|_| !args.upgrade) {
        options.preferences = previous_pins(path, &args.upgrade_package, printer)?;
    }
    let locations = index_locations(&args, &inputs.index, &interpreter)?;
    let builds = source_builds(&args, &environment, &cache, &inputs.index)?;
    options.format_policy = builds.policy().clone();
    let constraints = inputs.constraints.clone();
    let input = ResolveInput {
        locations: locations.clone(),
        requirements: inputs.requirements,
        constraints: inputs.constraints,
        options,
        tags: target.tags.clone(),
        offline: args.offline,
        no_deps: false,
        source_metadata: Some(builds),
    };
    let mut resolution = resolve(&cache, input, printer)?;
    annotate_constraints(&mut resolution, &constraints);
    printer.status(format_args!(
        "Resolved {} packages in {:.2?}",
        resolution.packages.len(),
        start.elapsed()
    ));
    if let Some(path) = output_file.as_deref().filter(|path| is_lock_file(path)) {
        let lock = lock_of(&resolution, &cache, locations, args.offline, &target.python)?;
        fs::write(path, lock.to_toml()?)?;
        return Ok(ExitStatus::Success);
    }
    let text = render(
        &resolution,
        &OutputOptions {
            header: !args.no_header,
            annotate: !args.no_annotate,
            hashes: args.generate_hashes,
            strip_extras: args.strip_extras,
            python: target.python.clone(),
            command: header_command(),
            direct: inputs.direct,
        },
    );
    match output_file {
        Some(path) => fs::write(&path, text)?,
        None => print!("{text}"),
    }
    Ok(ExitStatus::Success)
}

/// The indexes: the command line's, the files', else as pip is configured.
fn index_locations(
    args: &PipCompileArgs,
    files: &IndexArgs,
    interpreter: &Interpreter,
) -> anyhow::Result<IndexLocations> {
    let index = IndexArgs {
        index_url: args.index_url.clone(),
        extra_index_urls: args.extra_index_url.clone(),
        network: args.network.to_client(),
        ..IndexArgs::default()
    };
    Ok(IndexLocations::discover(
        &index,
        files,
        &|key: &str| std::env::var(key).ok(),
        interpreter.pip_default_index.as_deref(),
    )?)
}

/// Name the constraint files of the constrained projects in their `# via`
/// lines, as pip-tools does.
fn annotate_constraints(resolution: &mut Resolution, constraints: &[RootRequirement]) {
    for constraint in constraints {
        let Ok(name) = PackageName::new(constraint.requirement.name.as_ref()) else {
            continue;
        };
        if let Some(package) = resolution.packages.get_mut(&name) {
            package
                .required_by
                .insert(RequiredBy::Source(constraint.source.clone()));
        }
    }
}

/// The builds that prepare the metadata of versions with only a source
/// distribution, with the binary options of the command line.
fn source_builds(
    args: &PipCompileArgs,
    environment: &PythonEnvironment,
    cache: &Cache,
    files: &IndexArgs,
) -> anyhow::Result<Arc<puffin_installer::Builds>> {
    let options = SyncOptions {
        offline: args.offline,
        index: IndexArgs {
            index_url: args.index_url.clone(),
            extra_index_urls: args.extra_index_url.clone(),
            network: args.network.to_client(),
            ..IndexArgs::default()
        },
        build: BuildOptions {
            no_build: args.no_build,
            no_binary: args.no_binary.clone(),
            only_binary: args.only_binary.clone(),
            ..BuildOptions::default()
        },
        ..SyncOptions::default()
    };
    let files = SyncRequirements {
        index: files.clone(),
        ..SyncRequirements::default()
    };
    let tags = environment.interpreter().tags(&Platform::current()?)?;
    Ok(Arc::new(puffin_installer::Builds::new(
        environment,
        cache,
        &options,
        &files,
        tags,
    )?))
}

/// The interpreter resolved for: the environment's, or another Python
/// version of it (`--python-version`).
struct CompileTarget {
    markers: MarkerEnvironment,
    tags: Tags,
    /// `X.Y`, for the header and the lock's `requires-python`.
    python: String,
}

impl CompileTarget {
    fn new(interpreter: &Interpreter, version: Option<(u8, u8)>) -> anyhow::Result<Self> {
        let platform = Platform::current()?;
        let Some((major, minor)) = version else {
            return Ok(Self {
                markers: interpreter.markers.clone(),
                tags: interpreter.tags(&platform)?,
                python: interpreter.markers.python_version().string.clone(),
            });
        };
        let implementation_version = if interpreter.implementation_name == "cpython" {
            (major, minor)
        } else {
            interpreter.implementation_version
        };
        let tags = Tags::from_env(
            &platform,
            (major, minor),
            &interpreter.implementation_name,
            implementation_version,
            interpreter.gil_disabled,
            interpreter.debug,
        )?;
        let mut fields = match serde_json::to_value(&interpreter.markers)? {
            serde_json::Value::Object(fields) => fields,
            _ => anyhow::bail!("The interpreter's markers are not an object"),
        };
        fields.insert("python_version".into(), format!("{major}.{minor}").into());
        fields.insert(
            "python_full_version".into(),
            format!("{major}.{minor}.0").into(),
        );
        Ok(Self {
            markers: serde_json::from_value(serde_json::Value::Object(fields))?,
            tags,
            python: format!("{major}.{minor}"),
        })
    }
}

/// The interpreter to resolve for: `--python`, else the environment's.
fn find_interpreter(
    python: Option<String>,
    cache: &Cache,
    printer: Printer,
) -> anyhow::Result<PythonEnvironment> {
    let request = EnvironmentRequest {
        python,
        system: true,
        break_system_packages: false,
        read_only: true,
        create_if_missing: false,
        system_fallback: false,
    };
    find_environment(&request, cache, printer)
}

/// What the input files and `-c` options give.
struct Inputs {
    /// The requirements to resolve, each named `-r <file>` as given.
    requirements: Vec<RootRequirement>,
    /// The constraints, each named `-c <file>`.
    constraints: Vec<RootRequirement>,
    /// Lines written as given: `-e` paths, sources and `name @ url`
    /// requirements, whose dependencies are not resolved.
    direct: Vec<DirectLine>,
    /// The index options the files set.
    index: IndexArgs,
}

/// The inputs: every file's requirements, constraints, sources and index
/// options, and the `-c` options' constraints.
fn read_inputs(args: &PipCompileArgs, printer: Printer) -> anyhow::Result<Inputs> {
    let cwd = std::env::current_dir().context("Failed to read the working directory")?;
    let mut inputs = Inputs {
        requirements: Vec::new(),
        constraints: Vec::new(),
        direct: Vec::new(),
        index: IndexArgs::default(),
    };
    let files = args.src_files.iter().map(|file| (file, false));
    for (file, constraint) in files.chain(args.constraint.iter().map(|file| (file, true))) {
        let (read, warnings) = SyncRequirements::read(std::slice::from_ref(file), &cwd)
            .map_err(|err| installer_error(err, printer))?;
        for warning in warnings {
            printer.warn(warning);
        }
        let via = format!(
            "{} {}",
            if constraint { "-c" } else { "-r" },
            file.display()
        );
        add_input(&mut inputs, read, &via, constraint);
    }
    Ok(inputs)
}

/// Merge one file's requirements (all constraints, for a `-c` option).
fn add_input(inputs: &mut Inputs, read: SyncRequirements, via: &str, constraint: bool) {
    let root = |entry: SyncRequirement, source: String| RootRequirement {
        requirement: entry.requirement,
        source,
    };
    for entry in read.requirements {
        if matches!(entry.requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
            inputs.direct.push(DirectLine {
                line: puffin_redact::remove_credentials(&entry.requirement.to_string())
                    .into_owned(),
                via: via.to_string(),
            });
        } else if constraint {
            inputs.constraints.push(root(entry, via.to_string()));
        } else {
            inputs.requirements.push(root(entry, via.to_string()));
        }
    }
    for entry in read.constraints {
        // `-c <file>` inside a file: named by the constraint file.
        let file = entry
            .origin
            .rsplit_once(':')
            .map_or(entry.origin.clone(), |(file, _)| file.to_string());
        inputs.constraints.push(root(entry, format!("-c {file}")));
    }
    for source in read.sources {
        inputs.direct.push(DirectLine {
            line: puffin_redact::remove_credentials(&source_line(&source)).into_owned(),
            via: via.to_string(),
        });
    }
    if read.index.index_url.is_some() {
        inputs.index.index_url = read.index.index_url;
    }
    inputs
        .index
        .extra_index_urls
        .extend(read.index.extra_index_urls);
    inputs.index.find_links.extend(read.index.find_links);
    inputs.index.no_index |= read.index.no_index;
    inputs
        .index
        .network
        .trusted_hosts
        .extend(read.index.network.trusted_hosts);
}

/// A source as pip-tools writes it: `-e file:<path>` for an editable path,
/// `name @ <url>` when the name is known, else the target as written.
fn source_line(source: &SourceEntry) -> String {
    let is_url = source.target.contains("://") || source.target.starts_with("file:");
    let target = if is_url {
        source.target.clone()
    } else {
        format!("file:{}", source.target)
    };
    match (&source.name, source.editable) {
        (_, true) => format!("-e {target}"),
        (Some(name), false) => format!("{name} @ {}", source.url),
        (None, false) => source.target.clone(),
    }
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
    if is_lock_file(path) {
        let lock = PyLock::read(path)?;
        return Ok(lock
            .packages
            .iter()
            .filter_map(|package| {
                let name = PackageName::new(&package.name).ok()?;
                let version = package.version.as_deref()?.parse::<Version>().ok()?;
                (!upgrade.contains(&name)).then_some((name, version))
            })
            .collect());
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
