//! Time `unzip_wheel` on one archive: `cargo run --release -p puffin-unzip
//! --example unzip_bench -- <wheel.whl> <target-dir>`.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use distribution_filename::WheelFilename;

fn main() {
    let mut args = std::env::args().skip(1);
    let wheel = PathBuf::from(args.next().expect("a wheel path"));
    let target = PathBuf::from(args.next().expect("a target directory"));
    let filename = WheelFilename::from_str(
        wheel
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a wheel filename"),
    )
    .expect("a valid wheel filename");
    let start = Instant::now();
    let outcome = puffin_unzip::unzip_wheel(&wheel, &filename, &target).expect("unzip");
    println!(
        "{} files in {:?}",
        outcome.manifest.files.len(),
        start.elapsed()
    );
}
