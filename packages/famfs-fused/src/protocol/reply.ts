/**
 * Reply encoders. Each returns the iovec of one reply: the 16-byte fuse_out_header (len filled
 * in) followed by the payload buffers, ready for a single writev. Data buffers handed in by the
 * file system are passed through without copying.
 *
 * Kernel rules these encoders keep: an error reply is the header alone with error in [-511, -1];
 * fixed-size replies are exactly their struct; variable replies (data, readdir, xattr, fmap) are
 * at most the size the kernel asked for.
 */
import {
  AttrOut,
  AttrValue,
  DaxdevOut,
  Dirent,
  Direntplus,
  direntplusSize,
  direntSize,
  EntryOut,
  FileLockValue,
  FUSE_MAX_ERRNO,
  FUSE_NAME_MAX,
  GetxattrOut,
  InitOut,
  KstatfsValue,
  LkOut,
  LseekOut,
  OpenOut,
  OutHeader,
  StatfsOut,
  StatxOut,
  StatxValue,
  WriteOut,
} from './abi';
import type { LayoutValue } from '@famfs/libfamfs';

export type Iovec = Buffer[];

/** A cache lifetime in seconds (fractions allowed), split as the kernel wants it. */
export function splitTimeout(seconds: number): { sec: number; nsec: number } {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) return { sec: 0, nsec: 0 };
  const sec = Math.floor(seconds);
  const nsec = Math.min(999_999_999, Math.round((seconds - sec) * 1e9));
  return { sec, nsec };
}

function header(unique: bigint, payloadLen: number, error = 0): Buffer {
  return OutHeader.encode({ len: OutHeader.size + payloadLen, error, unique });
}

function withPayload(unique: bigint, payload: Buffer[]): Iovec {
  let n = 0;
  for (const b of payload) n += b.length;
  return [header(unique, n), ...payload];
}

/** Header-only error reply; errno is positive (ENOENT = 2) and becomes -errno on the wire. */
export function replyError(unique: bigint, errno: number): Iovec {
  if (!Number.isInteger(errno) || errno < 1 || errno > FUSE_MAX_ERRNO) throw new RangeError(`errno ${errno} out of [1, ${FUSE_MAX_ERRNO}]`);
  return [header(unique, 0, -errno)];
}

/** Success with no payload (RELEASE, FLUSH, FSYNC, ACCESS, UNLINK, SETXATTR, DESTROY...). */
export function replyOk(unique: bigint): Iovec {
  return [header(unique, 0)];
}

/** What LOOKUP, MKDIR, MKNOD, SYMLINK, LINK, CREATE and READDIRPLUS return per entry. */
export interface EntryParam {
  /** 0 with entryTimeout > 0 caches a negative entry (LOOKUP only). */
  nodeid: number;
  generation?: number;
  /** How long the kernel may cache the name, in seconds. */
  entryTimeout?: number;
  /** How long the kernel may cache the attributes, in seconds. */
  attrTimeout?: number;
  attr: AttrValue;
}

export function entryOutValue(e: EntryParam): LayoutValue<typeof EntryOut> {
  const ev = splitTimeout(e.entryTimeout ?? 1);
  const av = splitTimeout(e.attrTimeout ?? 1);
  return {
    nodeid: e.nodeid,
    generation: e.generation ?? 0,
    entryValid: ev.sec,
    attrValid: av.sec,
    entryValidNsec: ev.nsec,
    attrValidNsec: av.nsec,
    attr: e.attr,
  };
}

export function replyEntry(unique: bigint, e: EntryParam): Iovec {
  return withPayload(unique, [EntryOut.encode(entryOutValue(e))]);
}

export interface AttrParam {
  attr: AttrValue;
  attrTimeout?: number;
}

export function replyAttr(unique: bigint, a: AttrParam): Iovec {
  const t = splitTimeout(a.attrTimeout ?? 1);
  return withPayload(unique, [AttrOut.encode({ attrValid: t.sec, attrValidNsec: t.nsec, dummy: 0, attr: a.attr })]);
}

export interface OpenParam {
  fh?: number;
  /** FOPEN_* bits. */
  openFlags?: number;
  backingId?: number;
}

function openOut(o: OpenParam): Buffer {
  return OpenOut.encode({ fh: o.fh ?? 0, openFlags: o.openFlags ?? 0, backingId: o.backingId ?? 0 });
}

export function replyOpen(unique: bigint, o: OpenParam): Iovec {
  return withPayload(unique, [openOut(o)]);
}

export function replyCreate(unique: bigint, e: EntryParam, o: OpenParam): Iovec {
  return withPayload(unique, [EntryOut.encode(entryOutValue(e)), openOut(o)]);
}

export function replyInit(unique: bigint, value: LayoutValue<typeof InitOut>, size = InitOut.size): Iovec {
  return withPayload(unique, [InitOut.encode(value).subarray(0, size)]);
}

export function replyStatfs(unique: bigint, st: KstatfsValue): Iovec {
  return withPayload(unique, [StatfsOut.encode({ st })]);
}

export function replyWrite(unique: bigint, size: number): Iovec {
  return withPayload(unique, [WriteOut.encode({ size, padding: 0 })]);
}

/** GETXATTR/LISTXATTR with size 0: the length the value would need. */
export function replyXattrSize(unique: bigint, size: number): Iovec {
  return withPayload(unique, [GetxattrOut.encode({ size, padding: 0 })]);
}

