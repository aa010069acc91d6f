/**
 * Runs a session in a worker thread over a /dev/fuse fd, keeping the calling thread free (it may
 * touch the mount, e.g. to unmount, without deadlocking against the server).
 *
 * The worker runs compiled JavaScript: `worker.js` next to this file when running from dist, and
 * dist/session/worker.js of this package when this file is the TypeScript source (ts-jest; the
 * jest global setup keeps dist/ fresh). The file system module must be .js too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { WorkerData, WorkerMessage, WorkerSessionOptions } from './messages';
import type { NegotiatedInit, SessionEndReason, SessionStats } from './session';
import { abortConnection, isMounted, mountInfo, unmountFuse } from '../mount/mount';

export interface StartOptions {
  fd: number;
  /** Absolute path of a .js module exporting the file system factory. */
  fsModule: string;
  fsExport?: string;
  fsOptions?: unknown;
  session?: WorkerSessionOptions;
  /** The mountpoint served, so stop() can unmount it. */
  mountpoint?: string;
  /** Close the fd once the worker has exited (default true). */
  closeFd?: boolean;
  /** How often the worker posts its stats while serving, in ms (after the next request once due; default 1000). */
  statsIntervalMs?: number;
  /**
   * Receives the worker's log lines: the session's own (no level) and the file system's (with the
   * syslog level it gave). Default: console.error with a prefix.
   */
  log?: (message: string, level?: number) => void;
  /** Receives what the file system posts (FileSystemContext.post), on this thread. */
  onFsMessage?: (value: unknown) => void;
}

export interface SessionExit {
  reason: SessionEndReason | 'error' | 'terminated';
  stats: SessionStats | null;
  error?: string;
}

export interface SessionHandle {
  readonly worker: Worker;
  /** Settles when the worker has exited (never rejects). */
  readonly exited: Promise<SessionExit>;
  /** Settles with the INIT outcome, or null if the session ended before INIT. */
  readonly initialized: Promise<NegotiatedInit | null>;
  /** The latest stats the worker posted (null before the first). */
  stats(): SessionStats | null;
  /** Notifications written to the fd for the worker, and those the kernel refused (other than ENOENT). */
  notifications(): { written: number; refused: number };
  /**
   * Ends the session: unmounts (lazily if busy) when a mountpoint was given, waits for the worker
   * to see ENODEV, then aborts the connection and terminates the worker if it did not exit in time.
   */
  stop(options?: { timeoutMs?: number }): Promise<SessionExit>;
}

/** Path of the compiled worker entry point. */
export function workerScriptPath(): string {
  if (__filename.endsWith('.js')) return path.join(__dirname, 'worker.js');
  const built = path.resolve(__dirname, '../../dist/session/worker.js');
  if (!fs.existsSync(built)) {
    throw new Error(
      `${built} is missing: build @famfs/fused (npx tsc -p tsconfig.json) before starting a session worker`,
    );
  }
  return built;
}

