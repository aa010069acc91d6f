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
  Attr,
  AttrOut,
  AttrValue,
  DaxdevOut,
  Dirent,
  Direntplus,
  direntplusSize,
  direntSize,
  EntryOut,
  FamfsFmapHeader,
  FileLockValue,
  GetxattrOut,
  InitOut,
  IoctlOut,
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
// Straight from their module, not through abi.ts's `export *` getters (see request.ts).
import { FUSE_MAX_ERRNO, FUSE_NAME_MAX } from './constants';
import type { LayoutValue } from '@famfs/struct';

export type Iovec = Buffer[];

/** A cache lifetime in seconds (fractions allowed), split as the kernel wants it. */
export function splitTimeout(seconds: number): { sec: number; nsec: number } {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) return { sec: 0, nsec: 0 };
  const sec = Math.floor(seconds);
  const nsec = Math.min(999_999_999, Math.round((seconds - sec) * 1e9));
  return { sec, nsec };
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

export interface AttrParam {
  attr: AttrValue;
  attrTimeout?: number;
}

export interface OpenParam {
  fh?: number;
  /** FOPEN_* bits. */
  openFlags?: number;
  backingId?: number;
}

export interface StatxParam {
  stat: StatxValue;
  attrTimeout?: number;
  flags?: number;
}

/**
 * Throws RangeError unless `name` fits fuse_daxdev_out.name with its NUL: 1..255 bytes, no NUL.
 * A file system that serves GET_DAXDEV checks its device name with this when it starts.
 */
export function checkDaxdevName(name: string): void {
  const len = Buffer.byteLength(name, 'utf8');
  if (len === 0) throw new RangeError('empty daxdev name');
  const max = DaxdevOut.fields.name.codec.size;
  if (len > max - 1)
    throw new RangeError(`daxdev path of ${len} bytes does not fit the ${max}-byte name (NUL included)`);
  if (name.includes('\0')) throw new RangeError('daxdev path contains NUL');
}

// ---------------------------------------------------------------------------------------------
// Session-owned reply buffers

/** The two 32-bit halves of a request's unique, as RequestHeader carries them. */
export interface UniqueHalves {
  readonly uniqueLo: number;
  readonly uniqueHi: number;
}

/** The halves of a unique held as a bigint (a RequestError's, a test's). */
export function uniqueHalves(unique: bigint): UniqueHalves {
  return { uniqueLo: Number(unique & 0xffff_ffffn), uniqueHi: Number((unique >> 32n) & 0xffff_ffffn) };
}

const MAX_U64 = Number.MAX_SAFE_INTEGER;
const OUT = OutHeader.size;

function badU(what: string, value: unknown, max: number): never {
  throw new RangeError(`${what}: ${String(value)} is not an integer in [0, ${max}]`);
}

/** Stores a u32 (no check: callers pass values they checked or built). */
function put32(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
/** A u32 field, checked as the layout engine checks it. */
function putU32(b: Buffer, o: number, v: number, what: string): void {
  if (typeof v !== 'number' || v >>> 0 !== v) badU(what, v, 0xffff_ffff);
  put32(b, o, v);
}
/** A u64 field holding a JS number: a safe non-negative integer, as the layout engine checks it. */
function putU64(b: Buffer, o: number, v: number, what: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v <= MAX_U64) || Math.floor(v) !== v) badU(what, v, MAX_U64);
  const lo = v >>> 0;
  put32(b, o, lo);
  put32(b, o + 4, (v - lo) / 0x1_0000_0000);
}

/** splitTimeout with a one-entry memo (a file system nearly always uses one lifetime). */
class TimeoutSplit {
  private seconds = 1;
  private sec = 1;
  private nsec = 0;
  /** Writes the split lifetime: u64 seconds at `secAt`, u32 nanoseconds at `nsecAt`. */
  put(b: Buffer, secAt: number, nsecAt: number, seconds: number): void {
    if (seconds !== this.seconds) {
      const t = splitTimeout(seconds);
      this.seconds = seconds;
      this.sec = t.sec;
      this.nsec = t.nsec;
    }
    putU64(b, secAt, this.sec, 'timeout');
    put32(b, nsecAt, this.nsec);
  }
}

