#!/usr/bin/env bash
# Runs every benchmark in turn (the ones that mount need root and /dev/fuse; bench/fused also
# needs Debian's fuse3, libfuse3-dev and pkg-config). Each prints its own ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/fsck.js
node bench/cli-process.js
node bench/logplay.js
node bench/batch-create.js
if [ "$(id -u)" = 0 ] && [ -c /dev/fuse ]; then
  node bench/creat-verify/run.js
  node bench/cp/run.js
  node bench/mount/run.js
  if pkg-config --exists fuse3 2>/dev/null; then node bench/fused/run.js --trials 3
  else echo "bench/fused skipped: install fuse3 libfuse3-dev pkg-config (apt-get) to build its C reference"; fi
else
  echo "mount benchmarks skipped: they need root and /dev/fuse"
fi
