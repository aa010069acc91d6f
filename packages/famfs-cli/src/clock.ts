/**
 * Milliseconds on the monotonic clock, for durations (cp's rate and progress, a scan's budget).
 * Through process.hrtime: the global `performance` loads perf_hooks and ten internal modules with
 * it in the first command that touches it.
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
