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
    RootRequirement, SourceMetadata, VersionMap,
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
    /// Builds the metadata of versions that only have a source
    /// distribution (without, such versions are skipped).
    pub(crate) source_metadata: Option<Arc<dyn SourceMetadata>>,
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
        source_metadata,
    } = input;
    let mut options = options;
    options.constraints = constraints;
    let client = client(cache, locations, offline)?;
    let resolution = runtime()?.block_on(async move {
        let mut provider = IndexProvider::from_options(Arc::new(client), tags, &options)
            .with_reporter(Arc::new(ResolveProgress(printer)));
        if let Some(source_metadata) = source_metadata {
            provider = provider.with_source_metadata(source_metadata);
        }
        let provider: Arc<dyn MetadataProvider> = if no_deps {
            Arc::new(WithoutDependencies(provider))
        } else {
            Arc::new(provider)
        };
        tokio::task::spawn_blocking(move || {
            puffin_resolver::resolve(&requirements, &options, provider.as_ref())
        })
        .await
        .map_err(ResolveError::Join)?
    })?;
    Ok(resolution)
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
