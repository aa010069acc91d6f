/**
 * Decoding of one raw request (exactly one /dev/fuse read) into a typed request.
 *
 * Everything here treats its input as untrusted: the header's len must equal the bytes read, the
 * extension area (total_extlen) must fit, each op's argument struct must be complete, names must
 * be NUL-terminated and be names the kernel could send. A malformed message throws RequestError:
 * with the request's unique and an errno when the header was readable and the op expects an answer
 * (the session replies with that errno), or marked unanswerable otherwise (the session drops it).
 */
import { Errno } from '../errors';
import {
  AccessIn,
  BatchForgetIn,
  CreateIn,
  FlushIn,
  ForgetIn,
  ForgetOne,
  FsyncIn,
  FUSE_COMPAT_INIT_IN_SIZE,
  FUSE_COMPAT_SETXATTR_IN_SIZE,
  FUSE_FSYNC_FDATASYNC,
  FUSE_GETATTR_FH,
  FUSE_INIT_EXT,
  FUSE_NAME_MAX,
  GetattrIn,
  GetDaxdevIn,
  GetxattrIn,
  InHeader,
  InitIn,
  InterruptIn,
  LinkIn,
  LkIn,
  LseekIn,
  MkdirIn,
  MknodIn,
  Opcode,
  OpenIn,
  ReadIn,
  ReleaseIn,
  Rename2In,
  RenameIn,
  SetattrIn,
  SetxattrIn,
  StatxIn,
  WriteIn,
  FUSE_LK_FLOCK,
} from './abi';
import type { FileLockValue } from './abi';
import type { LayoutValue } from '@famfs/libfamfs';
import type { AbiProfile } from './profiles';

/** The decoded fuse_in_header. */
export interface RequestHeader {
  readonly len: number;
  readonly opcode: number;
  readonly unique: bigint;
  readonly nodeid: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly totalExtlen: number;
}

interface Base<K extends string> {
  readonly op: K;
  readonly header: RequestHeader;
}
interface Named {
  /** A single path component, never empty, never containing '/'. */
  readonly name: string;
}
interface ReadLike {
  readonly fh: number;
  readonly offset: number;
  readonly size: number;
  readonly readFlags: number;
  readonly lockOwner: bigint;
  readonly flags: number;
}
interface ReleaseLike {
  readonly fh: number;
  readonly flags: number;
  readonly releaseFlags: number;
  readonly lockOwner: bigint;
}
interface FsyncLike {
  readonly fh: number;
  readonly datasync: boolean;
}
interface OpenLike {
  /** open(2) flags (O_CREAT, O_EXCL, O_NOCTTY removed by the kernel). */
  readonly flags: number;
  readonly openFlags: number;
}
interface LockLike {
  readonly fh: number;
  readonly owner: bigint;
  readonly lk: FileLockValue;
  readonly lkFlags: number;
  /** True when the lock is a BSD flock(2) (FUSE_LK_FLOCK), false for a POSIX record lock. */
  readonly flock: boolean;
}

