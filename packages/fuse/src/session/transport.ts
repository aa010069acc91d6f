/**
 * Transports carry whole FUSE messages between a kernel (real or emulated) and the session.
 * They are synchronous: the session loop runs on its own worker thread and blocks in read().
 *
 * - FdTransport (here): a /dev/fuse fd (one read = one request, one writev = one reply).
 * - QueueTransport (`@famfs/fuse/testing`): in-process, for tests and the kernel emulator.
 */
// Named imports: a namespace import would reach each function through an interop getter per call.
import { closeSync, readSync, writeSync, writevSync } from 'fs';
import { ioctl } from '@famfs/native';

export interface Transport {
  /** Reads one whole message into buf and returns its length; 0 means the channel is closed. */
  read(buf: Buffer): number;
  /** Writes one whole reply. Throws an Error with `.code` (ENOENT: request no longer pending). */
  writev(bufs: Buffer[]): void;
  close(): void;
  /**
   * An ioctl on the channel (/dev/fuse): returns the kernel's non-negative result, throws an Error
   * with `.code` (ENOTTY: no such ioctl). Absent where the channel has none (taken as ENOTTY).
   */
  ioctl?(request: number, arg: Buffer): number;
}

/** An Error carrying an errno code, as Node's fs errors do. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'TransportError';
  }
}

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** Read errors meaning "the connection is gone": a clean end of the session. */
const CLOSED = new Set(['ENODEV', 'ECONNABORTED']);
/** Read errors to retry: a signal (EINTR), a non-blocking fd (EAGAIN), an interrupted request (ENOENT). */
const RETRY_READ = new Set(['EINTR', 'EAGAIN', 'ENOENT']);

export interface FdTransportOptions {
  /** Close the fd in close() (default false: the fd belongs to whoever mounted). */
  ownsFd?: boolean;
}

/** The /dev/fuse fd of a mount. */
export class FdTransport implements Transport {
  private closed = false;
  constructor(
    readonly fd: number,
    private readonly options: FdTransportOptions = {},
  ) {}

  read(buf: Buffer): number {
    for (;;) {
      if (this.closed) return 0;
      try {
        return readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = codeOf(e);
        if (code && CLOSED.has(code)) return 0;
        if (code && RETRY_READ.has(code)) continue;
        throw e;
      }
    }
  }

  writev(bufs: Buffer[]): void {
    for (;;) {
      try {
        // One buffer (every reply but data replies): plain write(2), without the iovec array.
        if (bufs.length === 1) writeSync(this.fd, bufs[0], 0, bufs[0].length, null);
        else writevSync(this.fd, bufs);
        return;
      } catch (e) {
        if (codeOf(e) === 'EINTR') continue;
        throw e;
      }
    }
  }

  ioctl(request: number, arg: Buffer): number {
    return ioctl(this.fd, request, arg);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsFd) closeSync(this.fd);
  }
}
