//! Resolve every `name==version` pin of a requirements file to the best wheel
//! for this machine's `python3`, then download them all concurrently into a
//! temporary directory, and print the time and bytes.
//!
//! ```text
//! cargo run --release -p puffin-client --example download_bench -- \
//!     --index-url <URL> [--concurrency N] [REQUIREMENTS]
//! ```
//!
//! The index URL can also come from `PUFFIN_INDEX_URL`. Nothing is cached
//! between runs: the cache is a temporary directory too.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, ExitCode};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use distribution_filename::PackageName;
use futures::StreamExt;
use pep440_rs::{Version, VersionSpecifiers};
use platform_tags::{Platform, Tags};
use puffin_cache::Cache;
use puffin_client::{
    DEFAULT_CONCURRENT_DOWNLOADS, IndexLocations, RegistryClientBuilder, Reporter,
};
use url::Url;

/// Counts downloaded bytes.
#[derive(Default)]
struct Bytes(AtomicU64);

impl Reporter for Bytes {
    fn on_download_start(&self, _name: &str, _size: Option<u64>) -> usize {
        0
    }

    fn on_download_progress(&self, _id: usize, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }

    fn on_download_complete(&self, _id: usize) {}
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            let mut source = err.source();
            while let Some(cause) = source {
                eprintln!("  Caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut index_url = std::env::var("PUFFIN_INDEX_URL").ok();
    let mut concurrency = DEFAULT_CONCURRENT_DOWNLOADS;
    let mut requirements = "/work/shared/bench/jupyter-pandas.txt".to_string();
    let mut phases = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--index-url" => index_url = args.next(),
            "--concurrency" => concurrency = args.next().ok_or("--concurrency N")?.parse()?,
            "--phases" => phases = true,
            _ => requirements = arg,
        }
    }
    let index_url = Url::parse(&index_url.ok_or("pass --index-url or set PUFFIN_INDEX_URL")?)?;

    // The interpreter: `python3`'s version and implementation.
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.implementation.name, *sys.version_info[:3])",
        ])
        .output()?;
    let text = String::from_utf8(output.stdout)?;
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [implementation, major, minor, patch] = parts[..] else {
        return Err(format!("unexpected python3 output: {text}").into());
    };
    let (major, minor): (u8, u8) = (major.parse()?, minor.parse()?);
    let python_version = Version::from_str(&format!("{major}.{minor}.{patch}"))?;
    let tags = Tags::from_env(
        &Platform::current()?,
        (major, minor),
        implementation,
        (major, minor),
        false,
        false,
    )?;

    let pins: Vec<(PackageName, VersionSpecifiers)> = fs_err::read_to_string(&requirements)?
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let line = line.split(';').next().unwrap_or_default().trim();
            let (name, version) = line.split_once("==").ok_or("only `name==version` pins")?;
            Ok::<_, Box<dyn std::error::Error>>((
                PackageName::new(name.trim())?,
                VersionSpecifiers::from_str(&format!("=={}", version.trim()))?,
            ))
        })
        .collect::<Result<_, _>>()?;

    let temp = tempfile::tempdir()?;
    let cache = Cache::from_path(temp.path().join("cache"));
    let dest = temp.path().join("wheels");
    let bytes = Arc::new(Bytes::default());
    let build_start = Instant::now();
    let client = RegistryClientBuilder::new(cache)
        .index_locations(IndexLocations::from_index(index_url))
        .reporter(bytes.clone())
        .build()?;
    eprintln!(
        "client built in {:.3}s",
        build_start.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let start = Instant::now();
        if phases {
            // All index pages first, then all downloads: shows each phase's time.
            let selected = futures::stream::iter(&pins)
                .map(|(name, specifiers)| {
                    client.select_wheel(name, specifiers, &tags, &python_version)
                })
                .buffer_unordered(concurrency)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
            println!("index pages: {:.2}s", start.elapsed().as_secs_f64());
            let downloads = Instant::now();
            futures::stream::iter(&selected)
                .map(|wheel| client.download_wheel(wheel, &dest, &[]))
                .buffer_unordered(concurrency)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
            println!("downloads: {:.2}s", downloads.elapsed().as_secs_f64());
        } else {
            // Each pin's page, then its wheel, as `pip-sync` does: the phases overlap.
            futures::stream::iter(&pins)
                .map(|(name, specifiers)| async {
                    let wheel = client
                        .select_wheel(name, specifiers, &tags, &python_version)
                        .await?;
                    client.download_wheel(&wheel, &dest, &[]).await
                })
                .buffer_unordered(concurrency)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let total = bytes.0.load(Ordering::Relaxed) as f64 / 1024.0 / 1024.0;
        println!(
            "{} pins -> {} wheels, {total:.1} MiB in {elapsed:.2}s ({:.1} MiB/s), concurrency {concurrency}",
            pins.len(),
            fs_err::read_dir(&dest)?.count(),
            total / elapsed,
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    let shutdown = Instant::now();
    drop(client);
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    eprintln!("runtime shutdown {:.2}s", shutdown.elapsed().as_secs_f64());
    let cleanup = Instant::now();
    drop(temp);
    eprintln!("temp cleanup {:.2}s", cleanup.elapsed().as_secs_f64());
    Ok(())
}
