#!/usr/bin/env bash
# Profile a cold `puffin pip-sync` with the network out of the picture: the
# wheels of a requirement list come from a local mirror (a static simple index
# written by `mirror.py`, served by nginx on 127.0.0.1, or by
# `python3 -m http.server` where nginx is missing, given as `--index-url`), and
# the cache and the environment are on a tmpfs.
#
# Usage: sudo bash scripts/benchmarks/profile.sh [REQUIREMENTS]
#        (default ../shared/bench/jupyter-pandas.txt)
#
# Steps: download the list's wheels once (`pip download --only-binary :all:
# --no-deps`, found the way pip finds its index) into PROFILE_WHEELS; write the
# simple index and serve it; run one untimed cold sync (it checks the mirror works and warms the
# page cache); then, each time with an empty cache and a fresh environment:
# PROFILE_RUNS runs under `/usr/bin/time -v` (wall, user, system time and peak
# memory), and one run under `perf record` (software clock sampling with DWARF
# call graphs: this works in VMs without hardware counters). Writes the top of
# the profile, by symbol (self time) and by shared object, to PROFILE_OUT.
#
# Environment:
#   PUFFIN=PATH          the binary to profile (default: build HEAD's release
#                        binary into CARGO_TARGET_DIR, default target)
#   PROFILE_WHEELS=DIR   the mirror's directory (default /tmp/puffin-profile-wheels)
#   PROFILE_DIR=DIR      scratch space, a tmpfs is mounted there as root
#                        (default /tmp/puffin-profile)
#   PROFILE_OUT=DIR      where the perf data and reports go (default $PROFILE_DIR-out)
#   PROFILE_RUNS=N       timed runs (default 3)
#   PROFILE_PERF=0       skip perf (timings only)
#   PROFILE_PORT=N       the mirror's port (default 8931)
#   BENCH_PYTHON=PATH    the base interpreter (default python3)
set -euo pipefail

main() {

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
reqs="${1:-$(cd "$root/.." && pwd)/shared/bench/jupyter-pandas.txt}"
wheels="${PROFILE_WHEELS:-/tmp/puffin-profile-wheels}"
scratch="${PROFILE_DIR:-/tmp/puffin-profile}"
out="${PROFILE_OUT:-$scratch-out}"
runs="${PROFILE_RUNS:-3}"
port="${PROFILE_PORT:-8931}"
python="$("${BENCH_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"

log() { echo "==> $*" >&2; }

if [[ -n "${PUFFIN:-}" ]]; then
    puffin="$PUFFIN"
else
    target_dir="${CARGO_TARGET_DIR:-$root/target}"
    log "Building puffin (release)"
    cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p puffin-cli
    puffin="$target_dir/release/puffin"
fi

if [[ "${PROFILE_PERF:-1}" == 1 ]] && ! command -v perf > /dev/null; then
    log "apt-get install linux-perf"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf > /dev/null
fi

if [[ ! -d "$wheels" ]] || [[ -z "$(ls -A "$wheels")" ]]; then
    log "Downloading the wheels of $reqs into $wheels"
    mkdir -p "$wheels"
    "$python" -m pip download --quiet --disable-pip-version-check --only-binary :all: \
        --no-deps -r "$reqs" -d "$wheels"
fi

mkdir -p "$scratch" "$out"
mounted=""
server=""
cleanup() {
    [[ -z "$server" ]] || kill "$server" 2> /dev/null || true
    if [[ -n "$mounted" ]]; then
        umount "$mounted" || umount -l "$mounted" || true
    fi
}
trap cleanup EXIT
if mountpoint -q "$scratch"; then
    umount "$scratch"
fi
if [[ "$(id -u)" == 0 ]]; then
    mount -t tmpfs -o size=6G tmpfs "$scratch"
    mounted="$scratch"
elif [[ "$(stat -f -c %T "$scratch")" != tmpfs ]]; then
    echo "error: $scratch is not a tmpfs; run as root, or set PROFILE_DIR to a tmpfs (/dev/shm/...)" >&2
    exit 1
fi

log "Serving a simple index of $wheels on 127.0.0.1:$port"
"$python" "$here/mirror.py" "$wheels" "$scratch/mirror" >&2
if [[ -x /usr/sbin/nginx ]]; then
    cat > "$scratch/nginx.conf" << EOF
worker_processes 1;
daemon off;
pid $scratch/nginx.pid;
error_log $out/http.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    types { text/html html; application/octet-stream whl; }
    server { listen 127.0.0.1:$port; root $scratch/mirror; index index.html; }
}
EOF
    /usr/sbin/nginx -c "$scratch/nginx.conf" &
else
    "$python" -m http.server --bind 127.0.0.1 --directory "$scratch/mirror" "$port" > "$out/http.log" 2>&1 &
fi
server=$!
for _ in $(seq 50); do
    if "$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/simple/')" 2> /dev/null; then
        break
    fi
    sleep 0.1
done

"$python" -m venv --without-pip "$scratch/template"
cp "$puffin" "$scratch/puffin"
sync_cmd=("$scratch/puffin" pip-sync --quiet --index-url "http://127.0.0.1:$port/simple"
    --python "$scratch/env/bin/python" --cache-dir "$scratch/cache" --link-mode hardlink "$reqs")
fresh() {
    rm -rf "$scratch/cache" "$scratch/env"
    cp -a "$scratch/template" "$scratch/env"
}

log "Untimed cold sync from the mirror"
fresh
"${sync_cmd[@]}"

: > "$out/times.txt"
for ((i = 1; i <= runs; i++)); do
    fresh
    /usr/bin/time -f "wall %e s, user %U s, system %S s, peak RSS %M KiB" -a -o "$out/times.txt" \
        "${sync_cmd[@]}"
    echo "load $(cut -d' ' -f1 /proc/loadavg)" >> "$out/times.txt"
done
log "Timed runs:"
cat "$out/times.txt" >&2

if [[ "${PROFILE_PERF:-1}" == 1 ]]; then
    fresh
    log "perf record"
    perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 -o "$out/perf.data" -- "${sync_cmd[@]}"
    perf report -i "$out/perf.data" --no-children --sort symbol --stdio --percent-limit 0.7 \
        -g none 2> /dev/null | grep -v '^$' > "$out/self-by-symbol.txt"
    perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none 2> /dev/null |
        grep -v '^$' > "$out/self-by-dso.txt"
    perf report -i "$out/perf.data" --children --sort symbol --stdio --percent-limit 4 \
        -g none 2> /dev/null | grep -v '^$' > "$out/inclusive-by-symbol.txt"
    log "Top of the profile (self time, by symbol): $out/self-by-symbol.txt"
    head -45 "$out/self-by-symbol.txt" >&2
fi
}

main "$@"
