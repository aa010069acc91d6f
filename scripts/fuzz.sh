#!/usr/bin/env bash
# A long fuzzing run of every target in one command:
#   scripts/fuzz.sh [RUNS] [SEED]
# RUNS defaults to 1,000,000 per target (FAMFS_FUZZ_RUNS), SEED to a random one (FAMFS_FUZZ_SEED),
# printed first so a failure can be replayed with the same seed. Each target prints
# "fuzz <target>: <n> runs, seed <s>, outcomes {...}"; the lines are also collected in
# $FAMFS_FUZZ_REPORT (default: a file in the temp directory, printed at the end).
# `npm test` runs the same targets with 20,000 runs and a fixed seed.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-${FAMFS_FUZZ_RUNS:-1000000}}"
SEED="${2:-${FAMFS_FUZZ_SEED:-$(( (RANDOM << 16 | RANDOM) & 0x7fffffff ))}}"
REPORT="${FAMFS_FUZZ_REPORT:-$(mktemp -t famfs-fuzz-XXXXXX.jsonl)}"
export FAMFS_FUZZ_RUNS="$RUNS" FAMFS_FUZZ_SEED="$SEED" FAMFS_FUZZ_REPORT="$REPORT"

echo "famfs fuzz: ${RUNS} runs per target, seed ${SEED} (replay: FAMFS_FUZZ_SEED=${SEED} scripts/fuzz.sh ${RUNS})"
status=0
for pkg in packages/libfamfs packages/famfs-fused; do
  # Every test file named fuzz-*.test.ts, at any depth under the package's test/ (libfamfs keeps
  # them beside the code they fuzz: test/format/, test/shadow/).
  (cd "$pkg" && npx jest --runInBand --silent=false '/test/(.*/)?fuzz-[^/]*\.test\.ts$') || status=1
done
echo
echo "famfs fuzz: seed ${SEED}, report ${REPORT}:"
cat "$REPORT"
if [ "$status" -ne 0 ]; then
  echo "famfs fuzz: FAILED (seed ${SEED}); the failing input is shown above" >&2
fi
exit "$status"
