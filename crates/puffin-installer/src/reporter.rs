//! Progress of a sync, for the caller to show; the library never prints.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use distribution_filename::WheelFilename;
use install_wheel_rs::Recovery;

use crate::{InstalledDist, Plan};

/// A step of a sync that finished, with what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Every wheel the plan installs is in the wheel store: `resolved`
    /// requirements (kept and installed), of which `downloaded` were fetched.
    Prepared {
        /// Requirements resolved to a distribution.
        resolved: usize,
        /// Wheels downloaded or unzipped.
        downloaded: usize,
        /// Wheels built from source (not found built in the cache).
        built: usize,
        /// Since the sync started.
        elapsed: Duration,
    },
    /// Distributions removed (extraneous or replaced).
    Uninstalled {
        /// How many.
        count: usize,
        /// How long the removal took.
        elapsed: Duration,
    },
    /// The installed `.py` files compiled to bytecode.
    Compiled {
        /// Files compiled.
        count: usize,
        /// How long compiling took.
        elapsed: Duration,
    },
    /// Wheels linked into the environment.
    Installed {
        /// How many.
        count: usize,
        /// How long linking took.
        elapsed: Duration,
    },
}

/// A lock a sync takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock<'a> {
    /// The cache's lock file (shared by installs, exclusive for `puffin clean`).
    Cache(&'a Path),
    /// The environment's lock file (exclusive while it changes).
    Environment(&'a Path),
}

/// Events of a sync. Every method has an empty default, so an embedder
/// implements only what it shows. Downloads run concurrently: each gets an id
/// from [`Reporter::on_download_start`] that the other download calls pass back.
pub trait Reporter: Send + Sync {
    /// Another process holds a lock the sync needs; it waits for it.
    fn on_lock_wait(&self, _lock: Lock<'_>) {}

    /// A run that was killed while it changed the environment was finished
    /// (rolled back, or its cleanup completed) before this one started.
    fn on_recovery(&self, _recovery: &Recovery) {}

    /// Something a person should know that does not stop the sync, such as a
    /// yanked file or an odd entry in site-packages.
    fn on_warning(&self, _message: &str) {}

    /// The plan is made; nothing has changed yet.
    fn on_plan(&self, _plan: &Plan) {}

    /// A download of `name` (a wheel filename) starts; `size` is the
    /// `Content-Length` if the server sent one. Returns an id for it.
    fn on_download_start(&self, _name: &str, _size: Option<u64>) -> usize {
        0
    }

    /// `bytes` more bytes of download `id` arrived.
    fn on_download_progress(&self, _id: usize, _bytes: u64) {}

    /// Download `id` finished (successfully or not).
    fn on_download_complete(&self, _id: usize) {}

    /// A wheel was unzipped into the store.
    fn on_unzip_complete(&self, _wheel: &WheelFilename) {}

    /// A distribution was removed from the environment.
    fn on_uninstall_complete(&self, _dist: &InstalledDist) {}

    /// A wheel was linked into the environment.
    fn on_install_complete(&self, _wheel: &WheelFilename) {}

    /// A step of the sync finished.
    fn on_phase(&self, _phase: Phase) {}
}

/// A reporter that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct SilentReporter;

impl Reporter for SilentReporter {}

/// Passes the client's download events on to a sync [`Reporter`].
pub(crate) struct DownloadEvents(pub(crate) Arc<dyn Reporter>);

impl puffin_client::Reporter for DownloadEvents {
    fn on_download_start(&self, name: &str, size: Option<u64>) -> usize {
        self.0.on_download_start(name, size)
    }

    fn on_download_progress(&self, id: usize, bytes: u64) {
        self.0.on_download_progress(id, bytes);
    }

    fn on_download_complete(&self, id: usize) {
        self.0.on_download_complete(id);
    }
}
