//! The CLI's [`Reporter`]: status lines for each step of a sync, warnings,
//! and download progress bars (indicatif) on stderr, only when it is a
//! terminal and neither `-q` nor `--no-progress` was given.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use puffin_installer::{Lock, Phase, Plan, Reporter, SyncRequirement};

use crate::commands::environment::{elapsed, packages};
use crate::printer::Printer;

/// Prints a sync's progress.
pub(crate) struct SyncProgress {
    printer: Printer,
    start: Instant,
    multi: MultiProgress,
    bars: Mutex<Vec<Option<ProgressBar>>>,
    enabled: bool,
    /// Requirements another command added (`venv --seed`): not warned about
    /// when unpinned.
    seeds: BTreeSet<String>,
    /// Whether preparing prints "Resolved N packages"; not when the command
    /// resolved them itself and said so (`pip-install`).
    says_resolved: bool,
}

impl SyncProgress {
    pub(crate) fn new<'a>(
        printer: Printer,
        start: Instant,
        seeds: impl Iterator<Item = &'a SyncRequirement>,
    ) -> Self {
        let enabled = printer.shows_progress() && std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Self {
            printer,
            start,
            multi,
            bars: Mutex::new(Vec::new()),
            enabled,
            seeds: seeds
                .map(|seed| seed.requirement.name.to_string())
                .collect(),
            says_resolved: true,
        }
    }

    /// Leave out the "Resolved" line: the command printed its own.
    pub(crate) fn without_resolved_line(mut self) -> Self {
        self.says_resolved = false;
        self
    }

    /// Remove every bar.
    pub(crate) fn finish(&self) {
        let _ = self.multi.clear();
    }

    /// Print above the bars.
    fn above_bars(&self, print: impl FnOnce()) {
        if self.enabled {
            self.multi.suspend(print);
        } else {
            print();
        }
    }

    fn bars(&self) -> std::sync::MutexGuard<'_, Vec<Option<ProgressBar>>> {
        self.bars
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Reporter for SyncProgress {
    fn on_lock_wait(&self, lock: Lock<'_>) {
        match lock {
            Lock::Cache(_) => self
                .printer
                .status("Waiting for another puffin process to release the cache lock"),
            Lock::Environment(path) => self.printer.status(format_args!(
                "Waiting for another puffin process to release the environment lock at {}",
                path.display()
            )),
        }
    }

    fn on_recovery(&self, recovery: &puffin_installer::Recovery) {
        self.above_bars(|| self.printer.warn(recovery));
    }

    fn on_warning(&self, message: &str) {
        self.above_bars(|| self.printer.warn(message));
    }

    fn on_plan(&self, plan: &Plan) {
        if plan.skipped_by_markers > 0 {
            self.printer.verbose(format_args!(
                "Skipped {} whose markers do not match this environment",
                if plan.skipped_by_markers == 1 {
                    "1 requirement".to_string()
                } else {
                    format!("{} requirements", plan.skipped_by_markers)
                }
            ));
        }
        for name in plan
            .unpinned
            .iter()
            .filter(|name| !self.seeds.contains(name.as_str()))
        {
            self.printer.warn(format_args!(
                "`{name}` is not pinned to one version: pip-sync installs the newest matching \
                 version and none of its dependencies (pin it with `{name}==<version>`, e.g. \
                 with pip-compile)"
            ));
        }
    }

    fn on_download_start(&self, name: &str, size: Option<u64>) -> usize {
        let mut bars = self.bars();
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
        if let Some(Some(bar)) = self.bars().get(id) {
            bar.inc(bytes);
        }
    }

    fn on_download_complete(&self, id: usize) {
        if let Some(slot) = self.bars().get_mut(id)
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    fn on_phase(&self, phase: Phase) {
        match phase {
            Phase::Prepared {
                resolved,
                downloaded,
                built,
                ..
            } => {
                self.finish();
                let since_start = elapsed(self.start.elapsed());
                if self.says_resolved {
                    self.printer.status(format_args!(
                        "Resolved {} in {since_start}",
                        packages(resolved)
                    ));
                }
                if built > 0 {
                    self.printer
                        .status(format_args!("Built {} in {since_start}", packages(built)));
                }
                if downloaded > 0 {
                    self.printer.status(format_args!(
                        "Downloaded {} in {since_start}",
                        packages(downloaded)
                    ));
                }
            }
            Phase::Uninstalled {
                count,
                elapsed: time,
            } => self.printer.status(format_args!(
                "Uninstalled {} in {}",
                packages(count),
                elapsed(time)
            )),
            Phase::Installed {
                count,
                elapsed: time,
            } => self.printer.status(format_args!(
                "Installed {} in {}",
                packages(count),
                elapsed(time)
            )),
            Phase::Compiled {
                count,
                elapsed: time,
            } => self.printer.status(format_args!(
                "Compiled {count} {} in {}",
                if count == 1 { "file" } else { "files" },
                elapsed(time)
            )),
        }
    }
}
