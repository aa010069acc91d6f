#!/usr/bin/env bash
# The famfs-ts demo on a file-backed device: make a sparse 8 GiB device file, mkfs it as this
# host (the master), create directories and files through libfamfs, check it with fsck, replay
# the log into a shadow tree as a second host would, and show what a client host sees.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${FAMFS_DEMO_DIR:-$PWD/work-demo}
famfs() { node packages/famfs-cli/bin/famfs.js "$@"; }
master=${FAMFS_DEMO_MASTER:-$(cat /proc/sys/kernel/random/uuid)}
client=$(cat /proc/sys/kernel/random/uuid)

rm -rf "$work" && mkdir -p "$work/shadow-client"
dev="$work/famfs.img"
truncate -s 8G "$dev"
echo "== device: $dev (sparse, $(du -h "$dev" | cut -f1) on disk); master $master"

echo "== famfs mkfs"
FAMFS_SYSTEM_UUID=$master famfs mkfs "$dev" | sed -n '1,12p'

echo "== creating a tree on the master through libfamfs"
FAMFS_SYSTEM_UUID=$master node scripts/demo-populate.js "$dev"

echo "== famfs fsck -h"
FAMFS_SYSTEM_UUID=$master famfs fsck -h "$dev"

echo "== a client host replays the log into its shadow tree"
FAMFS_SYSTEM_UUID=$client famfs logplay --daxdev "$dev" --shadow "$work/shadow-client"
(cd "$work/shadow-client/root" && find . -mindepth 1 | sort | sed 's/^/    /')
echo "-- shadow YAML of one file:"
cat "$work/shadow-client/root/docs/README.md"

echo "== the client may not change the log"
if FAMFS_SYSTEM_UUID=$client node scripts/demo-populate.js "$dev" 2>"$work/client.err"; then
  echo "unexpected: a client appended to the log" >&2
  exit 1
fi
sed 's/^/    /' "$work/client.err"
echo "== demo done: work files in $work"