// Field offsets, taken from the layouts (these replies are written field by field, without
// building a value object per reply). Every byte of each struct is a field, so nothing is left to zero.
const EO = {
  nodeid: EntryOut.offsetOf('nodeid'),
  generation: EntryOut.offsetOf('generation'),
  entryValid: EntryOut.offsetOf('entryValid'),
  attrValid: EntryOut.offsetOf('attrValid'),
  entryValidNsec: EntryOut.offsetOf('entryValidNsec'),
  attrValidNsec: EntryOut.offsetOf('attrValidNsec'),
  attr: EntryOut.offsetOf('attr'),
};
const AO = {
  attrValid: AttrOut.offsetOf('attrValid'),
  attrValidNsec: AttrOut.offsetOf('attrValidNsec'),
  dummy: AttrOut.offsetOf('dummy'),
  attr: AttrOut.offsetOf('attr'),
};
const OO = {
  fh: OpenOut.offsetOf('fh'),
  openFlags: OpenOut.offsetOf('openFlags'),
  backingId: OpenOut.offsetOf('backingId'),
};
const WO = { size: WriteOut.offsetOf('size'), padding: WriteOut.offsetOf('padding') };
const OH = { len: OutHeader.offsetOf('len'), error: OutHeader.offsetOf('error'), unique: OutHeader.offsetOf('unique') };

/** A reply buffer of one fixed size with its header's len (and error 0) written once. */
function fixedReply(payload: number): Buffer[] {
  const b = Buffer.alloc(OUT + payload);
  put32(b, OH.len, b.length);
  return [b];
}

/**
 * Every reply a session sends, and the only way to make one. The frequent replies (errors, ok,
 * entry, attr, open, write, data) are encoded into buffers the writer owns and reuses for every
 * request instead of allocating a header and a payload per reply: each method fills its buffer in
 * place and returns the iovec to write, valid only until the next call of the same kind, so the
 * iovec must be written before the next request is handled (the session writes each reply before
 * reading the next request; transports copy or write synchronously). Data payloads are never
 * copied: data() puts a reused header in front of the caller's buffers. The rare replies (INIT,
 * STATFS, CREATE, LK, LSEEK, STATX, GET_DAXDEV, xattr sizes) are encoded through their layouts
 * into fresh buffers.
 *
 * Kernel rules kept here: an error reply is the header alone with error in [-511, -1]; fixed-size
 * replies are exactly their struct; variable replies are cut to the size the kernel asked for.
 */
export class ReplyWriter {
  private readonly headerOnly = fixedReply(0);
  private readonly entryOut = fixedReply(EntryOut.size);
  private readonly attrOut = fixedReply(AttrOut.size);
  private readonly openOut = fixedReply(OpenOut.size);
  private readonly writeOut = fixedReply(WriteOut.size);
  private readonly dataHeader = Buffer.alloc(OUT);
  private readonly entryTimeout = new TimeoutSplit();
  private readonly attrTimeout = new TimeoutSplit();

  private static unique(b: Buffer, h: UniqueHalves): void {
    put32(b, OH.unique, h.uniqueLo);
    put32(b, OH.unique + 4, h.uniqueHi);
  }

  /** Header-only error reply; errno is positive (ENOENT = 2) and becomes -errno on the wire. */
  error(h: UniqueHalves, errno: number): Iovec {
    if (!Number.isInteger(errno) || errno < 1 || errno > FUSE_MAX_ERRNO)
      throw new RangeError(`errno ${errno} out of [1, ${FUSE_MAX_ERRNO}]`);
    const b = this.headerOnly[0];
    put32(b, OH.error, -errno);
    ReplyWriter.unique(b, h);
    return this.headerOnly;
  }

  /** Success with no payload. */
  ok(h: UniqueHalves): Iovec {
    const b = this.headerOnly[0];
    put32(b, OH.error, 0);
    ReplyWriter.unique(b, h);
    return this.headerOnly;
  }

