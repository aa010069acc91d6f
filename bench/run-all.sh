#!/usr/bin/env bash
# `npm run bench`: every benchmark that needs no root. `npm run bench:all` (this script with --all):
# those and the ones that mount, which need root and /dev/fuse (bench/fused also needs Debian's
# fuse3, libfuse3-dev and pkg-config for its C reference). Each prints its own ratios and load.
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
[ "${1:-}" = --all ] && all=1
node bench/fsck.js
node bench/cli-process.js $([ "$all" = 1 ] || echo --no-mount)
node bench/logplay.js
node bench/batch-create.js
node bench/fused/micro.js
if [ "$all" = 0 ]; then
  echo "the benchmarks that mount were not run: npm run bench:all (as root, with /dev/fuse)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
  echo "bench:all: the mount benchmarks need root and /dev/fuse" >&2
  exit 1
fi
node bench/creat-verify/run.js
node bench/cp/run.js
node bench/mount/run.js
# --io-uring where the kernel has FUSE over io_uring (the run switches enable_uring on, then back).
URING=$([ -e /sys/module/fuse/parameters/enable_uring ] && echo --io-uring || true)
if pkg-config --exists fuse3 2>/dev/null; then node bench/fused/run.js --trials 3 $URING
else echo "bench/fused skipped: install fuse3 libfuse3-dev pkg-config (apt-get) to build its C reference"; fi
