#!/usr/bin/env bash
# The untimed steps the benchmark runs before each timed command (hyperfine's
# `--prepare`), so that every run starts from the same state.
#
#   prepare.sh fresh ENV TEMPLATE
#       Replace ENV with a copy of the virtual environment TEMPLATE.
#   prepare.sh cold CACHE ENV TEMPLATE
#       Empty the cache directory CACHE, then `fresh ENV TEMPLATE`.
#   prepare.sh installed ENV TEMPLATE COMMAND...
#       `fresh ENV TEMPLATE`, then run COMMAND (an install into ENV), quietly.
#
# Templates are made once by run.sh with `python -m venv` (without pip for
# puffin and uv, with the benchmarked pip for pip), so a copy is exactly a new
# environment; copying is faster than running `venv` (and `ensurepip`) each time.
set -euo pipefail

fresh() {
    rm -rf "$1"
    mkdir -p "$(dirname "$1")"
    cp -a "$2" "$1"
    # Flush the removal and the copy now: otherwise the filesystem's journal
    # and writeback work for them (thousands of files) lands in the timed run.
    sync
}

case "${1:-}" in
    fresh)
        fresh "$2" "$3"
        ;;
    cold)
        rm -rf "$2"
        mkdir -p "$2"
        fresh "$3" "$4"
        ;;
    installed)
        fresh "$2" "$3"
        shift 3
        "$@" > /dev/null
        sync
        ;;
    *)
        echo "usage: prepare.sh fresh ENV TEMPLATE | cold CACHE ENV TEMPLATE | installed ENV TEMPLATE COMMAND..." >&2
        exit 2
        ;;
esac