export function startSession(o: StartOptions): SessionHandle {
  const data: WorkerData = {
    fd: o.fd,
    fsModule: o.fsModule,
    fsExport: o.fsExport,
    fsOptions: o.fsOptions,
    session: o.session,
    statsDue: new SharedArrayBuffer(4),
  };
  const worker = new Worker(workerScriptPath(), { workerData: data });
  // The worker blocks in read(2) between requests, so the clock for its stats runs on this thread.
  const statsDue = new Int32Array(data.statsDue!);
  const statsTimer = setInterval(() => Atomics.store(statsDue, 0, 1), o.statsIntervalMs ?? 1000);
  statsTimer.unref();
  const log = o.log ?? ((m: string) => console.error(`famfs-fused: ${m}`));
  let latest: SessionStats | null = null;
  const notes = new NotificationWriter(o.fd, log);
  let exitInfo: SessionExit | null = null;
  let resolveInit!: (v: NegotiatedInit | null) => void;
  const initialized = new Promise<NegotiatedInit | null>((r) => (resolveInit = r));

  worker.on('message', (m: WorkerMessage) => {
    switch (m.type) {
      case 'log':
        log(m.message, m.level);
        break;
      case 'init':
        resolveInit(m.init);
        break;
      case 'stats':
        latest = m.stats;
        break;
      case 'notify':
        notes.write(m.message);
        break;
      case 'fs':
        try {
          o.onFsMessage?.(m.value);
        } catch (e) {
          log(`file system message handler failed: ${(e as Error).stack ?? String(e)}`);
        }
        break;
      case 'exit':
        latest = m.stats;
        exitInfo = { reason: m.reason, stats: m.stats };
        break;
      case 'error':
        exitInfo = { reason: 'error', stats: latest, error: m.message };
        log(`session worker failed: ${m.stack ?? m.message}`);
        break;
      default:
        break;
    }
  });
  const exited = new Promise<SessionExit>((resolve) => {
    let done = false;
    const finish = (fallback: SessionExit) => {
      if (done) return;
      done = true;
      clearInterval(statsTimer);
      resolveInit(null);
      // Not before the notification writes in flight are done: a closed fd number may be reused.
      notes.close(() => {
        if (o.closeFd === false) return;
        try {
          fs.closeSync(o.fd);
        } catch {
          // already closed
        }
      });
      resolve(exitInfo ?? fallback);
    };
    worker.on('error', (e) => {
      exitInfo = exitInfo ?? { reason: 'error', stats: latest, error: e.message };
    });
    worker.on('exit', () => finish({ reason: 'terminated', stats: latest }));
  });

  const stop = async (opts: { timeoutMs?: number } = {}): Promise<SessionExit> => {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const mp = o.mountpoint;
    const minors = mp ? mountInfo(mp).map((m) => m.devMinor) : [];
    if (mp && isMounted(mp)) {
      try {
        unmountFuse(mp);
      } catch {
        try {
          unmountFuse(mp, { lazy: true });
        } catch {
          // not mounted any more
        }
      }
    }
    const timer = (ms: number) => new Promise<null>((r) => setTimeout(() => r(null), ms).unref());
    let r = await Promise.race([exited, timer(timeoutMs)]);
    if (r) return r;
    for (const m of minors) abortConnection(m);
    r = await Promise.race([exited, timer(1000)]);
    if (r) return r;
    await worker.terminate();
    return exited;
  };

  return { worker, exited, initialized, stats: () => latest, notifications: () => notes.counts(), stop };
}

/**
 * Writes the worker's notifications to the /dev/fuse fd, each with its own asynchronous write
 * (this thread never blocks on a directory lock the kernel holds for a request the worker is
 * answering). ENOENT means the kernel caches nothing of that inode or name: not counted as refused.
 */
class NotificationWriter {
  private inflight = 0;
  private closing: (() => void) | null = null;
  private written = 0;
  private refused = 0;

  constructor(
    private readonly fd: number,
    private readonly log: (message: string) => void,
  ) {}

  write(message: Uint8Array): void {
    if (this.closing) return;
    this.inflight++;
    fs.write(this.fd, message, 0, message.length, null, (err) => {
      this.inflight--;
      if (!err) this.written++;
      else if (err.code !== 'ENOENT' && err.code !== 'ENODEV') {
        if (this.refused++ === 0) this.log(`notification refused by the kernel: ${err.message}`);
      }
      if (this.closing && this.inflight === 0) this.finish();
    });
  }

  counts(): { written: number; refused: number } {
    return { written: this.written, refused: this.refused };
  }

  /** No more writes; `then` runs once the writes in flight are done. */
  close(then: () => void): void {
    if (this.closing) return;
    this.closing = then;
    if (this.inflight === 0) this.finish();
  }

  private finish(): void {
    const then = this.closing;
    this.closing = () => undefined;
    then?.();
  }
}
