/**
 * Decoding of one raw request (exactly one /dev/fuse read) into a typed request.
 *
 * Everything here treats its input as untrusted: the header's len must equal the bytes read, the
 * extension area (total_extlen) must fit, each op's argument struct must be complete, names must
 * be NUL-terminated and be names the kernel could send. A malformed message throws RequestError:
 * with the request's unique and an errno when the header was readable and the op expects an answer
 * (the session replies with that errno), or marked unanswerable otherwise (the session drops it).
 */
import { isUtf8 } from 'buffer';
import { Errno } from '../errors';
import {
  AccessIn,
  BatchForgetIn,
  CreateIn,
  FamfsFmapHeader,
  FlushIn,
  ForgetIn,
  ForgetOne,
  FsyncIn,
  FUSE_COMPAT_INIT_IN_SIZE,
  FUSE_COMPAT_SETXATTR_IN_SIZE,
  GetattrIn,
  GetDaxdevIn,
  GetxattrIn,
  InHeader,
  InitIn,
  InterruptIn,
  IoctlIn,
  LinkIn,
  LkIn,
  LseekIn,
  MkdirIn,
  MknodIn,
  OpenIn,
  ReadIn,
  ReleaseIn,
  Rename2In,
  RenameIn,
  SetattrIn,
  SetxattrIn,
  StatxIn,
  WriteIn,
} from './abi';
// Straight from their module: through abi.ts's `export *` every use would run a re-export getter
// (one shared keyed load of the exports object, megamorphic), and decode uses them per request.
import {
  FUSE_FSYNC_FDATASYNC,
  FUSE_GETATTR_FH,
  FUSE_INIT_EXT,
  FUSE_LK_FLOCK,
  FUSE_NAME_MAX,
  Opcode,
} from './constants';
import { Reader } from '@famfs/struct';
import type { AbiProfile } from './profiles';

export type * from './request-types';
import type { GetattrRequest, LockLike, LookupRequest, Request } from './request-types';

/** A message that could not be decoded. */
export class RequestError extends Error {
  constructor(
    message: string,
    /** The unique to answer, or null when the message must be dropped (header unreadable, or an op that gets no reply). */
    readonly unique: bigint | null,
    /** The errno to answer with (meaningful only when unique is not null). */
    readonly errno: number,
    /** The opcode when the header was readable. */
    readonly opcode: number | null,
  ) {
    super(message);
    this.name = 'RequestError';
  }
  get answerable(): boolean {
    return this.unique !== null;
  }
}

export interface DecodeContext {
  readonly profile: AbiProfile;
  /** FUSE_SETXATTR_EXT was negotiated: SETXATTR carries the 16-byte fuse_setxattr_in. */
  readonly setxattrExt?: boolean;
}

/** Ops that never get a reply: a malformed one is dropped. */
const NO_REPLY = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET, Opcode.INTERRUPT]);

/** The largest xattr name the kernel passes (XATTR_NAME_MAX). */
const XATTR_NAME_MAX = 255;
/** The largest symlink target the kernel passes (PATH_MAX incl. NUL). */
const PATH_MAX = 4096;
/** Where the arguments start: right after fuse_in_header. */
const ARGS = InHeader.size;
/** Where GETATTR's fields are (computed once: offsetOf looks a name up, too slow for every request). */
const GETATTR_FLAGS_AT = ARGS + GetattrIn.offsetOf('getattrFlags');
const GETATTR_FH_AT = ARGS + GetattrIn.offsetOf('fh');
const SLASH = 0x2f;

/**
 * The decoded fuse_in_header, as decodeRequest produces it. The unique is kept as its two 32-bit halves, so no
 * BigInt is made per request: the session copies the halves into the reply, and `unique` builds
 * the BigInt only when someone asks (logs, errors, INIT).
 *
 * A RequestDecoder fills one header again for every request (see there): what a file system wants
 * to keep of it past the call, it copies.
 */
export class RequestHeader {
  constructor(
    readonly len: number,
    readonly opcode: number,
    readonly nodeid: number,
    readonly uid: number,
    readonly gid: number,
    readonly pid: number,
    readonly totalExtlen: number,
    /** Bits 0..31 of the unique. */
    readonly uniqueLo: number,
    /** Bits 32..63 of the unique. */
    readonly uniqueHi: number,
  ) {}

