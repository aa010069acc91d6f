/** One word nobody ever notifies: Atomics.wait on it is a plain timed block. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the calling thread for `ms` milliseconds. For the synchronous retry loops of famfs
 * (unmounting a busy mount, polling a device lock, waiting for a daemon) that run where there is
 * no event loop to yield to: the FUSE session thread, or a CLI command written synchronously.
 */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
