/**
 * Transports carry whole FUSE messages between a kernel (real or emulated) and the session.
 * They are synchronous: the session loop runs on its own worker thread and blocks in read().
 *
 * - FdTransport (here): a /dev/fuse fd (one read = one request, one writev = one reply), through
 *   the native addon's readInto/writeBuffers/writeThenRead: plain read(2)/writev(2), without the
 *   argument checks, libuv request and sync-trace hooks fs.readSync/writevSync pay on every call.
 * - QueueTransport (`@famfs/fuse/testing`): in-process, for tests and the kernel emulator.
 */
// Named imports: a namespace import would reach each function through an interop getter per call.
import { closeSync } from 'fs';
import {
  fuseRingClose,
  fuseRingCounts,
  fuseRingExchange,
  fuseRingNext,
  fuseRingOpen,
  fuseRingReply,
  fuseRingStart,
  ioctl,
  readInto,
  writeBuffers,
  writeThenRead,
} from '@famfs/native';
import type { FuseRing, FuseRingCounts } from '@famfs/native';

/** What FUSE over io_uring needs to set its ring entries up (see Transport.prepareRing). */
export interface RingParams {
  /** Queues: the kernel's possible CPUs. */
  queues: number;
  /** Each entry's payload buffer: at least max(8192, max_write, max_pages * 4096) of the connection. */
  payloadBytes: number;
  /** The buffer for what still comes through /dev/fuse (the session's read buffer size). */
  devBufferBytes: number;
}

export interface Transport {
  /** Reads one whole message into buf and returns its length; 0 means the channel is closed. */
  read(buf: Buffer): number;
  /** Writes one whole reply. Throws an Error with `.code` (ENOENT: request no longer pending). */
  writev(bufs: Buffer[]): void;
  /**
   * writev(reply), then read(buf), in one step: how a server loop answers one request and waits for
   * the next. A refused reply throws ReplyRefused (carrying what writev would have thrown) and
   * nothing is read; the read behaves as read(). Absent: the session calls the two in turn.
   */
  exchange?(reply: Buffer[], buf: Buffer): number;
  close(): void;
  /**
   * An ioctl on the channel (/dev/fuse): returns the kernel's non-negative result, throws an Error
   * with `.code` (ENOTTY: no such ioctl). Absent where the channel has none (taken as ENOTTY).
   */
  ioctl?(request: number, arg: Buffer): number;
  /**
   * FUSE over io_uring, in two steps around the INIT reply. prepareRing, before a reply that
   * offers FUSE_OVER_IO_URING, sets the ring up (throws with `.code` where io_uring is not
   * available: then do not offer it). startRing, right after that reply, registers it; from then
   * on read and writev go through the ring. It throws when the kernel refuses (the kernel, and the
   * transport, keep to /dev/fuse then). Absent where the channel cannot.
   */
  prepareRing?(params: RingParams): void;
  startRing?(): void;
  /** What went through the ring (null before startRing succeeded). */
  ringCounts?(): FuseRingCounts | null;
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

/** Thrown by Transport.exchange when the reply was refused; `error` is the write's own error (with `.code`). */
export class ReplyRefused extends Error {
  constructor(readonly error: unknown) {
    super(`reply refused: ${(error as Error | null)?.message ?? String(error)}`);
    this.name = 'ReplyRefused';
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

/** The /dev/fuse fd of a mount, read and written directly or, once started, through an io_uring ring. */
export class FdTransport implements Transport {
  private closed = false;
  private ring: FuseRing | null = null;
  private preparedRing: FuseRing | null = null;
  /** The ring's counts as they were when it was closed. */
  private closedRingCounts: FuseRingCounts | null = null;
  constructor(
    readonly fd: number,
    private readonly options: FdTransportOptions = {},
  ) {}

  read(buf: Buffer): number {
    for (;;) {
      if (this.closed) return 0;
      try {
        return this.ring ? fuseRingNext(this.ring, buf) : readInto(this.fd, buf);
      } catch (e) {
        if (FdTransport.readEnded(e)) return 0;
      }
    }
  }

  exchange(reply: Buffer[], buf: Buffer): number {
    if (this.closed) return 0;
    try {
      // Through the ring, the answer goes with the io_uring_enter that waits for the next request.
      return this.ring ? fuseRingExchange(this.ring, reply, buf) : writeThenRead(this.fd, reply, buf);
    } catch (e) {
      const syscall = (e as { syscall?: string } | null)?.syscall;
      if (syscall === 'writev' || syscall === 'fuseRingReply') throw new ReplyRefused(e);
      return FdTransport.readEnded(e) ? 0 : this.read(buf);
    }
  }

  /** A read error: true when the connection is gone, false when the read is to be retried; else rethrown. */
  private static readEnded(e: unknown): boolean {
    const code = codeOf(e);
    if (code && CLOSED.has(code)) return true;
    if (code && RETRY_READ.has(code)) return false;
    throw e;
  }

  writev(bufs: Buffer[]): void {
    // EINTR is retried by the addon; a reply is written whole or refused (the kernel checks its length).
    // Through the ring, the reply is queued and goes with the next read's io_uring_enter.
    if (this.ring) fuseRingReply(this.ring, bufs);
    else writeBuffers(this.fd, bufs);
  }

  prepareRing(p: RingParams): void {
    if (this.ring || this.preparedRing) throw new TransportError('EALREADY', 'an io_uring ring is set up already');
    this.preparedRing = fuseRingOpen(this.fd, p.queues, p.payloadBytes, p.devBufferBytes);
  }

  startRing(): void {
    const ring = this.preparedRing;
    if (!ring) throw new TransportError('EINVAL', 'no io_uring ring was prepared');
    this.preparedRing = null;
    try {
      fuseRingStart(ring);
    } catch (e) {
      fuseRingClose(ring);
      throw e;
    }
    this.ring = ring;
  }

  ringCounts(): FuseRingCounts | null {
    return this.ring && !this.closed ? fuseRingCounts(this.ring) : this.closedRingCounts;
  }

  ioctl(request: number, arg: Buffer): number {
    return ioctl(this.fd, request, arg);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ring) this.closedRingCounts = fuseRingCounts(this.ring);
    for (const r of [this.ring, this.preparedRing]) if (r) fuseRingClose(r);
    if (this.options.ownsFd) closeSync(this.fd);
  }
}
