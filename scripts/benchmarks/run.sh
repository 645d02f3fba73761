#!/usr/bin/env bash
# Compare puffin, uv and pip installing the shared benchmark requirements, and
# write BENCHMARKS.md from the results.
#
# Usage: sudo bash scripts/benchmarks/run.sh
#
# The script installs what it compares with: uv and pip from the package index
# into a tool environment (BENCH_TOOLS_DIR), and hyperfine, strace, GNU time and
# xfsprogs from Debian's packages when they are missing. It builds puffin in
# release mode. As root it also mounts a reflink-capable XFS image (the clone
# scenario) and a tmpfs (the cross-filesystem scenario); without root the clone
# scenario is skipped and the tmpfs is /dev/shm.
#
# Every scenario is one hyperfine run over the three tools, so the ratios
# puffin/uv compare runs made under the same conditions. Creating the fresh
# environment (and emptying the cache, for the cold scenario) is hyperfine's
# `--prepare` step, which is not timed. After each scenario one more run per
# tool under `/usr/bin/time -v` records the peak memory, and for the warm
# hardlink scenario one run per tool under `strace -c -f` counts syscalls.
#
# Environment:
#   BENCH_QUICK=1        smoke test: small.txt only, 1 warm-up and 3 runs
#   BENCH_RUNS=N         runs of each warm scenario (default 5 big, 10 small)
#   BENCH_COLD_RUNS=N    runs of the cold scenario (default 3 big, 5 small)
#   BENCH_LISTS="a b"    requirement lists, by name in ../shared/bench
#                        (default "small jupyter-pandas")
#   BENCH_SCENARIOS="…"  a subset of: hardlink copy clone cross-fs noop cold uninstall
#   BENCH_TOOLS="…"      a subset of: puffin uv pip (default all three)
#   BENCH_OFFLINE=0      let puffin and uv revalidate index pages in the warm
#                        scenarios (default 1: they run with --offline, see below)
#   BENCH_PYTHON=PATH    the base interpreter (default python3)
#   BENCH_DIR=DIR        scratch space (default /tmp/puffin-bench)
#   BENCH_TOOLS_DIR=DIR  the uv and pip environment (default /tmp/puffin-bench-tools)
#   BENCH_PUFFIN=PATH    use this puffin binary instead of building the
#                        committed HEAD (uncommitted changes are not built)
#   BENCH_OUTPUT=FILE    the report (default BENCHMARKS.md at the repository root)
#   CARGO_TARGET_DIR     where cargo builds puffin (default target)
set -euo pipefail

# Everything is in main so that bash reads the whole file before running any of
# it: editing the script during a run cannot change that run.
main() {

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="$(cd "$root/.." && pwd)/shared/bench"

quick="${BENCH_QUICK:-0}"
bench_dir="${BENCH_DIR:-/tmp/puffin-bench}"
tools_dir="${BENCH_TOOLS_DIR:-/tmp/puffin-bench-tools}"
output="${BENCH_OUTPUT:-$root/BENCHMARKS.md}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
all_scenarios="hardlink copy clone cross-fs noop cold uninstall"
scenarios="${BENCH_SCENARIOS:-$all_scenarios}"
tools="${BENCH_TOOLS:-puffin uv pip}"
if [[ "$quick" == 1 ]]; then
    lists="${BENCH_LISTS:-small}"
else
    lists="${BENCH_LISTS:-small jupyter-pandas}"
fi

case "$bench_dir" in
    *[[:space:]]*)
        echo "error: BENCH_DIR must not contain spaces (hyperfine splits commands on them)" >&2
        exit 2
        ;;
esac

log() { echo "==> $*" >&2; }
is_root() { [[ "$(id -u)" == 0 ]]; }

# --- Tools -----------------------------------------------------------------

apt_updated=0
apt_install() { # PACKAGE COMMAND: install PACKAGE when COMMAND is missing
    if [[ -x "$2" ]] || command -v "$2" > /dev/null 2>&1; then
        return 0
    fi
    if ! is_root; then
        echo "error: $2 is missing; install the Debian package $1 (or run as root)" >&2
        exit 1
    fi
    if [[ "$apt_updated" == 0 ]]; then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
    log "apt-get install $1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" > /dev/null
}

apt_install hyperfine hyperfine
apt_install strace strace
apt_install time /usr/bin/time
if is_root; then
    apt_install xfsprogs mkfs.xfs
fi

if [[ ! -x "$tools_dir/bin/uv" || ! -x "$tools_dir/bin/pip" ]]; then
    log "Installing uv and pip into $tools_dir"
    python3 -m venv "$tools_dir"
    "$tools_dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade uv pip
