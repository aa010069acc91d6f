/**
 * The FUSE kernel ABI as the daemon sees it: one layout per wire struct (the numbers, opcodes,
 * INIT bits and flags are in constants.ts, re-exported here). Offsets and sizes follow the kernel's uapi header
 * (include/uapi/linux/fuse.h, protocol 7.45) and the famfs series (V10); kernel/uapi/famfs_fuse.h
 * declares the same structs in C and test/layout-check.test.ts compares the two.
 *
 * The famfs opcodes and INIT bit are NOT here: they moved between revisions of the unmerged
 * series, so they live in an ABI profile (./profiles).
 */
import { defineLayout, u8, u16, u32, i32, u64, u64big, bytes, cstring, struct } from '@famfs/struct';
import type { LayoutValue } from '@famfs/struct';

export * from './constants';

// ---------------------------------------------------------------------------------------------
// Headers

export const InHeader = defineLayout('fuse_in_header', 40, {
  len: u32(0),
  opcode: u32(4),
  /** Kept exact: the reply must echo it bit for bit. */
  unique: u64big(8),
  nodeid: u64(16),
  uid: u32(24),
  gid: u32(28),
  pid: u32(32),
  /** Length of the request extensions, in 8-byte units. */
  totalExtlen: u16(36),
  padding: u16(38),
});
export type InHeaderValue = LayoutValue<typeof InHeader>;

export const OutHeader = defineLayout('fuse_out_header', 16, {
  len: u32(0),
  /** 0 or a negative errno in [-511, -1]. */
  error: i32(4),
  unique: u64big(8),
});

// ---------------------------------------------------------------------------------------------
// INIT

export const InitIn = defineLayout('fuse_init_in', 64, {
  major: u32(0),
  minor: u32(4),
  maxReadahead: u32(8),
  flags: u32(12),
  flags2: u32(16),
  unused: bytes(20, 44),
});
/** Size of fuse_init_in before 7.36 (no flags2). */
export const FUSE_COMPAT_INIT_IN_SIZE = 16;

export const InitOut = defineLayout('fuse_init_out', 64, {
  major: u32(0),
  minor: u32(4),
  maxReadahead: u32(8),
  flags: u32(12),
  maxBackground: u16(16),
  congestionThreshold: u16(18),
  maxWrite: u32(20),
  timeGran: u32(24),
  maxPages: u16(28),
  mapAlignment: u16(30),
  flags2: u32(32),
  maxStackDepth: u32(36),
  requestTimeout: u16(40),
  unused: bytes(42, 22),
});

// ---------------------------------------------------------------------------------------------
// Attributes and entries

export const Attr = defineLayout('fuse_attr', 88, {
  ino: u64(0),
  size: u64(8),
  blocks: u64(16),
  atime: u64(24),
  mtime: u64(32),
  ctime: u64(40),
  atimensec: u32(48),
  mtimensec: u32(52),
  ctimensec: u32(56),
  mode: u32(60),
  nlink: u32(64),
  uid: u32(68),
  gid: u32(72),
  rdev: u32(76),
  blksize: u32(80),
  flags: u32(84),
});
export type AttrValue = LayoutValue<typeof Attr>;

export const EntryOut = defineLayout('fuse_entry_out', 128, {
  nodeid: u64(0),
  generation: u64(8),
  entryValid: u64(16),
  attrValid: u64(24),
  entryValidNsec: u32(32),
  attrValidNsec: u32(36),
  attr: struct(40, Attr),
});

export const AttrOut = defineLayout('fuse_attr_out', 104, {
  attrValid: u64(0),
  attrValidNsec: u32(8),
  dummy: u32(12),
  attr: struct(16, Attr),
});

export const GetattrIn = defineLayout('fuse_getattr_in', 16, {
  getattrFlags: u32(0),
  dummy: u32(4),
  fh: u64(8),
});

export const SetattrIn = defineLayout('fuse_setattr_in', 88, {
  valid: u32(0),
  padding: u32(4),
  fh: u64(8),
  size: u64(16),
  lockOwner: u64big(24),
  atime: u64(32),
  mtime: u64(40),
  ctime: u64(48),
  atimensec: u32(56),
  mtimensec: u32(60),
  ctimensec: u32(64),
  mode: u32(68),
  unused4: u32(72),
  uid: u32(76),
  gid: u32(80),
  unused5: u32(84),
});

// ---------------------------------------------------------------------------------------------
// Open, read, write, release

export const OpenIn = defineLayout('fuse_open_in', 8, {
  flags: u32(0),
  openFlags: u32(4),
});

export const OpenOut = defineLayout('fuse_open_out', 16, {
  fh: u64(0),
  openFlags: u32(8),
  backingId: i32(12),
});

