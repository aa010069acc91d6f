/**
 * Transports carry whole FUSE messages between a kernel (real or emulated) and the session.
 * They are synchronous: the session loop runs on its own worker thread and blocks in read().
 *
 * - FdTransport: a /dev/fuse fd (one read = one request, one writev = one reply).
 * - QueueTransport: in-process and single-threaded, for tests and the kernel emulator. The caller
 *   queues requests, runs the session (or feeds it one message at a time) and collects the
 *   replies. Message boundaries are kept by construction (one queue element = one message), and
 *   replies are checked the way the kernel's fuse_dev_do_write checks them, so a malformed reply
 *   fails in tests exactly where it would fail against the kernel. This was chosen over FIFOs or a
 *   SharedArrayBuffer channel: no threads, no files, nothing to clean up, and deterministic.
 */
// Named imports: a namespace import would reach each function through an interop getter per call.
import { closeSync, readSync, writeSync, writevSync } from 'fs';
import { FUSE_MAX_ERRNO, InHeader, Opcode, OutHeader } from '../protocol/abi';

export interface Transport {
  /** Reads one whole message into buf and returns its length; 0 means the channel is closed. */
  read(buf: Buffer): number;
  /** Writes one whole reply. Throws an Error with `.code` (ENOENT: request no longer pending). */
  writev(bufs: Buffer[]): void;
  close(): void;
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

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsFd) closeSync(this.fd);
  }
}

export interface QueueTransportOptions {
  /** Check replies like the kernel does (default true): throw TransportError EINVAL / ENOENT. */
  strict?: boolean;
}

/** Requests that never get a reply, so are never pending. */
const UNANSWERED = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET, Opcode.INTERRUPT]);

/** An in-process channel: queue requests with push(), collect replies with take(). */
export class QueueTransport implements Transport {
  private readonly incoming: Buffer[] = [];
  private readonly outgoing: Buffer[] = [];
  private readonly pending = new Set<bigint>();
  private closed = false;
  /** Every reply write the strict checks refused, with the reason. */
  readonly rejected: { reply: Buffer; code: string; message: string }[] = [];

  constructor(private readonly options: QueueTransportOptions = {}) {}

  /** Queues one request message (copied). */
  push(msg: Buffer): void {
    this.incoming.push(Buffer.from(msg));
    if (msg.length >= InHeader.size) {
      const op = InHeader.get(msg, 'opcode');
      if (!UNANSWERED.has(op)) this.pending.add(InHeader.get(msg, 'unique'));
    }
  }

  /** Replies written so far (each one writev, concatenated), removing them from the transport. */
  take(): Buffer[] {
    return this.outgoing.splice(0, this.outgoing.length);
  }

  get queued(): number {
    return this.incoming.length;
  }

  read(buf: Buffer): number {
    if (this.closed) return 0;
    const msg = this.incoming.shift();
    if (!msg) return 0;
    if (msg.length > buf.length) {
      // The kernel fails such a request itself and never delivers it; a short buffer is a daemon bug.
      throw new TransportError('EINVAL', `read buffer of ${buf.length} bytes is smaller than a ${msg.length}-byte message`);
    }
    msg.copy(buf, 0);
    return msg.length;
  }

  writev(bufs: Buffer[]): void {
    if (this.closed) throw new TransportError('ENODEV', 'transport closed');
    const reply = Buffer.concat(bufs);
    if (this.options.strict !== false) {
      const refuse = (code: string, message: string): never => {
        this.rejected.push({ reply, code, message });
        throw new TransportError(code, message);
      };
      if (reply.length < OutHeader.size) refuse('EINVAL', `reply of ${reply.length} bytes`);
      const h = OutHeader.decode(reply, 0);
      if (h.len !== reply.length) refuse('EINVAL', `out_header.len ${h.len} but ${reply.length} bytes written`);
      if (h.error > 0 || h.error < -FUSE_MAX_ERRNO) refuse('EINVAL', `error ${h.error} out of range`);
      if (h.error !== 0 && h.len !== OutHeader.size) refuse('EINVAL', 'error reply with a payload');
      if (!this.pending.delete(h.unique)) refuse('ENOENT', `no pending request with unique ${h.unique}`);
    }
    this.outgoing.push(reply);
  }

  close(): void {
    this.closed = true;
  }
}
