/**
 * QueueTransport: an in-process, single-threaded transport for tests and the kernel emulator. The
 * caller queues requests, runs the session (or feeds it one message at a time) and collects the
 * replies. Message boundaries are kept by construction (one queue element = one message), and
 * replies are checked the way the kernel's fuse_dev_do_write checks them, so a malformed reply
 * fails in tests exactly where it would fail against the kernel. This was chosen over FIFOs or a
 * SharedArrayBuffer channel: no threads, no files, nothing to clean up, and deterministic.
 */
import { FUSE_MAX_ERRNO, InHeader, NotifyCode, Opcode, OutHeader } from '../protocol/abi';
import { ReplyRefused, TransportError } from '../session/transport';
import type { Transport } from '../session/transport';

export interface QueueTransportOptions {
  /** Check replies like the kernel does (default true): throw TransportError EINVAL / ENOENT. */
  strict?: boolean;
}

const NOTIFY_CODES = new Set<number>(Object.values(NotifyCode));

/** Requests that never get a reply, so are never pending. */
const UNANSWERED = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET, Opcode.INTERRUPT]);

/** An in-process channel: queue requests with push(), collect replies with take(). */
export class QueueTransport implements Transport {
  private readonly incoming: Buffer[] = [];
  private readonly outgoing: Buffer[] = [];
  private readonly pending = new Set<bigint>();
  private closed = false;
  /**
   * Every reply write the strict checks refused, with the reason and whether the kernel ended the
   * request (with EIO: the reply matched a pending request but broke a rule) or left it pending
   * (a fault in the out header itself: the kernel cannot tell which request it was for).
   */
  readonly rejected: { reply: Buffer; code: string; message: string; ended: boolean }[] = [];
  /** What an ioctl on this channel does (the kernel emulator's /dev/fuse ioctls); none: ENOTTY. */
  ioctlHandler: ((request: number, arg: Buffer) => number) | null = null;
  /** Notifications written (unique 0), in order; take them with takeNotifications(). */
  private readonly notes: Buffer[] = [];

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

  /** Replies written so far, left in place (what a kernel has already received mid-request). */
  peek(): readonly Buffer[] {
    return [...this.outgoing];
  }

  /** Notifications written so far (one message each), removing them from the transport. */
  takeNotifications(): Buffer[] {
    return this.notes.splice(0, this.notes.length);
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
      throw new TransportError(
        'EINVAL',
        `read buffer of ${buf.length} bytes is smaller than a ${msg.length}-byte message`,
      );
    }
    msg.copy(buf, 0);
    return msg.length;
  }

  writev(bufs: Buffer[]): void {
    if (this.closed) throw new TransportError('ENODEV', 'transport closed');
    const reply = Buffer.concat(bufs);
    if (this.options.strict !== false) {
      const refuse = (code: string, message: string, ended = false): never => {
        this.rejected.push({ reply, code, message, ended });
        throw new TransportError(code, message);
      };
      // In fuse_dev_do_write()'s order: the header checks come before the request is looked up.
      if (reply.length < OutHeader.size) refuse('EINVAL', `reply of ${reply.length} bytes`);
      const h = OutHeader.decode(reply, 0);
      if (h.len !== reply.length) refuse('EINVAL', `out_header.len ${h.len} but ${reply.length} bytes written`);
      if (h.unique === 0n) {
        // A notification: the code is positive in `error` (the kernel refuses unknown codes with EINVAL).
        if (!NOTIFY_CODES.has(h.error)) refuse('EINVAL', `notification with unknown code ${h.error}`);
        this.notes.push(reply);
        return;
      }
      if (h.error > 0 || h.error < -FUSE_MAX_ERRNO) refuse('EINVAL', `error ${h.error} out of range`);
      if (!this.pending.delete(h.unique)) refuse('ENOENT', `no pending request with unique ${h.unique}`);
      if (h.error !== 0 && h.len !== OutHeader.size) refuse('EINVAL', 'error reply with a payload', true);
    }
    if (reply.length >= OutHeader.size && OutHeader.get(reply, 'unique') === 0n) this.notes.push(reply);
    else this.outgoing.push(reply);
  }

  /** writev, then read, as FdTransport does in one call (a refused reply: ReplyRefused, nothing read). */
  exchange(reply: Buffer[], buf: Buffer): number {
    try {
      this.writev(reply);
    } catch (e) {
      throw new ReplyRefused(e);
    }
    return this.read(buf);
  }

  ioctl(request: number, arg: Buffer): number {
    if (!this.ioctlHandler) throw new TransportError('ENOTTY', `ioctl 0x${request.toString(16)} on a queue`);
    return this.ioctlHandler(request, arg);
  }

  close(): void {
    this.closed = true;
  }
}
