/**
 * The file system a session serves: one optional method per FUSE operation. A method receives the
 * decoded request (which carries the header: unique, nodeid, uid, gid, pid) and returns the reply
 * value synchronously. To fail, throw (or return) a FuseErrno; anything else thrown becomes EIO.
 * A method that is not implemented is answered with ENOSYS, which the kernel turns into its
 * documented fallback (no_open, no_flush, getattr instead of statx, ...).
 *
 * Methods run on the session's thread, one at a time; none may block on anything that itself
 * needs the mount (that would deadlock the kernel against the daemon).
 *
 * A request object, its header included, is valid only during the call: the session decodes the
 * next request into the same objects (RequestDecoder). What a method keeps, it copies; the strings
 * and numbers it reads out of a request are its own. Payload views (WRITE data, xattr values,
 * IOCTL input) alias the session's read buffer and likewise last only for the call.
 */
import type { AbiProfile } from './protocol/profiles';
import type { FileLockValue, KstatfsValue } from './protocol/abi';
import type {
  AccessRequest,
  BatchForgetRequest,
  CreateRequest,
  FlushRequest,
  ForgetRequest,
  FsyncdirRequest,
  FsyncRequest,
  GetattrRequest,
  GetDaxdevRequest,
  GetFmapRequest,
  GetlkRequest,
  GetxattrRequest,
  IoctlRequest,
  LinkRequest,
  ListxattrRequest,
  LookupRequest,
  LseekRequest,
  MkdirRequest,
  MknodRequest,
  OpendirRequest,
  OpenRequest,
  ReaddirplusRequest,
  ReaddirRequest,
  ReadlinkRequest,
  ReadRequest,
  ReleasedirRequest,
  ReleaseRequest,
  RemovexattrRequest,
  RenameRequest,
  RmdirRequest,
  SetattrRequest,
  SetlkRequest,
  SetxattrRequest,
  StatfsRequest,
  StatxRequest,
  SymlinkRequest,
  UnlinkRequest,
  WriteRequest,
} from './protocol/request';
import type { AttrParam, DirEntry, DirEntryPlus, EntryParam, OpenParam, StatxParam } from './protocol/reply';
import type { FuseErrno } from './errors';
import type { DaxdevProbe } from './session/daxdev-push';

/** What the kernel offered at INIT, given to FileSystem.init. */
export interface ConnectionInfo {
  readonly kernelMajor: number;
  readonly kernelMinor: number;
  /** The kernel's 64-bit capability set (flags | flags2 << 32). */
  readonly kernelFlags: bigint;
  readonly maxReadahead: number;
  /** The active famfs ABI profile. */
  readonly profile: AbiProfile;
  /** The kernel offered the profile's FUSE_DAX_FMAP bit. */
  readonly famfsOffered: boolean;
  /** Sends cache invalidations to the kernel, from INIT on (see Notifier). */
  readonly notifier: Notifier;
}

/**
 * Cache invalidations the file system may send at any time after INIT, for changes the kernel
 * cannot know of (another host changed what the file system serves). Each call queues one
 * notification and returns at once: it is written by a thread that does not answer requests
 * (in a session worker, the thread that started it), because the kernel may hold a directory's
 * lock while it waits for an answer from this thread, and INVAL_ENTRY takes that lock. The kernel
 * answers ENOENT for what it does not cache; that is not an error and is not reported.
 */
export interface Notifier {
  /** Drop `nodeid`'s cached attributes (and its cached pages from `off` for `len` bytes when off >= 0; len 0: all). */
  invalInode(nodeid: number, off?: number, len?: number): void;
  /** Drop the cached name `name` in directory `parent` (positive or negative). */
  invalEntry(parent: number, name: string): void;
}

