/**
 * The daemon's main thread watching the log for its session worker, which cannot: the worker
 * spends its idle time blocked reading /dev/fuse, so it reads the log only when a request comes.
 * Every `intervalMs` this reads the log header and the superblock's identity (two mapped reads,
 * after a cache invalidate on devdax and pmem); when the log's next_index is not the one the
 * worker last read, or the header or superblock changed, it asks the worker to read the log
 * (DaemonSharedState.requestFollow) and wakes it with a statfs(2) of the mount point, which the
 * kernel always sends to the daemon as FUSE_STATFS (afterRequest then serves the request). The
 * statfs runs on libuv's thread pool: this thread never waits for the worker.
 */
import * as fs from 'fs';
import { LogReader } from '@famfs/libfamfs/log';
import { DaemonSharedState, FollowState } from '../famfs/shared-state';

export interface LogWatchOptions {
  device: string;
  mountpoint: string;
  intervalMs: number;
  shared: DaemonSharedState;
  log: (message: string) => void;
}

export class LogWatch {
  private readonly reader: LogReader;
  private timer: NodeJS.Timeout | null = null;
  private waking = false;
  /** Wakes sent (for /status). */
  wakes = 0;

  constructor(private readonly o: LogWatchOptions) {
    this.reader = LogReader.openPath(o.device);
  }

  start(): void {
    if (this.timer || this.o.intervalMs <= 0) return;
    this.timer = setInterval(() => this.poll(), this.o.intervalMs);
    this.timer.unref();
  }

  /** One look at the log; wakes the worker when it has something to read. */
  poll(): void {
    const status = this.o.shared.logStatus;
    if (status.followState === FollowState.Stopped) {
      this.stop();
      return;
    }
    let next: number;
    try {
      next = this.reader.header().nextIndex;
    } catch {
      next = -1; // not a valid header any more: the worker finds out why and stops following
    }
    if (next !== status.applied || this.reader.superblockChanged()) this.wake();
  }

  private wake(): void {
    this.o.shared.requestFollow();
    if (this.waking) return;
    this.waking = true;
    this.wakes++;
    fs.statfs(this.o.mountpoint, (err) => {
      this.waking = false;
      // ENOTCONN / ENOENT while unmounting: nothing left to wake.
      if (err && err.code !== 'ENOTCONN' && err.code !== 'ENOENT')
        this.o.log(`log watch: statfs ${this.o.mountpoint}: ${err.message}`);
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
    this.reader.close();
  }
}
