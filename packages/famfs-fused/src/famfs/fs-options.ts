/** What the famfs file system is given: famfs_fused's -o options, and what the daemon passes down. */

export type CacheMode = 'never' | 'auto' | 'always';

/** How often the log is read again by default, in ms (`-o follow=MS`). */
export const DEFAULT_FOLLOW_MS = 100;

export interface FamfsFsOptions {
  /** The shadow path; <shadow>/root is the shadow tree (a path ending in /root is taken as the root). */
  shadow: string;
  /** The famfs device (devdax, pmem or a regular file): device index 0. Needed for the log, data and GET_DAXDEV. */
  daxdev?: string;
  /** Serve the device's log (default with a daxdev) or the shadow tree (default without one). */
  serve?: 'log' | 'shadow';
  /** Log source: read the log again at most this often, in ms (0: only at start and when asked). Default 100. */
  followMs?: number;
  /** Log source: the reader's window size (tests use small ones). */
  logWindowBytes?: number;
  /** famfs ABI profile name (or "auto") used for GET_FMAP limits before INIT (the session's profile wins). */
  abi?: string;
  /** Send interleaved files as simple extents on every kernel, not only simple-only ones (--simple-fmaps). */
  simpleFmaps?: boolean;
  /**
   * Entry and attribute cache lifetime in seconds. Default as the C famfs_fused without
   * -o timeout: 0 with cache=never, 1.0 with cache=auto, 86400 with cache=always.
   */
  timeout?: number;
  /** C famfs_fused's cache mode (default 'auto'): never = direct I/O, always = keep_cache. */
  cache?: CacheMode;
  /** Stock data path: open files with FOPEN_DIRECT_IO (default true). */
  directIo?: boolean;
  /** Negotiate FLOCK_LOCKS so flock(2) comes to the daemon (default true; C's -o flock). */
  flock?: boolean;
  /** Log every request decision (default false). */
  debug?: boolean;
  /**
   * SETLKW (blocking flock) when another process holds the device lock directly: how long to
   * poll for it, in ms (default 5000). The session thread serves nothing else meanwhile.
   */
  lockWaitMs?: number;
  /** Window size of the device mappings (default 1 GiB). */
  windowSize?: number;
  /**
   * State shared with the daemon's main thread (DaemonSharedState's buffer): the run-time log
   * level, dump requests and the lookup-cache counters the diagnostics socket reports.
   */
  shared?: SharedArrayBuffer;
  /**
   * Log sink, given each line and its syslog level (default: stderr). In a session worker the
   * factory passes the worker's log, which goes through the daemon's main thread.
   */
  log?: (message: string, level: number) => void;
  /** This host's system UUID (default: tryGetSystemUuid()): the master's mount may write .meta/.log. */
  systemUuid?: Buffer;
  /** Hands a value to the daemon's main thread (FileSystemContext.post): the log source's new slots go there. */
  post?: (value: unknown, transfer?: ArrayBuffer[]) => void;
}
