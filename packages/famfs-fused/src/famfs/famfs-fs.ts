/**
 * The famfs file system served by famfs_fused, following the C famfs_fused (famfs-userspace §4.3)
 * where it has a behaviour, and adding a stock-kernel data path and a tree that follows the log.
 *
 * - What is served comes from a Namespace (namespace.ts): by default the device's log, read into
 *   an in-memory index at start and followed as it grows (log-namespace.ts); or a shadow tree of
 *   YAML files, as the C daemon serves (shadow-namespace.ts: `serve: 'shadow'`, or no daxdev).
 * - Following (log source, followMs > 0): the log header is read again, cheaply, at the start of
 *   LOOKUP, READDIR, OPENDIR and GETATTR once followMs has passed since the last read, and always
 *   before a LOOKUP answers ENOENT and at OPENDIR (a name the caller expects may just have been
 *   logged: the master's own creations show at once); the daemon's main thread also polls the
 *   header and wakes this thread when it changed (DaemonSharedState.requestFollow, served in
 *   afterRequest). New entries are placed as logplay places them; the kernel is told to drop
 *   what it caches of the directories that changed (FUSE_NOTIFY_INVAL_INODE, and INVAL_ENTRY per
 *   new name), and the new slots are posted to the main thread, which writes the shadow tree.
 * - famfs-enabled kernel: FUSE_DAX_FMAP is negotiated and the kernel asks GET_FMAP / GET_DAXDEV;
 *   no READ or WRITE ever comes.
 * - Stock kernel: READ and WRITE are served from the device through mmap (libfamfs DataPath,
 *   file-data.ts), with FOPEN_DIRECT_IO by default so that two mounts of one device see each
 *   other's writes at once (plus FUSE_DIRECT_IO_ALLOW_MMAP so mmap works; without it we fall
 *   back to cached I/O).
 * - Nothing changes the famfs namespace: CREATE is ENOTSUP (as in C); MKDIR, MKNOD, UNLINK, RMDIR,
 *   RENAME, LINK and SYMLINK are not implemented, so ENOSYS (C registers no handler for them).
 *   A size change is EINVAL; mode/uid/gid/times changes are kept in memory only.
 * - flock(2) (FLOCK_LOCKS): one exclusive lock per file system, as the C daemon's mutex, plus
 *   flock(LOCK_EX) on the device so that libfamfs processes appending directly on the device are
 *   serialized with those appending through the mount. flock.ts has the blocking rules.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isFamfsError, tryGetSystemUuid } from '@famfs/libfamfs';
import type { FileEntry } from '@famfs/libfamfs/format';
import { DataPath, Device } from '@famfs/libfamfs/device';
import { STATFS_BLOCK_SIZE, statfsOfDevice } from '@famfs/libfamfs/log';
import { shadowRootOf } from '@famfs/libfamfs/shadow';
import { LOGPLAY_XATTR, SHADOW_XATTR } from '@famfs/libfamfs/mount';
import {
  checkDaxdevName,
  DT_DIR,
  DT_REG,
  Errno,
  FOPEN_DIRECT_IO,
  FOPEN_KEEP_CACHE,
  FOPEN_PARALLEL_DIRECT_WRITES,
  FUSE_DIRECT_IO_ALLOW_MMAP,
  FUSE_RELEASE_FLOCK_UNLOCK,
  FUSE_ROOT_ID,
  FuseErrno,
  makeAttr,
  S_IFDIR,
  S_IFREG,
} from '@famfs/fuse';
import type {
  AccessRequest,
  AttrParam,
  AttrValue,
  BatchForgetRequest,
  Connection,
  ConnectionInfo,
  CreateRequest,
  DaxdevReply,
  DirEntry,
  DirEntryPlus,
  EntryParam,
  FileSystem,
  FileSystemContext,
  ForgetRequest,
  GetattrRequest,
  GetDaxdevRequest,
  GetFmapRequest,
  GetxattrRequest,
  InitWants,
  IoctlReply,
  IoctlRequest,
  ListxattrRequest,
  LookupRequest,
  OpendirRequest,
  OpenParam,
  OpenRequest,
  ReaddirplusRequest,
  ReaddirRequest,
  ReadRequest,
  ReleasedirRequest,
  ReleaseRequest,
  SetattrRequest,
  SetlkRequest,
  StatfsReply,
  StatfsRequest,
  WriteRequest,
} from '@famfs/fuse';
import { FmapReplyError } from './fmap-reply';
import { answerIoctl } from './ioctl';
import { KernelAbi } from './kernel-abi';
import { Inode, InodeTable } from './inodes';
import { DaemonSharedState } from './shared-state';
import { permits, setattrOverrides } from './attrs';
import { MountFlock } from './flock';
import { DirHandles } from './shadow-dir';
import type { DirListing, Namespace, NsEntry } from './namespace';
import { ShadowNamespace } from './shadow-namespace';
import { LogNamespace } from './log-namespace';
import { LogFollowing } from './log-following';
import type { AttrOverrides } from './inodes';
import { DEFAULT_FOLLOW_MS } from './fs-options';
import type { CacheMode, FamfsFsOptions } from './fs-options';

export { DEFAULT_FOLLOW_MS } from './fs-options';
export type { CacheMode, FamfsFsOptions } from './fs-options';

/** Syslog's debug level: what -d and `/log_level` 7 turn on. */
const LOG_DEBUG = 7;
const LOG_NOTICE = 5;

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = fs.constants.O_TRUNC;
const O_DIRECT = fs.constants.O_DIRECT ?? 0o40000;

