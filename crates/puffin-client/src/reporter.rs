/// Progress of downloads, for the CLI to draw bars; the library never prints.
///
/// Downloads run concurrently, so each gets an id from
/// [`Reporter::on_download_start`] that the other calls pass back.
pub trait Reporter: Send + Sync {
    /// A download of `name` (a wheel or source distribution file name) starts; `size` is the
    /// `Content-Length` if the server sent one. Returns an id for this download.
    fn on_download_start(&self, name: &str, size: Option<u64>) -> usize;

    /// `bytes` more bytes of download `id` arrived.
    fn on_download_progress(&self, id: usize, bytes: u64);

    /// Download `id` finished (successfully or not).
    fn on_download_complete(&self, id: usize);
}
