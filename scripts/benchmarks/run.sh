#!/usr/bin/env bash
# Compare puffin, uv and pip installing the shared benchmark requirements, and
# write BENCHMARKS.md from the results.
#
# Usage: sudo bash scripts/benchmarks/run.sh
#        sudo BENCH_PUFFIN_BASELINE=/path/to/old/puffin bash scripts/benchmarks/run.sh
#
# The script installs what it compares with: uv and pip from the package index
# into a tool environment (BENCH_TOOLS_DIR), and hyperfine, strace, GNU time and
# xfsprogs from Debian's packages when they are missing. It builds puffin in
# release mode. As root it mounts a tmpfs and a reflink-capable XFS image
# (the clone scenario); without root the tmpfs is /dev/shm and the clone
# scenario is skipped.
#
# Every scenario runs twice, on two filesystems:
#   tmpfs  caches, environments, the template environments and the tools'
#          binaries in memory: the disk's noise is out of the picture and the
#          ratios are stable from run to run. This is where targets are judged.
#   disk   the same on the disk that holds BENCH_DIR (ext4 here): disk-bound,
#          kept to show what users with such a disk see.
# (clone needs XFS and cross-fs needs two filesystems: they run in the disk set
# only, with the cross-fs cache on the tmpfs.)
#
# Every scenario is hyperfine runs over all the tools, so the ratios compare
# runs made under the same conditions. BENCH_ROUNDS hyperfine runs are made per
# scenario, with the order of the tools rotated from one round to the next
# (the first tool after a prepare can pay for the previous run's deletions, and
# on a shared machine the load drifts): the tables pool the rounds. Creating
# the fresh environment, and emptying the caches in the cold scenario, is
# hyperfine's `--prepare` step, which is not timed. After each scenario one
# more run per tool under `/usr/bin/time -v` records the peak memory, and for
# the warm hardlink scenario one run per tool under `strace -c -f` counts
# syscalls.
#
# Warm scenarios run puffin and uv with `--offline` (and uv always with
# `--no-config`): without it uv revalidates index pages and the ratio measures
# the network, not the installer. Cold scenarios run online.
#
# The index is a local mirror (BENCH_MIRROR=1, the default): the wheels of the
# lists are downloaded once with `pip download` (from the index pip is
# configured with), written as a static simple index (`mirror.py`) and served
# by nginx on 127.0.0.1, and every tool is given it as `--index-url`. The cold
# scenario then measures the installers, not the internet; with
# BENCH_MIRROR=0 the tools use the index they find by default.
#
# Two puffins side by side: BENCH_PUFFIN_BASELINE=PATH adds the tool
# `puffin-before` (that binary) next to `puffin` (HEAD, or BENCH_PUFFIN), with
# its own caches, so the report's after/before ratios come from the same run.
#
# Environment:
#   BENCH_QUICK=1        smoke test: small.txt only, 1 round, 1 warm-up, 3 runs
#   BENCH_FS="tmpfs disk"  the filesystems to run on (default both)
#   BENCH_ROUNDS=N       hyperfine runs per scenario, tool order rotated (default 3)
#   BENCH_RUNS=N         runs per round of each warm scenario (default 3 big, 5 small)
#   BENCH_COLD_RUNS=N    runs per round of the cold scenario (default 1 big, 2 small)
#   BENCH_LISTS="a b"    requirement lists, by name in ../shared/bench or
#                        scripts/benchmarks/lists (default "small
#                        jupyter-pandas large")
#   BENCH_SCENARIOS="…"  a subset of: hardlink bytecode copy clone cross-fs noop
#                        cold uninstall (bytecode is hardlink with
#                        --compile-bytecode; its report subtracts hardlink's
#                        time of the same run, so run both)
#   BENCH_TOOLS="…"      a subset of: puffin uv pip (default all three);
#                        puffin-before is added by BENCH_PUFFIN_BASELINE
#   BENCH_APPEND=1       keep the results already in BENCH_DIR and add this
#                        run's (e.g. BENCH_FS=disk after a tmpfs-only run)
#   BENCH_STRACE=0       skip the strace run of the hardlink scenario
#   BENCH_OFFLINE=0      let puffin and uv revalidate index pages in the warm
#                        scenarios (default 1: they run with --offline)
#   BENCH_MIRROR=0       use the default index instead of the local mirror
#   BENCH_MIRROR_PORT=N  the mirror's port (default 8941)
#   BENCH_PYTHON=PATH    the base interpreter (default python3)
#   BENCH_DIR=DIR        scratch space on the disk (default /tmp/puffin-bench)
#   BENCH_TMPFS_SIZE=S   size of the tmpfs (default 12G)
#   BENCH_TOOLS_DIR=DIR  the uv and pip environment (default /tmp/puffin-bench-tools)
#   BENCH_PUFFIN=PATH    use this puffin binary instead of building the
#                        committed HEAD (uncommitted changes are not built)
#   BENCH_PUFFIN_LABEL=TEXT     what that binary is (shown in the report)
#   BENCH_PUFFIN_BASELINE=PATH  a second puffin, benchmarked as puffin-before
#   BENCH_BASELINE_LABEL=TEXT   what that binary is (shown in the report)
#   BENCH_OUTPUT=FILE    the report (default BENCHMARKS.md at the repository root)
#   BENCH_EARLIER=DIR    the results directory of an earlier run (not BENCH_DIR's):
#                        the report shows its tables too, after this run's, each
#                        set under its own date and machine, so a run of a few
#                        scenarios does not drop the tables of the last full run
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
all_scenarios="hardlink bytecode copy clone cross-fs noop cold uninstall"
scenarios="${BENCH_SCENARIOS:-$all_scenarios}"
tools="${BENCH_TOOLS:-puffin uv pip}"
filesystems="${BENCH_FS:-tmpfs disk}"
if [[ "$quick" == 1 ]]; then
    lists="${BENCH_LISTS:-small}"
    rounds="${BENCH_ROUNDS:-1}"
