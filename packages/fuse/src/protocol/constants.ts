/**
 * The FUSE kernel ABI's numbers as the daemon sees them: protocol version, opcodes, INIT
 * capability bits, open/setattr/lock/write flags, directory entry types and file type bits
 * (include/uapi/linux/fuse.h, protocol 7.45). The wire structs are in abi.ts, which re-exports
 * these. The famfs opcodes and INIT bit are not here: they live in an ABI profile (./profiles).
 */
/** Protocol version we speak. We reply min(ours, kernel's) for the minor. */
export const FUSE_KERNEL_VERSION = 7;
export const FUSE_KERNEL_MINOR_VERSION = 45;
/** Oldest kernel minor we accept: 7.26 has MAX_PAGES, the 64-byte init_out and every struct size used here. */
export const FUSE_MIN_KERNEL_MINOR = 26;

export const FUSE_ROOT_ID = 1;
/** Longest name the kernel sends once max_pages > 1 (FUSE_NAME_MAX). */
export const FUSE_NAME_MAX = 1024;
/** Smallest read buffer the kernel accepts, whatever max_write is (FUSE_MIN_READ_BUFFER). */
export const FUSE_MIN_READ_BUFFER = 8192;
/** Error values in an out header must lie in [-511, 0]. */
export const FUSE_MAX_ERRNO = 511;

/** Standard opcodes (the famfs ones come from the ABI profile). */
export const Opcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
  STATX: 52,
  COPY_FILE_RANGE_64: 53,
} as const;
export type OpcodeName = keyof typeof Opcode;

const OPCODE_NAMES = new Map<number, string>(Object.entries(Opcode).map(([k, v]) => [v, k]));
/** A printable name for an opcode number (standard ones only; famfs ones are named by the profile). */
export function opcodeName(op: number): string {
  return OPCODE_NAMES.get(op) ?? `OP_${op}`;
}

/**
 * INIT capability bits as bit numbers in the 64-bit space: bits 0..31 travel in `flags`,
 * bits 32..63 in `flags2` (honoured only when FUSE_INIT_EXT is set in `flags`).
 */
export const InitBit = {
  ASYNC_READ: 0,
  POSIX_LOCKS: 1,
  FILE_OPS: 2,
  ATOMIC_O_TRUNC: 3,
  EXPORT_SUPPORT: 4,
  BIG_WRITES: 5,
  DONT_MASK: 6,
  SPLICE_WRITE: 7,
  SPLICE_MOVE: 8,
  SPLICE_READ: 9,
  FLOCK_LOCKS: 10,
  HAS_IOCTL_DIR: 11,
  AUTO_INVAL_DATA: 12,
  DO_READDIRPLUS: 13,
  READDIRPLUS_AUTO: 14,
  ASYNC_DIO: 15,
  WRITEBACK_CACHE: 16,
  NO_OPEN_SUPPORT: 17,
  PARALLEL_DIROPS: 18,
  HANDLE_KILLPRIV: 19,
  POSIX_ACL: 20,
  ABORT_ERROR: 21,
  MAX_PAGES: 22,
  CACHE_SYMLINKS: 23,
  NO_OPENDIR_SUPPORT: 24,
  EXPLICIT_INVAL_DATA: 25,
  MAP_ALIGNMENT: 26,
  SUBMOUNTS: 27,
  HANDLE_KILLPRIV_V2: 28,
  SETXATTR_EXT: 29,
  INIT_EXT: 30,
  INIT_RESERVED: 31,
  SECURITY_CTX: 32,
  HAS_INODE_DAX: 33,
  CREATE_SUPP_GROUP: 34,
  HAS_EXPIRE_ONLY: 35,
  DIRECT_IO_ALLOW_MMAP: 36,
  PASSTHROUGH: 37,
  NO_EXPORT_SUPPORT: 38,
  HAS_RESEND: 39,
  ALLOW_IDMAP: 40,
  OVER_IO_URING: 41,
  REQUEST_TIMEOUT: 42,
} as const;
export type InitBitName = keyof typeof InitBit;

/** The 64-bit mask of one INIT bit. */
export const initFlag = (bit: number): bigint => 1n << BigInt(bit);
export const FUSE_INIT_EXT = initFlag(InitBit.INIT_EXT);
export const FUSE_DIRECT_IO_ALLOW_MMAP = initFlag(InitBit.DIRECT_IO_ALLOW_MMAP);

/** Names of the bits set in a 64-bit INIT flag word (unknown bits as `bitN`), for logs and reports. */
export function initFlagNames(flags: bigint, extra: Record<string, number> = {}): string[] {
  const names = new Map<number, string>(Object.entries(InitBit).map(([k, v]) => [v, k]));
  for (const [k, v] of Object.entries(extra)) names.set(v, k);
  const out: string[] = [];
  for (let b = 0; b < 64; b++) if (flags & initFlag(b)) out.push(names.get(b) ?? `bit${b}`);
  return out;
}

/** fuse_open_out.open_flags */
export const FOPEN_DIRECT_IO = 1 << 0;
export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_NONSEEKABLE = 1 << 2;
export const FOPEN_CACHE_DIR = 1 << 3;
export const FOPEN_STREAM = 1 << 4;
export const FOPEN_NOFLUSH = 1 << 5;
export const FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
export const FOPEN_PASSTHROUGH = 1 << 7;

/** fuse_setattr_in.valid */
export const FATTR_MODE = 1 << 0;
export const FATTR_UID = 1 << 1;
export const FATTR_GID = 1 << 2;
export const FATTR_SIZE = 1 << 3;
export const FATTR_ATIME = 1 << 4;
export const FATTR_MTIME = 1 << 5;
export const FATTR_FH = 1 << 6;
export const FATTR_ATIME_NOW = 1 << 7;
export const FATTR_MTIME_NOW = 1 << 8;
export const FATTR_LOCKOWNER = 1 << 9;
export const FATTR_CTIME = 1 << 10;
export const FATTR_KILL_SUIDGID = 1 << 11;

/** fuse_getattr_in.getattr_flags */
export const FUSE_GETATTR_FH = 1 << 0;
/** fuse_release_in.release_flags */
export const FUSE_RELEASE_FLUSH = 1 << 0;
export const FUSE_RELEASE_FLOCK_UNLOCK = 1 << 1;
/** fuse_lk_in.lk_flags: the lock is a BSD flock(2), not a POSIX lock. */
export const FUSE_LK_FLOCK = 1 << 0;
/** fuse_fsync_in.fsync_flags */
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
/** fuse_write_in.write_flags */
export const FUSE_WRITE_CACHE = 1 << 0;
export const FUSE_WRITE_LOCKOWNER = 1 << 1;
export const FUSE_WRITE_KILL_SUIDGID = 1 << 2;
/** fuse_read_in.read_flags */
export const FUSE_READ_LOCKOWNER = 1 << 1;
/** fuse_attr.flags */
export const FUSE_ATTR_SUBMOUNT = 1 << 0;
export const FUSE_ATTR_DAX = 1 << 1;

/** Directory entry types (d_type), i.e. (mode & S_IFMT) >> 12. */
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
