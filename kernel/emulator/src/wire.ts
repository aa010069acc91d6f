/**
 * The emulator's end of the channel: how one request reaches a daemon session and how its reply
 * comes back, and the checks the kernel's fuse_dev_do_write() and fuse_copy_out_args() apply to
 * every reply (ABI note §4.1, §4.2). Requests are built with @famfs/fuse/testing's msg and its
 * siblings, the same bytes the daemon's own tests send.
 */
import { FUSE_MAX_ERRNO, Opcode, OutHeader } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { parseReply as splitReply } from '@famfs/fuse/testing';

/** What came back for one request. */
export interface Exchange {
  /** False when the kernel would not have delivered it (larger than the daemon's read buffer). */
  delivered: boolean;
  /** Every reply the daemon wrote while handling the request (normally 0 or 1). */
  replies: Buffer[];
  /**
   * Reply writes the transport refused as the kernel would (EINVAL, ENOENT), with the reason and
   * whether the kernel ended the request with EIO (`ended`) or could not tell which it was for.
   */
  refused: { code: string; message: string; ended: boolean }[];
}

/** A way to hand one message to a daemon and collect what it wrote back, synchronously. */
export interface DaemonLink {
  exchange(msg: Buffer): Exchange;
  /** The daemon's read buffer size, when known: the kernel never delivers a larger request. */
  readonly bufferSize?: number;
  /** Routes the daemon's ioctls on its channel (/dev/fuse) to `handler`, where the channel has ioctls. */
  setIoctl?(handler: (request: number, arg: Buffer) => number): void;
  /**
   * Replies the daemon has written so far in the exchange under way: the kernel acts on a reply
   * as it is written (INIT's sets famfs mode before the daemon's next syscall), not when the
   * exchange returns.
   */
  written?(): readonly Buffer[];
}

/** Anything shaped like famfs-fused's Session over a QueueTransport. */
export interface SessionLike {
  handleMessage(msg: Buffer): unknown;
  readonly transport: unknown;
  readonly bufferSize?: number;
}

interface QueueLike {
  take(): Buffer[];
  push?(msg: Buffer): void;
  read?(buf: Buffer): number;
  rejected?: ReadonlyArray<{ code: string; message: string; ended?: boolean }>;
  peek?(): readonly Buffer[];
  ioctlHandler?: ((request: number, arg: Buffer) => number) | null;
}

function isLink(t: SessionLike | DaemonLink): t is DaemonLink {
  return typeof (t as DaemonLink).exchange === 'function';
}

/**
 * A DaemonLink over a Session whose transport is a QueueTransport (or anything with take()).
 * The request is queued on the transport (so a strict transport knows it is pending and checks the
 * reply like the kernel), read back and handed to handleMessage; the replies are then taken.
 */
export function linkTo(target: SessionLike | DaemonLink): DaemonLink {
  if (isLink(target)) return target;
  const q = target.transport as QueueLike;
  if (!q || typeof q.take !== 'function') {
    throw new TypeError(
      'the session transport has no take(): give the emulator a Session over a QueueTransport, or a DaemonLink',
    );
  }
  let scratch = Buffer.alloc(0);
  return {
    get bufferSize() {
      return target.bufferSize;
    },
    setIoctl(handler) {
      if ('ioctlHandler' in q) q.ioctlHandler = handler;
    },
    written() {
      return q.peek?.() ?? [];
    },
    exchange(msg: Buffer): Exchange {
      if (target.bufferSize !== undefined && msg.length > target.bufferSize) {
        return { delivered: false, replies: [], refused: [] };
      }
      const before = q.rejected?.length ?? 0;
      let m = msg;
      if (q.push && q.read) {
        q.push(msg);
        if (scratch.length < msg.length) scratch = Buffer.alloc(Math.max(msg.length, 8192));
        const n = q.read(scratch);
        m = scratch.subarray(0, n);
      }
      target.handleMessage(m);
      const refused = (q.rejected ?? [])
        .slice(before)
        .map((r) => ({ code: r.code, message: r.message, ended: !!r.ended }));
      return { delivered: true, replies: q.take(), refused };
    },
  };
}

/** A reply split into header and payload. */
export interface ParsedReply {
  len: number;
  error: number;
  unique: bigint;
  payload: Buffer;
}

/**
 * The checks fuse_dev_do_write() makes before it looks the request up: a whole header, out.len
 * equal to the bytes written, error in [-511, 0]. A reply failing them completes nothing (the
 * request stays pending). Returns the reason, or undefined.
 */
export function headerFault(b: Buffer): string | undefined {
  if (b.length < OutHeader.size) return `reply of ${b.length} bytes is shorter than fuse_out_header`;
  const h = splitReply(b);
  if (h.len !== b.length) return `out_header.len ${h.len} but ${b.length} bytes were written`;
  if (h.error > 0 || h.error < -FUSE_MAX_ERRNO) return `error ${h.error} outside [-${FUSE_MAX_ERRNO}, 0]`;
  return undefined;
}