export const CreateIn = defineLayout('fuse_create_in', 16, {
  flags: u32(0),
  mode: u32(4),
  umask: u32(8),
  openFlags: u32(12),
});

export const ReleaseIn = defineLayout('fuse_release_in', 24, {
  fh: u64(0),
  flags: u32(8),
  releaseFlags: u32(12),
  lockOwner: u64big(16),
});

export const FlushIn = defineLayout('fuse_flush_in', 24, {
  fh: u64(0),
  unused: u32(8),
  padding: u32(12),
  lockOwner: u64big(16),
});

export const ReadIn = defineLayout('fuse_read_in', 40, {
  fh: u64(0),
  offset: u64(8),
  size: u32(16),
  readFlags: u32(20),
  lockOwner: u64big(24),
  flags: u32(32),
  padding: u32(36),
});

export const WriteIn = defineLayout('fuse_write_in', 40, {
  fh: u64(0),
  offset: u64(8),
  size: u32(16),
  writeFlags: u32(20),
  lockOwner: u64big(24),
  flags: u32(32),
  padding: u32(36),
});

export const WriteOut = defineLayout('fuse_write_out', 8, {
  size: u32(0),
  padding: u32(4),
});

export const FsyncIn = defineLayout('fuse_fsync_in', 16, {
  fh: u64(0),
  fsyncFlags: u32(8),
  padding: u32(12),
});

export const LseekIn = defineLayout('fuse_lseek_in', 24, {
  fh: u64(0),
  offset: u64(8),
  whence: u32(16),
  padding: u32(20),
});

export const LseekOut = defineLayout('fuse_lseek_out', 8, {
  offset: u64(0),
});

// ---------------------------------------------------------------------------------------------
// Notifications (daemon to kernel, unasked: unique 0, the code in fuse_out_header.error)

export const NotifyCode = {
  POLL: 1,
  INVAL_INODE: 2,
  INVAL_ENTRY: 3,
  STORE: 4,
  RETRIEVE: 5,
  DELETE: 6,
} as const;

/** fuse_notify_inval_entry_out.flags: only expire the dentry (it stays usable until revalidated). */
export const FUSE_EXPIRE_ONLY = 1 << 0;

/** off and len are s64 in C; as u64big here, -1 is 2^64 - 1 (see encodeNotify* in reply.ts). */
export const NotifyInvalInodeOut = defineLayout('fuse_notify_inval_inode_out', 24, {
  ino: u64(0),
  off: u64big(8),
  len: u64big(16),
});

/** Followed by the name and a NUL; namelen does not count the NUL. */
export const NotifyInvalEntryOut = defineLayout('fuse_notify_inval_entry_out', 16, {
  parent: u64(0),
  namelen: u32(8),
  flags: u32(12),
});

// ---------------------------------------------------------------------------------------------
// IOCTL

/**
 * fuse_ioctl_in.flags. The kernel sets COMPAT (fileattr ioctls of a compat task), 32BIT (a 32-bit
 * task on a 64-bit kernel, or a 32-bit kernel), COMPAT_X32 and DIR (the fd is a directory);
 * UNRESTRICTED only comes from CUSE. RETRY is a reply flag, meaningful only when unrestricted.
 */
export const FUSE_IOCTL_COMPAT = 1 << 0;
export const FUSE_IOCTL_UNRESTRICTED = 1 << 1;
export const FUSE_IOCTL_RETRY = 1 << 2;
export const FUSE_IOCTL_32BIT = 1 << 3;
export const FUSE_IOCTL_DIR = 1 << 4;
export const FUSE_IOCTL_COMPAT_X32 = 1 << 5;
/** Most iovecs an unrestricted RETRY reply may carry. */
export const FUSE_IOCTL_MAX_IOV = 256;

export const IoctlIn = defineLayout('fuse_ioctl_in', 32, {
  fh: u64(0),
  flags: u32(8),
  cmd: u32(12),
  /** The caller's third ioctl argument (usually a user pointer), kept exact. */
  arg: u64big(16),
  inSize: u32(24),
  outSize: u32(28),
});

export const IoctlOut = defineLayout('fuse_ioctl_out', 16, {
  /** What ioctl(2) returns; negative values are -errno. */
  result: i32(0),
  flags: u32(4),
  inIovs: u32(8),
  outIovs: u32(12),
});

/** One user buffer of an unrestricted RETRY reply (declared for the layout check; never sent by us). */
export const IoctlIovec = defineLayout('fuse_ioctl_iovec', 16, {
  base: u64big(0),
  len: u64big(8),
});