fi
uv="$tools_dir/bin/uv"
pip_version="$("$tools_dir/bin/python" -m pip --version | cut -d' ' -f2)"

src_dir="$bench_dir/src"
puffin_rev="a binary given as BENCH_PUFFIN"
if [[ -n "${BENCH_PUFFIN:-}" ]]; then
    puffin="$BENCH_PUFFIN"
elif [[ " $tools " == *" puffin "* ]]; then
    # Build the committed HEAD, exported with `git archive`, so that the
    # uncommitted work in the tree neither breaks nor changes what is measured.
    log "Building puffin (release) from HEAD ($(git -C "$root" rev-parse --short HEAD))"
    rm -rf "$src_dir"
    mkdir -p "$src_dir"
    git -C "$root" archive HEAD | tar -x -C "$src_dir"
    (cd "$src_dir" && CARGO_TARGET_DIR="$target_dir" cargo build --release --quiet -p puffin-cli)
    mkdir -p "$bench_dir/bin"
    cp "$target_dir/release/puffin" "$bench_dir/bin/puffin"
    puffin="$bench_dir/bin/puffin"
    puffin_rev="git $(git -C "$root" rev-parse --short HEAD), built from a clean export"
else
    puffin=puffin
fi

python="$("${BENCH_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
python_version="$("$python" -c 'import platform; print(platform.python_version())')"

# Settings of the person running the script must not change what the tools do.
# pip's configuration stays: it is where all three tools find the index.
unset VIRTUAL_ENV CONDA_PREFIX
for var in $(compgen -e | grep -E '^(UV_|PUFFIN_)' || true); do
    unset "$var"
done

# --- Scratch space and filesystems ----------------------------------------

results="$bench_dir/results"
disk="$bench_dir/disk"
xfs="$bench_dir/xfs"
alt="$bench_dir/tmpfs"
mounted=()

cleanup() {
    for mount_point in "${mounted[@]}"; do
        umount "$mount_point" 2> /dev/null || umount -l "$mount_point" || true
    done
    rm -f "$bench_dir/xfs.img"
    rm -rf "$disk" "$src_dir" "${alt_dir:-}"
}
trap cleanup EXIT

for mount_point in "$xfs" "$alt"; do
    if mountpoint -q "$mount_point" 2> /dev/null; then
        umount "$mount_point"
    fi
done
rm -rf "$results" "$disk"
mkdir -p "$results" "$disk/templates"
: > "$results/notes"
: > "$results/failed"
note() { echo "$*" | tee -a "$results/notes" >&2; }

cow_ok=0
if [[ " $scenarios " == *" clone "* ]]; then
    if is_root; then
        mkdir -p "$xfs"
        rm -f "$bench_dir/xfs.img"
        truncate -s "${BENCH_XFS_SIZE:-8G}" "$bench_dir/xfs.img"
        if mkfs.xfs -q -f -m reflink=1 "$bench_dir/xfs.img" && mount -o loop "$bench_dir/xfs.img" "$xfs"; then
            mounted+=("$xfs")
            cow_ok=1
        else
            note "clone: skipped, mounting a reflink-capable XFS image failed"
        fi
    else
        note "clone: skipped, mounting an XFS image needs root"
    fi
fi

alt_dir=""
if [[ " $scenarios " == *" cross-fs "* ]]; then
    if is_root; then
        mkdir -p "$alt"
        if mount -t tmpfs -o size="${BENCH_TMPFS_SIZE:-6G}" tmpfs "$alt"; then
            mounted+=("$alt")
            alt_dir="$alt"
        fi
    fi
    if [[ -z "$alt_dir" && "$(stat -f -c %T /dev/shm 2> /dev/null)" == tmpfs ]]; then
        alt_dir="/dev/shm/puffin-bench-$$"
        mkdir -p "$alt_dir"
    fi
    if [[ -z "$alt_dir" ]]; then
        note "cross-fs: skipped, no tmpfs available"
    fi
fi

# Templates: a copy of one is a fresh environment (see prepare.sh).
log "Creating template environments with $python"
"$python" -m venv --without-pip "$disk/templates/plain"
"$python" -m venv "$disk/templates/pip"
"$disk/templates/pip/bin/python" -m pip install --quiet --disable-pip-version-check \
    --upgrade "pip==$pip_version"

# --- Commands ----------------------------------------------------------------

template_of() { if [[ "$1" == pip ]]; then echo "$disk/templates/pip"; else echo "$disk/templates/plain"; fi; }

# Warm runs of puffin and uv use --offline: the index this script finds may send
# index pages without Cache-Control headers, and then every "warm" run would
# fetch every page again and the benchmark would time the network (with an
# index that allows caching, as the public one does for ten minutes, a warm run
# makes no request either). pip has no such option; it runs as it is.
offline_flag=""
[[ "${BENCH_OFFLINE:-1}" != 1 ]] || offline_flag=" --offline"

# install_cmd TOOL ENV CACHE MODE REQUIREMENTS [online]
# (MODE empty: the tool's default; "online": never --offline)
install_cmd() {
    local tool="$1" env="$2" cache="$3" mode="$4" reqs="$5" offline="$offline_flag"
    [[ "${6:-}" != online ]] || offline=""
    case "$tool" in
        puffin) echo "$puffin pip-sync --quiet$offline --python $env/bin/python --cache-dir $cache${mode:+ --link-mode $mode} $reqs" ;;
        uv) echo "$uv pip sync --quiet$offline --no-config --python $env/bin/python --cache-dir $cache${mode:+ --link-mode $mode} $reqs" ;;
        # pip only ever copies; --no-compile because puffin and uv do not compile bytecode by default.
        pip) echo "$env/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-compile --cache-dir $cache -r $reqs" ;;
    esac
}

