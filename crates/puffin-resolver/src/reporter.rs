use distribution_filename::PackageName;
use pep440_rs::Version;

/// Progress of a resolution against an index. Every method has an empty
/// default; calls come from several threads.
pub trait ResolverReporter: Send + Sync {
    /// A project page was read.
    fn on_project(&self, _name: &PackageName) {}

    /// The metadata of a version was fetched (or found in the cache).
    fn on_metadata(&self, _name: &PackageName, _version: &Version) {}
}