/**
 * Checks one written reply the way fuse_dev_do_write() does: the header checks, then header-only
 * when error != 0 (that one after the request was found: the kernel ends it with EIO). Returns
 * the reason it fails, or the parsed reply.
 */
export function parseReply(b: Buffer): ParsedReply | string {
  const fault = headerFault(b);
  if (fault) return fault;
  const h = splitReply(b);
  if (h.error !== 0 && h.len !== OutHeader.size) {
    return `error reply (${h.error}) carries ${h.len - OutHeader.size} payload bytes`;
  }
  return h;
}

/** The payload a successful reply must have. */
export type PayloadRule = { exact: number } | { max: number } | { none: true } | { any: true };

/** What the kernel accepts as the payload of a successful reply to each opcode (§4.5). */
export function payloadRule(
  opcode: number,
  profile: AbiProfile,
  info: { size?: number } = {},
): PayloadRule | 'error-only' {
  // GET_FMAP: at most the buffer the request offered (a sizing profile's in-argument).
  if (opcode === profile.getFmapOpcode) return { max: info.size ?? profile.maxFmapBytes };
  if (opcode === profile.getDaxdevOpcode) return { exact: 280 };
  switch (opcode) {
    case Opcode.LOOKUP:
    case Opcode.MKNOD:
    case Opcode.MKDIR:
    case Opcode.SYMLINK:
    case Opcode.LINK:
      return { exact: 128 };
    case Opcode.GETATTR:
    case Opcode.SETATTR:
      return { exact: 104 };
    case Opcode.OPEN:
    case Opcode.OPENDIR:
      return { exact: 16 };
    case Opcode.CREATE:
      return { exact: 144 };
    case Opcode.READ:
    case Opcode.READDIR:
    case Opcode.READDIRPLUS:
      return { max: info.size ?? 0 };
    case Opcode.READLINK:
      return { max: 4096 };
    case Opcode.WRITE:
    case Opcode.LSEEK:
    case Opcode.BMAP:
      return { exact: 8 };
    case Opcode.STATFS:
      return { exact: 80 };
    case Opcode.GETXATTR:
    case Opcode.LISTXATTR:
      return info.size === 0 ? { exact: 8 } : { max: info.size ?? 0 };
    case Opcode.INIT:
      return { max: 64 };
    case Opcode.GETLK:
      return { exact: 24 };
    case Opcode.STATX:
      return { exact: 288 };
    case Opcode.FORGET:
    case Opcode.BATCH_FORGET:
      return { none: true };
    case Opcode.INTERRUPT:
      return 'error-only';
    case Opcode.RELEASE:
    case Opcode.RELEASEDIR:
    case Opcode.FLUSH:
    case Opcode.FSYNC:
    case Opcode.FSYNCDIR:
    case Opcode.ACCESS:
    case Opcode.UNLINK:
    case Opcode.RMDIR:
    case Opcode.RENAME:
    case Opcode.RENAME2:
    case Opcode.SETXATTR:
    case Opcode.REMOVEXATTR:
    case Opcode.SETLK:
    case Opcode.SETLKW:
    case Opcode.DESTROY:
    case Opcode.SYNCFS:
    case Opcode.FALLOCATE:
      return { exact: 0 };
    case Opcode.IOCTL:
    case Opcode.POLL:
    case Opcode.COPY_FILE_RANGE:
    case Opcode.TMPFILE:
      return { any: true };
    default:
      // An opcode the kernel does not have: no success reply can be right.
      return 'error-only';
  }
}

/** Why a successful payload breaks the rule, or undefined when it fits. */
export function payloadProblem(rule: PayloadRule | 'error-only', payloadLen: number): string | undefined {
  if (rule === 'error-only') return `success reply (${payloadLen} bytes) to a request that can only fail`;
  if ('exact' in rule && payloadLen !== rule.exact) {
    return `payload of ${payloadLen} bytes, the kernel expects exactly ${rule.exact}`;
  }
  if ('max' in rule && payloadLen > rule.max) {
    return `payload of ${payloadLen} bytes, the kernel accepts at most ${rule.max}`;
  }
  if ('none' in rule) return 'a reply to a request that gets none';
  return undefined;
}

/** A printable name for an opcode, the famfs ones named by the profile. */
export function opName(opcode: number, profile: AbiProfile): string {
  if (opcode === profile.getFmapOpcode) return 'GET_FMAP';
  if (opcode === profile.getDaxdevOpcode) return 'GET_DAXDEV';
  for (const [k, v] of Object.entries(Opcode)) if (v === opcode) return k;
  return `OP_${opcode}`;
}