/** The connection once INIT has been answered and the kernel's famfs generation is settled. */
export interface Connection {
  /** The profile in force from now on (under "auto", the one the probes found). */
  readonly profile: AbiProfile;
  /** FUSE_DAX_FMAP was negotiated. */
  readonly famfs: boolean;
  /** What each probe answered when the profile was chosen by probing ("auto"); empty otherwise. */
  readonly probes: readonly DaxdevProbe[];
  /**
   * Registers a backing device with the kernel by the profile's daxdev push ioctl: `fd` is an open
   * fd of the device (close it afterwards: the kernel keeps its own reference), `index` its daxdev
   * index. Throws DaxdevPushError (`.code` the errno name). Null when the profile has no push.
   */
  readonly pushDaxdev: ((fd: number, index: number) => void) | null;
}

/** What the file system asks for at INIT; each capability is granted only if the kernel offered it. */
export interface InitWants {
  /** FUSE_DAX_FMAP from the active profile: answer GET_FMAP/GET_DAXDEV instead of READ/WRITE. */
  famfs?: boolean;
  /** FLOCK_LOCKS: flock(2) is sent as SETLK/SETLKW with FUSE_LK_FLOCK (needs setlk). */
  flockLocks?: boolean;
  /** POSIX_LOCKS: fcntl locks are sent to the daemon (needs getlk and setlk). */
  posixLocks?: boolean;
  /** DIRECT_IO_ALLOW_MMAP: mmap works on FOPEN_DIRECT_IO files. */
  directIoAllowMmap?: boolean;
  /** READDIRPLUS mode when readdirplus is implemented: 'auto' (default) lets the kernel choose, 'always' forces it. */
  readdirplus?: 'auto' | 'always' | 'off';
  /** PARALLEL_DIROPS (default true). */
  parallelDirops?: boolean;
  /** ASYNC_READ (default true). */
  asyncRead?: boolean;
  /** Any other INIT bits (64-bit mask), granted where the kernel offers them. */
  extraFlags?: bigint;
  /** Override of max_readahead (the reply never exceeds the kernel's). */
  maxReadahead?: number;
}

/** STATFS reply; unset fields are 0 (namelen defaults to 255). */
export type StatfsReply = Partial<KstatfsValue>;

export interface CreateReply {
  entry: EntryParam;
  open: OpenParam;
}

/** An IOCTL answer: what ioctl(2) returns, and the bytes copied back to the caller's buffer. */
export interface IoctlReply {
  /** The ioctl's return value (an int32, normally 0 or positive; fail with a FuseErrno instead). */
  result: number;
  /** Output for the caller's buffer: at most req.outSize bytes (more is a file system bug: EIO). */
  data?: Buffer;
}

export interface DaxdevReply {
  /** Path of the device, e.g. /dev/dax0.0 (at most 255 bytes). */
  name: string;
}

type R<T> = T | FuseErrno;

export interface FileSystem {
  init?(info: ConnectionInfo): InitWants | void;
  /**
   * Called once INIT has been answered (and, under "auto", the profile probed for), before the
   * next request is read. A famfs file system learns the final profile and its push here.
   */
  connected?(conn: Connection): void;
  destroy?(): void;
  /**
   * Called by the session loop after each message has been handled and before the next is read:
   * housekeeping that must run on the session's thread between requests (the loop is otherwise
   * blocked reading /dev/fuse). The reply to the message is written right after this returns, with
   * the read of the next request, so this must leave alone any buffer that reply refers to.
   */
  afterRequest?(): void;

  lookup?(req: LookupRequest): R<EntryParam>;
  /** No reply is sent, whatever this does. */
  forget?(req: ForgetRequest): void;
  /** No reply is sent, whatever this does. */
  batchForget?(req: BatchForgetRequest): void;
  getattr?(req: GetattrRequest): R<AttrParam>;
  setattr?(req: SetattrRequest): R<AttrParam>;
  readlink?(req: ReadlinkRequest): R<string | Buffer>;
  symlink?(req: SymlinkRequest): R<EntryParam>;
  mknod?(req: MknodRequest): R<EntryParam>;
  mkdir?(req: MkdirRequest): R<EntryParam>;
  unlink?(req: UnlinkRequest): R<void>;
  rmdir?(req: RmdirRequest): R<void>;
  rename?(req: RenameRequest): R<void>;
  link?(req: LinkRequest): R<EntryParam>;