/** What LOOKUP and GETATTR answer about an inode, with the attr/overrides pair it was made from. */
interface InodeReplies {
  readonly attr: AttrValue;
  readonly overrides: AttrOverrides;
  /** The attributes reported: attr with the overrides applied. */
  readonly value: AttrValue;
  readonly entry: EntryParam;
  readonly attrReply: AttrParam;
}

export class FamfsFileSystem implements FileSystem {
  readonly shadowPath: string;
  readonly shadowRoot: string;
  readonly daxdev: string | undefined;
  readonly cache: CacheMode;
  readonly timeout: number;
  readonly inodes: InodeTable;
  /** What is served: the log's index, or the shadow tree. */
  readonly ns: Namespace;
  /** The log source (null when serving a shadow tree). */
  readonly logNs: LogNamespace | null = null;
  /** Log source: read the log again at most this often while serving (0: only when asked). */
  readonly followMs: number;
  /** repliesOf's cache: what LOOKUP and GETATTR answer about an inode, and the attr/overrides it was made from. */
  private readonly replyCache = new WeakMap<Inode, InodeReplies>();
  /** The kernel ABI generation: fmap form, daxdev push. */
  readonly abi: KernelAbi;
  private readonly opts: FamfsFsOptions;
  private readonly logSink: (m: string, level: number) => void;
  private readonly shared: DaemonSharedState | null;
  private device: Device | null = null;
  private dataPath: DataPath | null = null;
  private useDirectIo: boolean;
  /** FUSE_DAX_FMAP was asked for at INIT (the kernel offered it and we have a daxdev). */
  famfsMode = false;
  private nextFh = 1;
  private readonly openFiles = new Map<number, number>();
  private readonly dirs = new DirHandles();
  private readonly flock: MountFlock;
  private readonly logged = new Set<string>();
  private statfsCache: { at: number; value: StatfsReply } | null = null;
  /** Log source: reading the log again while serving (log-following.ts). */
  private readonly following: LogFollowing | null = null;