else
    lists="${BENCH_LISTS:-small jupyter-pandas large}"
    rounds="${BENCH_ROUNDS:-3}"
fi
baseline="${BENCH_PUFFIN_BASELINE:-}"
if [[ -n "$baseline" ]]; then
    if [[ ! -x "$baseline" ]]; then
        echo "error: BENCH_PUFFIN_BASELINE=$baseline is not an executable" >&2
        exit 2
    fi
    tools="puffin-before ${tools}"
fi

case "$bench_dir" in
    *[[:space:]]*)
        echo "error: BENCH_DIR must not contain spaces (hyperfine splits commands on them)" >&2
        exit 2
        ;;
esac

earlier="${BENCH_EARLIER:-}"
if [[ -n "$earlier" ]]; then
    if [[ ! -f "$earlier/machine.txt" ]]; then
        echo "error: BENCH_EARLIER=$earlier holds no results (no machine.txt)" >&2
        exit 2
    fi
    earlier="$(cd "$earlier" && pwd)"
    if [[ "$earlier" == "$(mkdir -p "$bench_dir" && cd "$bench_dir" && pwd)/results" ]]; then
        echo "error: BENCH_EARLIER is this run's results directory; give the run another BENCH_DIR" >&2
        exit 2
    fi
fi

log() { echo "==> $*" >&2; }
is_root() { [[ "$(id -u)" == 0 ]]; }
has() { [[ " $1 " == *" $2 "* ]]; }

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
if is_root && has "$scenarios" clone && has "$filesystems" disk; then
    apt_install xfsprogs mkfs.xfs
fi

if [[ ! -x "$tools_dir/bin/uv" || ! -x "$tools_dir/bin/pip" ]]; then
    log "Installing uv and pip into $tools_dir"
    python3 -m venv "$tools_dir"
    "$tools_dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade uv pip
fi
pip_version="$("$tools_dir/bin/python" -m pip --version | cut -d' ' -f2)"

src_dir="$bench_dir/src"
puffin_rev="${BENCH_PUFFIN_LABEL:-a binary given as BENCH_PUFFIN}"
mkdir -p "$bench_dir/bin"
if [[ -n "${BENCH_PUFFIN:-}" ]]; then
    cp "$BENCH_PUFFIN" "$bench_dir/bin/puffin"
