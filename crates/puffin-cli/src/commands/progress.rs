//! Download progress bars (indicatif) on stderr, only when it is a terminal.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use puffin_client::Reporter;

use crate::printer::Printer;

/// Draws one bar per running download.
pub(crate) struct DownloadProgress {
    reporter: Arc<BarReporter>,
}

struct BarReporter {
    multi: MultiProgress,
    bars: Mutex<Vec<Option<ProgressBar>>>,
    enabled: bool,
}

impl DownloadProgress {
    pub(crate) fn new(printer: Printer) -> Self {
        let enabled = printer.shows_progress() && std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Self {
            reporter: Arc::new(BarReporter {
                multi,
                bars: Mutex::new(Vec::new()),
                enabled,
            }),
        }
    }

    /// The reporter to hand to the client.
    pub(crate) fn reporter(&self) -> Arc<dyn Reporter> {
        self.reporter.clone()
    }

    /// Remove every bar.
    pub(crate) fn finish(&self) {
        let _ = self.reporter.multi.clear();
    }
}

impl Reporter for BarReporter {
    fn on_download_start(&self, name: &str, size: Option<u64>) -> usize {
        let mut bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = bars.len();
        if !self.enabled {
            bars.push(None);
            return id;
        }
        let bar = self.multi.add(ProgressBar::new(size.unwrap_or(0)));
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:30.dim} {bar:30.green/dim} {binary_bytes:>7}/{binary_total_bytes:7}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(name.to_string());
        bars.push(Some(bar));
        id
    }

    fn on_download_progress(&self, id: usize, bytes: u64) {
        let bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(Some(bar)) = bars.get(id) {
            bar.inc(bytes);
        }
    }

    fn on_download_complete(&self, id: usize) {
        let mut bars = self
            .bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = bars.get_mut(id)
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }
}
