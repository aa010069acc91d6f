/**
 * Transports carry whole FUSE messages between a kernel (real or emulated) and the session.
 * They are synchronous: the session loop runs on its own worker thread and blocks in read().
 *
 * - FdTransport (here): a /dev/fuse fd (one read = one request, one writev = one reply), through
 *   the native addon's readInto/writeBuffers: plain read(2)/writev(2), without the argument checks,
 *   libuv request and sync-trace hooks fs.readSync/writevSync pay on every call.
 * - QueueTransport (`@famfs/fuse/testing`): in-process, for tests and the kernel emulator.
 */
// Named imports: a namespace import would reach each function through an interop getter per call.
import { closeSync } from 'fs';
import { ioctl, readInto, writeBuffers } from '@famfs/native';

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
/** Read errors to retry: a non-blocking fd (EAGAIN), an interrupted request (ENOENT); EINTR is retried below us. */
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
        return readInto(this.fd, buf);
      } catch (e) {
        const code = codeOf(e);
        if (code && CLOSED.has(code)) return 0;
        if (code && RETRY_READ.has(code)) continue;
        throw e;
      }
    }
  }

  writev(bufs: Buffer[]): void {
    // EINTR is retried by the addon; a reply is written whole or refused (the kernel checks its length).
    writeBuffers(this.fd, bufs);
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