  /** fuse_entry_out (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK). */
  entry(h: UniqueHalves, e: EntryParam): Iovec {
    const b = this.entryOut[0];
    this.putEntry(b, OUT, e);
    ReplyWriter.unique(b, h);
    return this.entryOut;
  }

  private putEntry(b: Buffer, at: number, e: EntryParam): void {
    putU64(b, at + EO.nodeid, e.nodeid, 'nodeid');
    putU64(b, at + EO.generation, e.generation ?? 0, 'generation');
    this.entryTimeout.put(b, at + EO.entryValid, at + EO.entryValidNsec, e.entryTimeout ?? 1);
    this.attrTimeout.put(b, at + EO.attrValid, at + EO.attrValidNsec, e.attrTimeout ?? 1);
    Attr.encodeInto(e.attr, b, at + EO.attr);
  }

  /** fuse_attr_out (GETATTR, SETATTR). */
  attr(h: UniqueHalves, a: AttrParam): Iovec {
    const b = this.attrOut[0];
    this.attrTimeout.put(b, OUT + AO.attrValid, OUT + AO.attrValidNsec, a.attrTimeout ?? 1);
    put32(b, OUT + AO.dummy, 0);
    Attr.encodeInto(a.attr, b, OUT + AO.attr);
    ReplyWriter.unique(b, h);
    return this.attrOut;
  }

  /** fuse_open_out (OPEN, OPENDIR). */
  open(h: UniqueHalves, o: OpenParam): Iovec {
    const b = this.openOut[0];
    putU64(b, OUT + OO.fh, o.fh ?? 0, 'fh');
    putU32(b, OUT + OO.openFlags, o.openFlags ?? 0, 'openFlags');
    const backingId = +(o.backingId ?? 0);
    if (backingId > 0x7fff_ffff || backingId < -0x8000_0000)
      throw new RangeError(`backingId ${backingId} is not an int32`);
    put32(b, OUT + OO.backingId, backingId);
    ReplyWriter.unique(b, h);
    return this.openOut;
  }

  /** fuse_write_out. */
  write(h: UniqueHalves, size: number): Iovec {
    const b = this.writeOut[0];
    putU32(b, OUT + WO.size, size, 'size');
    put32(b, OUT + WO.padding, 0);
    ReplyWriter.unique(b, h);
    return this.writeOut;
  }

  /**
   * A data reply (READ, READDIR, READLINK, GETXATTR, LISTXATTR, GET_FMAP): the header, then the
   * buffers themselves (not copied), cut to at most `max` bytes in all.
   */
  data(h: UniqueHalves, data: Buffer | readonly Buffer[], max = Infinity): Iovec {
    const hdr = this.dataHeader;
    let iov: Buffer[];
    let n = 0;
    if (Buffer.isBuffer(data)) {
      if (max <= 0) iov = [hdr];
      else {
        const part = data.length <= max ? data : data.subarray(0, max);
        iov = [hdr, part];
        n = part.length;
      }
    } else {
      iov = [hdr];
      let left = max;
      for (const b of data) {
        if (left <= 0) break;
        const part = b.length <= left ? b : b.subarray(0, left);
        iov.push(part);
        left -= part.length;
        n += part.length;
      }
    }
    putU32(hdr, OH.len, OUT + n, 'len');
    put32(hdr, OH.error, 0);
    ReplyWriter.unique(hdr, h);
    return iov;
  }

  /** A reply of fixed payload buffers built for this reply alone (the rare kinds below). */
  private static fresh(h: UniqueHalves, payload: Buffer[]): Iovec {
    let n = 0;
    for (const b of payload) n += b.length;
    const hdr = Buffer.alloc(OUT);
    putU32(hdr, OH.len, OUT + n, 'len');
    ReplyWriter.unique(hdr, h);
    return [hdr, ...payload];
  }

