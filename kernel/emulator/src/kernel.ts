/**
 * FamfsKernelEmulator: plays the part of a Linux kernel carrying the famfs FUSE series, for a
 * daemon session driven message by message (this machine's kernel lacks the series).
 *
 * What it does, in kernel order (ABI note §1.7):
 *  - INIT offering FUSE_INIT_EXT, the usual flags and the profile's FUSE_DAX_FMAP bit in flags2;
 *    famfs mode only if the daemon echoes the bit (and INIT_EXT).
 *  - Path walks by LOOKUP, one component at a time, keeping per-nodeid lookup counts for FORGET.
 *  - open(): OPEN, then on the first open of a regular file GET_FMAP, validation by the rules of
 *    famfs_fuse_meta_alloc() (§1.10), then GET_DAXDEV for each device index not yet in the
 *    connection's table. A failed GET_FMAP or a refused fmap releases the file and fails the open
 *    with the kernel's errno; a failed GET_DAXDEV is only logged (I/O on that device gets EIO).
 *  - read()/write() on famfs files go straight to the device file with the offset arithmetic of
 *    §2.2/§2.3, clipped to i_size, never growing it; no READ/WRITE request is sent. Without famfs
 *    mode they are sent as READ/WRITE (the stock path).
 *
 * Errors a process would see are thrown as KernelErrno; replies the kernel itself would refuse
 * (bad length, unknown unique, error out of range, wrong payload size) are EmulatorProtocolError.
 */
import * as nodefs from 'fs';
import {
  AbiProfile,
  AttrOut,
  AttrValue,
  DaxdevOut,
  DAXDEV_NAME_MAX,
  DEFAULT_PROFILE,
  Dirent,
  direntSize,
  EntryOut,
  Errno,
  errnoName,
  ForgetIn,
  FUSE_INIT_EXT,
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_NAME_MAX,
  FUSE_ROOT_ID,
  GetattrIn,
  InitBit,
  initFlag,
  InitIn,
  InitOut,
  Opcode,
  OpenIn,
  OpenOut,
  profileByName,
  ReadIn,
  ReleaseIn,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  WriteIn,
  WriteOut,
} from '@famfs/fuse';
import { Session } from '@famfs/fuse';
import { QueueTransport } from '@famfs/fuse/testing';
import type { FileSystem, SessionOptions } from '@famfs/fuse';
import { FmapRejected, fileOffsetToDax, fmapLint, KernelFmap, MAX_DAXDEVS, parseFmap } from './fmap';
import { buildRequest, cstr, DaemonLink, Exchange, linkTo, opName, parseReply, payloadProblem, payloadRule, SessionLike } from './wire';

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_NOCTTY = 0o400;
/** Kernel page size: the unit of READ sizes and of max_pages. */
const PAGE_SIZE = 4096;
/** FUSE_DEFAULT_MAX_PAGES_PER_REQ: max_pages when the daemon does not negotiate MAX_PAGES. */
const DEFAULT_MAX_PAGES = 32;
/** fuse_max_pages_limit default. */
const MAX_PAGES_LIMIT = 256;
const LLONG_MAX = (1n << 63n) - 1n;
const VALID_TYPES = new Set([0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000]);

/** What fuse_new_init() offers on a current kernel (§4.4), without PASSTHROUGH and OVER_IO_URING. */
export const KERNEL_OFFER: bigint = (
  [
    'ASYNC_READ', 'POSIX_LOCKS', 'ATOMIC_O_TRUNC', 'EXPORT_SUPPORT', 'BIG_WRITES', 'DONT_MASK', 'SPLICE_WRITE',
    'SPLICE_MOVE', 'SPLICE_READ', 'FLOCK_LOCKS', 'HAS_IOCTL_DIR', 'AUTO_INVAL_DATA', 'DO_READDIRPLUS',
    'READDIRPLUS_AUTO', 'ASYNC_DIO', 'WRITEBACK_CACHE', 'NO_OPEN_SUPPORT', 'PARALLEL_DIROPS', 'HANDLE_KILLPRIV',
    'POSIX_ACL', 'ABORT_ERROR', 'MAX_PAGES', 'CACHE_SYMLINKS', 'NO_OPENDIR_SUPPORT', 'EXPLICIT_INVAL_DATA',
    'HANDLE_KILLPRIV_V2', 'SETXATTR_EXT', 'INIT_EXT', 'SECURITY_CTX', 'CREATE_SUPP_GROUP', 'HAS_EXPIRE_ONLY',
    'DIRECT_IO_ALLOW_MMAP', 'NO_EXPORT_SUPPORT', 'HAS_RESEND', 'ALLOW_IDMAP', 'REQUEST_TIMEOUT',
  ] as const
).reduce((acc, n) => acc | initFlag(InitBit[n]), 0n);

