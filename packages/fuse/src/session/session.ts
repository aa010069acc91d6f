/**
 * The request loop: read one message, decode it, call the file system, write exactly one reply
 * for every request that expects one. It never dies because of a request: malformed messages are
 * answered (EINVAL/EIO) or dropped, exceptions from the file system become EIO, reply writes the
 * kernel refuses are counted. It ends when the channel closes (ENODEV after unmount), on DESTROY,
 * or when stop() was called (checked between requests).
 */
import { FileSystem, Connection, ConnectionInfo, InitWants, Notifier } from '../filesystem';
import { FuseErrno, Errno, errnoName } from '../errors';
import {
  FUSE_INIT_EXT,
  FUSE_IOCTL_UNRESTRICTED,
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FUSE_MIN_KERNEL_MINOR,
  FUSE_MIN_READ_BUFFER,
  InitBit,
  initFlag,
  opcodeName,
  WriteIn,
  InHeader,
} from '../protocol/abi';
import { AbiProfile, chooseProfile, DEFAULT_PROFILE } from '../protocol/profiles';
import { planFmapReply } from '../protocol/fmap-sizing';
import { possibleCpus } from './possible-cpus';
import { DaxdevProbe, probeDaxdevPush, pushDaxdev } from './daxdev-push';
import { RequestDecoder, RequestHeader, InitRequest, IoctlRequest, Request, RequestError } from '../protocol/request';
import * as reply from '../protocol/reply';
import { uniqueHalves } from '../protocol/reply';
import type { Iovec } from '../protocol/reply';
import { NotifyWriter } from '../protocol/notify';
import { ReplyRefused } from './transport';
import type { Transport } from './transport';

export interface SessionOptions {
  /**
   * famfs ABI profile, or its name (default v10), or "auto": INIT as v10, then probe the push
   * generation's DAXDEV_OPEN ioctl and switch to it where the kernel has it (profiles AUTO_DETECT).
   */
  profile?: AbiProfile | string;
  /** Replaces the DAXDEV_OPEN ioctl number of push profiles (the number is not public yet). */
  daxdevIoctl?: number;
  /** max_write to negotiate (default 1 MiB). The read buffer is max(8192, maxWrite + 4096). */
  maxWrite?: number;
  /** max_pages to negotiate (default 256, the kernel's usual limit). */
  maxPages?: number;
  /** max_background / congestion_threshold (0 keeps the kernel's defaults). */
  maxBackground?: number;
  congestionThreshold?: number;
  /** Diagnostics sink (default: none). */
  log?: (message: string) => void;
  /** Called once INIT has been answered and the profile settled (after the probes of "auto"). */
  onInit?: (info: NegotiatedInit) => void;
  /** Called after each message has been handled (for periodic stats); its reply may not be written yet. */
  onMessage?: () => void;
  /**
   * Where the file system's notifications go (one encoded message each). Default: written to the
   * transport at once, from the session's thread, which suits in-process transports; a session
   * on /dev/fuse must hand them to another thread (INVAL_ENTRY can block on a lock held by a
   * request this thread has not answered yet): the session worker does.
   */
  notify?: (message: Iovec) => void;
  /**
   * Serve through FUSE over io_uring (kernel 6.14+ with the fuse module's enable_uring on): offer
   * FUSE_OVER_IO_URING at INIT and, when the kernel accepts, move the connection to a ring right
   * after the INIT reply (one io_uring_enter per request instead of a read and a writev). Where
   * the kernel refuses, the session says so in the log and serves through /dev/fuse.
   */
  ioUring?: boolean;
}

/** The outcome of INIT. */
export interface NegotiatedInit {
  kernelMajor: number;
  kernelMinor: number;
  kernelFlags: bigint;
  /** The minor we replied with: min(ours, kernel's). */
  minor: number;
  /** The 64-bit flag set we replied with. */
  flags: bigint;
  maxWrite: number;
  maxPages: number;
  maxReadahead: number;
  famfs: boolean;
  /** Name of the profile in force after INIT (under "auto": what the probes found). */
  profile: string;
  /** What each probe answered (only under "auto"). */
  probes: DaxdevProbe[];
  /** Requests come through an io_uring ring (SessionOptions.ioUring, accepted by the kernel). */
  ioUring: boolean;
}

