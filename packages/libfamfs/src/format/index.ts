/**
 * @famfs/libfamfs/format: the on-media format as other famfs-ts packages use it (the CLI's
 * chkread and fsck text, the daemon's fmap checks, benches). Named exports only: a name missing
 * here is internal to libfamfs.
 */
export {
  ALLOC_UNIT,
  DEFAULT_LOG_LEN,
  GiB,
  LOG_ENTRY_CRC_SPAN,
  LOG_ENTRY_SIZE,
  LOG_HEADER_SIZE,
  LOG_OFFSET,
  logSlots,
  MiB,
  MIN_DEVICE_SIZE,
  SUPERBLOCK_SIZE,
} from './constants';
export { checkSuperblock, parseSuperblock, SuperblockLayout } from './superblock';
export type { Superblock } from './superblock';
export { LogHeaderLayout, parseLogHeader } from './log-header';
export { encodeLogEntry, fileEntry, FileMetaLayout, LogEntryLayout, MkdirLayout } from './log-entry';
export type { FileEntry, LogEntry, MkdirEntry } from './log-entry';
export {
  allocatedBytes,
  fmapCapacity,
  fmapExtents,
  fmapProblem,
  interleavedCapacity,
  InterleavedExtLayout,
  LogFmapLayout,
  SimpleExtentLayout,
} from './fmap';
export type { Extent, Fmap, FmapBounds, FmapGeometry } from './fmap';
export { checkRelpath } from './relpath';
export { uuidToText } from './uuid';
export { LOG_META, META_DIR, SUPERBLOCK_META } from './meta-paths';