// ---------------------------------------------------------------------------------------------
// Forget, interrupt

export const ForgetIn = defineLayout('fuse_forget_in', 8, {
  nlookup: u64(0),
});

export const ForgetOne = defineLayout('fuse_forget_one', 16, {
  nodeid: u64(0),
  nlookup: u64(8),
});

export const BatchForgetIn = defineLayout('fuse_batch_forget_in', 8, {
  count: u32(0),
  dummy: u32(4),
});

export const InterruptIn = defineLayout('fuse_interrupt_in', 8, {
  unique: u64big(0),
});

// ---------------------------------------------------------------------------------------------
// Statfs

export const Kstatfs = defineLayout('fuse_kstatfs', 80, {
  blocks: u64(0),
  bfree: u64(8),
  bavail: u64(16),
  files: u64(24),
  ffree: u64(32),
  bsize: u32(40),
  namelen: u32(44),
  frsize: u32(48),
  padding: u32(52),
  spare: bytes(56, 24),
});
export type KstatfsValue = LayoutValue<typeof Kstatfs>;

/** fuse_statfs_out is exactly one fuse_kstatfs. */
export const StatfsOut = defineLayout('fuse_statfs_out', 80, {
  st: struct(0, Kstatfs),
});

// ---------------------------------------------------------------------------------------------
// Extended attributes, access

/** Also the push generation's GET_FMAP in-argument, where `size` is the kernel's reply buffer. */
export const GetxattrIn = defineLayout('fuse_getxattr_in', 8, {
  size: u32(0),
  padding: u32(4),
});

export const GetxattrOut = defineLayout('fuse_getxattr_out', 8, {
  size: u32(0),
  padding: u32(4),
});

/** The 16-byte form, sent when FUSE_SETXATTR_EXT was negotiated. */
export const SetxattrIn = defineLayout('fuse_setxattr_in', 16, {
  size: u32(0),
  flags: u32(4),
  setxattrFlags: u32(8),
  padding: u32(12),
});
/** Without FUSE_SETXATTR_EXT the kernel sends only size and flags. */
export const FUSE_COMPAT_SETXATTR_IN_SIZE = 8;

export const AccessIn = defineLayout('fuse_access_in', 8, {
  mask: u32(0),
  padding: u32(4),
});

// ---------------------------------------------------------------------------------------------
// Locks

export const FileLock = defineLayout('fuse_file_lock', 24, {
  start: u64big(0),
  end: u64big(8),
  type: u32(16),
  pid: u32(20),
});
export type FileLockValue = LayoutValue<typeof FileLock>;

export const LkIn = defineLayout('fuse_lk_in', 48, {
  fh: u64(0),
  owner: u64big(8),
  lk: struct(16, FileLock),
  lkFlags: u32(40),
  padding: u32(44),
});

export const LkOut = defineLayout('fuse_lk_out', 24, {
  lk: struct(0, FileLock),
});

// ---------------------------------------------------------------------------------------------
// Namespace operations

export const MkdirIn = defineLayout('fuse_mkdir_in', 8, {
  mode: u32(0),
  umask: u32(4),
});

export const MknodIn = defineLayout('fuse_mknod_in', 16, {
  mode: u32(0),
  rdev: u32(4),
  umask: u32(8),
  padding: u32(12),
});

export const RenameIn = defineLayout('fuse_rename_in', 8, {
  newdir: u64(0),
});

export const Rename2In = defineLayout('fuse_rename2_in', 16, {
  newdir: u64(0),
  flags: u32(8),
  padding: u32(12),
});

export const LinkIn = defineLayout('fuse_link_in', 8, {
  oldnodeid: u64(0),
});

// ---------------------------------------------------------------------------------------------
// Directory records (each followed by the name, padded to 8 bytes)

export const Dirent = defineLayout('fuse_dirent', 24, {
  ino: u64(0),
  off: u64(8),
  namelen: u32(16),
  type: u32(20),
});

export const Direntplus = defineLayout('fuse_direntplus', 152, {
  entryOut: struct(0, EntryOut),
  dirent: struct(128, Dirent),
});

/** Record size of a dirent / direntplus with a name of `namelen` bytes. */
export const direntSize = (namelen: number): number => (Dirent.size + namelen + 7) & ~7;
export const direntplusSize = (namelen: number): number => (Direntplus.size + namelen + 7) & ~7;

// ---------------------------------------------------------------------------------------------
// STATX (7.39)

export const SxTime = defineLayout('fuse_sx_time', 16, {
  tvSec: u64(0),
  tvNsec: u32(8),
  reserved: i32(12),
});