elif has "$tools" puffin; then
    # Build the committed HEAD, exported with `git archive`, so that the
    # uncommitted work in the tree neither breaks nor changes what is measured.
    log "Building puffin (release) from HEAD ($(git -C "$root" rev-parse --short HEAD))"
    rm -rf "$src_dir"
    mkdir -p "$src_dir"
    git -C "$root" archive HEAD | tar -x -C "$src_dir"
    (cd "$src_dir" && CARGO_TARGET_DIR="$target_dir" cargo build --release --quiet -p puffin-cli)
    cp "$target_dir/release/puffin" "$bench_dir/bin/puffin"
    puffin_rev="git $(git -C "$root" rev-parse --short HEAD), built from a clean export"
fi
[[ -z "$baseline" ]] || cp "$baseline" "$bench_dir/bin/puffin-before"
cp "$tools_dir/bin/uv" "$bench_dir/bin/uv"

python="$("${BENCH_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
python_version="$("$python" -c 'import platform; print(platform.python_version())')"

# Settings of the person running the script must not change what the tools do.
# pip's configuration stays: it is where all three tools find the index.
unset VIRTUAL_ENV CONDA_PREFIX RUST_BACKTRACE RUST_LIB_BACKTRACE RUST_LOG
for var in $(compgen -e | grep -E '^(UV_|PUFFIN_)' || true); do
    unset "$var"
done

# list_file NAME: the requirements file of a list.
list_file() {
    if [[ -f "$shared/$1.txt" ]]; then
        echo "$shared/$1.txt"
    else
        echo "$here/lists/$1.txt"
    fi
}
for list in $lists; do
    if [[ ! -f "$(list_file "$list")" ]]; then
        echo "error: no list $list.txt in $shared or $here/lists" >&2
        exit 1
    fi
done

# --- The local mirror -----------------------------------------------------------

index_url=""
mirror_conf="$bench_dir/mirror-nginx.conf"
if [[ "${BENCH_MIRROR:-1}" == 1 ]]; then
    apt_install nginx-light /usr/sbin/nginx
    wheels="$bench_dir/wheels"
    mkdir -p "$wheels"
    for list in $lists; do
        log "Downloading the wheels of $list.txt into $wheels (once)"
        "$python" -m pip download --quiet --disable-pip-version-check --only-binary :all: \
            --no-deps -r "$(list_file "$list")" -d "$wheels"
    done
    rm -rf "$bench_dir/mirror"
    "$python" "$here/mirror.py" "$wheels" "$bench_dir/mirror" >&2
    port="${BENCH_MIRROR_PORT:-8941}"
    cat > "$mirror_conf" << EOF
worker_processes 1;
daemon on;
pid $bench_dir/mirror-nginx.pid;
error_log $bench_dir/mirror-nginx.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { text/html html; application/octet-stream whl; }
    server {
        listen 127.0.0.1:$port;
        root $bench_dir/mirror;
        index index.html;
    }
}
EOF
    /usr/sbin/nginx -c "$mirror_conf"
    index_url="http://127.0.0.1:$port/simple"
    # Only the mirror: no other location from the environment.
    unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_NO_INDEX
fi

# --- Scratch space and filesystems ----------------------------------------

results="$bench_dir/results"
disk="$bench_dir/disk"
xfs="$bench_dir/xfs"
tmpfs_mount="$bench_dir/tmpfs"
mounted=()
tmpfs=""

cleanup() {
    [[ ! -f "$bench_dir/mirror-nginx.pid" ]] || /usr/sbin/nginx -c "$mirror_conf" -s quit || true
    for mount_point in "${mounted[@]}"; do
        umount "$mount_point" 2> /dev/null || umount -l "$mount_point" || true
    done
    rm -f "$bench_dir/xfs.img"
    rm -rf "$disk" "$src_dir"
    [[ -z "$tmpfs" || "$tmpfs" == "$tmpfs_mount" ]] || rm -rf "$tmpfs"
}
trap cleanup EXIT

