# Sourced by .ci/run: mounts the filesystems the linker tests need and exports
# their paths. Without root, or when a mount is impossible (no loop devices in
# a container, no xfsprogs), nothing is exported and those tests print
# `Skipping: ...`. Never fails: .ci/run sources it under `set -e`.
#
# - PUFFIN_TEST_ALT_FS: a tmpfs, another filesystem than the work tree (EXDEV).
# - PUFFIN_TEST_COW_FS: a loop-mounted XFS image with reflink support (FICLONE).
#
# Running it again reuses the existing mounts. PUFFIN_TEST_FS_BASE overrides
# where they go (default /tmp/puffin-test-fs).

puffin_setup_filesystems() {
  if [ "$(id -u)" != 0 ]; then
    echo "Not root: the cross-filesystem and reflink tests will be skipped" >&2
    return 0
  fi
  local base="${PUFFIN_TEST_FS_BASE:-/tmp/puffin-test-fs}"
  mkdir -p "$base/alt" "$base/cow" || return 0

  if mountpoint -q "$base/alt" || mount -t tmpfs -o size=2g tmpfs "$base/alt"; then
    export PUFFIN_TEST_ALT_FS="$base/alt"
  else
    echo "Could not mount a tmpfs at $base/alt: the cross-filesystem tests will be skipped" >&2
  fi

  if ! command -v mkfs.xfs >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq xfsprogs) >/dev/null 2>&1 || true
  fi
  if ! command -v mkfs.xfs >/dev/null 2>&1; then
    echo "xfsprogs could not be installed: the reflink tests will be skipped" >&2
    return 0
  fi
  if ! mountpoint -q "$base/cow"; then
    rm -f "$base/xfs.img"
    if ! { truncate -s 1G "$base/xfs.img" \
        && mkfs.xfs -q -m reflink=1 "$base/xfs.img" \
        && mount -o loop "$base/xfs.img" "$base/cow"; }; then
      echo "Could not mount a reflink XFS image at $base/cow: the reflink tests will be skipped" >&2
      rm -f "$base/xfs.img"
      return 0
    fi
  fi
  export PUFFIN_TEST_COW_FS="$base/cow"
}

puffin_setup_filesystems
