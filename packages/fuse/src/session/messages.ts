/** Messages between the session worker and the thread that started it. */
import type { NegotiatedInit, SessionEndReason, SessionStats } from './session';

/** Session options that cross the thread boundary (plain data). */
export interface WorkerSessionOptions {
  /** famfs ABI profile name, or "auto" (default "v10"). */
  profile?: string;
  /** Replaces the DAXDEV_OPEN ioctl number of push profiles. */
  daxdevIoctl?: number;
  maxWrite?: number;
  maxPages?: number;
  maxBackground?: number;
  congestionThreshold?: number;
  /** Serve through FUSE over io_uring where the kernel allows it (SessionOptions.ioUring). */
  ioUring?: boolean;
}

export interface WorkerData {
  /** The /dev/fuse fd (fds are process-wide, so the worker uses the number as is). */
  fd: number;
  /** Absolute path of a .js module exporting the file system factory. */
  fsModule: string;
  /** Name of the factory export (default "createFileSystem", then "default"). */
  fsExport?: string;
  /** Passed to the factory (structured-cloned). */
  fsOptions?: unknown;
  session?: WorkerSessionOptions;
  /**
   * One Int32 the starting thread sets to 1 every stats interval; the worker posts its stats after
   * the next message and clears it (so serving a request reads no clock). Absent: no periodic stats.
   */
  statsDue?: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'log'; message: string; level?: number }
  | { type: 'init'; init: NegotiatedInit }
  | { type: 'stats'; stats: SessionStats }
  | { type: 'exit'; reason: SessionEndReason; stats: SessionStats }
  | { type: 'error'; message: string; stack?: string }
  /** A notification for the parent to write to the fd (never from the worker: see Notifier). */
  | { type: 'notify'; message: Uint8Array }
  /** A value the file system posted (FileSystemContext.post). */
  | { type: 'fs'; value: unknown };