  open?(req: OpenRequest): R<OpenParam>;
  /** The data (at most req.size bytes; longer is cut). Buffers are written without copying. */
  read?(req: ReadRequest): R<Buffer | Buffer[]>;
  /** Bytes written. req.data is valid only during the call. */
  write?(req: WriteRequest): R<number>;
  flush?(req: FlushRequest): R<void>;
  release?(req: ReleaseRequest): R<void>;
  fsync?(req: FsyncRequest): R<void>;

  opendir?(req: OpendirRequest): R<OpenParam>;
  /** Entries from req.offset on; the session stops pulling once req.size bytes are filled. */
  readdir?(req: ReaddirRequest): R<Iterable<DirEntry>>;
  /** As readdir; implementing it turns on READDIRPLUS at INIT. */
  readdirplus?(req: ReaddirplusRequest): R<Iterable<DirEntryPlus>>;
  releasedir?(req: ReleasedirRequest): R<void>;
  fsyncdir?(req: FsyncdirRequest): R<void>;

  statfs?(req: StatfsRequest): R<StatfsReply>;
  /** The value; the session handles size probes (size 0) and ERANGE. */
  getxattr?(req: GetxattrRequest): R<Buffer>;
  /** The names; the session handles size probes and ERANGE. */
  listxattr?(req: ListxattrRequest): R<string[]>;
  setxattr?(req: SetxattrRequest): R<void>;
  removexattr?(req: RemovexattrRequest): R<void>;
  access?(req: AccessRequest): R<void>;
  create?(req: CreateRequest): R<CreateReply>;

  getlk?(req: GetlkRequest): R<FileLockValue>;
  /** SETLK/SETLKW, including flock(2) when req.flock. */
  setlk?(req: SetlkRequest): R<void>;
  lseek?(req: LseekRequest): R<number>;
  statx?(req: StatxRequest): R<StatxParam>;
  /**
   * IOCTL (restricted: the sizes come from cmd, no RETRY). Not implemented, or failing with
   * ENOSYS, reaches the caller as ENOTTY (the kernel translates it), as does UNRESTRICTED, which
   * the session refuses before calling this.
   */
  ioctl?(req: IoctlRequest): R<IoctlReply>;

  /**
   * famfs GET_FMAP: the whole fmap blob (fuse_famfs_fmap_header + extents). The session sends it
   * whole when it fits req.bufferSize, else its header alone with fmap_size (profiles that size
   * replies), and answers EFBIG when it is larger than profile.maxFmapBytes.
   */
  getFmap?(req: GetFmapRequest): R<Buffer>;
  /** famfs GET_DAXDEV: the device behind index req.index. */
  getDaxdev?(req: GetDaxdevRequest): R<DaxdevReply>;
}

/** A module loaded by the worker exports a factory building the file system inside the worker. */
/** What a session worker hands the file system it builds. */
export interface FileSystemContext {
  /**
   * Logs a line through the thread that started the worker. Writes to process.stderr from a worker
   * thread are flushed by its event loop, which a session blocked reading /dev/fuse never runs.
   * `level` is a syslog level (0 EMERG .. 7 DEBUG); the receiver decides what to show.
   */
  log(message: string, level?: number): void;
  /**
   * Hands a structured-cloneable value to the thread that started the worker (its
   * StartOptions.onFsMessage): work the file system leaves to a thread that is not blocked reading
   * /dev/fuse. Absent when the session runs in the caller's thread.
   */
  post?(value: unknown, transfer?: ArrayBuffer[]): void;
}

export type FileSystemFactory = (options: unknown, context: FileSystemContext) => FileSystem | Promise<FileSystem>;
