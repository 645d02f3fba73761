#!/usr/bin/env bash
# A smoke run of source builds against the real index (the default index, found
# the way pip finds it): `docopt==0.6.2` (an sdist only) and `netifaces==0.11.0`
# (a C extension with no wheel for CPython 3.11 on Linux) are built, installed
# and imported; a second sync, and a sync of a fresh environment with the same
# cache, build nothing.
#
# Usage: scripts/smoke-source-builds.sh [path/to/puffin]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
puffin=${1:-}
if [ -z "$puffin" ]; then
  cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p puffin-cli
  puffin="$root/target/release/puffin"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
printf 'docopt==0.6.2\nnetifaces==0.11.0\n' > requirements.txt

"$puffin" pip-sync --cache-dir "$work/cache" requirements.txt 2>&1 | tee first.log
grep -q "Built 2 packages" first.log
.venv/bin/python -c "import docopt, netifaces; assert netifaces.__file__.endswith('.so'), netifaces.__file__; print('imports ok:', docopt.__version__, netifaces.__file__)"

"$puffin" pip-sync --cache-dir "$work/cache" requirements.txt 2>&1 | tee second.log
grep -q "Audited 2 packages" second.log

"$puffin" venv --cache-dir "$work/cache" -q fresh
VIRTUAL_ENV="$work/fresh" "$puffin" pip-sync --cache-dir "$work/cache" requirements.txt 2>&1 | tee third.log
if grep -q "Built" third.log; then
  echo "a fresh environment with a warm cache built again" >&2
  exit 1
fi
echo "smoke run: ok"
