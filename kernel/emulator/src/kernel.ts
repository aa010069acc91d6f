/**
 * FamfsKernelEmulator: plays the part of a Linux kernel carrying the famfs FUSE series, for a
 * daemon session driven message by message (this machine's kernel lacks the series).
 *
 * What it does, in kernel order (ABI note §1.7):
 *  - INIT offering FUSE_INIT_EXT, the usual flags and the profile's FUSE_DAX_FMAP bit in flags2;
 *    famfs mode only if the daemon echoes the bit (and INIT_EXT). See init.ts.
 *  - Path walks by LOOKUP, one component at a time, keeping per-nodeid lookup counts for FORGET.
 *  - open(): OPEN, then on the first open of a regular file GET_FMAP, validation by the rules of
 *    famfs_fuse_meta_alloc() (§1.10), then GET_DAXDEV for each device index not yet in the
 *    connection's table. A failed GET_FMAP or a refused fmap releases the file and fails the open
 *    with the kernel's errno; a failed GET_DAXDEV is only logged (I/O on that device gets EIO).
 *  - read()/write() on famfs files go straight to the device file with the offset arithmetic of
 *    §2.2/§2.3, clipped to i_size, never growing it; no READ/WRITE request is sent (dax.ts).
 *    Without famfs mode they are sent as READ/WRITE (the stock path).
 *
 * The push generation (a profile with fmapSizing and daxdevPush; c-famfs-interop §4): GET_FMAP
 * carries the buffer size, PAGE_SIZE first; a header-only reply whose fmap_size is larger gets one
 * retry with exactly that size (more than 16 MiB: EFBIG; too big again: EINVAL; under 32 bytes:
 * EIO). Only simple extents are accepted, and a uniform extent size is detected (ext_shift). No
 * GET_DAXDEV is ever sent: the daemon pushes devices with the DAXDEV_OPEN ioctl on its channel
 * (ioctl(); any other ioctl is ENOTTY, as on a kernel without it), and an fmap naming an index
 * nobody pushed fails famfs_check_daxdev_table() with ENODEV: the open succeeds, the file's
 * metadata is marked bad and every access is EIO.
 *
 * Errors a process would see are thrown as KernelErrno. A reply the kernel refuses at the header
 * (out_header.len not the bytes written, an error out of range, a unique no request has) or no
 * reply at all leaves the request pending: the caller would block forever, thrown as KernelHang
 * and kept in `hangs`. A reply that matched its request but broke a payload rule (wrong size, an
 * error with a payload) ends the request with EIO in the kernel; here it is EmulatorProtocolError
 * by default, so a test sees the daemon bug (onMalformedReply 'eio' gives the kernel's EIO).
 * Where the kernel itself would crash (V10 dividing by a chunk size of 0), KernelOops.
 */
