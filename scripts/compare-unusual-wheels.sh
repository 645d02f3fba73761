#!/usr/bin/env bash
# Build a set of unusual wheels (the cases of issue 12: headers, every `.data`
# category, setuptools wrappers of entry points, `#!python3` shebangs, empty
# directories, Wheel-Version 0.1, build tags, odd file names, executable data
# files), install them with pip into one fresh environment and with puffin into
# another, and compare the two trees. Also checks that puffin refuses the
# wheels it must refuse (a file RECORD does not list, an empty RECORD, a
# `.data/data/bin/python3` or `pyvenv.cfg`).
#
# Usage: scripts/compare-unusual-wheels.sh
#
# Everything is local: the wheels are written by this script, pip runs as
# `python3 -m pip --python <env> install --no-index --no-deps --no-compile`,
# puffin as `puffin pip-sync --no-index --find-links`.
#
# Compared: every path under the environment (files, symlinks, directories)
# except what `python -m venv` made (`bin/python*`, `bin/activate*`,
# `pyvenv.cfg`, `lib64`) and `__pycache__`; the bytes of every file (with the
# environment's path replaced by `<ENV>`) and its permission bits. Each
# RECORD is checked on its own (every row's hash and size match the installed
# file, no path twice, no row for a missing file) and the two RECORDs must list
# the same installed paths.
#
# Documented choices, listed but not counted as differences:
#   - entry point launchers: compared by name and mode, not bytes (each
#     installer has its own launcher template);
#   - INSTALLER says `pip` or `puffin`;
#   - `#!python -u`: puffin keeps the interpreter's arguments, pip drops them;
#   - a `.data/scripts` file stored without execute bits: puffin makes it
#     executable, pip keeps the archive's mode;
#   - `<ep>.exe.manifest` next to an entry point: puffin skips it with the
#     other setuptools wrappers (issue 12), pip installs it;
#   - pip's RECORD keeps rows of the wrappers it skipped (files it did not
#     install); puffin's lists installed files only;
#   - `.lock`: puffin's environment lock at the environment's root.
# The wheels avoid entry points named `pip` or `easy_install`, for which pip
# also writes versioned launchers (`easy_install-3.11`).
#
# Prints a summary and exits with 1 when anything else differs.
#
# Environment: PUFFIN (a puffin binary; default: `cargo build -p puffin-cli`),
# COMPARE_PYTHON (the base interpreter, default python3), KEEP=1 keeps the
# work directory, CARGO_TARGET_DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [[ -z "${PUFFIN:-}" ]]; then
    echo "==> Building puffin" >&2
    cargo build --quiet --manifest-path "$root/Cargo.toml" -p puffin-cli
    PUFFIN="$target_dir/debug/puffin"
fi

unset VIRTUAL_ENV CONDA_PREFIX
python="$("${COMPARE_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
work="$(mktemp -d /tmp/compare-unusual-wheels.XXXXXX)"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "==> Keeping $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/wheels" "$work/refused"

echo "==> Building the wheels" >&2
"$python" - "$work/wheels" "$work/refused" "$work/requirements.txt" << 'EOF'
import base64
import hashlib
import sys
import zipfile
from pathlib import Path

wheels, refused, requirements = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])