export type SessionEndReason = 'closed' | 'destroy' | 'stopped';

export interface SessionStats {
  /** Requests received per opcode (including malformed ones whose header was readable). */
  requests: Map<number, number>;
  /** Messages that could not be decoded (answered or dropped). */
  malformed: number;
  /** Messages dropped without a reply because even the header was unusable. */
  dropped: number;
  /** Exceptions from file system methods (answered EIO). */
  fsExceptions: number;
  /** Replies the kernel refused with ENOENT (request interrupted or aborted). */
  interruptedReplies: number;
  /** Replies the kernel refused for another reason (EINVAL: a malformed reply). */
  replyErrors: number;
  /** Requests answered ENOSYS because the op is unknown or not implemented. */
  enosys: number;
  /** Notifications the file system sent (handed to the notify sink). */
  notifications: number;
  /** Requests that came through the io_uring ring (0 without one). */
  ringRequests: number;
}

const DEFAULT_MAX_WRITE = 1 << 20;
const DEFAULT_MAX_PAGES = 256;
/** Opcodes below this are counted in a typed array (every standard and famfs opcode); others in a Map. */
const COUNTED_OPCODES = 64;

const bit = (name: keyof typeof InitBit): bigint => initFlag(InitBit[name]);

export class Session {
  negotiated: NegotiatedInit | null = null;
  /** Requests per opcode below COUNTED_OPCODES (a Float64Array: exact far beyond 2^32 requests). */
  private readonly opcodeCounts = new Float64Array(COUNTED_OPCODES);
  /** Requests per opcode for the rest (unknown opcodes). */
  private readonly otherOpcodeCounts = new Map<number, number>();
  private readonly counters = {
    malformed: 0,
    dropped: 0,
    fsExceptions: 0,
    interruptedReplies: 0,
    replyErrors: 0,
    enosys: 0,
    notifications: 0,
  };
  /** Reply buffers reused for every request (each reply is written before the next request is read). */
  private readonly out = new reply.ReplyWriter();
  /** The decode context, kept for the session (setxattrExt changes at INIT, the profile after its probes). */
  private readonly decodeContext: { profile: AbiProfile; setxattrExt: boolean };
  /** Decodes each request into objects it reuses (valid until the next request is read). */
  private readonly decoder: RequestDecoder;
  /** Profiles to probe for once INIT is answered ("auto"), emptied once done. */
  private probeFor: readonly AbiProfile[];
  private readonly notifyWriter = new NotifyWriter();
  /** What the file system is given to send notifications with (ConnectionInfo.notifier). */
  readonly notifier: Notifier = {
    invalInode: (nodeid, off = 0, len = 0) => this.sendNotification(this.notifyWriter.invalInode(nodeid, off, len)),
    invalEntry: (parent, name) => this.sendNotification(this.notifyWriter.invalEntry(parent, name)),
  };
  private readonly maxWrite: number;
  private readonly maxPages: number;
  /** The ring's queue count when io_uring is asked for and possible here, else null. */
  private readonly ringQueues: number | null;
  private readonly buf: Buffer;
  private readonly log: (m: string) => void;
  private readonly loggedOnce = new Set<string>();
  private stopping = false;
  private destroyed = false;
  /**
   * The reply to the request run() handled last, written with the next read (Transport.exchange:
   * one call into the kernel's side instead of two). Null when that request needed none.
   */
  private pendingReply: Iovec | null = null;
  /** Set while run() handles a request: replies are kept in pendingReply rather than written. */
  private deferReplies = false;

