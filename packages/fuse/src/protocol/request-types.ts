/**
 * The typed requests decodeRequest produces: one interface per operation, the `Request` union
 * over them (discriminated by `op`), and the helper shapes several operations share.
 */
import type { LayoutValue } from '@famfs/struct';
import type { FileLockValue, SetattrIn } from './abi';
import type { RequestHeader } from './request';

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
export interface LockLike {
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
/**
 * IOCTL on an open file or directory. For a FUSE file the kernel speaks the restricted protocol:
 * in_size/out_size come from the _IOC size and direction encoded in cmd (or, for the fileattr
 * ioctls the kernel issues itself, the size of its own buffer), and the reply may carry at most
 * out_size bytes. The decoder does not tie the sizes to cmd for that reason; a file system checks
 * them against the struct it expects.
 */
export interface IoctlRequest extends Base<'ioctl'> {
  readonly fh: number;
  /** FUSE_IOCTL_* bits (DIR, COMPAT, 32BIT, UNRESTRICTED...). */
  readonly flags: number;
  /** The ioctl number as the caller passed it, as a u32. */
  readonly cmd: number;
  /** The caller's argument (usually a user pointer): informative only, never dereferenceable here. */
  readonly arg: bigint;
  readonly inSize: number;
  /** The most bytes the reply's data may carry. */
  readonly outSize: number;
  /** The in_size bytes of input: a view into the session's read buffer, valid only during the call. */
  readonly data: Buffer;
}
export interface GetFmapRequest extends Base<'getFmap'> {
  /**
   * The kernel's reply buffer: the in-argument's size where the profile sizes GET_FMAP (push),
   * else the profile's one fixed buffer (maxFmapBytes).
   */
  readonly bufferSize: number;
}
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
  | IoctlRequest
  | GetFmapRequest
  | GetDaxdevRequest
  | UnknownRequest;

export type RequestOp = Request['op'];
export type RequestOf<K extends RequestOp> = Extract<Request, { op: K }>;
