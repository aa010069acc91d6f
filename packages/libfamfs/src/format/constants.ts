/** famfs on-media constants (C famfs, superblock version 48, OMF 2.2). */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export const SUPER_MAGIC = 0x87b282ff;
export const LOG_MAGIC = 0xbadcafef00d;
/** statfs magic of a famfs FUSE mount (not on media). */
export const STATFS_MAGIC_FUSE = 0x87b282fd;

export const CURRENT_VERSION = 48;
/** Versions we read: 47 (previous release) has the same bytes as 48. */
export const READABLE_VERSIONS: readonly number[] = [47, 48];
export const OMF_VER_MAJOR = 2;
export const OMF_VER_MINOR = 2;

export const ALLOC_UNIT = 2 * MiB;
/** Allocation units the C famfs accepts in a superblock. */
export const VALID_ALLOC_UNITS: readonly number[] = [4096, 2 * MiB];
export const SUPERBLOCK_SIZE = 2 * MiB;
export const LOG_OFFSET = 2 * MiB;
export const DEFAULT_LOG_LEN = 8 * MiB;
export const MIN_LOG_LEN = 8 * MiB;
export const MIN_DEVICE_SIZE = 4 * GiB;

export const DEVNAME_LEN = 64;
/** Size of the relpath field; a path uses at most MAX_PATHLEN - 1 bytes plus its NUL. */
export const MAX_PATHLEN = 80;
export const MAX_SIMPLE_EXTENTS = 16;
export const MAX_INTERLEAVED_EXTENTS = 1;
export const MAX_STRIPS = 16;

export const FM_ALL_HOSTS_RO = 1;
export const FM_ALL_HOSTS_RW = 2;

export const LOG_HEADER_SIZE = 48;
export const LOG_ENTRY_SIZE = 544;
/** Bytes of a log entry covered by its CRC: everything before the CRC field. */
export const LOG_ENTRY_CRC_SPAN = 536;

export const enum EntryType {
  File = 0,
  Mkdir = 1,
  Delete = 2,
  AddDaxdev = 3,
}

export const enum ExtentType {
  Simple = 0,
  Interleave = 1,
}

/** Number of entry slots in a log of `logLen` bytes. */
export function logSlots(logLen: number): number {
  return Math.floor((logLen - LOG_HEADER_SIZE) / LOG_ENTRY_SIZE);
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