export const Statx = defineLayout('fuse_statx', 256, {
  mask: u32(0),
  blksize: u32(4),
  attributes: u64big(8),
  nlink: u32(16),
  uid: u32(20),
  gid: u32(24),
  mode: u16(28),
  spare0: u16(30),
  ino: u64(32),
  size: u64(40),
  blocks: u64(48),
  attributesMask: u64big(56),
  atime: struct(64, SxTime),
  btime: struct(80, SxTime),
  ctime: struct(96, SxTime),
  mtime: struct(112, SxTime),
  rdevMajor: u32(128),
  rdevMinor: u32(132),
  devMajor: u32(136),
  devMinor: u32(140),
  spare2: bytes(144, 112),
});
export type StatxValue = LayoutValue<typeof Statx>;

export const StatxIn = defineLayout('fuse_statx_in', 24, {
  getattrFlags: u32(0),
  reserved: u32(4),
  fh: u64(8),
  sxFlags: u32(16),
  sxMask: u32(20),
});

export const StatxOut = defineLayout('fuse_statx_out', 288, {
  attrValid: u64(0),
  attrValidNsec: u32(8),
  flags: u32(12),
  spare: bytes(16, 16),
  stat: struct(32, Statx),
});

// ---------------------------------------------------------------------------------------------
// famfs additions (V10 layouts; the opcodes and INIT bit are in the ABI profile)

export const FAMFS_FMAP_VERSION = 1;
/** "Largest supported fmap message" in the uapi header; the V10 kernel actually accepts one page. */
export const FAMFS_FMAP_MAX = 32768;
export const DAXDEV_NAME_MAX = 256;

export const FamfsFileType = { REG: 0, SUPERBLOCK: 1, LOG: 2 } as const;
export const FamfsExtType = { SIMPLE: 0, INTERLEAVE: 1 } as const;

export const FamfsFmapHeader = defineLayout('fuse_famfs_fmap_header', 32, {
  fileType: u8(0),
  reserved: u8(1),
  fmapVersion: u16(2),
  extType: u32(4),
  nextents: u32(8),
  /** Not checked by V10; the push generation's fmap_size (whole fmap bytes, this header included). */
  reserved0: u32(12),
  fileSize: u64(16),
  reserved1: u64(24),
});

export const FamfsSimpleExt = defineLayout('fuse_famfs_simple_ext', 24, {
  seDevindex: u32(0),
  reserved: u32(4),
  seOffset: u64(8),
  seLen: u64(16),
});

export const FamfsIext = defineLayout('fuse_famfs_iext', 24, {
  ieNstrips: u32(0),
  ieChunkSize: u32(4),
  ieNbytes: u64(8),
  reserved: u64(16),
});

/** Declared by the series but not sent by the V10 kernel (GET_DAXDEV carries the index in nodeid). */
export const GetDaxdevIn = defineLayout('fuse_get_daxdev_in', 4, {
  daxdevNum: u32(0),
});

export const DaxdevOut = defineLayout('fuse_daxdev_out', 280, {
  index: u16(0),
  reserved: u16(2),
  reserved2: u32(4),
  reserved3: u64(8),
  reserved4: u64(16),
  /** NUL-terminated device path; the kernel kstrdup()s it without forcing a terminator. */
  name: cstring(24, DAXDEV_NAME_MAX, true),
});

// ---------------------------------------------------------------------------------------------
// /dev/fuse ioctls

/** The ioctl type ('magic') of /dev/fuse. */
export const FUSE_DEV_IOC_MAGIC = 229;

/** _IOW(type, nr, size): an ioctl number whose argument the kernel reads (asm-generic encoding). */
export function ioctlWrite(type: number, nr: number, size: number): number {
  // dir WRITE (1) in bits 30-31, size in 16-29, type in 8-15, nr in 0-7; >>> 0 keeps it unsigned.
  return ((1 << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/**
 * struct fuse_backing_map: the argument of FUSE_DEV_IOC_BACKING_OPEN (passthrough), reused by the
 * famfs push generation's DAXDEV_OPEN, where the union member after flags is the daxdev index.
 */
export const BackingMap = defineLayout('fuse_backing_map', 16, {
  /** An open fd of the backing file or device (the kernel takes its own reference). */
  fd: i32(0),
  /** Reserved: 0. */
  flags: u32(4),
  /** `padding` upstream; famfs: the cluster-invariant daxdev index (0 = primary). */
  daxdevIndex: u64(8),
});

/** FUSE_DEV_IOC_BACKING_OPEN, for reference: the passthrough ioctl whose argument famfs reuses. */
export const FUSE_DEV_IOC_BACKING_OPEN = ioctlWrite(FUSE_DEV_IOC_MAGIC, 1, BackingMap.size);