# uninstall_cmd TOOL ENV REQUIREMENTS
uninstall_cmd() {
    local tool="$1" env="$2" reqs="$3"
    case "$tool" in
        puffin) echo "$puffin pip-uninstall --quiet --python $env/bin/python -r $reqs" ;;
        uv) echo "$uv pip uninstall --quiet --no-config --python $env/bin/python -r $reqs" ;;
        pip) echo "$env/bin/python -m pip uninstall --quiet --disable-pip-version-check --yes -r $reqs" ;;
    esac
}

# warm TOOL CACHE REQUIREMENTS: fill CACHE by one install into a scratch
# environment (quick when it is warm already); fail when the install fails.
warm() {
    local tool="$1" cache="$2" reqs="$3" env status=0
    env="$(dirname "$cache")/warm-env-$tool"
    mkdir -p "$cache"
    bash "$here/prepare.sh" fresh "$env" "$(template_of "$tool")"
    # shellcheck disable=SC2046
    $(install_cmd "$tool" "$env" "$cache" "" "$reqs" online) > /dev/null || status=$?
    rm -rf "$env"
    return "$status"
}

# --- One scenario --------------------------------------------------------------

# Per tool, the scenario functions below fill these: the timed command and the
# prepare command (empty: none).
declare -A cmd prep

# scenario_setup SCENARIO LIST REQUIREMENTS: fill cmd and prep for every tool;
# return 1 when the scenario cannot run here.
scenario_setup() {
    local scenario="$1" list="$2" reqs="$3" tool env cache template
    for tool in $tools; do
        template="$(template_of "$tool")"
        cache="$disk/cache/$tool"
        env="$disk/env/$scenario-$tool"
        case "$scenario" in
            hardlink | copy)
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" "$scenario" "$reqs")"
                prep[$tool]="bash $here/prepare.sh fresh $env $template"
                ;;
            clone)
                [[ "$cow_ok" == 1 ]] || return 1
                cache="$xfs/cache/$tool"
                env="$xfs/env/$tool"
                warm "$tool" "$cache" "$reqs" || {
                    note "$list $scenario: $tool failed to fill its cache"
                    return 1
                }
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" clone "$reqs")"
                prep[$tool]="bash $here/prepare.sh fresh $env $template"
                ;;
            cross-fs)
                [[ -n "$alt_dir" ]] || return 1
                cache="$alt_dir/cache/$tool"
                warm "$tool" "$cache" "$reqs" || {
                    note "$list $scenario: $tool failed to fill its cache"
                    return 1
                }
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" "" "$reqs")"
                prep[$tool]="bash $here/prepare.sh fresh $env $template"
                ;;
            noop)
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" hardlink "$reqs")"
                bash "$here/prepare.sh" installed "$env" "$template" ${cmd[$tool]}
                prep[$tool]=""
                ;;
            cold)
                cache="$disk/cold-cache/$tool"
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" hardlink "$reqs" online)"
                prep[$tool]="bash $here/prepare.sh cold $cache $env $template"
                ;;
            uninstall)
                cmd[$tool]="$(uninstall_cmd "$tool" "$env" "$reqs")"
                prep[$tool]="bash $here/prepare.sh installed $env $template $(install_cmd "$tool" "$env" "$cache" hardlink "$reqs")"
                ;;
        esac
    done
    # pip has one mode (copy): it runs in the clone and copy scenarios as well,
    # as the reference on that filesystem.
    return 0
}