for mount_point in "$xfs" "$tmpfs_mount"; do
    if mountpoint -q "$mount_point" 2> /dev/null; then
        umount "$mount_point"
    fi
done
rm -rf "$disk"
if [[ "${BENCH_APPEND:-0}" != 1 ]]; then
    rm -rf "$results"
fi
mkdir -p "$results" "$disk"
touch "$results/notes" "$results/failed"
note() { echo "$*" | tee -a "$results/notes" >&2; }

cow_ok=0
if has "$scenarios" clone && has "$filesystems" disk; then
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

if has "$filesystems" tmpfs || has "$scenarios" cross-fs; then
    if is_root; then
        mkdir -p "$tmpfs_mount"
        if mount -t tmpfs -o size="${BENCH_TMPFS_SIZE:-12G}" tmpfs "$tmpfs_mount"; then
            mounted+=("$tmpfs_mount")
            tmpfs="$tmpfs_mount"
        fi
    fi
    if [[ -z "$tmpfs" && "$(stat -f -c %T /dev/shm 2> /dev/null)" == tmpfs ]]; then
        tmpfs="/dev/shm/puffin-bench-$$"
        mkdir -p "$tmpfs"
    fi
    if [[ -z "$tmpfs" ]]; then
        note "tmpfs: no tmpfs available; the tmpfs set and the cross-fs scenario are skipped"
        filesystems="${filesystems//tmpfs/}"
    fi
fi

# Per filesystem: the root of its caches and environments, its templates and
# the binaries the tools run from (on the tmpfs: copies in memory).
declare -A fs_root
fs_root[disk]="$disk"
[[ -z "$tmpfs" ]] || fs_root[tmpfs]="$tmpfs/root"

log "Creating template environments with $python"
for fs in $filesystems; do
    base="${fs_root[$fs]}"
    mkdir -p "$base/templates" "$base/bin"
    "$python" -m venv --without-pip "$base/templates/plain"
    if has "$tools" pip; then
        "$python" -m venv "$base/templates/pip"
        "$base/templates/pip/bin/python" -m pip install --quiet --disable-pip-version-check \
            --upgrade "pip==$pip_version"
    fi
    for tool in $tools; do
        [[ "$tool" == pip ]] || cp "$bench_dir/bin/$tool" "$base/bin/$tool"
    done
done

# --- Commands ----------------------------------------------------------------

# Set by use_fs: the filesystem the commands below refer to.
fs="" base=""
use_fs() {
    fs="$1"
    base="${fs_root[$fs]}"
}

template_of() { if [[ "$1" == pip ]]; then echo "$base/templates/pip"; else echo "$base/templates/plain"; fi; }

offline_flag=""
[[ "${BENCH_OFFLINE:-1}" != 1 ]] || offline_flag=" --offline"

# install_cmd TOOL ENV CACHE MODE REQUIREMENTS [online|compile]
# (MODE empty: the tool's default; "online": never --offline; "compile":
# compile bytecode, as pip does by default)
install_cmd() {
    local tool="$1" env="$2" cache="$3" mode="$4" reqs="$5" offline="$offline_flag" compile="" no_compile=" --no-compile"
    local index="${index_url:+ --index-url $index_url}"
    [[ "${6:-}" != online ]] || offline=""
    if [[ "${6:-}" == compile ]]; then
        compile=" --compile-bytecode"
        no_compile=""
    fi
    case "$tool" in
        puffin | puffin-before) echo "$base/bin/$tool pip-sync --quiet$offline$compile$index --python $env/bin/python --cache-dir $cache${mode:+ --link-mode $mode} $reqs" ;;
        uv) echo "$base/bin/uv pip sync --quiet$offline$compile$index --no-config --python $env/bin/python --cache-dir $cache${mode:+ --link-mode $mode} $reqs" ;;
        # pip only ever copies; --no-compile because puffin and uv do not compile bytecode by default.
        pip) echo "$env/bin/python -m pip install --quiet --disable-pip-version-check --no-deps$no_compile$index --cache-dir $cache -r $reqs" ;;
    esac
}