  constructor(
    readonly fs: FileSystem,
    readonly transport: Transport,
    private readonly options: SessionOptions = {},
  ) {
    const choice = chooseProfile(options.profile, options.daxdevIoctl);
    this.probeFor = choice.probe;
    this.maxWrite = options.maxWrite ?? DEFAULT_MAX_WRITE;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    if (this.maxWrite < 4096 || this.maxWrite > 0xffffffff) throw new RangeError(`maxWrite ${this.maxWrite}`);
    this.buf = Buffer.allocUnsafe(Session.bufferSizeFor(this.maxWrite));
    this.log = options.log ?? (() => undefined);
    this.decodeContext = { profile: choice.initial, setxattrExt: false };
    this.decoder = new RequestDecoder(this.decodeContext);
    this.ringQueues = options.ioUring && transport.prepareRing && transport.startRing ? possibleCpus() : null;
    if (options.ioUring && this.ringQueues === null)
      this.log(
        'io_uring asked for, but the transport cannot or the possible CPUs are unknown: serving through /dev/fuse',
      );
  }

  /** The famfs ABI profile in force (under "auto" it may change once, right after INIT). */
  get profile(): AbiProfile {
    return this.decodeContext.profile;
  }

  /**
   * A snapshot of the counters: a new plain object each time (fit for postMessage), which does not
   * change afterwards. The counters themselves live in a typed array indexed by opcode.
   */
  get stats(): SessionStats {
    const requests = new Map<number, number>();
    const counts = this.opcodeCounts;
    for (let op = 0; op < counts.length; op++) if (counts[op] !== 0) requests.set(op, counts[op]);
    for (const [op, n] of this.otherOpcodeCounts) requests.set(op, n);
    return { requests, ...this.counters, ringRequests: this.transport.ringCounts?.()?.ringRequests ?? 0 };
  }

  /** Read buffer size for a max_write: the kernel refuses reads into less than max(8192, 80 + max_write). */
  static bufferSizeFor(maxWrite: number): number {
    return Math.max(FUSE_MIN_READ_BUFFER, maxWrite + 4096, InHeader.size + WriteIn.size + maxWrite);
  }

  get bufferSize(): number {
    return this.buf.length;
  }

  /** Asks the loop to end after the current request. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Serves until the channel closes, DESTROY, or stop(). Each reply is written together with the
   * read of the next request, after the file system's afterRequest: request, handling,
   * afterRequest, then reply and next request in one Transport.exchange.
   */
  run(): SessionEndReason {
    for (;;) {
      if (this.stopping) return this.writePendingReply() ? 'closed' : 'stopped';
      const n = this.replyAndRead();
      if (n === 0) return 'closed';
      let closed: boolean;
      this.deferReplies = true;
      try {
        closed = this.handle(this.buf, n);
      } finally {
        this.deferReplies = false;
      }
      this.fs.afterRequest?.();
      this.options.onMessage?.();
      if (closed) return 'closed';
      if (this.destroyed) return this.writePendingReply() ? 'closed' : 'destroy';
    }
  }

  /** Writes the pending reply, if any, and reads the next message: its length, 0 when the channel closed. */
  private replyAndRead(): number {
    const iov = this.pendingReply;
    if (!iov) return this.transport.read(this.buf);
    this.pendingReply = null;
    if (!this.transport.exchange) return this.send(iov) ? 0 : this.transport.read(this.buf);
    try {
      return this.transport.exchange(iov, this.buf);
    } catch (e) {
      if (!(e instanceof ReplyRefused)) throw e;
      return this.replyFailed(e.error) ? 0 : this.transport.read(this.buf);
    }
  }

  /** Writes the pending reply, if any; returns true if the channel is closed. */
  private writePendingReply(): boolean {
    const iov = this.pendingReply;
    this.pendingReply = null;
    return iov ? this.send(iov) : false;
  }

  /**
   * Handles one message (exactly one request's bytes). Returns true if the channel turned out to be
   * closed while replying. Exposed for emulators that feed the session one message at a time.
   */
  handleMessage(msg: Buffer): boolean {
    return this.handle(msg, msg.length);
  }