run_scenario() {
    local scenario="$1" list="$2" reqs="$3" warmup runs tool
    if ! scenario_setup "$scenario" "$list" "$reqs"; then
        return 0
    fi
    if [[ "$quick" == 1 ]]; then
        warmup=1
        runs="${BENCH_RUNS:-3}"
        [[ "$scenario" != cold ]] || runs="${BENCH_COLD_RUNS:-3}"
    elif [[ "$scenario" == cold ]]; then
        warmup=1
        runs="${BENCH_COLD_RUNS:-$([[ "$list" == small ]] && echo 5 || echo 3)}"
    else
        warmup="$([[ "$list" == small ]] && echo 2 || echo 1)"
        runs="${BENCH_RUNS:-$([[ "$list" == small ]] && echo 10 || echo 5)}"
    fi

    local args=()
    for tool in $tools; do
        [[ -z "${prep[$tool]}" ]] || args+=(--prepare "${prep[$tool]}")
        args+=(--command-name "$tool" "${cmd[$tool]}")
    done
    log "$list: $scenario ($warmup warm-up, $runs runs)"
    cut -d' ' -f1 /proc/loadavg > "$results/$list.$scenario.load"
    if ! hyperfine --shell=none --warmup "$warmup" --runs "$runs" \
        --export-json "$results/$list.$scenario.json" "${args[@]}"; then
        rm -f "$results/$list.$scenario.json"
        echo "$list $scenario" >> "$results/failed"
        note "$list $scenario: hyperfine failed (a command exited with an error)"
        return 0
    fi
    cut -d' ' -f1 /proc/loadavg >> "$results/$list.$scenario.load"

    # Peak memory: one more run per tool under GNU time.
    for tool in $tools; do
        # shellcheck disable=SC2086
        [[ -z "${prep[$tool]}" ]] || ${prep[$tool]}
        # shellcheck disable=SC2086
        /usr/bin/time -v -o "$results/$list.$scenario.$tool.time" ${cmd[$tool]} > /dev/null ||
            note "$list $scenario $tool: the peak-memory run failed"
    done

    # Syscalls per installed file, warm hardlink, puffin and uv.
    if [[ "$scenario" == hardlink ]]; then
        for tool in puffin uv; do
            [[ " $tools " == *" $tool "* ]] || continue
            local env="$disk/env/$scenario-$tool" before after
            # shellcheck disable=SC2086
            ${prep[$tool]}
            before="$(count_files "$env")"
            # shellcheck disable=SC2086
            strace -c -f -o "$results/$list.strace.$tool.txt" ${cmd[$tool]} > /dev/null ||
                note "$list strace $tool: the run failed"
            after="$(count_files "$env")"
            echo $((after - before)) > "$results/$list.strace.$tool.files"
        done
    fi
}

# Files (and symlinks) in site-packages and bin.
count_files() {
    find "$1"/lib/python*/site-packages "$1/bin" \( -type f -o -type l \) | wc -l
}

# --- Run -----------------------------------------------------------------------------

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "nproc: $(nproc)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -sr)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "disk: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS --target "$bench_dir" | awk '{ print $1 " (" $2 ", " $3 ")" }')"
    echo "alt: ${alt_dir:+$(findmnt -n -o FSTYPE --target "$alt_dir")}"
    echo "cow: $([[ "$cow_ok" == 1 ]] && echo "XFS (reflink=1) on a loop device over ${bench_dir}/xfs.img")"
    echo "python: $python_version ($python)"
    echo "puffin: $([[ " $tools " == *" puffin "* ]] && "$puffin" --version) ($puffin_rev)"
    echo "uv: $("$uv" --version)"
    echo "pip: $pip_version"
    echo "hyperfine: $(hyperfine --version)"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, at the start)"
    echo "offline: ${BENCH_OFFLINE:-1}"
    echo "quick: $quick"
} > "$results/machine.txt"

for list in $lists; do
    reqs="$shared/$list.txt"
    if [[ ! -f "$reqs" ]]; then
        echo "error: $reqs does not exist" >&2
        exit 1
    fi
    log "$list: warming the caches"
    for tool in $tools; do
        if ! warm "$tool" "$disk/cache/$tool" "$reqs"; then
            if [[ "$tool" == puffin ]]; then
                note "puffin: \`puffin pip-sync\` failed on $list.txt; compared uv and pip only"
                tools="${tools//puffin/}"
            else
                echo "error: $tool failed to install $reqs" >&2
                exit 1
            fi
        fi
    done
    for scenario in $all_scenarios; do
        [[ " $scenarios " == *" $scenario "* ]] || continue
        run_scenario "$scenario" "$list" "$reqs"
    done
done

echo "tools: $tools" >> "$results/machine.txt"
log "Writing $output"
python3 "$here/report.py" "$results" "$here/BENCHMARKS.md.in" "$output"
log "Done; raw results in $results"
}

main "$@"
