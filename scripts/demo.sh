#!/usr/bin/env bash
# The famfs-ts demo on a file-backed device. As root with /dev/fuse: make a sparse 8 GiB device
# file, mkfs it, mount it as the master, copy a real directory tree in with `famfs cp -r`, create
# random-filled files and verify them, mount the same device as a second host (a client with
# another system UUID), replay the log there and show that the client reads the master's files
# byte for byte, fsck, and unmount everything. Without root or /dev/fuse it runs the parts that
# need no mount and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${FAMFS_DEMO_DIR:-$repo/work-demo}
famfs() { node "$repo/packages/famfs-cli/bin/famfs.js" "$@"; }
master_uuid=$(cat /proc/sys/kernel/random/uuid)
client_uuid=$(cat /proc/sys/kernel/random/uuid)
export FAMFS_RUN_DIR="$work/run"
as_master() { FAMFS_SYSTEM_UUID=$master_uuid "$@"; }
as_client() { FAMFS_SYSTEM_UUID=$client_uuid "$@"; }
step() { printf '\n== %s\n' "$*"; }

mounted=()
cleanup() {
  for m in "${mounted[@]}"; do
    if grep -q " $m " /proc/mounts; then as_master famfs umount "$m" >/dev/null || umount -l "$m" || true; fi
  done
}
trap cleanup EXIT

rm -rf "$work" && mkdir -p "$work"
dev="$work/famfs.img"
truncate -s 8G "$dev"
step "device $dev: a sparse 8 GiB file ($(du -h "$dev" | cut -f1) on disk); master host $master_uuid"

step "famfs mkfs"
as_master famfs mkfs "$dev" | sed -n '1,6p;14,16p'

if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ] || [ -n "${FAMFS_DEMO_NO_MOUNT:-}" ]; then
  why=$([ "$(id -u)" != 0 ] && echo "not running as root" || { [ -c /dev/fuse ] && echo "FAMFS_DEMO_NO_MOUNT is set" || echo "/dev/fuse is missing"; })
  step "no mounts in this demo: $why; showing what works without them"
  node scripts/demo-populate.js "$dev" "$master_uuid"
  as_master famfs fsck -h "$dev"
  mkdir -p "$work/shadow-client"
  as_client famfs logplay --daxdev "$dev" --shadow "$work/shadow-client"
  exit 0
fi

m1="$work/master" m2="$work/client"
mkdir -p "$m1" "$m2"
step "famfs mount (master) at $m1"
as_master famfs mount "$dev" "$m1"
mounted+=("$m1")

step "famfs cp -r: this repository's kernel headers, libfamfs sources and README"
as_master famfs mkdir "$m1/repo"
as_master famfs cp -r -q "$repo/kernel/uapi" "$repo/packages/libfamfs/src" "$repo/README.md" "$m1/repo/"
find "$m1/repo" -type f | wc -l | xargs printf '   %s files copied\n'
diff -r "$repo/packages/libfamfs/src" "$m1/repo/src" && echo "   diff -r of the sources: identical"

step "famfs creat -r (random-filled files) and famfs verify"
as_master famfs mkdir "$m1/random"
for i in 1 2 3; do as_master famfs creat -r -S "$i" -s "${i}00m" "$m1/random/file$i"; done
for i in 1 2 3; do as_master famfs verify -S "$i" -f "$m1/random/file$i"; done

step "famfs mount of the same device as a second host (client $client_uuid) at $m2"
as_client famfs mount "$dev" "$m2"
mounted+=("$m2")
as_master famfs creat -r -S 99 -s 8m "$m1/random/late-file"
echo "   the master made random/late-file after the client mounted; the client replays the log:"
as_client famfs logplay "$m2"

step "the client reads the master's files byte for byte"
diff -r "$m1/repo" "$m2/repo" && echo "   repo/: identical on both hosts"
for f in random/file1 random/file2 random/file3 random/late-file; do
  cmp "$m1/$f" "$m2/$f" && echo "   $f: identical"
done
as_client famfs verify -S 99 -f "$m2/random/late-file"
echo "   the client may not create files:"
as_client famfs creat -s 1m "$m2/nope" 2>&1 | sed 's/^/   /' || true

step "famfs fsck of the mounted file system"
as_master famfs fsck -h "$m1"

step "famfs umount (both hosts)"
as_client famfs umount "$m2"
as_master famfs umount "$m1"
mounted=()
left=$(grep -c " $work/" /proc/mounts || true)
echo "   mounts left under $work: $left"
step "demo done"