  /** fuse_init_out, cut to `size` bytes for kernels that expect an older, shorter struct. */
  init(h: UniqueHalves, value: LayoutValue<typeof InitOut>, size = InitOut.size): Iovec {
    return ReplyWriter.fresh(h, [InitOut.encode(value).subarray(0, size)]);
  }

  statfs(h: UniqueHalves, st: KstatfsValue): Iovec {
    return ReplyWriter.fresh(h, [StatfsOut.encode({ st })]);
  }

  /** CREATE: fuse_entry_out then fuse_open_out. */
  create(h: UniqueHalves, e: EntryParam, o: OpenParam): Iovec {
    const open = OpenOut.encode({ fh: o.fh ?? 0, openFlags: o.openFlags ?? 0, backingId: o.backingId ?? 0 });
    return ReplyWriter.fresh(h, [EntryOut.encode(entryOutValue(e)), open]);
  }

  /** GETXATTR/LISTXATTR with size 0: the length the value would need. */
  xattrSize(h: UniqueHalves, size: number): Iovec {
    return ReplyWriter.fresh(h, [GetxattrOut.encode({ size, padding: 0 })]);
  }

  lk(h: UniqueHalves, lk: FileLockValue): Iovec {
    return ReplyWriter.fresh(h, [LkOut.encode({ lk })]);
  }

  lseek(h: UniqueHalves, offset: number): Iovec {
    return ReplyWriter.fresh(h, [LseekOut.encode({ offset })]);
  }

  statx(h: UniqueHalves, s: StatxParam): Iovec {
    const t = splitTimeout(s.attrTimeout ?? 1);
    const out = StatxOut.encode({
      attrValid: t.sec,
      attrValidNsec: t.nsec,
      flags: s.flags ?? 0,
      spare: Buffer.alloc(0),
      stat: s.stat,
    });
    return ReplyWriter.fresh(h, [out]);
  }

  /**
   * IOCTL: fuse_ioctl_out carrying `result` (what ioctl(2) returns; an int32) with no RETRY and no
   * iovecs, then the output bytes (not copied). The caller keeps `data` within the request's
   * out_size: the kernel fails a longer reply with EIO.
   */
  ioctl(h: UniqueHalves, result: number, data?: Buffer): Iovec {
    if (!Number.isInteger(result) || result < -0x8000_0000 || result > 0x7fff_ffff) {
      throw new RangeError(`ioctl result ${result} is not an int32`);
    }
    const out = IoctlOut.encode({ result, flags: 0, inIovs: 0, outIovs: 0 });
    return ReplyWriter.fresh(h, data && data.length > 0 ? [out, data] : [out]);
  }

  /**
   * GET_FMAP: the fmap, or only its header (`headerOnly`), with the u32 at `sizeAt` (fmap_size in
   * profiles that size replies; null leaves the blob as it is) set to the whole fmap's length.
   * The header is copied, so the file system's buffer is never written to.
   */
  fmap(h: UniqueHalves, fmap: Buffer, headerOnly: boolean, sizeAt: number | null): Iovec {
    const n = FamfsFmapHeader.size;
    if (sizeAt === null || fmap.length < n) {
      if (headerOnly) throw new RangeError('a header-only GET_FMAP reply needs a profile with fmap_size');
      return this.data(h, fmap);
    }
    const head = Buffer.from(fmap.subarray(0, n));
    putU32(head, sizeAt, fmap.length, 'fmap_size');
    return ReplyWriter.fresh(h, headerOnly ? [head] : [head, fmap.subarray(n)]);
  }

  /** GET_DAXDEV: the 280-byte fuse_daxdev_out naming the device (NUL-terminated within 256 bytes). */
  daxdev(h: UniqueHalves, index: number, name: string): Iovec {
    checkDaxdevName(name);
    return ReplyWriter.fresh(h, [
      DaxdevOut.encode({ index, reserved: 0, reserved2: 0, reserved3: 0, reserved4: 0, name }),
    ]);
  }
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
  if (b.includes(0x2f) || b.includes(0))
    throw new RangeError(`directory entry name "${b.toString()}" contains '/' or NUL`);
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
