//! One resolution through the index, shared by `pip-compile` and
//! `pip-install`: the client, a runtime of its own, the index's provider and
//! the resolver's progress as verbose lines.

use std::sync::Arc;

use anyhow::Context;
use distribution_filename::PackageName;
use pep440_rs::Version;
use platform_tags::Tags;
use puffin_cache::Cache;
use puffin_client::{IndexLocations, RegistryClient, RegistryClientBuilder};
use puffin_package::Metadata;
use puffin_resolver::{
    IndexProvider, MetadataProvider, Resolution, ResolveError, ResolverOptions, ResolverReporter,
    RootRequirement, VersionMap,
};

use crate::printer::Printer;

/// What to resolve, for which tags, and where to look.
pub(crate) struct ResolveInput {
    /// The indexes and find-links locations.
    pub(crate) locations: IndexLocations,
    /// The requirements given to the resolver.
    pub(crate) requirements: Vec<RootRequirement>,
    /// Constraints (`-c`): they restrict the versions of the projects the
    /// resolution contains, and add none.
    pub(crate) constraints: Vec<RootRequirement>,
    /// The marker environment, `--pre` and the preferences.
    pub(crate) options: ResolverOptions,
    /// The tags wheels must have.
    pub(crate) tags: Tags,
    /// Use only the cache.
    pub(crate) offline: bool,
    /// Resolve only the requirements given, none of their dependencies
    /// (`pip-install --no-deps`).
    pub(crate) no_deps: bool,
}

/// The client that a resolution reads the indexes with.
pub(crate) fn client(
    cache: &Cache,
    locations: IndexLocations,
    offline: bool,
) -> anyhow::Result<RegistryClient> {
    Ok(RegistryClientBuilder::new(cache.clone())
        .index_locations(locations)
        .offline(offline)
        .build()?)
}

/// A runtime for the client's futures.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")
}

/// Resolve on a runtime of its own, with the index's provider.
pub(crate) fn resolve(
    cache: &Cache,
    input: ResolveInput,
    printer: Printer,
) -> anyhow::Result<Resolution> {
    let ResolveInput {
        locations,
        requirements,
        constraints,
        options,
        tags,
        offline,
        no_deps,
    } = input;
    let client = client(cache, locations, offline)?;
    let markers = options.markers.clone();
    let preferences = options.preferences.clone();
    let resolution = runtime()?.block_on(async move {
        let provider = IndexProvider::new(Arc::new(client), tags, markers)
            .with_preferences(preferences)
            .with_reporter(Arc::new(ResolveProgress(printer)));
        let provider: Arc<dyn MetadataProvider> = if no_deps {
            Arc::new(WithoutDependencies(provider))
        } else {
            Arc::new(provider)
        };
        tokio::task::spawn_blocking(move || {
            resolve_constrained(requirements, &constraints, &options, provider.as_ref())
        })
        .await
        .map_err(ResolveError::Join)?
    })?;
    Ok(resolution)
}

/// Resolve, then add the constraints on projects of the resolution to the
/// requirements and resolve again, until no constraint is added: a
/// constraint then restricts a project exactly when the resolution needs it,
/// as pip's constraints do. (The resolver has no constraints of its own;
/// each round answers from the provider's cache.)
fn resolve_constrained(
    mut requirements: Vec<RootRequirement>,
    constraints: &[RootRequirement],
    options: &ResolverOptions,
    provider: &dyn MetadataProvider,
) -> Result<Resolution, ResolveError> {
    let mut applied = vec![false; constraints.len()];
    loop {
        let resolution = puffin_resolver::resolve(&requirements, options, provider)?;
        let mut added = false;
        for (constraint, applied) in constraints.iter().zip(&mut applied) {
            let name = PackageName::new(constraint.requirement.name.as_ref()).ok();
            let in_resolution = name.is_some_and(|name| resolution.packages.contains_key(&name));
            if !*applied && in_resolution {
                *applied = true;
                added = true;
                requirements.push(constraint.clone());
            }
        }
        if !added {
            return Ok(resolution);
        }
    }
}

/// The index's versions, with metadata that requires nothing: a resolution
/// of the requirements alone (their versions, `Requires-Python`), as
/// `--no-deps` asks.
struct WithoutDependencies(IndexProvider);

impl MetadataProvider for WithoutDependencies {
    fn versions(&self, name: &PackageName) -> Result<Arc<VersionMap>, ResolveError> {
        self.0.versions(name)
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<Metadata>, ResolveError> {
        let mut metadata = Metadata::clone(&*self.0.metadata(name, version)?);
        metadata.requires_dist.clear();
        Ok(Arc::new(metadata))
    }
}

/// Reports the resolver's fetches as verbose lines.
struct ResolveProgress(Printer);

impl ResolverReporter for ResolveProgress {
    fn on_metadata(&self, name: &PackageName, version: &Version) {
        self.0
            .verbose(format_args!("Read the metadata of {name} {version}"));
    }
}