# uninstall_cmd TOOL ENV REQUIREMENTS
uninstall_cmd() {
    local tool="$1" env="$2" reqs="$3"
    case "$tool" in
        puffin | puffin-before) echo "$base/bin/$tool pip-uninstall --quiet --python $env/bin/python -r $reqs" ;;
        uv) echo "$base/bin/uv pip uninstall --quiet --no-config --python $env/bin/python -r $reqs" ;;
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
    case "$scenario" in
        clone | cross-fs)
            # Both need a second filesystem: the disk set only.
            [[ "$fs" == disk ]] || return 1
            ;;
    esac
    for tool in $tools; do
        template="$(template_of "$tool")"
        cache="$base/cache/$tool"
        env="$base/env/$scenario-$tool"
        case "$scenario" in
            hardlink | copy)
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" "$scenario" "$reqs")"
                prep[$tool]="bash $here/prepare.sh fresh $env $template"
                ;;
            bytecode)
                # hardlink, compiling the installed files' bytecode: the
                # report subtracts the hardlink scenario's time.
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" hardlink "$reqs" compile)"
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
                [[ -n "$tmpfs" ]] || return 1
                cache="$tmpfs/cross-fs-cache/$tool"
                warm "$tool" "$cache" "$reqs" || {
                    note "$list $scenario: $tool failed to fill its cache"
                    return 1
                }
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" "" "$reqs")"
                prep[$tool]="bash $here/prepare.sh fresh $env $template"
                ;;
            noop)
                cmd[$tool]="$(install_cmd "$tool" "$env" "$cache" hardlink "$reqs")"
                # shellcheck disable=SC2086
                bash "$here/prepare.sh" installed "$env" "$template" ${cmd[$tool]}
                prep[$tool]=""
                ;;
            cold)
                # Emptying the cache is the prepare step of every run.
                cache="$base/cold-cache/$tool"
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

