# Sourced by .ci/run: mounts the filesystems the linker tests need and exports
# their paths. Without root, nothing is mounted and those tests print
# `Skipping: ...`.
#
# - PUFFIN_TEST_ALT_FS: a tmpfs, another filesystem than the work tree (EXDEV).
# - PUFFIN_TEST_COW_FS: a loop-mounted XFS image with reflink support (FICLONE).

puffin_setup_filesystems() {
  if [ "$(id -u)" != 0 ]; then
    echo "Not root: the cross-filesystem and reflink tests will be skipped" >&2
    return 0
  fi
  local base=/tmp/puffin-test-fs
  mkdir -p "$base/alt" "$base/cow"

  if ! mountpoint -q "$base/alt"; then
    mount -t tmpfs -o size=2g tmpfs "$base/alt"
  fi
  export PUFFIN_TEST_ALT_FS="$base/alt"

  if ! command -v mkfs.xfs >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq xfsprogs) >/dev/null 2>&1 || true
  fi
  if command -v mkfs.xfs >/dev/null 2>&1; then
    if ! mountpoint -q "$base/cow"; then
      rm -f "$base/xfs.img"
      truncate -s 1G "$base/xfs.img"
      mkfs.xfs -q -m reflink=1 "$base/xfs.img"
      mount -o loop "$base/xfs.img" "$base/cow"
    fi
    export PUFFIN_TEST_COW_FS="$base/cow"
  else
    echo "xfsprogs could not be installed: the reflink tests will be skipped" >&2
  fi
}

puffin_setup_filesystems