  get unique(): bigint {
    return (BigInt(this.uniqueHi) << 32n) | BigInt(this.uniqueLo);
  }
}

/** A type's fields without `readonly`: for the objects a decoder refills (never handed out as such). */
type Refillable<T> = { -readonly [K in keyof T]: T[K] };

// Little-endian loads for the fixed header fields (the caller checked the bytes are there).
const rd16 = (b: Buffer, o: number): number => b[o] | (b[o + 1] << 8);
const rd32 = (b: Buffer, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
const rd64 = (b: Buffer, o: number): number => rd32(b, o) + rd32(b, o + 4) * 0x1_0000_0000;

/** Decodes the fuse_in_header at the start of `buf` into `into`, or into a new header when it is null. */
function readHeader(buf: Buffer, into: RequestHeader | null): RequestHeader {
  if (into === null)
    return new RequestHeader(
      rd32(buf, 0),
      rd32(buf, 4),
      rd64(buf, 16),
      rd32(buf, 24),
      rd32(buf, 28),
      rd32(buf, 32),
      rd16(buf, 36),
      rd32(buf, 8),
      rd32(buf, 12),
    );
  const h = into as Refillable<RequestHeader>;
  h.len = rd32(buf, 0);
  h.opcode = rd32(buf, 4);
  h.nodeid = rd64(buf, 16);
  h.uid = rd32(buf, 24);
  h.gid = rd32(buf, 28);
  h.pid = rd32(buf, 32);
  h.totalExtlen = rd16(buf, 36);
  h.uniqueLo = rd32(buf, 8);
  h.uniqueHi = rd32(buf, 12);
  return into;
}

// The helpers below are module functions rather than per-call closures: decoding runs once per
// request. They take the header (for the error) and the body's end offset (the body is
// [ARGS, end) of the message; the extension area after it is not part of any argument).

function fail(h: RequestHeader, why: string, errno: number = Errno.EINVAL): never {
  const op = h.opcode;
  const unique = h.unique;
  throw new RequestError(`opcode ${op} unique ${unique}: ${why}`, NO_REPLY.has(op) ? null : unique, errno, op);
}

/** Checks that the body holds `size` argument bytes (exactly, when `exact`). */
function need(h: RequestHeader, end: number, size: number, exact = false): void {
  const n = end - ARGS;
  if (n < size) fail(h, `${n} argument bytes, ${size} needed`);
  if (exact && n !== size) fail(h, `${n} argument bytes, exactly ${size} expected`);
}

/** Decodes the argument struct at the start of the body. */
function args<V>(
  h: RequestHeader,
  buf: Buffer,
  end: number,
  layout: { size: number; decode(b: Buffer, at?: number): V },
  exact = false,
): V {
  need(h, end, layout.size, exact);
  return layout.decode(buf, ARGS);
}

/** Puts the cursor at `offset` (an argument struct's end) and returns it. */
function from(r: Reader, offset: number): Reader {
  r.pos = offset;
  return r;
}

/** Reads the NUL-terminated string at the cursor (body bytes only) and moves past its NUL. */
function str(h: RequestHeader, r: Reader, what: string, max: number): string {
  const at = r.pos;
  const nul = r.findNul();
  if (nul < 0) fail(h, `${what} is not NUL-terminated`);
  if (nul === at) fail(h, `${what} is empty`);
  if (nul - at > max) fail(h, `${what} is ${nul - at} bytes (max ${max})`, Errno.ENAMETOOLONG);
  r.skipPast(nul);
  return utf8(h, r.buf, at, nul, what);
}

/**
 * Bytes [at, end) as a string, exactly: bytes that are not UTF-8 are refused (EINVAL) rather than
 * replaced with U+FFFD, which would make two different names one.
 */
function utf8(h: RequestHeader, buf: Buffer, at: number, end: number, what: string): string {
  // Names are short and nearly always ASCII: that is checked in place, without a view for isUtf8.
  let ascii = true;
  for (let i = at; i < end; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', at, end);
  if (!isUtf8(buf.subarray(at, end))) fail(h, `${what} is not valid UTF-8`);
  return buf.toString('utf8', at, end);
}

/**
 * Checks the path component that starts at `at` in the body (which ends at `end`): NUL-terminated
 * there, not empty, at most FUSE_NAME_MAX bytes, without '/'. Returns the index of its NUL.
 */
function componentEnd(h: RequestHeader, buf: Buffer, at: number, end: number, what: string): number {
  let nul = at;
  let slash = false;
  for (; nul < end; nul++) {
    const c = buf[nul];
    if (c === 0) break;
    if (c === SLASH) slash = true;
  }
  if (nul >= end) fail(h, `${what} is not NUL-terminated`);
  if (nul === at) fail(h, `${what} is empty`);
  if (nul - at > FUSE_NAME_MAX) fail(h, `${what} is ${nul - at} bytes (max ${FUSE_NAME_MAX})`, Errno.ENAMETOOLONG);
  if (slash) fail(h, `${what} "${buf.toString('utf8', at, nul)}" contains '/'`);
  return nul;
}

/** The checked component [at, nul) as a string as utf8() makes it; '.' and '..' only where `dotsOk`. */
function componentText(h: RequestHeader, buf: Buffer, at: number, nul: number, what: string, dotsOk: boolean): string {
  const s = utf8(h, buf, at, nul, what);
  if (!dotsOk && (s === '.' || s === '..')) fail(h, `${what} is "${s}"`);
  return s;
}

/** A path component at the cursor (see componentEnd), neither '.' nor '..', as a string; moves past its NUL. */
function component(h: RequestHeader, r: Reader, what: string): string {
  const nul = componentEnd(h, r.buf, r.pos, r.end, what);
  const s = componentText(h, r.buf, r.pos, nul, what, false);
  r.skipPast(nul);
  return s;
}

/** Fails unless the cursor is at the end of the body. */
function endAt(h: RequestHeader, r: Reader): void {
  if (!r.atEnd) fail(h, `${r.remaining} unexpected trailing bytes`);
}

/** One name filling the whole body from the cursor. */
function onlyName(h: RequestHeader, r: Reader): string {
  const name = component(h, r, 'name');
  endAt(h, r);
  return name;
}

/** Whether the op addresses an inode through the header's nodeid (so 0 is invalid). */
function needsNode(op: number, profile: AbiProfile): boolean {
  switch (op) {
    case Opcode.INIT:
    case Opcode.DESTROY:
    case Opcode.INTERRUPT:
    case Opcode.BATCH_FORGET:
    case Opcode.NOTIFY_REPLY:
      return false;
    default:
      return !(op === profile.getDaxdevOpcode && profile.daxdevIndexIn === 'nodeid');
  }
}

/** GET_FMAP's reply buffer: its fuse_getxattr_in where the profile sizes replies, else the fixed one. */
function fmapBuffer(h: RequestHeader, buf: Buffer, end: number, profile: AbiProfile): number {
  // V10 sends no argument (a body, if any, is ignored as the kernel would never send one).
  if (!profile.fmapSizing) return profile.maxFmapBytes;
  const { size } = args(h, buf, end, GetxattrIn, true);
  if (size < FamfsFmapHeader.size) fail(h, `GET_FMAP buffer of ${size} bytes cannot hold the fmap header`);
  return size;
}

/** The objects a RequestDecoder refills for every request. */
interface Scratch {
  readonly header: RequestHeader;
  readonly lookup: Refillable<LookupRequest>;
  readonly getattr: Refillable<GetattrRequest>;
}

/**
 * Decodes requests one after the other, reusing its objects: every request's header, and the
 * whole request of the two that come most (LOOKUP and GETATTR: one of each per stat() when the
 * kernel caches nothing), are the same objects filled again. Decoding those two allocates nothing
 * but the name. So a request and its header are valid until the next decode; the session decodes
 * the next request only after the file system's method has returned.
 */
export class RequestDecoder {
  private readonly scratch: Scratch;

  /** `context` is read at every decode: its owner may change it between requests (INIT, probes). */
  constructor(readonly context: DecodeContext) {
    const header = new RequestHeader(0, 0, 0, 0, 0, 0, 0, 0, 0);
    this.scratch = {
      header,
      lookup: { op: 'lookup', header, name: '' },
      getattr: { op: 'getattr', header, fh: undefined },
    };
  }

  /** Decodes the message in the first `len` bytes of `buf`, as decodeRequest does, into the reused objects. */
  decode(buf: Buffer, len: number = buf.length): Request {
    return decode(buf, this.context, len, this.scratch);
  }
}

/**
 * Decodes one request. `buf` must hold exactly the bytes of one read: all of it, or its first
 * `len` bytes when `len` is given (so a session can decode in place in its read buffer). Throws
 * RequestError. Payload views (write data, xattr values) alias `buf`. The request is a new object
 * (RequestDecoder reuses its objects instead).
 */
export function decodeRequest(buf: Buffer, ctx: DecodeContext, len: number = buf.length): Request {
  return decode(buf, ctx, len, null);
}

function decode(buf: Buffer, ctx: DecodeContext, len: number, scratch: Scratch | null): Request {
  if (len > buf.length) throw new RangeError(`decodeRequest: ${len} bytes asked of a ${buf.length}-byte buffer`);
  if (len < InHeader.size) {
    throw new RequestError(`message of ${len} bytes is shorter than fuse_in_header`, null, Errno.EIO, null);
  }
  const header = readHeader(buf, scratch && scratch.header);
  const h = header;
  const op = header.opcode;
  if (header.len !== len) fail(h, `header len ${header.len} but ${len} bytes were read`, Errno.EIO);
  const extBytes = header.totalExtlen * 8;
  if (ARGS + extBytes > len) fail(h, `total_extlen ${header.totalExtlen} runs past the message`);
  /** End of the body; the body is [ARGS, end). */
  const end = len - extBytes;
  const profile = ctx.profile;
  if (header.nodeid === 0 && needsNode(op, profile)) fail(h, 'nodeid 0');

  switch (op) {
    // The hot ones first (a stat() with timeouts 0 is one LOOKUP plus one GETATTR), without a Reader.
    case Opcode.LOOKUP:
      if (op !== profile.getFmapOpcode && op !== profile.getDaxdevOpcode) {
        const nul = componentEnd(h, buf, ARGS, end, 'name');
        if (nul + 1 !== end) fail(h, `${end - nul - 1} unexpected trailing bytes`);
        // '.' and '..' can come from the export path (fuse_get_parent), so they are passed through here.
        const name = componentText(h, buf, ARGS, nul, 'name', true);
        if (scratch === null) return { op: 'lookup', header, name };
        scratch.lookup.name = name;
        return scratch.lookup;
      }
      break;
    case Opcode.GETATTR:
      if (op !== profile.getFmapOpcode && op !== profile.getDaxdevOpcode) {
        need(h, end, GetattrIn.size);
        const fh = rd32(buf, GETATTR_FLAGS_AT) & FUSE_GETATTR_FH ? rd64(buf, GETATTR_FH_AT) : undefined;
        if (scratch === null) return { op: 'getattr', header, fh };
        scratch.getattr.fh = fh;
        return scratch.getattr;
      }
      break;
    default:
      break;
  }

  /** The cursor over the body for names and payloads after the argument struct. */
  const r = new Reader(buf, ARGS, end);

  // famfs opcodes first: under the rfc profile 53 means GET_FMAP, not COPY_FILE_RANGE_64.
  if (op === profile.getFmapOpcode) return { op: 'getFmap', header, bufferSize: fmapBuffer(h, buf, end, profile) };
  if (op === profile.getDaxdevOpcode) {
    if (profile.daxdevIndexIn === 'body')
      return { op: 'getDaxdev', header, index: args(h, buf, end, GetDaxdevIn).daxdevNum };
    return { op: 'getDaxdev', header, index: header.nodeid };
  }

  switch (op) {
    case Opcode.INIT: {
      const n = end - ARGS;
      if (n < FUSE_COMPAT_INIT_IN_SIZE) fail(h, `${n} argument bytes, ${FUSE_COMPAT_INIT_IN_SIZE} needed`);
      const body = buf.subarray(ARGS, end);
      const full = n >= InitIn.size ? body : Buffer.concat([body, Buffer.alloc(InitIn.size - n)]);
      const a = InitIn.decode(full, 0);
      let flags = BigInt(a.flags);
      if (flags & FUSE_INIT_EXT) flags |= BigInt(a.flags2) << 32n;
      return { op: 'init', header, major: a.major, minor: a.minor, maxReadahead: a.maxReadahead, flags };
    }
    case Opcode.DESTROY:
      return { op: 'destroy', header };
    case Opcode.FORGET:
      return { op: 'forget', header, nlookup: args(h, buf, end, ForgetIn).nlookup };
    case Opcode.BATCH_FORGET: {
      const { count } = args(h, buf, end, BatchForgetIn);
      const want = BatchForgetIn.size + count * ForgetOne.size;
      if (end - ARGS < want) fail(h, `BATCH_FORGET of ${count} needs ${want} bytes, has ${end - ARGS}`);
      return { op: 'batchForget', header, nodes: ForgetOne.decodeArray(buf, ARGS + BatchForgetIn.size, count) };
    }
    case Opcode.SETATTR:
      return { op: 'setattr', header, attr: args(h, buf, end, SetattrIn) };
    case Opcode.READLINK:
      return { op: 'readlink', header };
    case Opcode.SYMLINK: {
      const name = component(h, from(r, ARGS), 'name');
      const target = str(h, r, 'symlink target', PATH_MAX - 1);
      endAt(h, r);
      return { op: 'symlink', header, name, target };
    }
    case Opcode.MKNOD: {
      const a = args(h, buf, end, MknodIn);
      return {
        op: 'mknod',
        header,
        mode: a.mode,
        rdev: a.rdev,
        umask: a.umask,
        name: onlyName(h, from(r, ARGS + MknodIn.size)),
      };
    }
    case Opcode.MKDIR: {
      const a = args(h, buf, end, MkdirIn);
      return { op: 'mkdir', header, mode: a.mode, umask: a.umask, name: onlyName(h, from(r, ARGS + MkdirIn.size)) };
    }
    case Opcode.UNLINK:
      return { op: 'unlink', header, name: onlyName(h, from(r, ARGS)) };
    case Opcode.RMDIR:
      return { op: 'rmdir', header, name: onlyName(h, from(r, ARGS)) };
    case Opcode.RENAME:
    case Opcode.RENAME2: {
      const two = op === Opcode.RENAME2;
      const a = two ? args(h, buf, end, Rename2In) : { ...args(h, buf, end, RenameIn), flags: 0 };
      const name = component(h, from(r, ARGS + (two ? Rename2In.size : RenameIn.size)), 'old name');
      const newname = component(h, r, 'new name');
      endAt(h, r);
      if (a.newdir === 0) fail(h, 'rename to nodeid 0');
      return { op: 'rename', header, name, newdir: a.newdir, newname, flags: a.flags };
    }
    case Opcode.LINK: {
      const a = args(h, buf, end, LinkIn);
      if (a.oldnodeid === 0) fail(h, 'link of nodeid 0');
      return { op: 'link', header, oldnodeid: a.oldnodeid, name: onlyName(h, from(r, ARGS + LinkIn.size)) };
    }
    case Opcode.OPEN:
    case Opcode.OPENDIR: {
      const a = args(h, buf, end, OpenIn);
      return { op: op === Opcode.OPEN ? 'open' : 'opendir', header, flags: a.flags, openFlags: a.openFlags };
    }
    case Opcode.READ:
    case Opcode.READDIR:
    case Opcode.READDIRPLUS: {
      const a = args(h, buf, end, ReadIn);
      return {
        op: op === Opcode.READ ? 'read' : op === Opcode.READDIR ? 'readdir' : 'readdirplus',
        header,
        fh: a.fh,
        offset: a.offset,
        size: a.size,
        readFlags: a.readFlags,
        lockOwner: a.lockOwner,
        flags: a.flags,
      };
    }
    case Opcode.WRITE: {
      const a = args(h, buf, end, WriteIn);
      if (end - ARGS - WriteIn.size !== a.size)
        fail(h, `WRITE of ${a.size} bytes carries ${end - ARGS - WriteIn.size}`);
      return {
        op: 'write',
        header,
        fh: a.fh,
        offset: a.offset,
        size: a.size,
        writeFlags: a.writeFlags,
        lockOwner: a.lockOwner,
        flags: a.flags,
        data: buf.subarray(ARGS + WriteIn.size, end),
      };
    }
    case Opcode.STATFS:
      return { op: 'statfs', header };
    case Opcode.RELEASE:
    case Opcode.RELEASEDIR: {
      const a = args(h, buf, end, ReleaseIn);
      return {
        op: op === Opcode.RELEASE ? 'release' : 'releasedir',
        header,
        fh: a.fh,
        flags: a.flags,
        releaseFlags: a.releaseFlags,
        lockOwner: a.lockOwner,
      };
    }
    case Opcode.FSYNC:
    case Opcode.FSYNCDIR: {
      const a = args(h, buf, end, FsyncIn);
      return {
        op: op === Opcode.FSYNC ? 'fsync' : 'fsyncdir',
        header,
        fh: a.fh,
        datasync: (a.fsyncFlags & FUSE_FSYNC_FDATASYNC) !== 0,
      };
    }
    case Opcode.SETXATTR: {
      const argSize = ctx.setxattrExt ? SetxattrIn.size : FUSE_COMPAT_SETXATTR_IN_SIZE;
      need(h, end, argSize);
      const size = SetxattrIn.get(buf, 'size', ARGS);
      const flags = SetxattrIn.get(buf, 'flags', ARGS);
      const setxattrFlags = ctx.setxattrExt ? SetxattrIn.get(buf, 'setxattrFlags', ARGS) : 0;
      const name = str(h, from(r, ARGS + argSize), 'xattr name', XATTR_NAME_MAX);
      if (r.remaining !== size) fail(h, `SETXATTR value of ${size} bytes carries ${r.remaining}`);
      return { op: 'setxattr', header, name, value: r.take(size), flags, setxattrFlags };
    }
    case Opcode.GETXATTR: {
      const a = args(h, buf, end, GetxattrIn);
      const name = str(h, from(r, ARGS + GetxattrIn.size), 'xattr name', XATTR_NAME_MAX);
      endAt(h, r);
      return { op: 'getxattr', header, name, size: a.size };
    }
    case Opcode.LISTXATTR:
      return { op: 'listxattr', header, size: args(h, buf, end, GetxattrIn, true).size };
    case Opcode.REMOVEXATTR: {
      const name = str(h, from(r, ARGS), 'xattr name', XATTR_NAME_MAX);
      endAt(h, r);
      return { op: 'removexattr', header, name };
    }
    case Opcode.FLUSH: {
      const a = args(h, buf, end, FlushIn);
      return { op: 'flush', header, fh: a.fh, lockOwner: a.lockOwner };
    }
    case Opcode.GETLK:
    case Opcode.SETLK:
    case Opcode.SETLKW: {
      const a = args(h, buf, end, LkIn);
      const l: LockLike = {
        fh: a.fh,
        owner: a.owner,
        lk: a.lk,
        lkFlags: a.lkFlags,
        flock: (a.lkFlags & FUSE_LK_FLOCK) !== 0,
      };
      if (op === Opcode.GETLK) return { op: 'getlk', header, ...l };
      return { op: 'setlk', header, ...l, sleep: op === Opcode.SETLKW };
    }
    case Opcode.ACCESS:
      return { op: 'access', header, mask: args(h, buf, end, AccessIn).mask };
    case Opcode.CREATE: {
      const a = args(h, buf, end, CreateIn);
      return {
        op: 'create',
        header,
        flags: a.flags,
        mode: a.mode,
        umask: a.umask,
        openFlags: a.openFlags,
        name: onlyName(h, from(r, ARGS + CreateIn.size)),
      };
    }
    case Opcode.INTERRUPT:
      return { op: 'interrupt', header, target: args(h, buf, end, InterruptIn).unique };
    case Opcode.LSEEK: {
      const a = args(h, buf, end, LseekIn);
      return { op: 'lseek', header, fh: a.fh, offset: a.offset, whence: a.whence };
    }
    case Opcode.STATX: {
      const a = args(h, buf, end, StatxIn);
      return {
        op: 'statx',
        header,
        getattrFlags: a.getattrFlags,
        fh: a.getattrFlags & FUSE_GETATTR_FH ? a.fh : undefined,
        sxFlags: a.sxFlags,
        sxMask: a.sxMask,
      };
    }
    case Opcode.IOCTL: {
      const a = args(h, buf, end, IoctlIn);
      const carried = end - ARGS - IoctlIn.size;
      if (carried !== a.inSize) fail(h, `IOCTL in_size ${a.inSize} carries ${carried} bytes`);
      return {
        op: 'ioctl',
        header,
        fh: a.fh,
        flags: a.flags,
        cmd: a.cmd,
        arg: a.arg,
        inSize: a.inSize,
        outSize: a.outSize,
        data: buf.subarray(ARGS + IoctlIn.size, end),
      };
    }
    default:
      return { op: 'unknown', header };
  }
}