  /** Handles the message in the first `len` bytes of `buf` (decoded in place, no copy or view). */
  private handle(buf: Buffer, len: number): boolean {
    let req: Request;
    try {
      req = this.decoder.decode(buf, len);
    } catch (e) {
      if (!(e instanceof RequestError)) throw e;
      this.counters.malformed++;
      if (e.opcode !== null) this.count(e.opcode);
      this.logOnce(`malformed:${e.opcode}`, `malformed request: ${e.message}`);
      if (e.unique === null) {
        this.counters.dropped++;
        return false;
      }
      return this.answer(this.out.error(uniqueHalves(e.unique), e.errno));
    }
    const h = req.header;
    this.count(h.opcode);

    if (req.op === 'init') {
      // Written at once: connect() may move the connection to a ring, which must follow this reply.
      const wasNegotiated = this.negotiated !== null;
      const closed = this.send(this.init(req));
      if (!closed && !wasNegotiated && this.negotiated) this.connect(this.negotiated);
      return closed;
    }
    if (!this.negotiated) {
      // Nothing but INIT may come first (libfuse answers EIO the same way).
      if (req.op === 'forget' || req.op === 'batchForget' || req.op === 'interrupt') return false;
      return this.answer(this.out.error(h, Errno.EIO));
    }

    let iov: Iovec | null;
    try {
      iov = this.dispatch(req, h);
    } catch (e) {
      if (req.op === 'forget' || req.op === 'batchForget' || req.op === 'interrupt') {
        if (!(e instanceof FuseErrno)) this.fsException(req, e);
        return false;
      }
      if (e instanceof FuseErrno) {
        iov = this.out.error(h, e.errno);
      } else {
        this.fsException(req, e);
        iov = this.out.error(h, Errno.EIO);
      }
    }
    return iov ? this.answer(iov) : false;
  }

  /** The reply to the request being handled: kept for the next read under run(), else written now. */
  private answer(iov: Iovec): boolean {
    if (!this.deferReplies) return this.send(iov);
    this.pendingReply = iov;
    return false;
  }

  /** Hands one notification to the sink; with the default sink, ENOENT (nothing cached) is normal. */
  private sendNotification(iov: Iovec): void {
    this.counters.notifications++;
    if (this.options.notify) {
      this.options.notify(iov);
      return;
    }
    try {
      this.transport.writev(iov);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENODEV')
        this.logOnce(`notify:${code}`, `notification refused by the kernel: ${(e as Error).message}`);
    }
  }

  private count(opcode: number): void {
    if (opcode < COUNTED_OPCODES) this.opcodeCounts[opcode]++;
    else this.otherOpcodeCounts.set(opcode, (this.otherOpcodeCounts.get(opcode) ?? 0) + 1);
  }

  private logOnce(key: string, message: string): void {
    if (this.loggedOnce.has(key)) return;
    this.loggedOnce.add(key);
    this.log(message);
  }

  private fsException(req: Request, e: unknown): void {
    this.counters.fsExceptions++;
    const what = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.logOnce(
      `exc:${req.op}`,
      `${req.op} (nodeid ${req.header.nodeid}) threw; answering EIO (logged once per op): ${what}`,
    );
  }

  /** Writes one reply; returns true if the channel is closed. */
  private send(iov: Iovec): boolean {
    try {
      this.transport.writev(iov);
      return false;
    } catch (e) {
      return this.replyFailed(e);
    }
  }

  /** Counts a reply write the transport refused; returns true if the channel is closed. */
  private replyFailed(e: unknown): boolean {
    const code = (e as { code?: string } | null)?.code;
    if (code === 'ENOENT') {
      this.counters.interruptedReplies++;
      return false;
    }
    if (code === 'ENODEV' || code === 'ECONNABORTED') return true;
    this.counters.replyErrors++;
    this.logOnce(`write:${code}`, `reply refused by the kernel: ${(e as Error).message}`);
    return false;
  }

  /** Answers `r`: a FuseErrno returned instead of thrown becomes an error reply. */
  private static unwrap<T>(r: T | FuseErrno): T {
    if (r instanceof FuseErrno) throw r;
    return r;
  }

