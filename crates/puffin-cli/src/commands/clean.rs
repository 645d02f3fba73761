use anyhow::Context;
use clap::Args;
use distribution_filename::PackageName;
use puffin_cache::Cache;

use crate::GlobalArgs;
use crate::commands::ExitStatus;
use crate::printer::Printer;

// The arguments of `puffin clean`. Its help starts with this doc comment
// (subcommands are built lazily): keep it the same as the `Command` variant's.
/// Remove the cache, or one package's entries in it.
#[derive(Args, Debug)]
pub(crate) struct CleanArgs {
    /// Remove only these packages' entries (their unzipped wheels and cached
    /// index pages) instead of the whole cache.
    #[arg(value_name = "PACKAGE")]
    packages: Vec<PackageName>,
}

pub(crate) fn run(
    args: CleanArgs,
    global: &GlobalArgs,
    printer: Printer,
) -> anyhow::Result<ExitStatus> {
    let cache = Cache::from_settings(global.cache_dir.clone(), global.no_cache)
        .context("Failed to open the cache")?;
    let root = cache.root().display().to_string();
    let summary = cache.clean_with(&args.packages, || {
        printer.status("Waiting for another puffin process to release the cache lock");
    })?;
    if args.packages.is_empty() {
        printer.status(format_args!("Cleared cache at {root}"));
        printer.verbose(format_args!(
            "Removed {} files ({})",
            summary.files_removed,
            human_bytes(summary.bytes_removed)
        ));
    } else if summary.entries_removed == 0 {
        let names: Vec<String> = args.packages.iter().map(ToString::to_string).collect();
        printer.status(format_args!(
            "No cache entries found for {} in {root}",
            names.join(", ")
        ));
    } else {
        printer.status(format_args!(
            "Removed {} {} from {root} ({})",
            summary.entries_removed,
            if summary.entries_removed == 1 {
                "entry"
            } else {
                "entries"
            },
            human_bytes(summary.bytes_removed)
        ));
    }
    Ok(ExitStatus::Success)
}

/// `1.5 MiB`-style sizes.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }
}