/** An errno a process would get from the syscall. */
export class KernelErrno extends Error {
  constructor(
    readonly errno: number,
    message?: string,
  ) {
    super(`${errnoName(errno)}${message ? `: ${message}` : ''}`);
    this.name = 'KernelErrno';
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

/** The daemon broke the protocol in a way the kernel would refuse (or could not survive). */
export class EmulatorProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorProtocolError';
  }
}

/** The errno `fn` failed with, or 0 when it succeeded. Other exceptions propagate. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof KernelErrno) return e.errno;
    throw e;
  }
}

export interface EmulatorOptions {
  /** famfs ABI profile or its name (default v10). */
  profile?: AbiProfile | string;
  /** Offer the profile's FUSE_DAX_FMAP bit at INIT (default true: the kernel has the series and CAP_SYS_RAWIO). */
  offerFamfs?: boolean;
  /** Throw from init() unless the daemon accepted famfs (default: offerFamfs). */
  requireFamfs?: boolean;
  /** Base flag set offered at INIT (default KERNEL_OFFER); the famfs bit is added or removed per offerFamfs. */
  offer?: bigint;
  /** Kernel protocol minor (default 45). */
  minor?: number;
  maxReadahead?: number;
  /** Accept fmaps on device indices other than 0 (< 24). The V10 kernel refuses them (default false). */
  multiDevice?: boolean;
  /** Accept a regular file as the daxdev named by GET_DAXDEV (default true: the embedded device here). */
  allowFileDaxdev?: boolean;
  /** What a malformed reply does: throw EmulatorProtocolError (default) or fail the request with EIO as the kernel does. */
  onMalformedReply?: 'throw' | 'eio';
  /** Credentials put in request headers (default 0, 0, process.pid). */
  uid?: number;
  gid?: number;
  pid?: number;
  /** Receives each warning as it is recorded. */
  log?: (message: string) => void;
}

export interface NegotiatedConnection {
  major: number;
  minor: number;
  /** The daemon's 64-bit flag reply (flags2 only counted when it set INIT_EXT). */
  flags: bigint;
  offered: bigint;
  famfs: boolean;
  maxWrite: number;
  maxPages: number;
  maxReadahead: number;
}

/** What the emulator keeps per inode (struct fuse_inode, with its famfs_meta). */
export interface EmulatedInode {
  nodeid: number;
  generation: number;
  mode: number;
  /** i_size as attribute replies and the fmap set it. */
  size: bigint;
  /** Lookup references the kernel holds (sent back in FORGET). */
  nlookup: number;
  fmap?: KernelFmap;
  /** famfs_meta->error: set once i_size was found overwritten; every later access is EIO. */
  metaError: boolean;
  /** Open handles on this inode. */
  opens: number;
}

export interface DaxdevSlot {
  index: number;
  name: string;
  /** The device could not be claimed (opened): every access is EIO. */
  daxErr: boolean;
  fd: number | null;
  size: bigint;
  writable: boolean;
}

export interface FileHandle {
  readonly id: number;
  readonly nodeid: number;
  readonly fh: number;
  readonly flags: number;
  readonly path: string;
  readonly dir: boolean;
  readonly famfs: boolean;
  released: boolean;
}

export interface EntryInfo {
  nodeid: number;
  generation: number;
  attr: AttrValue;
}

interface Expect {
  /** The reply payload rule (by opcode) extra info. */
  size?: number;
  /** No reply is expected (FORGET). */
  noReply?: boolean;
}

export class FamfsKernelEmulator {
  readonly profile: AbiProfile;
  readonly link: DaemonLink;
  /** Requests sent, per opcode. */
  readonly sent = new Map<number, number>();
  /** GET_FMAP requests sent, per nodeid. */
  readonly fmapRequests = new Map<number, number>();
  /** GET_DAXDEV requests sent, per device index. */
  readonly daxdevRequests = new Map<number, number>();
  /** Things a correct daemon should not do but the kernel tolerates (also passed to options.log). */
  readonly warnings: string[] = [];
  /** Malformed replies seen (in 'eio' mode they do not throw). */
  readonly protocolErrors: string[] = [];
  negotiated: NegotiatedConnection | null = null;
  private readonly inodes = new Map<number, EmulatedInode>();
  private readonly daxdevs = new Map<number, DaxdevSlot>();
  private readonly handles = new Map<number, FileHandle>();
  private nextUnique = 2n;
  private nextHandle = 1;
  private readonly opts: EmulatorOptions;