def digest(data):
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def wheel(directory, name, version, files, tag="py3-none-any", build=None,
          purelib=True, wheel_version="1.0", entry_points=None, dirs=(),
          record=True, unlisted=()):
    """Write `{name}-{version}(-{build})-{tag}.whl`; `files` maps paths to
    bytes or `(bytes, mode)`."""
    dist_info = f"{name}-{version}.dist-info"
    entries = dict(files)
    entries[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    entries[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: {wheel_version}\nGenerator: compare-unusual-wheels\n"
        f"Root-Is-Purelib: {'true' if purelib else 'false'}\nTag: {tag}\n"
    ).encode()
    if entry_points:
        entries[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    rows = []
    for path, data in entries.items():
        data = data[0] if isinstance(data, tuple) else data
        rows.append(f'"{path}",{digest(data)},{len(data)}' if "," in path
                    else f"{path},{digest(data)},{len(data)}")
    rows.append(f"{dist_info}/RECORD,,")
    entries.update(unlisted)
    entries[f"{dist_info}/RECORD"] = ("\n".join(rows) + "\n").encode() if record else b""
    stem = f"{name}-{version}" + (f"-{build}" if build else "") + f"-{tag}"
    with zipfile.ZipFile(directory / f"{stem}.whl", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in dirs:
            info = zipfile.ZipInfo(path.rstrip("/") + "/")
            info.external_attr = (0o40755 << 16) | 0x10
            archive.writestr(info, b"")
        for path, data in entries.items():
            data, mode = data if isinstance(data, tuple) else (data, 0o644)
            info = zipfile.ZipInfo(path)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return name, version


built = [
    # Item 1: headers, as greenlet ships them.
    wheel(wheels, "greenlet_like", "3.0", {
        "greenlet_like/__init__.py": b"",
        "greenlet_like-3.0.data/headers/greenlet.h": b"int greenlet;\n",
        "greenlet_like-3.0.data/headers/sub/inner.h": b"int inner;\n",
    }),
    # Every `.data` category, root in platlib, an executable data file.
    wheel(wheels, "every_category", "1.0", {
        "every_category/__init__.py": b"VALUE = 1\n",
        "every_category-1.0.data/purelib/ec_pure.py": b"PURE = 1\n",
        "every_category-1.0.data/platlib/ec_plat.py": b"PLAT = 1\n",
        "every_category-1.0.data/data/share/ec/data.txt": b"data\n",
        "every_category-1.0.data/data/share/ec/run.sh": (b"#!/bin/sh\necho run\n", 0o755),
        "every_category-1.0.data/headers/ec.h": b"int ec;\n",
        "every_category-1.0.data/scripts/ec-plain": (b"#!python\nprint('plain')\n", 0o755),
        "every_category-1.0.data/scripts/ec-not-executable": b"#!python\nprint('644')\n",
        "every_category-1.0.data/scripts/ec-shell": (b"#!/bin/sh\necho shell\n", 0o755),
    }, tag="py3-none-any", purelib=False,
        entry_points="[console_scripts]\nec-cli = every_category:main\n\n"
                     "[gui_scripts]\nec-gui = every_category:main\n"),
    # Item 3: setuptools' wrappers next to the entry point (not named
    # `easy_install` or `pip`, for which pip writes extra versioned launchers).
    wheel(wheels, "legacy_wrappers", "0.9", {
        "legacy_wrappers/__init__.py": b"def main():\n    return 0\n",
        "legacy_wrappers-0.9.data/scripts/legacy-tool": (b"#!python\nold wrapper\n", 0o755),
        "legacy_wrappers-0.9.data/scripts/legacy-tool.exe": b"MZ",
        "legacy_wrappers-0.9.data/scripts/legacy-tool.exe.manifest": b"<xml/>",
        "legacy_wrappers-0.9.data/scripts/legacy-tool-script.py": b"#!python\nx\n",
        "legacy_wrappers-0.9.data/scripts/legacy-tool-3.11": (b"#!python\ny\n", 0o755),
    }, entry_points="[console_scripts]\nlegacy-tool = legacy_wrappers:main\n"),
    # Item 4: every `#!python...` placeholder; `-u` is a documented choice.
    wheel(wheels, "shebangs", "1.0", {
        "shebangs/__init__.py": b"",
        "shebangs-1.0.data/scripts/sb-python": (b"#!python\nprint(1)\n", 0o755),
        "shebangs-1.0.data/scripts/sb-python3": (b"#!python3\nprint(2)\n", 0o755),
        "shebangs-1.0.data/scripts/sb-python311": (b"#!python3.11\nprint(3)\n", 0o755),
        "shebangs-1.0.data/scripts/sb-pythonw": (b"#!pythonw\nprint(4)\n", 0o755),
        "shebangs-1.0.data/scripts/sb-crlf": (b"#!python\r\nprint(5)\r\n", 0o755),
        "shebangs-1.0.data/scripts/sb-args": (b"#!python -u\nprint(6)\n", 0o755),
        "shebangs-1.0.data/scripts/sb-usr": (b"#!/usr/bin/env python3\nprint(7)\n", 0o755),
    }),
    # Item 5: empty directories.
    wheel(wheels, "empty_dirs", "1.0", {"empty_dirs/__init__.py": b""},
          dirs=["simple/", "empty_dirs/empty/", "empty_dirs-1.0.data/data/share/nothing/"]),
    # Item 6: Wheel-Version 0.1.
    wheel(wheels, "old_format", "0.1", {"old_format.py": b"OLD = 1\n"}, wheel_version="0.1"),
    # A build tag, odd names (comma, space, non-ASCII), a namespace package.
    wheel(wheels, "odd_names", "2.0", {
        "odd_names/a,b.txt": b"comma\n",
        "odd_names/with space.txt": b"space\n",
        "odd_names/caf\u00e9.txt": b"accent\n",
        "nspkg/odd/__init__.py": b"",
    }, build="1"),
]
requirements.write_text("".join(f"{name}=={version}\n" for name, version in built))

# Wheels puffin must refuse (pip installs some of them).
refuse = [
    wheel(refused, "unlisted", "1.0", {"unlisted/__init__.py": b""},
          unlisted={"unlisted/extra.py": b"import os\n"}),
    wheel(refused, "empty_record", "1.0", {"empty_record/__init__.py": b""}, record=False),
    wheel(refused, "hijack", "1.0", {
        "hijack/__init__.py": b"",
        "hijack-1.0.data/data/bin/python3": (b"#!/bin/sh\necho hijacked\n", 0o755),
    }),
    wheel(refused, "venv_cfg", "1.0", {
        "venv_cfg/__init__.py": b"",
        "venv_cfg-1.0.data/data/pyvenv.cfg": b"home = /tmp\n",
    }),
]
(refused / "names.txt").write_text("".join(f"{name}=={version}\n" for name, version in refuse))
EOF

pip_env="$work/pip/env"
puffin_env="$work/puffin/env"
"$python" -m venv --without-pip "$pip_env"
"$python" -m venv --without-pip "$puffin_env"

echo "==> pip install --no-index --no-deps --no-compile -r requirements.txt" >&2
"$python" -m pip --python "$pip_env/bin/python" install --quiet --disable-pip-version-check \
    --no-index --find-links "$work/wheels" --no-deps --no-compile -r "$work/requirements.txt"

echo "==> puffin pip-sync requirements.txt" >&2
"$PUFFIN" pip-sync --quiet --no-index --find-links "$work/wheels" --cache-dir "$work/cache" \
    --python "$puffin_env/bin/python" "$work/requirements.txt"

status=0
"$python" - "$pip_env" "$puffin_env" << 'EOF' || status=$?
import base64
import configparser
import csv
import hashlib
import os
import re
import stat
import sys
from pathlib import Path

pip_env, puffin_env = Path(sys.argv[1]), Path(sys.argv[2])


def from_venv(rel):
    """What `python -m venv` made, not an installer."""
    name = rel.rsplit("/", 1)[-1]
    in_bin = rel.startswith("bin/") and rel.count("/") == 1
    return (
        rel in ("pyvenv.cfg", "lib64", "bin", "include", "lib")
        or re.fullmatch(r"lib/python[^/]+(/site-packages)?", rel) is not None
        or (in_bin and (name.startswith(("python", "activate")) or name == "Activate.ps1"))
    )


def launchers(env):
    names = set()
    for path in env.glob("lib/python*/site-packages/*.dist-info/entry_points.txt"):
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str
        parser.read(path, encoding="utf-8")
        for section in ("console_scripts", "gui_scripts"):
            if parser.has_section(section):
                names.update(parser.options(section))
    return names


def tree(env):
    entries = {}
    for dirpath, dirnames, filenames in os.walk(env):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(env).as_posix()
            if from_venv(rel):
                continue
            kind = "symlink" if path.is_symlink() else "dir" if path.is_dir() else "file"
            entries[rel] = (kind, path)
    return entries


def record_check(path, env):
    """The RECORD's paths (of files that exist), and its problems: rows
    whose hash or size does not match the file, paths listed twice. Rows for
    files that do not exist are returned apart."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = [row for row in csv.reader(file) if row]
    site_packages = path.parent.parent
    present, missing, problems = set(), set(), []
    seen = set()
    for row in rows:
        rel, hash_, size = (row + ["", ""])[:3]
        if rel in seen:
            problems.append(f"{rel} is listed twice")
        seen.add(rel)
        target = Path(os.path.normpath(site_packages / rel))
        if not target.is_file():
            missing.add(rel)
            continue
        present.add(rel)
        if hash_:
            algorithm, _, expected = hash_.partition("=")
            data = target.read_bytes()
            actual = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
            if actual != expected or str(len(data)) != size:
                problems.append(f"{rel} does not match its row")
    return present, missing, problems


def content(path, env):
    return path.read_bytes().replace(os.fsencode(env), b"<ENV>")


# Where the installers differ by design (see the header of this script).
DOCUMENTED = {
    "INSTALLER": "names the installer",
    "sb-args": "`#!python -u`: puffin keeps `-u`, pip drops it",
    "ec-not-executable": "puffin makes every `.data/scripts` file executable, pip keeps the archive's mode",
    ".lock": "puffin's environment lock",
    "legacy-tool.exe.manifest": "puffin also skips setuptools' `<ep>.exe.manifest` wrapper (issue 12)",
}

pip_tree, puffin_tree = tree(pip_env), tree(puffin_env)
launcher_names = launchers(pip_env) | launchers(puffin_env)
identical, differing, documented = 0, [], []
for rel in sorted(set(pip_tree) & set(puffin_tree)):
    (kind_a, a), (kind_b, b) = pip_tree[rel], puffin_tree[rel]
    if kind_a != kind_b:
        differing.append(f"{rel} (a {kind_a} from pip, a {kind_b} from puffin)")
        continue
    if kind_a == "dir":
        identical += 1
        continue
    name = rel.rsplit("/", 1)[-1]
    mode_a, mode_b = stat.S_IMODE(a.lstat().st_mode), stat.S_IMODE(b.lstat().st_mode)
    reasons = [] if mode_a == mode_b else [f"mode: pip {mode_a:o}, puffin {mode_b:o}"]
    if rel.startswith("bin/") and name in launcher_names:
        if not reasons:
            documented.append(f"{rel} (entry point launcher: compared by name and mode)")
            continue
    elif rel.endswith(".dist-info/RECORD"):
        present_a, missing_a, problems_a = record_check(a, pip_env)
        present_b, missing_b, problems_b = record_check(b, puffin_env)
        reasons += [f"puffin: {problem}" for problem in problems_b]
        reasons += [f"puffin lists the missing file {rel}" for rel in sorted(missing_b)]
        for path in sorted(present_a ^ present_b):
            if path.rsplit("/", 1)[-1] not in DOCUMENTED:
                reasons.append(f"{path} only in {'pip' if path in present_a else 'puffin'}'s RECORD")
        if missing_a or problems_a:
            documented.append(
                f"{rel} (pip's RECORD: rows of files it did not install {sorted(missing_a)}, "
                f"problems {problems_a})"
            )
    elif content(a, pip_env) != content(b, puffin_env):
        reasons.append("bytes")
    if not reasons:
        identical += 1
    elif name in DOCUMENTED:
        documented.append(f"{rel} ({DOCUMENTED[name]})")
    else:
        differing.append(f"{rel} ({'; '.join(reasons)})")

only_pip = sorted(set(pip_tree) - set(puffin_tree))
only_puffin = sorted(set(puffin_tree) - set(pip_tree))
for only in (only_pip, only_puffin):
    for rel in list(only):
        if rel.rsplit("/", 1)[-1] in DOCUMENTED:
            only.remove(rel)
            documented.append(f"{rel} only in {'pip' if only is only_pip else 'puffin'} ({DOCUMENTED[rel.rsplit('/', 1)[-1]]})")


def show(title, items):
    print(f"{title}: {len(items)}")
    for item in items:
        print(f"    {item}")


print("pip vs puffin on unusual wheels")
print(f"paths compared: {identical + len(differing) + len(documented)}")
print(f"identical: {identical}")
show("documented choices", documented)
show("differing", differing)
show("only in pip", only_pip)
show("only in puffin", only_puffin)
sys.exit(1 if differing or only_pip or only_puffin else 0)
EOF

echo "==> puffin must refuse" >&2
refused_ok=0
refused_total=0
while read -r requirement; do
    refused_total=$((refused_total + 1))
    env="$work/refused-env-$refused_total"
    "$python" -m venv --without-pip "$env"
    echo "$requirement" > "$work/refused/req.txt"
    if output="$("$PUFFIN" pip-sync --quiet --no-index --find-links "$work/refused" \
        --cache-dir "$work/cache" --python "$env/bin/python" "$work/refused/req.txt" 2>&1)"; then
        echo "    $requirement: installed, but must be refused" >&2
        status=1
    elif [[ "$("$env/bin/python" -c 'print(1)')" != 1 ]]; then
        echo "    $requirement: refused, but the environment's interpreter was replaced" >&2
        status=1
    else
        refused_ok=$((refused_ok + 1))
        echo "    $requirement: refused: $(echo "$output" | grep -m1 -v '^$' | sed "s|$work|<WORK>|g")"
    fi
done < "$work/refused/names.txt"
echo "refused as expected: $refused_ok of $refused_total"
exit "$status"