import * as nodefs from 'fs';
import {
  AbiProfile,
  AttrOut,
  AttrValue,
  DEFAULT_PROFILE,
  EntryOut,
  Errno,
  errnoName,
  ForgetIn,
  FUSE_INIT_EXT,
  FUSE_NAME_MAX,
  FUSE_ROOT_ID,
  GetattrIn,
  makeAttr,
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
import { cstr, getFmapMsg, msg, readMsg } from '@famfs/fuse/testing';
import { daxRw, famfsFileBad } from './dax';
import { DaxdevTable } from './daxdev-table';
import { fetchFmapBlob } from './fmap-fetch';
import { EmulatorProtocolError, KernelErrno, KernelHang, KernelOops } from './errors';
import { FmapRejected, fmapLimits, fmapLint, KernelFmap, parseFmap } from './fmap';
import { initOffer, initRequest, PAGE_SIZE, readInitReply } from './init';
import type { InitOffer, NegotiatedConnection, RequestCreds } from './init';
import type { EmulatorOptions } from './options';
import { pageDirectory } from './readdir';
import type { DaxdevSlot, EmulatedInode, EntryInfo, FileHandle } from './records';
import { DaemonLink, Exchange, headerFault, linkTo, opName, parseReply, payloadProblem, payloadRule } from './wire';
import type { SessionLike } from './wire';

import { LLONG_MAX, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_RDONLY, O_WRONLY, VALID_FILE_TYPES } from './constants';

export { O_RDONLY, O_RDWR, O_WRONLY, VALID_FILE_TYPES } from './constants';

export type { EmulatorOptions } from './options';

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
  /** The reply buffer of each GET_FMAP sent, per nodeid (two entries: the retry of a sizing profile). */
  readonly fmapBuffers = new Map<number, number[]>();
  /** Requests left pending for good (the caller blocks forever), with why. */
  readonly hangs: { opcode: number; unique: bigint; why: string }[] = [];
  /** Where the kernel itself would have crashed. */
  readonly oopses: string[] = [];
  /** Things a correct daemon should not do but the kernel tolerates (also passed to options.log). */
  readonly warnings: string[] = [];
  /** Malformed replies seen (in 'eio' mode they do not throw). */
  readonly protocolErrors: string[] = [];
  negotiated: NegotiatedConnection | null = null;
  private readonly inodes = new Map<number, EmulatedInode>();
  /** The connection's daxdev table (famfs_update_daxdev_table(), DAXDEV_OPEN). */
  private readonly table: DaxdevTable;
  private readonly handles = new Map<number, FileHandle>();
  private nextUnique = 2n;
  /** The INIT offer while its exchange is under way. */
  private initInFlight: InitOffer | null = null;
  private nextHandle = 1;
  private readonly opts: EmulatorOptions;

  constructor(target: SessionLike | DaemonLink, options: EmulatorOptions = {}) {
    this.opts = options;
    this.profile =
      typeof options.profile === 'string' ? profileByName(options.profile) : (options.profile ?? DEFAULT_PROFILE);
    this.link = linkTo(target);
    this.table = new DaxdevTable(this.profile, {
      allowFile: options.allowFileDaxdev ?? false,
      famfsNow: () => this.famfsNow(),
      getDaxdev: (index) => this.request(this.profile.getDaxdevOpcode, index),
      warn: (m) => this.warn(m),
      malformed: (m) => this.malformed(this.profile.getDaxdevOpcode, m),
    });
    this.link.setIoctl?.((request, arg) => this.ioctl(request, arg));
    this.inodes.set(FUSE_ROOT_ID, {
      nodeid: FUSE_ROOT_ID,
      generation: 0,
      mode: S_IFDIR | 0o755,
      size: 0n,
      nlookup: 1,
      metaError: false,
      opens: 0,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private get creds(): RequestCreds {
    return { uid: this.opts.uid ?? 0, gid: this.opts.gid ?? 0, pid: this.opts.pid ?? process.pid };
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.opts.log?.(message);
  }

  /** The request stays pending: the task that made the syscall blocks forever. */
  private hang(op: number, unique: bigint, why: string): never {
    const name = opName(op, this.profile);
    this.hangs.push({ opcode: op, unique, why });
    throw new KernelHang(unique, `${name} (unique ${unique}) is never completed: ${why}; the caller blocks forever`);
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
    return this.send(opcode, (unique) => msg(opcode, unique, nodeid, body, this.creds), ex);
  }

  /** As request(), for a message `build` writes with the unique it is given. */
  private send(opcode: number, build: (unique: bigint) => Buffer, ex: Expect = {}): Buffer {
    const unique = this.nextUnique;
    this.nextUnique += 2n;
    const m = build(unique);
    const name = opName(opcode, this.profile);
    this.sent.set(opcode, (this.sent.get(opcode) ?? 0) + 1);
    let x: Exchange;
    try {
      x = this.link.exchange(m);
    } catch (e) {
      const why = e instanceof Error ? (e.stack ?? e.message) : String(e);
      throw new EmulatorProtocolError(`daemon threw while handling ${name} (unique ${unique}): ${why}`);
    }
    if (!x.delivered) {
      throw new KernelErrno(Errno.EIO, `${name} of ${m.length} bytes exceeds the daemon's read buffer`);
    }
    const answers = x.replies.length + x.refused.length;
    if (ex.noReply) {
      if (answers > 0) this.malformed(opcode, `${answers} reply(ies) to a request that gets none`);
      return Buffer.alloc(0);
    }
    const refused = x.refused.map((r) => `${r.code} ${r.message}`).join('; ');
    const ended = x.refused.find((r) => r.ended);
    // The kernel found the request and ended it with EIO: a payload rule, not the header.
    if (ended && x.replies.length === 0) this.malformed(opcode, `the transport refused the reply: ${refused}`);
    if (x.replies.length === 0) {
      this.hang(opcode, unique, refused ? `every reply was refused at its header (${refused})` : 'no reply');
    }
    if (x.replies.length > 1) this.malformed(opcode, `${x.replies.length} replies to unique ${unique}`);
    // A transport that does not check (a DaemonLink of its own): the kernel's checks, in its order.
    const reply = x.replies[0];
    const fault = headerFault(reply);
    if (fault) this.hang(opcode, unique, `the kernel refuses the reply at its header: ${fault}`);
    const replyUnique = reply.readBigUInt64LE(8);
    if (replyUnique !== unique) {
      this.hang(opcode, unique, `the reply carries unique ${replyUnique}, which nothing waits for`);
    }
    const r = parseReply(reply);
    if (typeof r === 'string') this.malformed(opcode, r);
    if (refused) this.warn(`${name}: the kernel refused a stray reply besides the answer: ${refused}`);
    if (r.error !== 0) throw new KernelErrno(-r.error, `${name} answered ${errnoName(-r.error)}`);
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
    const op =
      name === 'GET_FMAP'
        ? this.profile.getFmapOpcode
        : name === 'GET_DAXDEV'
          ? this.profile.getDaxdevOpcode
          : Opcode[name];
    return this.sent.get(op) ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // INIT

  init(): NegotiatedConnection {
    if (this.negotiated) throw new EmulatorProtocolError('INIT was already sent on this connection');
    const offer = initOffer(this.profile, this.opts);
    let p: Buffer;
    this.initInFlight = offer;
    try {
      p = this.send(Opcode.INIT, (unique) => initRequest(offer, unique, this.creds));
    } catch (e) {
      if (e instanceof KernelErrno) {
        throw new EmulatorProtocolError(`daemon refused INIT with ${e.code}: the connection is dead (conn_error)`);
      }
      throw e;
    } finally {
      this.initInFlight = null;
    }
    const reply = readInitReply(p, offer);
    if (typeof reply === 'string') this.malformed(Opcode.INIT, reply);
    const conn = reply.conn;
    if (conn.major !== 7) {
      throw new EmulatorProtocolError(
        `daemon answered INIT with major ${conn.major}: the kernel sets conn_error (ECONNREFUSED on every operation)`,
      );
    }
    for (const note of reply.notes) this.warn(note);
    this.negotiated = conn;
    if ((this.opts.requireFamfs ?? this.opts.offerFamfs ?? true) && !conn.famfs) {
      const { initFlagBit, name } = this.profile;
      const noExt = conn.flags & FUSE_INIT_EXT ? '' : '; its reply lacks FUSE_INIT_EXT';
      throw new EmulatorProtocolError(
        `daemon did not accept FUSE_DAX_FMAP (bit ${initFlagBit} of profile ${name}${noExt})`,
      );
    }
    return conn;
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
    return this.table.slots.get(index);
  }

  /** fuse_invalid_attr(): a mode type the kernel does not know, or a size above LLONG_MAX, is EIO. */
  private checkAttr(op: number, a: AttrValue, sizeRaw: bigint): void {
    const name = opName(op, this.profile);
    if (!VALID_FILE_TYPES.has(a.mode & S_IFMT)) {
      throw new KernelErrno(Errno.EIO, `${name}: attr mode 0${a.mode.toString(8)} has no valid file type`);
    }
    if (sizeRaw > LLONG_MAX) throw new KernelErrno(Errno.EIO, `${name}: attr size ${sizeRaw} > LLONG_MAX`);
  }

  /** Applies attributes from a reply to an inode (fuse_change_attributes): i_size follows attr.size. */
  private applyAttr(ino: EmulatedInode, a: AttrValue, sizeRaw: bigint, what: string): void {
    if (ino.fmap && sizeRaw !== ino.fmap.fileSize) {
      this.warn(
        `${what}: attr.size ${sizeRaw} differs from the fmap's file_size ${ino.fmap.fileSize} of nodeid ` +
          `${ino.nodeid}; i_size is overwritten (§1.9)`,
      );
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
    if (e.nodeid === FUSE_ROOT_ID && e.generation !== 0) {
      this.warn(`LOOKUP "${name}" returned the root with generation ${e.generation} (must be 0)`);
    }
    let ino = this.inodes.get(e.nodeid);
    if (ino && (ino.generation !== e.generation || (ino.mode & S_IFMT) !== (e.attr.mode & S_IFMT))) {
      // fuse_iget(): a different generation or type makes the old inode bad; a new one replaces it.
      this.warn(
        `nodeid ${e.nodeid} came back with generation ${e.generation} / mode 0${e.attr.mode.toString(8)} ` +
          `(was ${ino.generation} / 0${ino.mode.toString(8)}): stale inode replaced`,
      );
      if (ino.opens === 0) ino = undefined;
      else throw new KernelErrno(Errno.EIO, `nodeid ${e.nodeid} changed identity while open`);
    }
    if (!ino) {
      const { nodeid, generation } = e;
      ino = { nodeid, generation, mode: e.attr.mode, size: sizeRaw, nlookup: 0, metaError: false, opens: 0 };
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
      if ((cur.attr.mode & S_IFMT) !== S_IFDIR) {
        throw new KernelErrno(Errno.ENOTDIR, `${path}: a component is not a directory`);
      }
      cur = this.lookupOne(cur.nodeid, part);
    }
    if (parts.length === 0) cur = { nodeid: FUSE_ROOT_ID, generation: 0, attr: this.getattr(FUSE_ROOT_ID) };
    return cur;
  }

  private rootAttr(): AttrValue {
    return makeAttr({ ino: 1, mode: S_IFDIR | 0o755, nlink: 2 });
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
    const openIn = OpenIn.encode({ flags: O_RDONLY, openFlags: 0 });
    const fh = OpenOut.decode(this.request(Opcode.OPENDIR, dir.nodeid, openIn)).fh;
    let listed: ReturnType<typeof pageDirectory>;
    try {
      listed = pageDirectory({
        strict: true,
        maxRounds: 100000,
        read: (offset, size) => {
          const build = (u: bigint): Buffer => readMsg(Opcode.READDIR, u, dir.nodeid, offset, size, fh, this.creds);
          return this.send(Opcode.READDIR, build, { size });
        },
      });
    } finally {
      const releaseIn = ReleaseIn.encode({ fh, flags: O_RDONLY, releaseFlags: 0, lockOwner: 0n });
      this.request(Opcode.RELEASEDIR, dir.nodeid, releaseIn);
    }
    if (listed.problem) throw new KernelErrno(Errno.EIO, listed.problem);
    return listed.entries.map(({ name, ino, type }) => ({ name, ino, type }));
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
    const openIn = OpenIn.encode({ flags: openFlags, openFlags: 0 });
    const fh = OpenOut.decode(this.request(isDir ? Opcode.OPENDIR : Opcode.OPEN, e.nodeid, openIn)).fh;
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
    const id = this.nextHandle++;
    const h: FileHandle = { id, nodeid: e.nodeid, fh, flags, path, dir: isDir, famfs, released: false };
    this.handles.set(h.id, h);
    ino.opens++;
    return h;
  }

  /** GET_FMAP, validation, daxdev table update, publication on the inode (§1.7 b-e). */
  private installFmap(ino: EmulatedInode): void {
    this.fmapRequests.set(ino.nodeid, (this.fmapRequests.get(ino.nodeid) ?? 0) + 1);
    const blob = this.fetchFmap(ino.nodeid);
    let fmap: KernelFmap;
    try {
      fmap = parseFmap(blob, fmapLimits(this.profile, this.opts.multiDevice));
    } catch (err) {
      if (err instanceof FmapRejected) {
        throw new KernelErrno(err.errno, `GET_FMAP of nodeid ${ino.nodeid} refused (${err.rule}): ${err.message}`);
      }
      throw err;
    }
    // Pull (GET_DAXDEV per missing index), or in the push generation famfs_check_daxdev_table().
    let missing: number[] = [];
    if (this.profile.daxdevPush) missing = this.table.unpushed(fmap);
    else for (const index of fmap.devices) this.table.update(index);
    if (missing.length > 0) {
      this.warn(
        `fmap of nodeid ${ino.nodeid} names daxdev(s) ${missing.join(', ')} that were never pushed: ` +
          'famfs_check_daxdev_table() ENODEV; the open succeeds, every access to the file is EIO',
      );
    }
    const slot = this.table.slots.get(0);
    for (const w of fmapLint(fmap, slot?.fd !== null && slot ? slot.size : undefined)) {
      this.warn(`fmap of nodeid ${ino.nodeid}: ${w}`);
    }
    if (ino.size !== fmap.fileSize) {
      this.warn(
        `nodeid ${ino.nodeid}: attr.size ${ino.size} but fmap file_size ${fmap.fileSize} ` +
          '(attributes must report the fmap size, §1.9)',
      );
    }
    ino.fmap = fmap;
    ino.size = fmap.fileSize;
    ino.metaError = missing.length > 0;
  }

  /**
   * fuse_get_fmap(): one GET_FMAP, or in a sizing profile the kernel's buffer loop: PAGE_SIZE
   * first; a reply whose fmap_size says it did not fit gets one retry with exactly that size.
   */
  private fetchFmap(nodeid: number): Buffer {
    const op = this.profile.getFmapOpcode;
    const buffers = this.fmapBuffers.get(nodeid) ?? [];
    this.fmapBuffers.set(nodeid, buffers);
    return fetchFmapBlob(this.profile, buffers, (size) =>
      this.profile.fmapSizing
        ? this.send(op, (u) => getFmapMsg(this.profile, u, nodeid, size, this.creds), { size })
        : this.request(op, nodeid, Buffer.alloc(0), { size }),
    );
  }

  /** GET_DAXDEV requests sent, per device index. */
  get daxdevRequests(): Map<number, number> {
    return this.table.requests;
  }

  /** DAXDEV_OPEN ioctls the daemon made: the index and what the kernel answered ('OK' or an errno name). */
  get daxdevPushes(): { index: number; answer: string }[] {
    return this.table.pushes;
  }

  /**
   * An ioctl the daemon makes on its channel: the push generation's DAXDEV_OPEN; anything else,
   * and everything on a kernel without push, is ENOTTY. Returns 0 or throws KernelErrno.
   */
  ioctl(request: number, arg: Buffer): number {
    return this.table.ioctl(request, arg);
  }

  /**
   * Whether the connection is in famfs mode at this instant: negotiated, or set by an INIT reply
   * the daemon has written in the exchange under way (as process_init_reply() runs in its write).
   */
  private famfsNow(): boolean {
    if (this.negotiated) return this.negotiated.famfs;
    const offer = this.initInFlight;
    if (!offer) return false;
    for (const w of this.link.written?.() ?? []) {
      const r = parseReply(w);
      if (typeof r === 'string' || r.error !== 0) continue;
      const init = readInitReply(r.payload, offer);
      if (typeof init !== 'string') return init.conn.famfs;
    }
    return false;
  }

  private sendRelease(nodeid: number, fh: number, flags: number, dir: boolean): void {
    try {
      const releaseIn = ReleaseIn.encode({ fh, flags, releaseFlags: 0, lockOwner: 0n });
      this.request(dir ? Opcode.RELEASEDIR : Opcode.RELEASE, nodeid, releaseIn);
    } catch (err) {
      if (!(err instanceof KernelErrno)) throw err;
      this.warn(`${dir ? 'RELEASEDIR' : 'RELEASE'} of nodeid ${nodeid} answered ${err.code} (the kernel ignores it)`);
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
    if (!ino || nodeid === FUSE_ROOT_ID) {
      throw new EmulatorProtocolError(`forget: nodeid ${nodeid} is not a looked-up inode`);
    }
    const n = nlookup ?? ino.nlookup;
    if (n < 1 || n > ino.nlookup) {
      throw new EmulatorProtocolError(`forget: nlookup ${n} but the kernel holds ${ino.nlookup}`);
    }
    if (ino.opens > 0 && n === ino.nlookup) {
      throw new EmulatorProtocolError(`forget: nodeid ${nodeid} has ${ino.opens} open handle(s)`);
    }
    this.request(Opcode.FORGET, nodeid, ForgetIn.encode({ nlookup: n }), { noReply: true });
    ino.nlookup -= n;
    if (ino.nlookup === 0) this.inodes.delete(nodeid);
  }

  /** FORGETs every inode with no open handle (what unmount's eviction does). */
  forgetAll(): void {
    for (const ino of [...this.inodes.values()]) {
      if (ino.nodeid !== FUSE_ROOT_ID && ino.opens === 0 && ino.nlookup > 0) this.forget(ino.nodeid);
    }
  }

  /** Closes the device files. Open handles are released first. */
  close(): void {
    for (const h of [...this.handles.values()]) this.release(h);
    this.table.close();
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

  /** read(2) at an offset: up to `length` bytes, fewer at EOF. */
  read(handle: FileHandle, offset: number, length: number): Buffer {
    const { h, ino } = this.handle(handle);
    if ((h.flags & O_ACCMODE) === O_WRONLY) throw new KernelErrno(Errno.EBADF, 'not open for reading');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new KernelErrno(Errno.EINVAL);
    }
    if (!h.famfs) return this.stockRead(h, offset, length);
    famfsFileBad(ino);
    const left = ino.fmap!.fileSize - BigInt(offset);
    const buf = Buffer.alloc(left <= 0n ? 0 : left < BigInt(length) ? Number(left) : length);
    const n = this.dax(() =>
      daxRw(ino, this.table.slots, offset, buf.length, (slot, devOffset, at, cnt) => {
        const got = nodefs.readSync(slot.fd!, buf, at, cnt, devOffset);
        if (got < cnt) buf.fill(0, at + got, at + cnt); // a sparse device file past its end reads as zeros
      }),
    );
    return buf.subarray(0, n);
  }

  /** dax I/O, where a kernel crash is recorded before it reaches the caller. */
  private dax(io: () => number): number {
    try {
      return io();
    } catch (e) {
      if (e instanceof KernelOops) this.oopses.push(e.message);
      throw e;
    }
  }

  /** write(2) at an offset: never past i_size (a write at or beyond EOF writes 0 bytes). */
  write(handle: FileHandle, offset: number, data: Buffer): number {
    const { h, ino } = this.handle(handle);
    if ((h.flags & O_ACCMODE) === O_RDONLY) throw new KernelErrno(Errno.EBADF, 'not open for writing');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new KernelErrno(Errno.EINVAL);
    if (!h.famfs) return this.stockWrite(h, offset, data);
    famfsFileBad(ino);
    return this.dax(() =>
      daxRw(ino, this.table.slots, offset, data.length, (slot, devOffset, at, cnt) => {
        if (!slot.writable) throw new KernelErrno(Errno.EIO, `device ${slot.name} is read-only here`);
        nodefs.writeSync(slot.fd!, data, at, cnt, devOffset);
      }),
    );
  }

  /** The stock path: READ requests of at most max_pages pages until a short one. */
  private stockRead(h: FileHandle, offset: number, length: number): Buffer {
    const conn = this.ready();
    const chunks: Buffer[] = [];
    let done = 0;
    while (done < length) {
      const size = Math.min(length - done, conn.maxPages * PAGE_SIZE);
      const readIn = ReadIn.encode({
        fh: h.fh,
        offset: offset + done,
        size,
        readFlags: 0,
        lockOwner: 0n,
        flags: h.flags,
        padding: 0,
      });
      const p = this.request(Opcode.READ, h.nodeid, readIn, { size });
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
      const writeIn = WriteIn.encode({
        fh: h.fh,
        offset: offset + done,
        size,
        writeFlags: 0,
        lockOwner: 0n,
        flags: h.flags,
        padding: 0,
      });
      const body = Buffer.concat([writeIn, data.subarray(done, done + size)]);
      const n = WriteOut.decode(this.request(Opcode.WRITE, h.nodeid, body)).size;
      if (n > size) this.malformed(Opcode.WRITE, `wrote ${n} of ${size} bytes`);
      done += n;
      if (n < size) break;
    }
    return done;
  }
}