export interface InitRequest extends Base<'init'> {
  readonly major: number;
  readonly minor: number;
  readonly maxReadahead: number;
  /** The 64-bit capability set: flags | flags2 << 32 (flags2 only when FUSE_INIT_EXT is set). */
  readonly flags: bigint;
}
export type DestroyRequest = Base<'destroy'>;
export interface LookupRequest extends Base<'lookup'>, Named {}
export interface ForgetRequest extends Base<'forget'> {
  readonly nlookup: number;
}
export interface BatchForgetRequest extends Base<'batchForget'> {
  readonly nodes: ReadonlyArray<{ readonly nodeid: number; readonly nlookup: number }>;
}
export interface GetattrRequest extends Base<'getattr'> {
  /** The file handle when the kernel passed one (FUSE_GETATTR_FH), else undefined. */
  readonly fh: number | undefined;
}
export interface SetattrRequest extends Base<'setattr'> {
  readonly attr: LayoutValue<typeof SetattrIn>;
}
export type ReadlinkRequest = Base<'readlink'>;
export interface SymlinkRequest extends Base<'symlink'>, Named {
  readonly target: string;
}
export interface MknodRequest extends Base<'mknod'>, Named {
  readonly mode: number;
  readonly rdev: number;
  readonly umask: number;
}
export interface MkdirRequest extends Base<'mkdir'>, Named {
  readonly mode: number;
  readonly umask: number;
}
export interface UnlinkRequest extends Base<'unlink'>, Named {}
export interface RmdirRequest extends Base<'rmdir'>, Named {}
export interface RenameRequest extends Base<'rename'>, Named {
  readonly newdir: number;
  readonly newname: string;
  /** RENAME2 flags (RENAME_NOREPLACE, RENAME_EXCHANGE...); 0 for plain RENAME. */
  readonly flags: number;
}
export interface LinkRequest extends Base<'link'>, Named {
  readonly oldnodeid: number;
}
export interface OpenRequest extends Base<'open'>, OpenLike {}
export interface ReadRequest extends Base<'read'>, ReadLike {}
export interface WriteRequest extends Base<'write'> {
  readonly fh: number;
  readonly offset: number;
  readonly size: number;
  readonly writeFlags: number;
  readonly lockOwner: bigint;
  readonly flags: number;
  /** The payload: a view into the session's read buffer, valid only during the call. */
  readonly data: Buffer;
}
export type StatfsRequest = Base<'statfs'>;
export interface ReleaseRequest extends Base<'release'>, ReleaseLike {}
export interface FsyncRequest extends Base<'fsync'>, FsyncLike {}
export interface SetxattrRequest extends Base<'setxattr'> {
  readonly name: string;
  /** A view into the session's read buffer, valid only during the call. */
  readonly value: Buffer;
  readonly flags: number;
  readonly setxattrFlags: number;
}
export interface GetxattrRequest extends Base<'getxattr'> {
  readonly name: string;
  /** 0 asks for the value's size only. */
  readonly size: number;
}
export interface ListxattrRequest extends Base<'listxattr'> {
  readonly size: number;
}
export interface RemovexattrRequest extends Base<'removexattr'> {
  readonly name: string;
}
export interface FlushRequest extends Base<'flush'> {
  readonly fh: number;
  readonly lockOwner: bigint;
}
export interface OpendirRequest extends Base<'opendir'>, OpenLike {}
export interface ReaddirRequest extends Base<'readdir'>, ReadLike {}
export interface ReaddirplusRequest extends Base<'readdirplus'>, ReadLike {}
export interface ReleasedirRequest extends Base<'releasedir'>, ReleaseLike {}
export interface FsyncdirRequest extends Base<'fsyncdir'>, FsyncLike {}
export interface GetlkRequest extends Base<'getlk'>, LockLike {}
export interface SetlkRequest extends Base<'setlk'>, LockLike {
  /** SETLKW: wait for the lock. */
  readonly sleep: boolean;
}
export interface AccessRequest extends Base<'access'> {
  readonly mask: number;
}
export interface CreateRequest extends Base<'create'>, Named, OpenLike {
  readonly mode: number;
  readonly umask: number;
}
export interface InterruptRequest extends Base<'interrupt'> {
  /** The unique of the request to interrupt. */
  readonly target: bigint;
}
export interface LseekRequest extends Base<'lseek'> {
  readonly fh: number;
  readonly offset: number;
  readonly whence: number;
}
export interface StatxRequest extends Base<'statx'> {
  readonly getattrFlags: number;
  readonly fh: number | undefined;
  readonly sxFlags: number;
  readonly sxMask: number;
}
export type GetFmapRequest = Base<'getFmap'>;
export interface GetDaxdevRequest extends Base<'getDaxdev'> {
  /** The daxdev index (V10: carried in the header's nodeid). */
  readonly index: number;
}
/** An opcode we do not decode: the session answers ENOSYS. */
export type UnknownRequest = Base<'unknown'>;

export type Request =
  | InitRequest
  | DestroyRequest
  | LookupRequest
  | ForgetRequest
  | BatchForgetRequest
  | GetattrRequest
  | SetattrRequest
  | ReadlinkRequest
  | SymlinkRequest
  | MknodRequest
  | MkdirRequest
  | UnlinkRequest
  | RmdirRequest
  | RenameRequest
  | LinkRequest
  | OpenRequest
  | ReadRequest
  | WriteRequest
  | StatfsRequest
  | ReleaseRequest
  | FsyncRequest
  | SetxattrRequest
  | GetxattrRequest
  | ListxattrRequest
  | RemovexattrRequest
  | FlushRequest
  | OpendirRequest
  | ReaddirRequest
  | ReaddirplusRequest
  | ReleasedirRequest
  | FsyncdirRequest
  | GetlkRequest
  | SetlkRequest
  | AccessRequest
  | CreateRequest
  | InterruptRequest
  | LseekRequest
  | StatxRequest
  | GetFmapRequest
  | GetDaxdevRequest
  | UnknownRequest;