  private init(req: InitRequest): Iovec {
    const h = req.header;
    if (this.negotiated) return this.out.error(h, Errno.EIO);
    if (req.major < FUSE_KERNEL_VERSION) {
      this.log(`kernel speaks FUSE ${req.major}.${req.minor}; we need 7.${FUSE_MIN_KERNEL_MINOR}+`);
      return this.out.error(h, Errno.EPROTO);
    }
    if (req.major > FUSE_KERNEL_VERSION) {
      // Tell the kernel our major; it is expected to send a new INIT for it.
      return this.out.init(
        h,
        this.initOut({ minor: FUSE_KERNEL_MINOR_VERSION, flags: 0n, maxReadahead: 0, maxPages: 0 }),
      );
    }
    if (req.minor < FUSE_MIN_KERNEL_MINOR) {
      this.log(`kernel speaks FUSE 7.${req.minor}; we need 7.${FUSE_MIN_KERNEL_MINOR}+`);
      return this.out.error(h, Errno.EPROTO);
    }
    const offered = req.flags;
    const famfsBit = initFlag(this.profile.initFlagBit);
    const info: ConnectionInfo = {
      kernelMajor: req.major,
      kernelMinor: req.minor,
      kernelFlags: offered,
      maxReadahead: req.maxReadahead,
      profile: this.profile,
      famfsOffered: (offered & famfsBit) !== 0n,
      notifier: this.notifier,
    };
    const wants: InitWants = (this.fs.init ? this.fs.init(info) : undefined) ?? {};
    const fs = this.fs;

    let want = bit('BIG_WRITES') | bit('MAX_PAGES') | bit('INIT_EXT');
    if (wants.asyncRead !== false) want |= bit('ASYNC_READ');
    if (wants.parallelDirops !== false) want |= bit('PARALLEL_DIROPS');
    if (wants.flockLocks && fs.setlk) want |= bit('FLOCK_LOCKS');
    if (wants.posixLocks && fs.setlk && fs.getlk) want |= bit('POSIX_LOCKS');
    if (wants.directIoAllowMmap) want |= bit('DIRECT_IO_ALLOW_MMAP');
    if (fs.readdirplus && wants.readdirplus !== 'off') {
      want |= bit('DO_READDIRPLUS');
      if (wants.readdirplus !== 'always') want |= bit('READDIRPLUS_AUTO');
    }
    if (wants.famfs) want |= famfsBit;
    if (this.ringQueues !== null) want |= bit('OVER_IO_URING');
    if (wants.extraFlags) want |= wants.extraFlags;

    let flags = want & offered;
    // flags2 exists only with FUSE_INIT_EXT (kernel 7.36+); without it only the low word is sent.
    if (!(offered & FUSE_INIT_EXT)) flags &= 0xffffffffn;
    // A kernel that accepts io_uring holds every request back until the ring is registered, so
    // the ring is set up before the reply offers it, and not offered when that fails.
    if (flags & bit('OVER_IO_URING') && !this.prepareRing(flags & bit('MAX_PAGES') ? this.maxPages : 0))
      flags &= ~bit('OVER_IO_URING');
    const minor = Math.min(FUSE_KERNEL_MINOR_VERSION, req.minor);
    const maxReadahead = Math.min(req.maxReadahead, wants.maxReadahead ?? req.maxReadahead);
    const maxPages = flags & bit('MAX_PAGES') ? this.maxPages : 0;
    this.decodeContext.setxattrExt = (flags & bit('SETXATTR_EXT')) !== 0n;
    this.negotiated = {
      kernelMajor: req.major,
      kernelMinor: req.minor,
      kernelFlags: offered,
      minor,
      flags,
      maxWrite: this.maxWrite,
      maxPages,
      maxReadahead,
      famfs: (flags & famfsBit) !== 0n,
      profile: this.profile.name,
      probes: [],
      ioUring: false,
    };
    if (wants.famfs && !this.negotiated.famfs)
      this.log(`famfs requested but the kernel did not offer bit ${this.profile.initFlagBit} (${this.profile.name})`);
    return this.out.init(h, this.initOut({ minor, flags, maxReadahead, maxPages }));
  }