  constructor(options: FamfsFsOptions) {
    if (!options || typeof options.shadow !== 'string' || options.shadow === '')
      throw new TypeError('FamfsFileSystem: the shadow option is required');
    this.opts = options;
    this.logSink = options.log ?? ((m) => process.stderr.write(`famfs_fused[${process.pid}]: ${m}\n`));
    this.shared = options.shared ? new DaemonSharedState(options.shared) : null;
    this.shadowRoot = shadowRootOf(options.shadow);
    this.shadowPath = path.dirname(this.shadowRoot);
    this.cache = options.cache ?? 'auto';
    if (!['never', 'auto', 'always'].includes(this.cache))
      throw new RangeError(`cache=${String(this.cache)}: must be never, auto or always`);
    this.timeout = options.timeout ?? (this.cache === 'never' ? 0 : this.cache === 'always' ? 86400 : 1.0);
    if (!(this.timeout >= 0) || !Number.isFinite(this.timeout)) throw new RangeError(`timeout ${options.timeout}`);
    this.followMs = options.followMs ?? DEFAULT_FOLLOW_MS;
    if (!(this.followMs >= 0) || !Number.isFinite(this.followMs)) throw new RangeError(`followMs ${options.followMs}`);
    this.useDirectIo = options.directIo ?? true;

    this.daxdev = options.daxdev || undefined;
    const { abi, simpleFmaps } = options;
    this.abi = new KernelAbi({ abi, simpleFmaps, daxdev: this.daxdev, log: (m) => this.log(m) });
    const serve = options.serve ?? (this.daxdev ? 'log' : 'shadow');
    if (serve === 'log' && !this.daxdev) throw new Error('serving the log needs a daxdev');
    if (this.daxdev) {
      try {
        checkDaxdevName(this.daxdev);
      } catch (e) {
        throw new FmapReplyError((e as Error).message);
      }
      try {
        this.device = Device.open(this.daxdev, { writable: true });
      } catch {
        this.device = Device.open(this.daxdev, { writable: false });
        this.log(`${this.daxdev} opened read-only: writes will fail with EROFS`);
      }
      this.dataPath = new DataPath(this.device, { windowSize: options.windowSize });
    }
    const logOnce = (k: string, m: string) => this.logOnce(k, m);
    try {
      if (serve === 'log') {
        this.logNs = new LogNamespace(this.device!, {
          systemUuid: options.systemUuid ?? tryGetSystemUuid(),
          log: (m, level) => this.log(m, level),
          logOnce,
          windowBytes: options.logWindowBytes,
        });
        this.ns = this.logNs;
      } else {
        this.ns = new ShadowNamespace(this.shadowRoot, { devSize: this.device?.size, logOnce });
      }
    } catch (e) {
      this.close();
      throw e;
    }
    const root = this.ns.root();
    this.inodes = new InodeTable(root.attr, root.ino);
    this.flock = new MountFlock(this.device, {
      lockWaitMs: options.lockWaitMs,
      log: (m) => this.log(m),
      debug: (m) => this.debug(m),
    });
    if (this.logNs) {
      this.following = new LogFollowing(this.logNs, {
        followMs: this.followMs,
        inodes: this.inodes,
        shared: this.shared,
        post: options.post,
        log: (m) => this.log(m),
        debug: (m) => this.debug(m),
      });
      this.following.readWholeLog();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private log(m: string, level = LOG_NOTICE): void {
    this.logSink(m, level);
  }

  private logOnce(key: string, m: string): void {
    if (this.logged.has(key)) return;
    if (this.logged.size > 10000) this.logged.clear();
    this.logged.add(key);
    this.log(m);
  }

  /** Whether debug lines are logged now (hot paths ask first, so that they build no message otherwise). */
  private debugging(): boolean {
    return this.opts.debug || (this.shared?.logs(LOG_DEBUG) ?? false);
  }

  private debug(m: string): void {
    if (this.debugging()) this.log(m, LOG_DEBUG);
  }

  private node(nodeid: number): Inode {
    const n = this.inodes.get(nodeid);
    if (!n) throw new FuseErrno(Errno.ESTALE, `unknown nodeid ${nodeid}`);
    return n;
  }

  /**
   * What LOOKUP and GETATTR answer about an inode (the source's attributes with SETATTR overrides
   * applied), made once per (n.attr, n.overrides) pair and shared by every reply, so that answering
   * them allocates nothing. Both are replaced, never mutated in place (refreshDir and resolveChild
   * assign a new attr, setattr assigns a new overrides object), so a cached result is current
   * exactly while both references are unchanged. The results are frozen: callers only read them.
   */
  private repliesOf(n: Inode): InodeReplies {
    const c = this.replyCache.get(n);
    if (c !== undefined && c.attr === n.attr && c.overrides === n.overrides) return c;
    const attr = Object.freeze(this.inodes.effectiveAttr(n));
    const t = this.timeout;
    const made: InodeReplies = {
      attr: n.attr,
      overrides: n.overrides,
      value: attr,
      entry: Object.freeze({ nodeid: n.nodeid, generation: 0, entryTimeout: t, attrTimeout: t, attr }),
      attrReply: Object.freeze({ attr, attrTimeout: t }),
    };
    this.replyCache.set(n, made);
    return made;
  }

  /** The attributes to report (see repliesOf). */
  private attrOf(n: Inode): AttrValue {
    return this.repliesOf(n).value;
  }

  private entryOf(n: Inode): EntryParam {
    return this.repliesOf(n).entry;
  }

  /** What `name` in directory `dir` is now, as an inode (no reference taken); undefined when nothing is there. */
  private resolveChild(dir: Inode, name: string): Inode | undefined {
    if (dir.kind !== 'dir') throw new FuseErrno(Errno.ENOTDIR);
    if (name === '.') return dir;
    if (name === '..') return this.node(dir.parent);
    const obj = this.ns.child(dir.path, name);
    if (!obj) return undefined;
    const rel = dir.path === '' ? name : `${dir.path}/${name}`;
    const n = this.inodes.upsert(rel, dir.nodeid, obj.kind, obj.ino, () => this.ns.load(rel, obj));
    // A directory's attributes change as children come (the log) or pass through (a shadow tree).
    if (n.kind === 'dir') n.attr = this.ns.load(rel, obj).attr;
    return n;
  }

  /** Live attributes of a directory, falling back to the cached ones. */
  private refreshDir(n: Inode): void {
    const a = this.ns.dirAttr(n.path, n.ident);
    if (a) n.attr = a;
  }

  private fileOf(nodeid: number): { n: Inode; entry: FileEntry } {
    const n = this.node(nodeid);
    if (n.kind !== 'file' || !n.entry) throw new FuseErrno(Errno.EISDIR);
    return { n, entry: n.entry };
  }

  // -------------------------------------------------------------------------------------------
  // Following the log

  /** Log source: read the log again if followMs has passed (or `force`); true when what is served changed. */
  private follow(force: boolean): boolean {
    return this.following?.follow(force) ?? false;
  }

  // -------------------------------------------------------------------------------------------
  // INIT / DESTROY

  init(info: ConnectionInfo): InitWants {
    this.abi.init(info);
    if (this.following) this.following.notifier = info.notifier ?? null;
    this.famfsMode = info.famfsOffered && !!this.daxdev;
    const allowMmap = (info.kernelFlags & FUSE_DIRECT_IO_ALLOW_MMAP) !== 0n;
    if (info.famfsOffered && !this.daxdev)
      this.log('the kernel offers FUSE_DAX_FMAP but no daxdev was given: famfs mode is off');
    if (this.famfsMode) {
      this.log(`famfs mode: the kernel maps file data from ${this.daxdev} itself`);
    } else if (this.useDirectIo && !allowMmap) {
      this.useDirectIo = false;
      this.log(
        'the kernel does not offer DIRECT_IO_ALLOW_MMAP: using cached I/O so mmap works; writes through another mount of the device are not seen until the page cache drops them',
      );
    }
    if (!this.famfsMode && !this.dataPath)
      this.log('no daxdev: files can be looked up but reads and writes fail with EIO');
    return {
      famfs: this.famfsMode,
      flockLocks: this.opts.flock !== false,
      directIoAllowMmap: this.useDirectIo && allowMmap,
      readdirplus: 'auto',
    };
  }

  connected(conn: Connection): void {
    this.abi.connected(conn, this.famfsMode);
  }

  destroy(): void {
    this.close();
  }

  /** Between requests: read the log when the main thread asks; publish the counts; dump the lookup cache when asked. */
  afterRequest(): void {
    const shared = this.shared;
    if (!shared) return;
    this.following?.serveRequests(shared.followRequests);
    shared.setInodeCounts(this.inodes.counts.file, this.inodes.counts.dir);
    if (shared.takeDumpRequest()) this.dumpInodes();
  }

  /** Logs every inode held: the lookup cache, as /icache_dump asks. */
  dumpInodes(): void {
    this.log(
      `icache: ${this.inodes.size} inodes (${this.inodes.counts.file} files, ${this.inodes.counts.dir} directories)`,
    );
    for (const n of this.inodes.all()) {
      this.log(`icache: nodeid ${n.nodeid} ${n.kind} /${n.path} nlookup ${n.nlookup} parent ${n.parent}`);
    }
  }

  /** Releases the device lock, the mappings and the device. Idempotent. */
  close(): void {
    this.flock?.release();
    this.logNs?.close();
    this.dataPath?.close();
    this.dataPath = null;
    if (this.device) {
      try {
        this.device.close();
      } catch {
        // already closed
      }
      this.device = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Names and attributes

  lookup(req: LookupRequest): EntryParam {
    const dir = this.node(req.header.nodeid);
    if (dir.kind !== 'dir') throw new FuseErrno(Errno.ENOTDIR);
    this.follow(false);
    let n = this.resolveChild(dir, req.name);
    // Not there: the log may have it now (a creation that just returned, on this host or another).
    if (!n && this.follow(true)) n = this.resolveChild(dir, req.name);
    this.shared?.countSearch(1, n !== undefined);
    if (!n) throw new FuseErrno(Errno.ENOENT);
    if (n.kind === 'dir' && n.nodeid === FUSE_ROOT_ID) this.refreshDir(n);
    if (n.entry) this.abi.lookedUp(n.entry);
    this.inodes.ref(n);
    if (this.debugging()) this.debug(`lookup ${n.path || '/'} -> ${n.nodeid} (nlookup ${n.nlookup})`);
    return this.entryOf(n);
  }

  forget(req: ForgetRequest): void {
    this.inodes.forget(req.header.nodeid, req.nlookup);
  }

  batchForget(req: BatchForgetRequest): void {
    for (const f of req.nodes) this.inodes.forget(f.nodeid, f.nlookup);
  }

  getattr(req: GetattrRequest): AttrParam {
    const n = this.node(req.header.nodeid);
    if (n.kind === 'dir') {
      this.follow(false);
      this.refreshDir(n);
    }
    return this.repliesOf(n).attrReply;
  }

  setattr(req: SetattrRequest): AttrParam {
    const n = this.node(req.header.nodeid);
    n.overrides = setattrOverrides(n, this.attrOf(n), req);
    this.debug(`setattr ${n.path || '/'} valid 0x${req.attr.valid.toString(16)}`);
    return this.repliesOf(n).attrReply;
  }

  access(req: AccessRequest): void {
    const n = this.node(req.header.nodeid);
    const mask = req.mask & 7;
    if (mask === 0) return;
    if (mask & 2 && n.kind === 'file' && !this.famfsMode && this.device && !this.device.writable)
      throw new FuseErrno(Errno.EROFS);
    if (!permits(this.attrOf(n), req.header.uid, req.header.gid, mask)) throw new FuseErrno(Errno.EACCES);
  }

  // -------------------------------------------------------------------------------------------
  // Files

  open(req: OpenRequest): OpenParam {
    const n = this.node(req.header.nodeid);
    if (n.kind !== 'file') throw new FuseErrno(Errno.EISDIR);
    const acc = req.flags & O_ACCMODE;
    const wantWrite = acc === O_WRONLY || acc === O_RDWR;
    if (req.flags & O_TRUNC && n.entry!.size > 0)
      throw new FuseErrno(Errno.EINVAL, 'O_TRUNC would change the size of a famfs file');
    const mask = (acc === O_WRONLY ? 0 : 4) | (wantWrite ? 2 : 0);
    if (!permits(this.attrOf(n), req.header.uid, req.header.gid, mask)) throw new FuseErrno(Errno.EACCES);
    if (wantWrite && !this.famfsMode && this.device && !this.device.writable) throw new FuseErrno(Errno.EROFS);
    const fh = this.nextFh++;
    this.openFiles.set(fh, n.nodeid);
    let openFlags = 0;
    if (!this.famfsMode && (this.useDirectIo || this.cache === 'never' || req.flags & O_DIRECT))
      openFlags |= FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
    if (this.cache === 'always') openFlags |= FOPEN_KEEP_CACHE;
    this.debug(`open ${n.path} flags 0o${req.flags.toString(8)} -> fh ${fh} open_flags 0x${openFlags.toString(16)}`);
    return { fh, openFlags };
  }

  release(req: ReleaseRequest): void {
    this.openFiles.delete(req.fh);
    if (req.releaseFlags & FUSE_RELEASE_FLOCK_UNLOCK && this.flock.releaseIfOwner(req.lockOwner)) {
      this.debug(`release fh ${req.fh}: dropped the flock of owner ${req.lockOwner}`);
    }
  }

  read(req: ReadRequest): Buffer[] {
    const { entry } = this.fileOf(req.header.nodeid);
    if (!this.dataPath) throw new FuseErrno(Errno.EIO, 'no daxdev');
    return asFuseErrno(() => this.dataPath!.read(entry, req.offset, req.size));
  }

  write(req: WriteRequest): number {
    const { entry } = this.fileOf(req.header.nodeid);
    if (!this.dataPath) throw new FuseErrno(Errno.EIO, 'no daxdev');
    return asFuseErrno(() => this.dataPath!.write(entry, req.offset, req.data));
  }

  /** CREATE: famfs files are created by the famfs CLI through the log, never through the mount (C: ENOTSUP). */
  create(_req: CreateRequest): never {
    throw new FuseErrno(Errno.ENOTSUP);
  }

  // -------------------------------------------------------------------------------------------
  // Directories

  opendir(req: OpendirRequest): OpenParam {
    const n = this.node(req.header.nodeid);
    if (n.kind !== 'dir') throw new FuseErrno(Errno.ENOTDIR);
    // A listing is where new names are looked for: read the log first (cheap when it did not grow).
    this.follow(true);
    const fh = this.nextFh++;
    this.dirs.open(fh, n.nodeid, this.ns.list(n.path));
    return { fh };
  }

  /** The listing a READDIR(PLUS) reads from: the handle's, taken again at offset 0 (rewinddir). */
  private listing(req: ReaddirRequest | ReaddirplusRequest): { dir: Inode; list: DirListing } {
    const dir = this.node(req.header.nodeid);
    if (dir.kind !== 'dir') throw new FuseErrno(Errno.ENOTDIR);
    if (req.offset === 0) this.follow(true);
    else this.follow(false);
    const list = this.dirs.listing(req.fh, dir.nodeid, req.offset, () => this.ns.list(dir.path));
    return { dir, list };
  }

  /** '.' and '..' at offsets 0 and 1, then the listing's children; each entry's off is the next one's offset. */
  private *entries(dir: Inode, list: DirListing, start: number): Generator<{ i: number } & NsEntry> {
    for (let i = start; ; i++) {
      if (i < 2) {
        const n = i === 0 ? dir : (this.inodes.get(dir.parent) ?? dir);
        yield { i, name: i === 0 ? '.' : '..', kind: 'dir', ino: this.inodes.effectiveAttr(n).ino };
        continue;
      }
      const e = list.at(i - 2);
      if (!e) return;
      yield { i, name: e.name, kind: e.kind, ino: e.ino };
    }
  }

  readdir(req: ReaddirRequest): Iterable<DirEntry> {
    const { dir, list } = this.listing(req);
    return this.dirents(dir, list, req.offset);
  }

  private *dirents(dir: Inode, list: DirListing, offset: number): Generator<DirEntry> {
    for (const e of this.entries(dir, list, offset)) {
      yield { name: e.name, ino: e.ino, off: e.i + 1, type: e.kind === 'dir' ? DT_DIR : DT_REG };
    }
  }

  readdirplus(req: ReaddirplusRequest): Iterable<DirEntryPlus> {
    const { dir, list } = this.listing(req);
    return this.direntsPlus(dir, list, req.offset);
  }

  /** READDIRPLUS records; each entry is resolved (and referenced) only when its record fits the reply. */
  private *direntsPlus(dir: Inode, list: DirListing, offset: number): Generator<DirEntryPlus> {
    for (const e of this.entries(dir, list, offset)) {
      yield { name: e.name, off: e.i + 1, entry: () => this.plusEntry(dir, e) };
    }
  }

  private plusEntry(dir: Inode, e: NsEntry): EntryParam {
    if (e.name === '.' || e.name === '..') {
      // The kernel takes no reference for these: report, do not count.
      return this.entryOf(e.name === '.' ? dir : this.node(dir.parent));
    }
    try {
      const n = this.resolveChild(dir, e.name);
      if (n) {
        this.inodes.ref(n);
        if (n.entry) this.abi.lookedUp(n.entry);
        return this.entryOf(n);
      }
    } catch (err) {
      if (!(err instanceof FuseErrno)) throw err;
    }
    // Listed but not servable (bad YAML, vanished, a rewritten slot): a name-only record; a LOOKUP gets ENOENT.
    return {
      nodeid: 0,
      entryTimeout: 0,
      attrTimeout: 0,
      attr: makeAttr({ ino: e.ino, mode: e.kind === 'dir' ? S_IFDIR : S_IFREG }),
    };
  }

  releasedir(req: ReleasedirRequest): void {
    this.dirs.release(req.fh);
  }

  // -------------------------------------------------------------------------------------------
  // File system wide

  /**
   * Numbers of the famfs device, not of the shadow tmpfs (where C answers): bsize = frsize =
   * 4096, blocks = device size / 4096, bfree = bavail = unallocated bytes / 4096 (from a replay
   * of the log: superblock, log and every file extent count as used). files = log slots (each
   * file or directory takes one log entry, so log slots are famfs' inodes), ffree = free slots.
   * Without a daxdev or a valid superblock: blocks from the device size (or 0), nothing free,
   * files = inodes currently known. Cached for one second.
   */
  statfs(_req?: StatfsRequest): StatfsReply {
    const now = Date.now();
    if (this.statfsCache && now - this.statfsCache.at < 1000) return this.statfsCache.value;
    const bsize = STATFS_BLOCK_SIZE;
    let value: StatfsReply = {
      bsize,
      frsize: bsize,
      namelen: 255,
      blocks: 0,
      bfree: 0,
      bavail: 0,
      files: this.inodes.size,
      ffree: 0,
    };
    const dev = this.device;
    if (dev) {
      value.blocks = Math.floor(dev.size / bsize);
      try {
        value = { ...statfsOfDevice(dev), namelen: 255 };
      } catch (e) {
        this.logOnce('statfs', `statfs: cannot read the famfs metadata of ${dev.path}: ${(e as Error).message}`);
      }
    }
    this.statfsCache = { at: now, value };
    return value;
  }

  getxattr(req: GetxattrRequest): Buffer {
    this.node(req.header.nodeid);
    if (req.name === SHADOW_XATTR) return Buffer.from(this.shadowPath, 'utf8');
    if (req.name === LOGPLAY_XATTR && this.following) return this.following.logplayAnswer(req.size === 0);
    throw new FuseErrno(Errno.ENODATA);
  }

  listxattr(req: ListxattrRequest): string[] {
    this.node(req.header.nodeid);
    return [SHADOW_XATTR];
  }

  // -------------------------------------------------------------------------------------------
  // flock (see flock.ts for the rules)

  setlk(req: SetlkRequest): void {
    const n = this.node(req.header.nodeid);
    this.flock.setlk(req, n.nodeid, n.path);
  }

  /** The current flock holder (for tests and diagnostics). */
  get flockHolder(): { owner: bigint; nodeid: number } | null {
    return this.flock.current;
  }

  // -------------------------------------------------------------------------------------------
  // famfs

  getFmap(req: GetFmapRequest): Buffer {
    const n = this.inodes.get(req.header.nodeid);
    if (!n) throw new FuseErrno(Errno.EINVAL, `GET_FMAP for unknown nodeid ${req.header.nodeid}`);
    if (n.kind !== 'file' || !n.entry) throw new FuseErrno(Errno.ENOENT, `GET_FMAP for a directory (${n.path || '/'})`);
    try {
      return this.abi.fmap(n.nodeid, n.entry, req.bufferSize);
    } catch (e) {
      this.logOnce(`fmap:${n.nodeid}`, `GET_FMAP ${n.path}: ${(e as Error).message}`);
      throw e;
    }
  }

  /** The famfs v1 ioctls (NOP, MAP_GET, MAP_GETEXT, MAP_GET_V2) from the file's map: ioctl.ts. */
  ioctl(req: IoctlRequest): IoctlReply {
    const n = this.node(req.header.nodeid);
    const sizes = `in ${req.inSize} out ${req.outSize}`;
    this.debug(`ioctl 0x${req.cmd.toString(16)} on /${n.path} fh ${req.fh} flags 0x${req.flags.toString(16)} ${sizes}`);
    return answerIoctl(req, n);
  }

  getDaxdev(req: GetDaxdevRequest): DaxdevReply {
    if (req.index !== 0) throw new FuseErrno(Errno.EINVAL, `daxdev index ${req.index} (only 0 exists)`);
    if (!this.daxdev) throw new FuseErrno(Errno.EOPNOTSUPP, 'no daxdev');
    return { name: this.daxdev };
  }
}

/** The factory the session worker loads (fsOptions are structured-cloned, so no functions: the context gives them). */
export function createFileSystem(options: unknown, context?: FileSystemContext): FamfsFileSystem {
  const o = { ...(options as FamfsFsOptions) };
  if (context && !o.log) o.log = (m, level) => context.log(m, level);
  if (context?.post && !o.post) o.post = (value, transfer) => context.post!(value, transfer);
  return new FamfsFileSystem(o);
}

/** Runs a libfamfs call, answering its typed errors with their errno. */
function asFuseErrno<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isFamfsError(e)) throw new FuseErrno(e.errno, e.message);
    throw e;
  }
}
