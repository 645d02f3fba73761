#!/usr/bin/env bash
# Time `puffin venv` with a warm interpreter cache (no Python process runs).
#
# Builds puffin in release mode, installs hyperfine with apt-get when it is
# missing, then times RUNS creations of a fresh environment, each after
# removing the previous one, and prints the mean.
#
# Usage: scripts/benchmarks/venv.sh [PYTHON]   (default: the interpreter python3 runs)
# Environment: RUNS (default 20), BENCH_DIR (default /tmp/bench-venv),
# CARGO_TARGET_DIR (default target).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The interpreter itself, not a version manager's shim (pyenv, asdf), whose
# answer puffin does not cache.
python="${1:-$(python3 -c 'import sys; print(sys.executable)')}"
runs="${RUNS:-20}"
bench_dir="${BENCH_DIR:-/tmp/bench-venv}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cache_dir="$(mktemp -d)"
trap 'rm -rf "$cache_dir" "$bench_dir"' EXIT

if ! command -v hyperfine > /dev/null; then
    echo "Installing hyperfine" >&2
    apt-get update -qq
    apt-get install -y -qq hyperfine > /dev/null
fi

cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p puffin-cli
puffin="$target_dir/release/puffin"

# Warm the interpreter cache: the first run queries Python once.
rm -rf "$bench_dir"
"$puffin" venv --quiet --cache-dir "$cache_dir" --python "$python" "$bench_dir"

json="$(mktemp)"
hyperfine --warmup 3 --runs "$runs" --shell=none \
    --prepare "rm -rf $bench_dir" \
    --export-json "$json" \
    "$puffin venv --quiet --cache-dir $cache_dir --python $python $bench_dir"

mean_ms="$(python3 -c '
import json, sys
result = json.load(open(sys.argv[1]))["results"][0]
print("%.2f ms ± %.2f ms" % (result["mean"] * 1000, result["stddev"] * 1000))
' "$json")"
rm -f "$json"
echo "puffin venv (cached interpreter): mean $mean_ms over $runs runs"