  constructor(target: SessionLike | DaemonLink, options: EmulatorOptions = {}) {
    this.opts = options;
    this.profile = typeof options.profile === 'string' ? profileByName(options.profile) : (options.profile ?? DEFAULT_PROFILE);
    this.link = linkTo(target);
    this.inodes.set(FUSE_ROOT_ID, { nodeid: FUSE_ROOT_ID, generation: 0, mode: S_IFDIR | 0o755, size: 0n, nlookup: 1, metaError: false, opens: 0 });
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private get famfsBit(): bigint {
    return initFlag(this.profile.initFlagBit);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.opts.log?.(message);
  }

  private malformed(op: number, message: string): never {
    const text = `${opName(op, this.profile)}: ${message}`;
    this.protocolErrors.push(text);
    if (this.opts.onMalformedReply === 'eio') throw new KernelErrno(Errno.EIO, `malformed reply: ${text}`);
    throw new EmulatorProtocolError(`daemon sent a malformed reply to ${text}`);
  }

  /**
   * Sends one request and returns its reply payload; a daemon error reply is thrown as
   * KernelErrno. `nodeid` may be a daxdev index (GET_DAXDEV).
   */
  private request(opcode: number, nodeid: number, body: Buffer = Buffer.alloc(0), ex: Expect = {}): Buffer {
    const unique = this.nextUnique;
    this.nextUnique += 2n;
    const msg = buildRequest({ opcode, unique, nodeid, uid: this.opts.uid ?? 0, gid: this.opts.gid ?? 0, pid: this.opts.pid ?? process.pid }, body);
    this.sent.set(opcode, (this.sent.get(opcode) ?? 0) + 1);
    let x: Exchange;
    try {
      x = this.link.exchange(msg);
    } catch (e) {
      throw new EmulatorProtocolError(`daemon threw while handling ${opName(opcode, this.profile)} (unique ${unique}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    if (!x.delivered) throw new KernelErrno(Errno.EIO, `${opName(opcode, this.profile)} of ${msg.length} bytes exceeds the daemon's read buffer`);
    if (ex.noReply) {
      if (x.replies.length > 0 || x.refused.length > 0) this.malformed(opcode, `${x.replies.length + x.refused.length} reply(ies) to a request that gets none`);
      return Buffer.alloc(0);
    }
    if (x.refused.length > 0) this.malformed(opcode, `the transport refused the reply: ${x.refused.map((r) => `${r.code} ${r.message}`).join('; ')}`);
    if (x.replies.length === 0) this.malformed(opcode, `no reply to unique ${unique}`);
    if (x.replies.length > 1) this.malformed(opcode, `${x.replies.length} replies to unique ${unique}`);
    const r = parseReply(x.replies[0]);
    if (typeof r === 'string') this.malformed(opcode, r);
    if (r.unique !== unique) this.malformed(opcode, `reply carries unique ${r.unique}, no request with it is pending (sent ${unique})`);
    if (r.error !== 0) throw new KernelErrno(-r.error, `${opName(opcode, this.profile)} answered ${errnoName(-r.error)}`);
    const problem = payloadProblem(payloadRule(opcode, this.profile, { size: ex.size }), r.payload.length);
    if (problem) this.malformed(opcode, problem);
    return r.payload;
  }

  /** Requests sent per opcode name (GET_FMAP/GET_DAXDEV named by the profile). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, n] of [...this.sent].sort((a, b) => a[0] - b[0])) out[opName(op, this.profile)] = n;
    return out;
  }

  /** Requests sent with one opcode, by name (any standard opcode, or GET_FMAP / GET_DAXDEV of the profile). */
  count(name: keyof typeof Opcode | 'GET_FMAP' | 'GET_DAXDEV'): number {
    const op = name === 'GET_FMAP' ? this.profile.getFmapOpcode : name === 'GET_DAXDEV' ? this.profile.getDaxdevOpcode : Opcode[name];
    return this.sent.get(op) ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // INIT

  init(): NegotiatedConnection {
    if (this.negotiated) throw new EmulatorProtocolError('INIT was already sent on this connection');
    const offerFamfs = this.opts.offerFamfs ?? true;
    let offered = (this.opts.offer ?? KERNEL_OFFER) & ~this.famfsBit;
    if (offerFamfs) offered |= this.famfsBit;
    offered |= FUSE_INIT_EXT;
    const body = InitIn.encode({
      major: 7,
      minor: this.opts.minor ?? FUSE_KERNEL_MINOR_VERSION,
      maxReadahead: this.opts.maxReadahead ?? 128 * 1024,
      flags: Number(offered & 0xffffffffn),
      flags2: Number(offered >> 32n),
      unused: Buffer.alloc(0),
    });
    let p: Buffer;
    try {
      p = this.request(Opcode.INIT, 0, body);
    } catch (e) {
      if (e instanceof KernelErrno) throw new EmulatorProtocolError(`daemon refused INIT with ${e.code}: the connection is dead (conn_error)`);
      throw e;
    }
    if (p.length < 24) this.malformed(Opcode.INIT, `init_out of ${p.length} bytes (at least 24)`);
    const out = InitOut.decode(Buffer.concat([p, Buffer.alloc(InitOut.size - p.length)]));
    if (out.major !== 7) throw new EmulatorProtocolError(`daemon answered INIT with major ${out.major}: the kernel sets conn_error (ECONNREFUSED on every operation)`);
    let flags = BigInt(out.flags >>> 0);
    if (flags & FUSE_INIT_EXT) flags |= BigInt(out.flags2 >>> 0) << 32n;
    else if (out.flags2 !== 0) this.warn(`INIT reply sets flags2 0x${out.flags2.toString(16)} without FUSE_INIT_EXT: the kernel ignores flags2`);
    const extra = flags & ~offered;
    if (extra) this.warn(`INIT reply sets flags the kernel did not offer: 0x${extra.toString(16)}`);
    const famfs = (flags & this.famfsBit) !== 0n && offerFamfs;
    if (famfs) {
      if (flags & initFlag(InitBit.WRITEBACK_CACHE)) this.warn('famfs connection negotiated WRITEBACK_CACHE: the kernel would trust its own i_size (§1.9)');
      if (flags & initFlag(InitBit.ATOMIC_O_TRUNC)) this.warn('famfs connection negotiated ATOMIC_O_TRUNC: O_TRUNC opens would reach famfs files (§1.9)');
    }
    const maxPages = flags & initFlag(InitBit.MAX_PAGES) ? Math.min(MAX_PAGES_LIMIT, Math.max(1, out.maxPages)) : DEFAULT_MAX_PAGES;
    this.negotiated = {
      major: out.major,
      minor: out.minor,
      flags,
      offered,
      famfs,
      maxWrite: Math.max(4096, out.maxWrite),
      maxPages,
      maxReadahead: out.maxReadahead,
    };
    if ((this.opts.requireFamfs ?? offerFamfs) && !famfs) {
      throw new EmulatorProtocolError(
        `daemon did not accept FUSE_DAX_FMAP (bit ${this.profile.initFlagBit} of profile ${this.profile.name}${flags & FUSE_INIT_EXT ? '' : '; its reply lacks FUSE_INIT_EXT'})`,
      );
    }
    return this.negotiated;
  }

  private ready(): NegotiatedConnection {
    if (!this.negotiated) throw new EmulatorProtocolError('call init() first');
    return this.negotiated;
  }

  // -------------------------------------------------------------------------------------------
  // Inodes and names

  /** The emulator's record of an inode (undefined once forgotten). */
  inode(nodeid: number): EmulatedInode | undefined {
    return this.inodes.get(nodeid);
  }

  /** The connection's daxdev table slot for an index. */
  daxdev(index: number): DaxdevSlot | undefined {
    return this.daxdevs.get(index);
  }

  /** fuse_invalid_attr(): a mode type the kernel does not know, or a size above LLONG_MAX, is EIO. */
  private checkAttr(op: number, a: AttrValue, sizeRaw: bigint): void {
    if (!VALID_TYPES.has(a.mode & S_IFMT)) throw new KernelErrno(Errno.EIO, `${opName(op, this.profile)}: attr mode 0${a.mode.toString(8)} has no valid file type`);
    if (sizeRaw > LLONG_MAX) throw new KernelErrno(Errno.EIO, `${opName(op, this.profile)}: attr size ${sizeRaw} > LLONG_MAX`);
  }

  /** Applies attributes from a reply to an inode (fuse_change_attributes): i_size follows attr.size. */
  private applyAttr(ino: EmulatedInode, a: AttrValue, sizeRaw: bigint, what: string): void {
    if (ino.fmap && sizeRaw !== ino.fmap.fileSize) {
      this.warn(`${what}: attr.size ${sizeRaw} differs from the fmap's file_size ${ino.fmap.fileSize} of nodeid ${ino.nodeid}; i_size is overwritten (§1.9)`);
    }
    ino.size = sizeRaw;
    ino.mode = a.mode;
  }

  private lookupOne(parent: number, name: string): EntryInfo {
    if (name.length === 0 || Buffer.byteLength(name) > FUSE_NAME_MAX) throw new KernelErrno(Errno.ENAMETOOLONG);
    const p = this.request(Opcode.LOOKUP, parent, cstr(name));
    const e = EntryOut.decode(p);
    const sizeRaw = p.readBigUInt64LE(EntryOut.offsetOf('attr') + 8);
    if (e.nodeid === 0) throw new KernelErrno(Errno.ENOENT, `negative entry for "${name}"`);
    this.checkAttr(Opcode.LOOKUP, e.attr, sizeRaw);
    if (e.nodeid === FUSE_ROOT_ID && e.generation !== 0) this.warn(`LOOKUP "${name}" returned the root with generation ${e.generation} (must be 0)`);
    let ino = this.inodes.get(e.nodeid);
    if (ino && (ino.generation !== e.generation || (ino.mode & S_IFMT) !== (e.attr.mode & S_IFMT))) {
      // fuse_iget(): a different generation or type makes the old inode bad; a new one replaces it.
      this.warn(`nodeid ${e.nodeid} came back with generation ${e.generation} / mode 0${e.attr.mode.toString(8)} (was ${ino.generation} / 0${ino.mode.toString(8)}): stale inode replaced`);
      if (ino.opens === 0) ino = undefined;
      else throw new KernelErrno(Errno.EIO, `nodeid ${e.nodeid} changed identity while open`);
    }
    if (!ino) {
      ino = { nodeid: e.nodeid, generation: e.generation, mode: e.attr.mode, size: sizeRaw, nlookup: 0, metaError: false, opens: 0 };
      this.inodes.set(e.nodeid, ino);
    }
    ino.nlookup++;
    this.applyAttr(ino, e.attr, sizeRaw, `LOOKUP "${name}"`);
    return { nodeid: e.nodeid, generation: e.generation, attr: e.attr };
  }

  /** Walks an absolute path with one LOOKUP per component (no dentry cache). */
  lookupPath(path: string): EntryInfo {
    this.ready();
    const parts = path.split('/').filter((c) => c.length > 0 && c !== '.');
    let cur: EntryInfo = { nodeid: FUSE_ROOT_ID, generation: 0, attr: { ...this.rootAttr() } };
    for (const part of parts) {
      if ((cur.attr.mode & S_IFMT) !== S_IFDIR) throw new KernelErrno(Errno.ENOTDIR, `${path}: a component is not a directory`);
      cur = this.lookupOne(cur.nodeid, part);
    }
    if (parts.length === 0) cur = { nodeid: FUSE_ROOT_ID, generation: 0, attr: this.getattr(FUSE_ROOT_ID) };
    return cur;
  }

  private rootAttr(): AttrValue {
    return { ino: 1, size: 0, blocks: 0, atime: 0, mtime: 0, ctime: 0, atimensec: 0, mtimensec: 0, ctimensec: 0, mode: S_IFDIR | 0o755, nlink: 2, uid: 0, gid: 0, rdev: 0, blksize: 4096, flags: 0 };
  }

  /** GETATTR of a nodeid (or a path, walked first). */
  getattr(target: number | string): AttrValue {
    this.ready();
    const nodeid = typeof target === 'string' ? this.lookupPath(target).nodeid : target;
    const p = this.request(Opcode.GETATTR, nodeid, GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }));
    const a = AttrOut.decode(p).attr;
    const sizeRaw = p.readBigUInt64LE(AttrOut.offsetOf('attr') + 8);
    this.checkAttr(Opcode.GETATTR, a, sizeRaw);
    const ino = this.inodes.get(nodeid);
    if (ino) this.applyAttr(ino, a, sizeRaw, `GETATTR ${nodeid}`);
    return a;
  }

  /** The names in a directory (OPENDIR, READDIR until empty, RELEASEDIR), "." and ".." left out. */
  readdir(path: string): { name: string; ino: number; type: number }[] {
    const dir = this.lookupPath(path);
    if ((dir.attr.mode & S_IFMT) !== S_IFDIR) throw new KernelErrno(Errno.ENOTDIR, path);
    const fh = OpenOut.decode(this.request(Opcode.OPENDIR, dir.nodeid, OpenIn.encode({ flags: O_RDONLY, openFlags: 0 }))).fh;
    const out: { name: string; ino: number; type: number }[] = [];
    try {
      let offset = 0;
      for (let rounds = 0; rounds < 100000; rounds++) {
        const size = PAGE_SIZE;
        const p = this.request(Opcode.READDIR, dir.nodeid, ReadIn.encode({ fh, offset, size, readFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }), { size });
        if (p.length === 0) break;
        let at = 0;
        let progressed = false;
        while (at + Dirent.size <= p.length) {
          const d = Dirent.decode(p, at);
          if (d.namelen < 1 || d.namelen > FUSE_NAME_MAX) throw new KernelErrno(Errno.EIO, `READDIR record with namelen ${d.namelen}`);
          const rec = direntSize(d.namelen);
          if (at + rec > p.length) break; // a trailing partial record is ignored
          const nameBuf = p.subarray(at + Dirent.size, at + Dirent.size + d.namelen);
          if (nameBuf.includes(0x2f)) throw new KernelErrno(Errno.EIO, `READDIR name contains '/'`);
          const name = nameBuf.toString('utf8');
          if (name !== '.' && name !== '..') out.push({ name, ino: d.ino, type: d.type });
          if (d.off === offset) throw new KernelErrno(Errno.EIO, `READDIR cookie does not advance (${d.off})`);
          offset = d.off;
          progressed = true;
          at += rec;
        }
        if (!progressed) break;
      }
    } finally {
      this.request(Opcode.RELEASEDIR, dir.nodeid, ReleaseIn.encode({ fh, flags: O_RDONLY, releaseFlags: 0, lockOwner: 0n }));
    }
    return out;
  }

  /** Every regular file under `path` (recursively), as absolute paths. */
  walkFiles(path = '/'): string[] {
    const out: string[] = [];
    const visit = (dir: string): void => {
      for (const e of this.readdir(dir)) {
        const p = dir === '/' ? `/${e.name}` : `${dir}/${e.name}`;
        if (e.type === 4) visit(p);
        else if (e.type === 8) out.push(p);
      }
    };
    visit(path);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // open / release

  /** open(2) of an existing file or directory. Throws KernelErrno as open(2) would fail. */
  open(path: string, flags: number = O_RDONLY): FileHandle {
    const conn = this.ready();
    const e = this.lookupPath(path);
    const ino = this.inodes.get(e.nodeid)!;
    const type = e.attr.mode & S_IFMT;
    const isDir = type === S_IFDIR;
    if (isDir && (flags & O_ACCMODE) !== O_RDONLY) throw new KernelErrno(Errno.EISDIR, path);
    const openFlags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
    const p = this.request(isDir ? Opcode.OPENDIR : Opcode.OPEN, e.nodeid, OpenIn.encode({ flags: openFlags, openFlags: 0 }));
    const fh = OpenOut.decode(p).fh;
    const famfs = conn.famfs && type === S_IFREG;
    if (famfs && !ino.fmap) {
      try {
        this.installFmap(ino);
      } catch (err) {
        // fuse_open(): "failure is fatal": fuse_sync_release() then the error.
        this.sendRelease(e.nodeid, fh, openFlags, false);
        throw err;
      }
    }
    const h: FileHandle = { id: this.nextHandle++, nodeid: e.nodeid, fh, flags, path, dir: isDir, famfs, released: false };
    this.handles.set(h.id, h);
    ino.opens++;
    return h;
  }

  /** GET_FMAP, validation, daxdev table update, publication on the inode (§1.7 b-e). */
  private installFmap(ino: EmulatedInode): void {
    this.fmapRequests.set(ino.nodeid, (this.fmapRequests.get(ino.nodeid) ?? 0) + 1);
    const blob = this.request(this.profile.getFmapOpcode, ino.nodeid);
    let fmap: KernelFmap;
    try {
      fmap = parseFmap(blob, { maxExtents: this.profile.maxExtents, maxStrips: this.profile.maxStrips, multiDevice: this.opts.multiDevice });
    } catch (err) {
      if (err instanceof FmapRejected) throw new KernelErrno(err.errno, `GET_FMAP of nodeid ${ino.nodeid} refused (${err.rule}): ${err.message}`);
      throw err;
    }
    for (const index of fmap.devices) this.updateDaxdev(index);
    const slot = this.daxdevs.get(0);
    for (const w of fmapLint(fmap, slot?.fd !== null && slot ? slot.size : undefined)) this.warn(`fmap of nodeid ${ino.nodeid}: ${w}`);
    if (ino.size !== fmap.fileSize) this.warn(`nodeid ${ino.nodeid}: attr.size ${ino.size} but fmap file_size ${fmap.fileSize} (attributes must report the fmap size, §1.9)`);
    ino.fmap = fmap;
    ino.size = fmap.fileSize;
    ino.metaError = false;
  }

  /** famfs_update_daxdev_table() for one index: GET_DAXDEV unless the slot is valid. Errors are logged only. */
  private updateDaxdev(index: number): void {
    if (this.daxdevs.has(index)) return;
    if (index >= MAX_DAXDEVS) {
      this.warn(`device index ${index} >= ${MAX_DAXDEVS}: no GET_DAXDEV sent`);
      return;
    }
    this.daxdevRequests.set(index, (this.daxdevRequests.get(index) ?? 0) + 1);
    let p: Buffer;
    try {
      p = this.request(this.profile.getDaxdevOpcode, index);
    } catch (err) {
      if (err instanceof KernelErrno) {
        this.warn(`GET_DAXDEV ${index} failed (${err.code}); the open goes on, I/O on device ${index} will fail with EIO`);
        return;
      }
      throw err;
    }
    const nameField = p.subarray(DaxdevOut.offsetOf('name'), DaxdevOut.offsetOf('name') + DAXDEV_NAME_MAX);
    const nul = nameField.indexOf(0);
    if (nul < 0) this.malformed(this.profile.getDaxdevOpcode, `daxdev name is not NUL-terminated within ${DAXDEV_NAME_MAX} bytes (the kernel kstrdup()s past it)`);
    const name = nameField.toString('utf8', 0, nul);
    const outIndex = DaxdevOut.get(p, 'index');
    if (outIndex !== index) this.warn(`GET_DAXDEV ${index} answered with index field ${outIndex}`);
    // famfs_verify_daxdev(): kern_path(LOOKUP_FOLLOW), then the type check.
    let st: nodefs.Stats;
    try {
      st = nodefs.statSync(name);
    } catch (err) {
      this.warn(`GET_DAXDEV ${index}: "${name}": ${(err as NodeJS.ErrnoException).code ?? err}; slot left invalid`);
      return;
    }
    const okType = st.isCharacterDevice() || ((this.opts.allowFileDaxdev ?? true) && st.isFile());
    if (!okType) {
      this.warn(`GET_DAXDEV ${index}: "${name}" is not a character device${(this.opts.allowFileDaxdev ?? true) ? ' or a regular file' : ''} (EINVAL); slot left invalid`);
      return;
    }
    // fs_dax_get(): claiming can fail; then the slot is valid but every access is EIO.
    let fd: number | null = null;
    let writable = true;
    try {
      fd = nodefs.openSync(name, 'r+');
    } catch {
      try {
        fd = nodefs.openSync(name, 'r');
        writable = false;
      } catch {
        fd = null;
      }
    }
    let size = BigInt(st.size);
    if (fd !== null && st.isCharacterDevice()) size = 1n << 62n; // a devdax size is not in stat; trust the device
    this.daxdevs.set(index, { index, name, daxErr: fd === null, fd, size, writable });
  }

  private sendRelease(nodeid: number, fh: number, flags: number, dir: boolean): void {
    try {
      this.request(dir ? Opcode.RELEASEDIR : Opcode.RELEASE, nodeid, ReleaseIn.encode({ fh, flags, releaseFlags: 0, lockOwner: 0n }));
    } catch (err) {
      if (err instanceof KernelErrno) this.warn(`${dir ? 'RELEASEDIR' : 'RELEASE'} of nodeid ${nodeid} answered ${err.code} (the kernel ignores it)`);
      else throw err;
    }
  }

  release(h: FileHandle): void {
    if (h.released) throw new KernelErrno(Errno.EBADF, 'handle already released');
    h.released = true;
    this.handles.delete(h.id);
    const ino = this.inodes.get(h.nodeid);
    if (ino) ino.opens--;
    this.sendRelease(h.nodeid, h.fh, h.flags & ~(O_CREAT | O_EXCL | O_NOCTTY), h.dir);
  }

  /**
   * FORGET: drops the kernel's lookup references on an inode (all of them by default) and, once
   * none are left, the inode itself with its cached fmap (as eviction does).
   */
  forget(nodeid: number, nlookup?: number): void {
    this.ready();
    const ino = this.inodes.get(nodeid);
    if (!ino || nodeid === FUSE_ROOT_ID) throw new EmulatorProtocolError(`forget: nodeid ${nodeid} is not a looked-up inode`);
    const n = nlookup ?? ino.nlookup;
    if (n < 1 || n > ino.nlookup) throw new EmulatorProtocolError(`forget: nlookup ${n} but the kernel holds ${ino.nlookup}`);
    if (ino.opens > 0 && n === ino.nlookup) throw new EmulatorProtocolError(`forget: nodeid ${nodeid} has ${ino.opens} open handle(s)`);
    this.request(Opcode.FORGET, nodeid, ForgetIn.encode({ nlookup: n }), { noReply: true });
    ino.nlookup -= n;
    if (ino.nlookup === 0) this.inodes.delete(nodeid);
  }

  /** FORGETs every inode with no open handle (what unmount's eviction does). */
  forgetAll(): void {
    for (const ino of [...this.inodes.values()]) if (ino.nodeid !== FUSE_ROOT_ID && ino.opens === 0 && ino.nlookup > 0) this.forget(ino.nodeid);
  }

  /** Closes the device files. Open handles are released first. */
  close(): void {
    for (const h of [...this.handles.values()]) this.release(h);
    for (const s of this.daxdevs.values()) if (s.fd !== null) nodefs.closeSync(s.fd);
    this.daxdevs.clear();
  }

  // -------------------------------------------------------------------------------------------
  // read / write

  private handle(h: FileHandle): { h: FileHandle; ino: EmulatedInode } {
    if (h.released || !this.handles.has(h.id)) throw new KernelErrno(Errno.EBADF, 'handle not open');
    if (h.dir) throw new KernelErrno(Errno.EISDIR, h.path);
    const ino = this.inodes.get(h.nodeid);
    if (!ino) throw new KernelErrno(Errno.EBADF, `nodeid ${h.nodeid} gone`);
    return { h, ino };
  }

  /** famfs_file_bad(): a missing fmap or a past error is EIO; an i_size that moved is ENXIO once, then EIO. */
  private fileBad(ino: EmulatedInode): void {
    if (!ino.fmap) throw new KernelErrno(Errno.EIO, 'un-initialized famfs file');
    if (ino.metaError) throw new KernelErrno(Errno.EIO, 'file has a previous metadata error');
    if (ino.size !== ino.fmap.fileSize) {
      ino.metaError = true;
      throw new KernelErrno(Errno.ENXIO, `i_size overwritten from ${ino.fmap.fileSize} to ${ino.size}`);
    }
  }

  /** dax_iomap_rw over the fmap: walks mappings until `len` bytes are done or one fails. */
  private daxRw(ino: EmulatedInode, offset: number, len: number, io: (slot: DaxdevSlot, devOffset: number, bufAt: number, n: number) => void): number {
    const fmap = ino.fmap!;
    const iSize = fmap.fileSize;
    const pos = BigInt(offset);
    if (pos >= iSize) return 0;
    let count = BigInt(len);
    if (count > iSize - pos) count = iSize - pos;
    let done = 0n;
    while (done < count) {
      const m = fileOffsetToDax(fmap, pos + done, count - done);
      const slot = m ? this.daxdevs.get(m.devIndex) : undefined;
      const bad = !m || m.length <= 0n || !slot || slot.daxErr || slot.fd === null || m.devOffset + m.length > slot.size;
      if (bad) {
        if (done > 0n) break;
        const why = !m ? 'offset past the extent list' : !slot ? `device ${m.devIndex} not in the daxdev table` : slot.daxErr ? `device ${m.devIndex} could not be claimed` : `mapping ${m.devOffset}+${m.length} past the device end ${slot.size}`;
        throw new KernelErrno(Errno.EIO, `nodeid ${ino.nodeid} at file offset ${pos + done}: ${why}`);
      }
      io(slot!, Number(m!.devOffset), Number(done), Number(m!.length));
      done += m!.length;
    }
    return Number(done);
  }

  /** read(2) at an offset: up to `length` bytes, fewer at EOF. */
  read(handle: FileHandle, offset: number, length: number): Buffer {
    const { h, ino } = this.handle(handle);
    if ((h.flags & O_ACCMODE) === O_WRONLY) throw new KernelErrno(Errno.EBADF, 'not open for reading');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new KernelErrno(Errno.EINVAL);
    if (!h.famfs) return this.stockRead(h, offset, length);
    this.fileBad(ino);
    const left = ino.fmap!.fileSize - BigInt(offset);
    const buf = Buffer.alloc(left <= 0n ? 0 : left < BigInt(length) ? Number(left) : length);
    const n = this.daxRw(ino, offset, buf.length, (slot, devOffset, at, cnt) => {
      const got = nodefs.readSync(slot.fd!, buf, at, cnt, devOffset);
      if (got < cnt) buf.fill(0, at + got, at + cnt); // a sparse device file past its end reads as zeros
    });
    return buf.subarray(0, n);
  }

  /** write(2) at an offset: never past i_size (a write at or beyond EOF writes 0 bytes). */
  write(handle: FileHandle, offset: number, data: Buffer): number {
    const { h, ino } = this.handle(handle);
    if ((h.flags & O_ACCMODE) === O_RDONLY) throw new KernelErrno(Errno.EBADF, 'not open for writing');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new KernelErrno(Errno.EINVAL);
    if (!h.famfs) return this.stockWrite(h, offset, data);
    this.fileBad(ino);
    return this.daxRw(ino, offset, data.length, (slot, devOffset, at, cnt) => {
      if (!slot.writable) throw new KernelErrno(Errno.EIO, `device ${slot.name} is read-only here`);
      nodefs.writeSync(slot.fd!, data, at, cnt, devOffset);
    });
  }

  /** The stock path: READ requests of at most max_pages pages until a short one. */
  private stockRead(h: FileHandle, offset: number, length: number): Buffer {
    const conn = this.ready();
    const chunks: Buffer[] = [];
    let done = 0;
    while (done < length) {
      const size = Math.min(length - done, conn.maxPages * PAGE_SIZE);
      const p = this.request(Opcode.READ, h.nodeid, ReadIn.encode({ fh: h.fh, offset: offset + done, size, readFlags: 0, lockOwner: 0n, flags: h.flags, padding: 0 }), { size });
      chunks.push(Buffer.from(p));
      done += p.length;
      if (p.length < size) break;
    }
    return Buffer.concat(chunks);
  }

  private stockWrite(h: FileHandle, offset: number, data: Buffer): number {
    const conn = this.ready();
    let done = 0;
    while (done < data.length) {
      const size = Math.min(data.length - done, conn.maxWrite);
      const body = Buffer.concat([WriteIn.encode({ fh: h.fh, offset: offset + done, size, writeFlags: 0, lockOwner: 0n, flags: h.flags, padding: 0 }), data.subarray(done, done + size)]);
      const n = WriteOut.decode(this.request(Opcode.WRITE, h.nodeid, body)).size;
      if (n > size) this.malformed(Opcode.WRITE, `wrote ${n} of ${size} bytes`);
      done += n;
      if (n < size) break;
    }
    return done;
  }
}

/** A daemon session over an in-process strict QueueTransport, with an emulated kernel in front of it. */
export interface EmulatedMount {
  session: Session;
  transport: QueueTransport;
  kernel: FamfsKernelEmulator;
}

/**
 * Wires a FileSystem into a Session (strict QueueTransport: replies checked as the kernel checks
 * them) and puts a FamfsKernelEmulator in front. INIT is not sent: call kernel.init().
 */
export function emulateMount(fs: FileSystem, options: { profile?: AbiProfile | string; session?: SessionOptions; kernel?: EmulatorOptions } = {}): EmulatedMount {
  const transport = new QueueTransport();
  const profile = options.profile ?? options.kernel?.profile;
  const session = new Session(fs, transport, { ...options.session, profile: profile ?? options.session?.profile });
  const kernel = new FamfsKernelEmulator(session, { ...options.kernel, profile: session.profile });
  return { session, transport, kernel };
}
