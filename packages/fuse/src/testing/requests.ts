/**
 * Request builders and reply parsing for tests and tools that drive a Session without a kernel:
 * the bytes the kernel would write to /dev/fuse for one request, and the split of a reply.
 */
import {
  GetxattrIn,
  InHeader,
  InitIn,
  IoctlIn,
  Opcode,
  OutHeader,
  ReadIn,
  FUSE_INIT_EXT,
  initFlag,
  InitBit,
} from '../protocol/abi';
import type { AbiProfile } from '../protocol/profiles';

/** Header fields a request may override; the rest are zero, pid 1234, len the real length. */
export type HeaderExtra = Partial<{ uid: number; gid: number; pid: number; totalExtlen: number; len: number }>;

/**
 * One request message: header (len filled in) + body. InHeader's nodeid is a number field (up to
 * 2^53 - 1); a bigint nodeid (a fuzzer's bogus ones) or a larger number (a u64 decoded from a
 * hostile reply) is written as its low 64 bits instead.
 */
export function msg(
  opcode: number,
  unique: number | bigint,
  nodeid: number | bigint,
  body: Buffer = Buffer.alloc(0),
  extra: HeaderExtra = {},
): Buffer {
  const len = extra.len ?? InHeader.size + body.length;
  const wide = typeof nodeid === 'bigint' || nodeid > Number.MAX_SAFE_INTEGER;
  const h = InHeader.encode({
    len,
    opcode,
    unique: BigInt(unique),
    nodeid: wide ? 0 : Number(nodeid),
    uid: extra.uid ?? 0,
    gid: extra.gid ?? 0,
    pid: extra.pid ?? 1234,
    totalExtlen: extra.totalExtlen ?? 0,
    padding: 0,
  });
  if (wide) h.writeBigUInt64LE(BigInt.asUintN(64, BigInt(nodeid)), InHeader.offsetOf('nodeid'));
  return Buffer.concat([h, body]);
}

export const cstr = (s: string): Buffer => Buffer.from(s + '\0');

/** The flag set the 6.18 stock kernel offered in our real-mount run (plus optional extra bits). */
export const STOCK_OFFER: bigint = [
  'ASYNC_READ',
  'POSIX_LOCKS',
  'ATOMIC_O_TRUNC',
  'EXPORT_SUPPORT',
  'BIG_WRITES',
  'DONT_MASK',
  'SPLICE_WRITE',
  'SPLICE_MOVE',
  'SPLICE_READ',
  'FLOCK_LOCKS',
  'HAS_IOCTL_DIR',
  'AUTO_INVAL_DATA',
  'DO_READDIRPLUS',
  'READDIRPLUS_AUTO',
  'ASYNC_DIO',
  'WRITEBACK_CACHE',
  'NO_OPEN_SUPPORT',
  'PARALLEL_DIROPS',
  'HANDLE_KILLPRIV',
  'POSIX_ACL',
  'ABORT_ERROR',
  'MAX_PAGES',
  'CACHE_SYMLINKS',
  'NO_OPENDIR_SUPPORT',
  'EXPLICIT_INVAL_DATA',
  'HANDLE_KILLPRIV_V2',
  'SETXATTR_EXT',
  'INIT_EXT',
  'SECURITY_CTX',
  'CREATE_SUPP_GROUP',
  'HAS_EXPIRE_ONLY',
  'DIRECT_IO_ALLOW_MMAP',
  'PASSTHROUGH',
  'NO_EXPORT_SUPPORT',
  'HAS_RESEND',
  'ALLOW_IDMAP',
  'REQUEST_TIMEOUT',
].reduce((acc, n) => acc | initFlag(InitBit[n as keyof typeof InitBit]), 0n);

export function initMsg(
  unique: number | bigint,
  flags: bigint = STOCK_OFFER,
  minor = 45,
  major = 7,
  maxReadahead = 131072,
  extra: HeaderExtra = {},
): Buffer {
  const body = InitIn.encode({
    major,
    minor,
    maxReadahead,
    flags: Number(flags & 0xffffffffn),
    flags2: flags & FUSE_INIT_EXT ? Number(flags >> 32n) : 0,
    unused: Buffer.alloc(0),
  });
  return msg(Opcode.INIT, unique, 0, body, extra);
}

export function readMsg(
  opcode: number,
  unique: number | bigint,
  nodeid: number | bigint,
  offset: number,
  size: number,
  fh = 0,
  extra: HeaderExtra = {},
): Buffer {
  const body = ReadIn.encode({ fh, offset, size, readFlags: 0, lockOwner: 0n, flags: 0, padding: 0 });
  return msg(opcode, unique, nodeid, body, extra);
}

/** What an IOCTL request carries besides its header; unset sizes follow `data` (in) and 0 (out). */
export interface IoctlArgs {
  cmd: number;
  fh?: number;
  flags?: number;
  arg?: bigint;
  inSize?: number;
  outSize?: number;
  /** The input bytes the kernel copied from the caller. */
  data?: Buffer;
}

/** An IOCTL request: fuse_ioctl_in then the input bytes. */
export function ioctlMsg(
  unique: number | bigint,
  nodeid: number | bigint,
  a: IoctlArgs,
  extra: HeaderExtra = {},
): Buffer {
  const data = a.data ?? Buffer.alloc(0);
  const body = IoctlIn.encode({
    fh: a.fh ?? 0,
    flags: a.flags ?? 0,
    cmd: a.cmd >>> 0,
    arg: a.arg ?? 0n,
    inSize: a.inSize ?? data.length,
    outSize: a.outSize ?? 0,
  });
  return msg(Opcode.IOCTL, unique, nodeid, Buffer.concat([body, data]), extra);
}

/**
 * A GET_FMAP request as the profile's kernel sends it: no argument, or (profiles that size
 * replies) fuse_getxattr_in carrying the reply buffer, by default the kernel's first one.
 */
export function getFmapMsg(
  profile: AbiProfile,
  unique: number | bigint,
  nodeid: number | bigint,
  bufferSize?: number,
  extra: HeaderExtra = {},
): Buffer {
  const sizing = profile.fmapSizing;
  const body = sizing ? GetxattrIn.encode({ size: bufferSize ?? sizing.firstBuffer, padding: 0 }) : Buffer.alloc(0);
  return msg(profile.getFmapOpcode, unique, nodeid, body, extra);
}

/** Splits a reply into its out header and payload. */
export function parseReply(b: Buffer): { len: number; error: number; unique: bigint; payload: Buffer } {
  const h = OutHeader.decode(b, 0);
  return { ...h, payload: b.subarray(OutHeader.size) };
}
