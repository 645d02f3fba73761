#!/usr/bin/env bash
# Install a requirements file with pip into one fresh environment and with
# puffin (or uv) into another, then check that both installed the same files
# with the same bytes.
#
# Usage: scripts/compare-with-pip.sh [REQUIREMENTS] [puffin|uv]
#   REQUIREMENTS  default: ../shared/bench/jupyter-pandas.txt
#   second arg    the installer compared with pip (default puffin)
#
# pip runs as `pip install --no-deps --no-compile -r` (from the tool
# environment, with `--python` pointing at the new environment); puffin as
# `puffin pip-sync`, uv as `uv pip sync`, each with its default link mode and
# cache. Compared: every path under site-packages and bin (files, symlinks,
# directories), the bytes of every file and its executable bit. Not compared:
# `__pycache__`, the installer's own metadata (RECORD, INSTALLER, REQUESTED,
# direct_url.json in `.dist-info`) and the bytes of entry-point launchers in bin
# (only their names). The environment's own path inside a file (a script's
# `#!` line) is replaced by `<ENV>` before comparing.
#
# Prints a summary and exits with 1 when anything differs.
#
# Environment: BENCH_TOOLS_DIR (uv and pip, default /tmp/puffin-bench-tools;
# created when missing), PUFFIN (a puffin binary; default: build it in release
# mode), COMPARE_PYTHON (the base interpreter, default python3), KEEP=1 keeps
# the two environments, CARGO_TARGET_DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reqs="$(realpath "${1:-$root/../shared/bench/jupyter-pandas.txt}")"
installer="${2:-puffin}"
tools_dir="${BENCH_TOOLS_DIR:-/tmp/puffin-bench-tools}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

if [[ ! -x "$tools_dir/bin/uv" || ! -x "$tools_dir/bin/pip" ]]; then
    echo "==> Installing uv and pip into $tools_dir" >&2
    python3 -m venv "$tools_dir"
    "$tools_dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade uv pip
fi

case "$installer" in
    puffin)
        if [[ -z "${PUFFIN:-}" ]]; then
            echo "==> Building puffin (release)" >&2
            cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p puffin-cli
            PUFFIN="$target_dir/release/puffin"
        fi
        ;;
    uv) ;;
    *)
        echo "error: the second installer must be puffin or uv, not \`$installer\`" >&2
        exit 2
        ;;
esac

unset VIRTUAL_ENV CONDA_PREFIX
python="$("${COMPARE_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
work="$(mktemp -d /tmp/compare-with-pip.XXXXXX)"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "==> Keeping $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

# The same directory name, so that the prompt in bin/activate* is the same.
pip_env="$work/pip/env"
other_env="$work/$installer/env"
"$python" -m venv --without-pip "$pip_env"
"$python" -m venv --without-pip "$other_env"

echo "==> pip install --no-deps --no-compile -r $reqs" >&2
"$tools_dir/bin/python" -m pip --python "$pip_env/bin/python" install \
    --quiet --disable-pip-version-check --no-deps --no-compile -r "$reqs"

case "$installer" in
    puffin)
        echo "==> puffin pip-sync $reqs" >&2
        "$PUFFIN" pip-sync --quiet --python "$other_env/bin/python" "$reqs"
        ;;
    uv)
        echo "==> uv pip sync $reqs" >&2
        "$tools_dir/bin/uv" pip sync --quiet --no-config --python "$other_env/bin/python" "$reqs"
        ;;
esac

status=0
python3 - "$pip_env" "$other_env" "$installer" << 'EOF' || status=$?
import configparser
import os
import stat
import sys
from pathlib import Path

pip_env, other_env, other = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def site_packages(env):
    found = list(env.glob("lib/python*/site-packages"))
    if len(found) != 1:
        sys.exit(f"error: expected one site-packages in {env}, found {found}")
    return found[0]


def launchers(env):
    """Names of the entry-point launchers every installed distribution declares."""
    names = set()
    for path in site_packages(env).glob("*.dist-info/entry_points.txt"):
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as err:
            sys.exit(f"error: cannot parse {path}: {err}")
        for section in ("console_scripts", "gui_scripts"):
            if parser.has_section(section):
                names.update(parser.options(section))
    return names


def tree(env):
    """Map of `site-packages/...` and `bin/...` paths to (kind, path on disk)."""
    entries = {}
    for label, base in (("site-packages", site_packages(env)), ("bin", env / "bin")):
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            rel_dir = Path(dirpath).relative_to(base)
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                rel = Path(label) / rel_dir / name
                if name in METADATA and rel_dir.name.endswith(".dist-info"):
                    continue
                if path.is_symlink():
                    kind = "symlink"
                elif path.is_dir():
                    kind = "dir"
                else:
                    kind = "file"
                entries[rel.as_posix()] = (kind, path)
    return entries


def content(path, env):
    return path.read_bytes().replace(os.fsencode(env), b"<ENV>")


def executable(path):
    return bool(path.stat().st_mode & stat.S_IXUSR)


pip_tree, other_tree = tree(pip_env), tree(other_env)
launcher_names = launchers(pip_env) | launchers(other_env)

only_pip = sorted(set(pip_tree) - set(other_tree))
only_other = sorted(set(other_tree) - set(pip_tree))
identical, differing, launchers_seen = 0, [], 0
for rel in sorted(set(pip_tree) & set(other_tree)):
    (kind_a, a), (kind_b, b) = pip_tree[rel], other_tree[rel]
    if kind_a != kind_b:
        differing.append(f"{rel} (a {kind_a} from pip, a {kind_b} from {other})")
        continue
    if kind_a == "dir":
        continue
    if kind_a == "symlink":
        if os.readlink(a) == os.readlink(b):
            identical += 1
        else:
            differing.append(f"{rel} (symlink target)")
        continue
    if rel.startswith("bin/") and rel[4:] in launcher_names:
        launchers_seen += 1
        continue
    reasons = []
    if content(a, pip_env) != content(b, other_env):
        reasons.append("bytes")
    if executable(a) != executable(b):
        reasons.append(f"executable bit: pip {executable(a)}, {other} {executable(b)}")
    if reasons:
        differing.append(f"{rel} ({'; '.join(reasons)})")
    else:
        identical += 1


def show(title, items, limit=40):
    print(f"{title}: {len(items)}")
    for item in items[:limit]:
        print(f"    {item}")
    if len(items) > limit:
        print(f"    ... and {len(items) - limit} more")


compared = identical + len(differing)
print(f"pip vs {other}")
print(f"files compared: {compared} (plus {launchers_seen} entry-point launchers compared by name)")
print(f"identical: {identical}")
show("differing", differing)
show("only in pip", only_pip)
show(f"only in {other}", only_other)
sys.exit(1 if differing or only_pip or only_other else 0)
EOF
exit "$status"