/** READ, READLINK, GETXATTR, LISTXATTR, GET_FMAP: the bytes themselves, not copied. */
export function replyData(unique: bigint, data: Buffer | readonly Buffer[]): Iovec {
  return withPayload(unique, Buffer.isBuffer(data) ? [data] : [...data]);
}

export function replyLk(unique: bigint, lk: FileLockValue): Iovec {
  return withPayload(unique, [LkOut.encode({ lk })]);
}

export function replyLseek(unique: bigint, offset: number): Iovec {
  return withPayload(unique, [LseekOut.encode({ offset })]);
}

export interface StatxParam {
  stat: StatxValue;
  attrTimeout?: number;
  flags?: number;
}

export function replyStatx(unique: bigint, s: StatxParam): Iovec {
  const t = splitTimeout(s.attrTimeout ?? 1);
  return withPayload(unique, [StatxOut.encode({ attrValid: t.sec, attrValidNsec: t.nsec, flags: s.flags ?? 0, spare: Buffer.alloc(0), stat: s.stat })]);
}

/** GET_DAXDEV: the 280-byte fuse_daxdev_out naming the device (NUL-terminated within 256 bytes). */
export function replyDaxdev(unique: bigint, index: number, name: string): Iovec {
  return withPayload(unique, [DaxdevOut.encode({ index, reserved: 0, reserved2: 0, reserved3: 0, reserved4: 0, name })]);
}

// ---------------------------------------------------------------------------------------------
// Directory buffers

/** One READDIR entry. */
export interface DirEntry {
  name: string | Buffer;
  /** Inode number reported to readdir(3) (d_ino). */
  ino: number;
  /** The cookie of the NEXT entry: the kernel passes it back as the offset of the following READDIR. */
  off: number;
  /** d_type (DT_*), i.e. (mode & S_IFMT) >> 12. */
  type: number;
}

/** One READDIRPLUS entry. */
export interface DirEntryPlus {
  name: string | Buffer;
  off: number;
  /**
   * The entry, produced only when the record fits in the reply (so a lookup count the file system
   * takes here matches what the kernel receives). Return nodeid 0 for a name-only record. The
   * kernel takes no lookup reference for "." and "..".
   */
  entry: () => EntryParam;
}

function nameBytes(name: string | Buffer): Buffer {
  const b = Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8');
  if (b.length === 0 || b.length > FUSE_NAME_MAX) throw new RangeError(`directory entry name of ${b.length} bytes`);
  if (b.includes(0x2f) || b.includes(0)) throw new RangeError(`directory entry name "${b.toString()}" contains '/' or NUL`);
  return b;
}

/**
 * Packs entries as fuse_dirent records (8-byte aligned, zero padding) until the next one would
 * not fit in `size` bytes. Entries after the first that does not fit are not consumed.
 */
export function encodeReaddir(size: number, entries: Iterable<DirEntry>): Buffer {
  const buf = Buffer.alloc(size);
  let at = 0;
  for (const e of entries) {
    const name = nameBytes(e.name);
    const rec = direntSize(name.length);
    if (at + rec > size) break;
    Dirent.encodeInto({ ino: e.ino, off: e.off, namelen: name.length, type: e.type }, buf, at);
    name.copy(buf, at + Dirent.size);
    at += rec;
  }
  return buf.subarray(0, at);
}

/** Packs fuse_direntplus records the same way; `entry()` is called only for records that fit. */
export function encodeReaddirplus(size: number, entries: Iterable<DirEntryPlus>): Buffer {
  const buf = Buffer.alloc(size);
  let at = 0;
  for (const e of entries) {
    const name = nameBytes(e.name);
    const rec = direntplusSize(name.length);
    if (at + rec > size) break;
    const ent = e.entry();
    const mode = ent.attr.mode;
    Direntplus.encodeInto(
      {
        entryOut: entryOutValue(ent),
        dirent: { ino: ent.attr.ino, off: e.off, namelen: name.length, type: (mode & 0o170000) >>> 12 },
      },
      buf,
      at,
    );
    name.copy(buf, at + Direntplus.size);
    at += rec;
  }
  return buf.subarray(0, at);
}

/** A NUL-separated xattr name list, as LISTXATTR returns it. */
export function encodeXattrList(names: readonly string[]): Buffer {
  return Buffer.concat(names.map((n) => Buffer.from(n + '\0', 'utf8')));
}

/** Builds a full fuse_attr from the fields a file system usually has; the rest default to 0. */
export function makeAttr(a: Partial<AttrValue> & { ino: number; mode: number }): AttrValue {
  return {
    ino: a.ino,
    size: a.size ?? 0,
    blocks: a.blocks ?? Math.ceil((a.size ?? 0) / 512),
    atime: a.atime ?? 0,
    mtime: a.mtime ?? 0,
    ctime: a.ctime ?? 0,
    atimensec: a.atimensec ?? 0,
    mtimensec: a.mtimensec ?? 0,
    ctimensec: a.ctimensec ?? 0,
    mode: a.mode,
    nlink: a.nlink ?? 1,
    uid: a.uid ?? 0,
    gid: a.gid ?? 0,
    rdev: a.rdev ?? 0,
    blksize: a.blksize ?? 4096,
    flags: a.flags ?? 0,
  };
}