# rotated N: the tools, rotated left by N places.
rotated() {
    local -a list
    read -r -a list <<< "$tools"
    local n=$(($1 % ${#list[@]}))
    echo "${list[@]:n} ${list[@]:0:n}"
}

run_scenario() {
    local scenario="$1" list="$2" reqs="$3" warmup runs tool round order
    if ! scenario_setup "$scenario" "$list" "$reqs"; then
        return 0
    fi
    local name="$list.$fs.$scenario"
    if [[ "$quick" == 1 ]]; then
        warmup=1
        runs="${BENCH_RUNS:-3}"
        [[ "$scenario" != cold ]] || runs="${BENCH_COLD_RUNS:-3}"
    elif [[ "$scenario" == cold ]]; then
        warmup=1
        runs="${BENCH_COLD_RUNS:-$([[ "$list" == small ]] && echo 2 || echo 1)}"
    else
        warmup=1
        runs="${BENCH_RUNS:-$([[ "$list" == small ]] && echo 5 || echo 3)}"
    fi

    : > "$results/$name.load"
    for ((round = 1; round <= rounds; round++)); do
        order="$(rotated $((round - 1)))"
        local args=()
        for tool in $order; do
            [[ -z "${prep[$tool]}" ]] || args+=(--prepare "${prep[$tool]}")
            args+=(--command-name "$tool" "${cmd[$tool]}")
        done
        log "$list on $fs: $scenario, round $round/$rounds ($warmup warm-up, $runs runs; $order)"
        local load_start
        load_start="$(cut -d' ' -f1 /proc/loadavg)"
        if ! hyperfine --shell=none --warmup "$warmup" --runs "$runs" \
            --export-json "$results/$name.r$round.json" "${args[@]}"; then
            rm -f "$results/$name".r*.json
            echo "$list $fs $scenario" >> "$results/failed"
            note "$list $fs $scenario: hyperfine failed (a command exited with an error)"
            return 0
        fi
        echo "$load_start $(cut -d' ' -f1 /proc/loadavg)" >> "$results/$name.load"
    done

    # Peak memory: one more run per tool under GNU time.
    for tool in $tools; do
        # shellcheck disable=SC2086
        [[ -z "${prep[$tool]}" ]] || ${prep[$tool]}
        # shellcheck disable=SC2086
        /usr/bin/time -v -o "$results/$name.$tool.time" ${cmd[$tool]} > /dev/null ||
            note "$list $fs $scenario $tool: the peak-memory run failed"
    done

    # Syscalls per installed file, warm hardlink, every tool but pip.
    if [[ "$scenario" == hardlink && "${BENCH_STRACE:-1}" == 1 ]]; then
        for tool in $tools; do
            [[ "$tool" != pip ]] || continue
            local env="$base/env/$scenario-$tool" before after
            # shellcheck disable=SC2086
            ${prep[$tool]}
            before="$(count_files "$env")"
            # shellcheck disable=SC2086
            strace -c -f -o "$results/$list.$fs.strace.$tool.txt" ${cmd[$tool]} > /dev/null ||
                note "$list $fs strace $tool: the run failed"
            after="$(count_files "$env")"
            echo $((after - before)) > "$results/$list.$fs.strace.$tool.files"
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
    echo "tmpfs: ${tmpfs:+$(findmnt -n -o FSTYPE,OPTIONS --target "$tmpfs" | awk '{ print $1 " (" $2 ")" }')}"
    echo "cow: $([[ "$cow_ok" == 1 ]] && echo "XFS (reflink=1) on a loop device over ${bench_dir}/xfs.img")"
    echo "python: $python_version ($python)"
    echo "puffin: $(has "$tools" puffin && "$bench_dir/bin/puffin" --version) ($puffin_rev)"
    echo "puffin-before: $([[ -n "$baseline" ]] && echo "$("$baseline" --version) (${BENCH_BASELINE_LABEL:-$baseline})")"
    echo "uv: $("$tools_dir/bin/uv" --version)"
    echo "pip: $pip_version"
    echo "hyperfine: $(hyperfine --version)"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, at the start)"
    echo "offline: ${BENCH_OFFLINE:-1}"
    echo "mirror: ${index_url:+nginx $(/usr/sbin/nginx -v 2>&1 | cut -d/ -f2) on 127.0.0.1, $(find "$bench_dir/mirror/files" -name '*.whl' | wc -l) wheels}"
    echo "quick: $quick"
    echo "rounds: $rounds"
    echo "filesystems: $filesystems"
} > "$results/machine.txt"
[[ "${BENCH_APPEND:-0}" != 1 ]] || note "$(date -u '+%H:%M UTC'): this run added the $filesystems set to earlier results (BENCH_APPEND=1)"

for list in $lists; do
    reqs="$(list_file "$list")"
    for fs_name in $filesystems; do
        use_fs "$fs_name"
        free_gib="$(df --output=avail -BG "$base" | tail -1 | tr -dc 0-9)"
        if ((free_gib < 6)); then
            note "$list on $fs: only ${free_gib} GiB free at the start; runs may fail for lack of space"
        fi
        log "$list on $fs: warming the caches"
        for tool in $tools; do
            if ! warm "$tool" "$base/cache/$tool" "$reqs"; then
                if [[ "$tool" == puffin* ]]; then
                    note "$tool: \`pip-sync\` failed on $list.txt; left out"
                    tools="$(echo " $tools " | sed "s/ $tool / /; s/^ *//; s/ *$//")"
                else
                    echo "error: $tool failed to install $reqs" >&2
                    exit 1
                fi
            fi
        done
        for scenario in $all_scenarios; do
            has "$scenarios" "$scenario" || continue
            run_scenario "$scenario" "$list" "$reqs"
        done
        # The caches of this list are not needed any more: free the memory.
        [[ "$fs" != tmpfs ]] || rm -rf "$base/cache" "$base/cold-cache" "$base/env"
    done
done

echo "tools: $tools" >> "$results/machine.txt"
log "Writing $output"
python3 "$here/report.py" "$results" "$here/BENCHMARKS.md.in" "$output" ${earlier:+"$earlier"}
log "Done; raw results in $results"
}

main "$@"