  /**
   * Right after the INIT reply went out: the probes of "auto" (the kernel answers them only once
   * INIT is done), the profile they settle, then FileSystem.connected and onInit.
   */
  private connect(negotiated: NegotiatedInit): void {
    // First the ring: the kernel holds every request back until its queues have entries.
    if (negotiated.flags & bit('OVER_IO_URING')) negotiated.ioUring = this.startRing();
    const probes: DaxdevProbe[] = [];
    for (const p of this.probeFor) {
      const probe = probeDaxdevPush(this.transport, p.name, p.daxdevPush!);
      probes.push(probe);
      if (!probe.present) continue;
      this.decodeContext.profile = p;
      break;
    }
    this.probeFor = [];
    const profile = this.profile;
    negotiated.profile = profile.name;
    negotiated.probes = probes;
    const push = profile.daxdevPush;
    const conn: Connection = {
      profile,
      famfs: negotiated.famfs,
      probes,
      pushDaxdev: push ? (fd, index) => pushDaxdev(this.transport, push, fd, index) : null,
    };
    try {
      this.fs.connected?.(conn);
    } catch (e) {
      this.counters.fsExceptions++;
      this.log(`connected() threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    this.options.onInit?.(negotiated);
  }

  /** Sets the io_uring ring up for the INIT reply about to be sent; false (logged) when it cannot be. */
  private prepareRing(maxPages: number): boolean {
    // The kernel's bound for a payload: max(8192, max_write, max_pages pages), 32 pages by default.
    const pages = maxPages || 32;
    try {
      this.transport.prepareRing!({
        queues: this.ringQueues!,
        payloadBytes: Math.max(FUSE_MIN_READ_BUFFER, this.maxWrite, pages * 4096),
        devBufferBytes: this.buf.length,
      });
      return true;
    } catch (e) {
      this.log(`io_uring cannot be set up (${Session.reason(e)}): serving through /dev/fuse`);
      return false;
    }
  }

  /** Registers the ring prepared for INIT; false (logged) when the kernel refuses it. */
  private startRing(): boolean {
    try {
      this.transport.startRing!();
      return true;
    } catch (e) {
      this.log(`FUSE over io_uring refused by the kernel (${Session.reason(e)}): serving through /dev/fuse`);
      return false;
    }
  }

  private static reason(e: unknown): string {
    return (e as { code?: string }).code || (e instanceof Error ? e.message : String(e));
  }

  private initOut(p: { minor: number; flags: bigint; maxReadahead: number; maxPages: number }) {
    return {
      major: FUSE_KERNEL_VERSION,
      minor: p.minor,
      maxReadahead: p.maxReadahead,
      flags: Number(p.flags & 0xffffffffn),
      maxBackground: this.options.maxBackground ?? 0,
      congestionThreshold: this.options.congestionThreshold ?? 0,
      maxWrite: this.maxWrite,
      timeGran: 1,
      maxPages: p.maxPages,
      mapAlignment: 0,
      flags2: Number(p.flags >> 32n),
      maxStackDepth: 0,
      requestTimeout: 0,
      unused: Buffer.alloc(0),
    };
  }

  /**
   * The buffer for a READDIR(PLUS) reply: what the request asks for, but never more than the
   * max_pages negotiated at INIT (a kernel never asks for more; a hostile peer could ask for 4 GiB).
   */
  private dirBufferSize(requested: number): number {
    return Math.min(requested, this.maxPages * 4096);
  }

  private enosys(h: RequestHeader): Iovec {
    this.counters.enosys++;
    return this.out.error(h, Errno.ENOSYS);
  }

  /**
   * IOCTL. UNRESTRICTED (CUSE's protocol, never sent for a FUSE file) would need RETRY and iovecs,
   * which a FileSystem cannot express: ENOTTY. Output longer than out_size would fail the
   * caller's ioctl with EIO in the kernel; here it is a file system bug, answered EIO and logged.
   */
  private ioctl(req: IoctlRequest, u: RequestHeader): Iovec {
    const fs = this.fs;
    if (!fs.ioctl) return this.enosys(u);
    if (req.flags & FUSE_IOCTL_UNRESTRICTED) {
      this.logOnce('ioctl:unrestricted', `IOCTL 0x${req.cmd.toString(16)} with FUSE_IOCTL_UNRESTRICTED: ENOTTY`);
      return this.out.error(u, Errno.ENOTTY);
    }
    const r = Session.unwrap(fs.ioctl(req));
    const n = r.data?.length ?? 0;
    if (n > req.outSize) {
      throw new Error(`ioctl 0x${req.cmd.toString(16)} answered ${n} bytes, out_size is ${req.outSize}`);
    }
    return this.out.ioctl(u, r.result, r.data);
  }

  /**
   * Calls the file system; returns the reply, or null for requests that get none. The frequent
   * replies are encoded into the session's reply buffers (`w`); the rare ones are allocated.
   */
  private dispatch(req: Exclude<Request, InitRequest>, u: RequestHeader): Iovec | null {
    const fs = this.fs;
    const w = this.out;
    const un = Session.unwrap;
    switch (req.op) {
      case 'destroy':
        fs.destroy?.();
        this.destroyed = true;
        return w.ok(u);
      case 'forget':
        fs.forget?.(req);
        return null;
      case 'batchForget':
        fs.batchForget?.(req);
        return null;
      case 'interrupt':
        // Every request is answered synchronously before the next is read, so there is nothing to cancel.
        return null;
      case 'lookup':
        return fs.lookup ? w.entry(u, un(fs.lookup(req))) : this.enosys(u);
      case 'getattr':
        return fs.getattr ? w.attr(u, un(fs.getattr(req))) : this.enosys(u);
      case 'setattr':
        return fs.setattr ? w.attr(u, un(fs.setattr(req))) : this.enosys(u);
      case 'readlink': {
        if (!fs.readlink) return this.enosys(u);
        const t = un(fs.readlink(req));
        return w.data(u, Buffer.isBuffer(t) ? t : Buffer.from(t, 'utf8'));
      }
      case 'symlink':
        return fs.symlink ? w.entry(u, un(fs.symlink(req))) : this.enosys(u);
      case 'mknod':
        return fs.mknod ? w.entry(u, un(fs.mknod(req))) : this.enosys(u);
      case 'mkdir':
        return fs.mkdir ? w.entry(u, un(fs.mkdir(req))) : this.enosys(u);
      case 'link':
        return fs.link ? w.entry(u, un(fs.link(req))) : this.enosys(u);
      case 'unlink':
        return fs.unlink ? (un(fs.unlink(req)), w.ok(u)) : this.enosys(u);
      case 'rmdir':
        return fs.rmdir ? (un(fs.rmdir(req)), w.ok(u)) : this.enosys(u);
      case 'rename':
        return fs.rename ? (un(fs.rename(req)), w.ok(u)) : this.enosys(u);
      case 'open':
        return fs.open ? w.open(u, un(fs.open(req))) : this.enosys(u);
      case 'opendir':
        return fs.opendir ? w.open(u, un(fs.opendir(req))) : this.enosys(u);
      case 'read': {
        if (!fs.read) return this.enosys(u);
        return w.data(u, un(fs.read(req)), req.size);
      }
      case 'write':
        return fs.write ? w.write(u, un(fs.write(req))) : this.enosys(u);
      case 'flush':
        return fs.flush ? (un(fs.flush(req)), w.ok(u)) : this.enosys(u);
      case 'release':
        return fs.release ? (un(fs.release(req)), w.ok(u)) : w.ok(u);
      case 'releasedir':
        return fs.releasedir ? (un(fs.releasedir(req)), w.ok(u)) : w.ok(u);
      case 'fsync':
        return fs.fsync ? (un(fs.fsync(req)), w.ok(u)) : this.enosys(u);
      case 'fsyncdir':
        return fs.fsyncdir ? (un(fs.fsyncdir(req)), w.ok(u)) : this.enosys(u);
      case 'readdir':
        return fs.readdir
          ? w.data(u, reply.encodeReaddir(this.dirBufferSize(req.size), un(fs.readdir(req))))
          : this.enosys(u);
      case 'readdirplus':
        return fs.readdirplus
          ? w.data(u, reply.encodeReaddirplus(this.dirBufferSize(req.size), un(fs.readdirplus(req))))
          : this.enosys(u);
      case 'statfs': {
        if (!fs.statfs) return this.enosys(u);
        const s = un(fs.statfs(req));
        return w.statfs(u, {
          blocks: s.blocks ?? 0,
          bfree: s.bfree ?? 0,
          bavail: s.bavail ?? 0,
          files: s.files ?? 0,
          ffree: s.ffree ?? 0,
          bsize: s.bsize ?? 4096,
          namelen: s.namelen ?? 255,
          frsize: s.frsize ?? s.bsize ?? 4096,
          padding: 0,
          spare: Buffer.alloc(0),
        });
      }
      case 'getxattr': {
        if (!fs.getxattr) return this.enosys(u);
        return sized(w, u, un(fs.getxattr(req)), req.size);
      }
      case 'listxattr': {
        if (!fs.listxattr) return this.enosys(u);
        return sized(w, u, reply.encodeXattrList(un(fs.listxattr(req))), req.size);
      }
      case 'setxattr':
        return fs.setxattr ? (un(fs.setxattr(req)), w.ok(u)) : this.enosys(u);
      case 'removexattr':
        return fs.removexattr ? (un(fs.removexattr(req)), w.ok(u)) : this.enosys(u);
      case 'access':
        return fs.access ? (un(fs.access(req)), w.ok(u)) : this.enosys(u);
      case 'create': {
        if (!fs.create) return this.enosys(u);
        const c = un(fs.create(req));
        return w.create(u, c.entry, c.open);
      }
      case 'getlk':
        return fs.getlk ? w.lk(u, un(fs.getlk(req))) : this.enosys(u);
      case 'setlk':
        return fs.setlk ? (un(fs.setlk(req)), w.ok(u)) : this.enosys(u);
      case 'lseek':
        return fs.lseek ? w.lseek(u, un(fs.lseek(req))) : this.enosys(u);
      case 'statx':
        return fs.statx ? w.statx(u, un(fs.statx(req))) : this.enosys(u);
      case 'ioctl':
        return this.ioctl(req, u);
      case 'getFmap': {
        if (!fs.getFmap) return this.enosys(u);
        const fmap = un(fs.getFmap(req));
        const plan = planFmapReply(fmap.length, req.bufferSize, this.profile);
        if (plan.send === 'none') {
          const answer = errnoName(plan.errno);
          this.logOnce(`fmap:${u.nodeid}`, `GET_FMAP of nodeid ${u.nodeid}: ${plan.why}; answering ${answer}`);
          return w.error(u, plan.errno);
        }
        const sizeAt = this.profile.fmapSizing?.sizeFieldOffset ?? null;
        return w.fmap(u, fmap, plan.send === 'header-only', sizeAt);
      }
      case 'getDaxdev': {
        if (!fs.getDaxdev) return this.enosys(u);
        const d = un(fs.getDaxdev(req));
        return w.daxdev(u, req.index, d.name);
      }
      case 'unknown':
        this.logOnce(
          `unknown:${req.header.opcode}`,
          `unknown opcode ${req.header.opcode} (${opcodeName(req.header.opcode)}): ENOSYS`,
        );
        return this.enosys(u);
    }
  }
}

/** GETXATTR/LISTXATTR: size 0 asks for the length; a too-small buffer is ERANGE. */
function sized(w: reply.ReplyWriter, h: RequestHeader, value: Buffer, size: number): Iovec {
  if (size === 0) return w.xattrSize(h, value.length);
  if (value.length > size) throw new FuseErrno(Errno.ERANGE);
  return w.data(h, value);
}

/** A printable summary of per-opcode counts, famfs opcodes named by the profile. */
export function describeStats(
  requests: Map<number, number>,
  profile: AbiProfile = DEFAULT_PROFILE,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of [...requests].sort((a, b) => a[0] - b[0])) {
    const name =
      op === profile.getFmapOpcode ? 'GET_FMAP' : op === profile.getDaxdevOpcode ? 'GET_DAXDEV' : opcodeName(op);
    out[name] = n;
  }
  return out;
}