export type RequestOp = Request['op'];
export type RequestOf<K extends RequestOp> = Extract<Request, { op: K }>;

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
/** Ops whose header nodeid is not an inode (so 0 is fine). */
const NODELESS = new Set<number>([Opcode.INIT, Opcode.DESTROY, Opcode.INTERRUPT, Opcode.BATCH_FORGET, Opcode.NOTIFY_REPLY]);

/** The largest xattr name the kernel passes (XATTR_NAME_MAX). */
const XATTR_NAME_MAX = 255;
/** The largest symlink target the kernel passes (PATH_MAX incl. NUL). */
const PATH_MAX = 4096;

/** Decodes only the header, for callers that need the unique of a message they cannot decode. */
export function decodeHeader(buf: Buffer): RequestHeader | null {
  if (buf.length < InHeader.size) return null;
  const h = InHeader.decode(buf, 0);
  return h;
}

/**
 * Decodes one request. `buf` must be exactly the bytes of one read. Throws RequestError.
 * Payload views (write data, xattr values) alias `buf`.
 */
export function decodeRequest(buf: Buffer, ctx: DecodeContext): Request {
  if (buf.length < InHeader.size) {
    throw new RequestError(`message of ${buf.length} bytes is shorter than fuse_in_header`, null, Errno.EIO, null);
  }
  const header: RequestHeader = InHeader.decode(buf, 0);
  const op = header.opcode;
  const fail = (why: string, errno: number = Errno.EINVAL): never => {
    throw new RequestError(`opcode ${op} unique ${header.unique}: ${why}`, NO_REPLY.has(op) ? null : header.unique, errno, op);
  };
  if (header.len !== buf.length) fail(`header len ${header.len} but ${buf.length} bytes were read`, Errno.EIO);
  const extBytes = header.totalExtlen * 8;
  if (InHeader.size + extBytes > buf.length) fail(`total_extlen ${header.totalExtlen} runs past the message`);
  const body = buf.subarray(InHeader.size, buf.length - extBytes);
  const needNode = !NODELESS.has(op) && !(op === ctx.profile.getDaxdevOpcode && ctx.profile.daxdevIndexIn === 'nodeid');
  if (needNode && header.nodeid === 0) fail('nodeid 0');

  const args = <L extends { size: number; decode(b: Buffer, at?: number): unknown }>(layout: L, exact = false) => {
    if (body.length < layout.size) fail(`${body.length} argument bytes, ${layout.size} needed`);
    if (exact && body.length !== layout.size) fail(`${body.length} argument bytes, exactly ${layout.size} expected`);
    return layout.decode(body, 0) as ReturnType<L['decode']>;
  };
  /** Reads a NUL-terminated string at `at`; returns it and the offset after its NUL. */
  const str = (at: number, what: string, max: number): [string, number] => {
    const end = body.indexOf(0, at);
    if (end < 0) fail(`${what} is not NUL-terminated`);
    if (end === at) fail(`${what} is empty`);
    if (end - at > max) fail(`${what} is ${end - at} bytes (max ${max})`, Errno.ENAMETOOLONG);
    return [body.toString('utf8', at, end), end + 1];
  };
  /** A path component: also no '/', and '.'/'..' only where allowed. */
  const component = (at: number, what: string, dotsOk = false): [string, number] => {
    const [s, next] = str(at, what, FUSE_NAME_MAX);
    if (s.includes('/')) fail(`${what} "${s}" contains '/'`);
    if (!dotsOk && (s === '.' || s === '..')) fail(`${what} is "${s}"`);
    return [s, next];
  };
  const end = (at: number): void => {
    if (at !== body.length) fail(`${body.length - at} unexpected trailing bytes`);
  };
  /** One name filling the whole body after `at`. */
  const onlyName = (at: number, dotsOk = false): string => {
    const [name, next] = component(at, 'name', dotsOk);
    end(next);
    return name;
  };

  // famfs opcodes first: under the rfc profile 53 means GET_FMAP, not COPY_FILE_RANGE_64.
  if (op === ctx.profile.getFmapOpcode) return { op: 'getFmap', header };
  if (op === ctx.profile.getDaxdevOpcode) {
    if (ctx.profile.daxdevIndexIn === 'body') return { op: 'getDaxdev', header, index: args(GetDaxdevIn).daxdevNum };
    return { op: 'getDaxdev', header, index: header.nodeid };
  }

  switch (op) {
    case Opcode.INIT: {
      if (body.length < FUSE_COMPAT_INIT_IN_SIZE) fail(`${body.length} argument bytes, ${FUSE_COMPAT_INIT_IN_SIZE} needed`);
      const full = body.length >= InitIn.size ? body : Buffer.concat([body, Buffer.alloc(InitIn.size - body.length)]);
      const a = InitIn.decode(full, 0);
      let flags = BigInt(a.flags);
      if (flags & FUSE_INIT_EXT) flags |= BigInt(a.flags2) << 32n;
      return { op: 'init', header, major: a.major, minor: a.minor, maxReadahead: a.maxReadahead, flags };
    }
    case Opcode.DESTROY:
      return { op: 'destroy', header };
    case Opcode.LOOKUP:
      // '.' and '..' can come from the export path (fuse_get_parent), so they are passed through here.
      return { op: 'lookup', header, name: onlyName(0, true) };
    case Opcode.FORGET:
      return { op: 'forget', header, nlookup: args(ForgetIn).nlookup };
    case Opcode.BATCH_FORGET: {
      const { count } = args(BatchForgetIn);
      const need = BatchForgetIn.size + count * ForgetOne.size;
      if (body.length < need) fail(`BATCH_FORGET of ${count} needs ${need} bytes, has ${body.length}`);
      return { op: 'batchForget', header, nodes: ForgetOne.decodeArray(body, BatchForgetIn.size, count) };
    }
    case Opcode.GETATTR: {
      const a = args(GetattrIn);
      return { op: 'getattr', header, fh: a.getattrFlags & FUSE_GETATTR_FH ? a.fh : undefined };
    }
    case Opcode.SETATTR:
      return { op: 'setattr', header, attr: args(SetattrIn) };
    case Opcode.READLINK:
      return { op: 'readlink', header };
    case Opcode.SYMLINK: {
      const [name, next] = component(0, 'name');
      const [target, after] = str(next, 'symlink target', PATH_MAX - 1);
      end(after);
      return { op: 'symlink', header, name, target };
    }
    case Opcode.MKNOD: {
      const a = args(MknodIn);
      return { op: 'mknod', header, mode: a.mode, rdev: a.rdev, umask: a.umask, name: onlyName(MknodIn.size) };
    }
    case Opcode.MKDIR: {
      const a = args(MkdirIn);
      return { op: 'mkdir', header, mode: a.mode, umask: a.umask, name: onlyName(MkdirIn.size) };
    }
    case Opcode.UNLINK:
      return { op: 'unlink', header, name: onlyName(0) };
    case Opcode.RMDIR:
      return { op: 'rmdir', header, name: onlyName(0) };
    case Opcode.RENAME:
    case Opcode.RENAME2: {
      const two = op === Opcode.RENAME2;
      const a = two ? args(Rename2In) : { ...args(RenameIn), flags: 0 };
      const [name, next] = component(two ? Rename2In.size : RenameIn.size, 'old name');
      const [newname, after] = component(next, 'new name');
      end(after);
      if (a.newdir === 0) fail('rename to nodeid 0');
      return { op: 'rename', header, name, newdir: a.newdir, newname, flags: a.flags };
    }
    case Opcode.LINK: {
      const a = args(LinkIn);
      if (a.oldnodeid === 0) fail('link of nodeid 0');
      return { op: 'link', header, oldnodeid: a.oldnodeid, name: onlyName(LinkIn.size) };
    }
    case Opcode.OPEN:
    case Opcode.OPENDIR: {
      const a = args(OpenIn);
      return { op: op === Opcode.OPEN ? 'open' : 'opendir', header, flags: a.flags, openFlags: a.openFlags };
    }
    case Opcode.READ:
    case Opcode.READDIR:
    case Opcode.READDIRPLUS: {
      const a = args(ReadIn);
      const r: ReadLike = { fh: a.fh, offset: a.offset, size: a.size, readFlags: a.readFlags, lockOwner: a.lockOwner, flags: a.flags };
      return { op: op === Opcode.READ ? 'read' : op === Opcode.READDIR ? 'readdir' : 'readdirplus', header, ...r };
    }
    case Opcode.WRITE: {
      const a = args(WriteIn);
      if (body.length - WriteIn.size !== a.size) fail(`WRITE of ${a.size} bytes carries ${body.length - WriteIn.size}`);
      return {
        op: 'write',
        header,
        fh: a.fh,
        offset: a.offset,
        size: a.size,
        writeFlags: a.writeFlags,
        lockOwner: a.lockOwner,
        flags: a.flags,
        data: body.subarray(WriteIn.size),
      };
    }
    case Opcode.STATFS:
      return { op: 'statfs', header };
    case Opcode.RELEASE:
    case Opcode.RELEASEDIR: {
      const a = args(ReleaseIn);
      const r: ReleaseLike = { fh: a.fh, flags: a.flags, releaseFlags: a.releaseFlags, lockOwner: a.lockOwner };
      return { op: op === Opcode.RELEASE ? 'release' : 'releasedir', header, ...r };
    }
    case Opcode.FSYNC:
    case Opcode.FSYNCDIR: {
      const a = args(FsyncIn);
      const r: FsyncLike = { fh: a.fh, datasync: (a.fsyncFlags & FUSE_FSYNC_FDATASYNC) !== 0 };
      return { op: op === Opcode.FSYNC ? 'fsync' : 'fsyncdir', header, ...r };
    }
    case Opcode.SETXATTR: {
      const argSize = ctx.setxattrExt ? SetxattrIn.size : FUSE_COMPAT_SETXATTR_IN_SIZE;
      if (body.length < argSize) fail(`${body.length} argument bytes, ${argSize} needed`);
      const size = SetxattrIn.get(body, 'size');
      const flags = SetxattrIn.get(body, 'flags');
      const setxattrFlags = ctx.setxattrExt ? SetxattrIn.get(body, 'setxattrFlags') : 0;
      const [name, next] = str(argSize, 'xattr name', XATTR_NAME_MAX);
      if (body.length - next !== size) fail(`SETXATTR value of ${size} bytes carries ${body.length - next}`);
      return { op: 'setxattr', header, name, value: body.subarray(next), flags, setxattrFlags };
    }
    case Opcode.GETXATTR: {
      const a = args(GetxattrIn);
      const [name, next] = str(GetxattrIn.size, 'xattr name', XATTR_NAME_MAX);
      end(next);
      return { op: 'getxattr', header, name, size: a.size };
    }
    case Opcode.LISTXATTR:
      return { op: 'listxattr', header, size: args(GetxattrIn, true).size };
    case Opcode.REMOVEXATTR: {
      const [name, next] = str(0, 'xattr name', XATTR_NAME_MAX);
      end(next);
      return { op: 'removexattr', header, name };
    }
    case Opcode.FLUSH: {
      const a = args(FlushIn);
      return { op: 'flush', header, fh: a.fh, lockOwner: a.lockOwner };
    }
    case Opcode.GETLK:
    case Opcode.SETLK:
    case Opcode.SETLKW: {
      const a = args(LkIn);
      const l: LockLike = { fh: a.fh, owner: a.owner, lk: a.lk, lkFlags: a.lkFlags, flock: (a.lkFlags & FUSE_LK_FLOCK) !== 0 };
      if (op === Opcode.GETLK) return { op: 'getlk', header, ...l };
      return { op: 'setlk', header, ...l, sleep: op === Opcode.SETLKW };
    }
    case Opcode.ACCESS:
      return { op: 'access', header, mask: args(AccessIn).mask };
    case Opcode.CREATE: {
      const a = args(CreateIn);
      return {
        op: 'create',
        header,
        flags: a.flags,
        mode: a.mode,
        umask: a.umask,
        openFlags: a.openFlags,
        name: onlyName(CreateIn.size),
      };
    }
    case Opcode.INTERRUPT:
      return { op: 'interrupt', header, target: args(InterruptIn).unique };
    case Opcode.LSEEK: {
      const a = args(LseekIn);
      return { op: 'lseek', header, fh: a.fh, offset: a.offset, whence: a.whence };
    }
    case Opcode.STATX: {
      const a = args(StatxIn);
      return {
        op: 'statx',
        header,
        getattrFlags: a.getattrFlags,
        fh: a.getattrFlags & FUSE_GETATTR_FH ? a.fh : undefined,
        sxFlags: a.sxFlags,
        sxMask: a.sxMask,
      };
    }
    default:
      return { op: 'unknown', header };
  }
}
