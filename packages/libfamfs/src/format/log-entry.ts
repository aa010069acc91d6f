import { FamfsError } from '../errors';
import { bytes, defineLayout, LayoutValue, struct, u32, u64 } from '@famfs/struct';
import { EntryType, FM_ALL_HOSTS_RW, LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE } from './constants';
import { crc32Of } from './crc';
import { decodeFmap, encodeFmap, Fmap, LogFmapLayout } from './fmap';
import { relpathField } from './relpath';

/** struct famfs_log_entry (544 bytes): a header, a 520-byte union at BODY_OFFSET, the CRC at 536. */
export const LogEntryLayout = defineLayout('famfs_log_entry', LOG_ENTRY_SIZE, {
  seqnum: u64(0),
  type: u32(8),
  crc: u64(LOG_ENTRY_CRC_SPAN),
});
export const BODY_OFFSET = 16;

/** struct famfs_log_file_meta (520 bytes), the FILE arm. */
export const FileMetaLayout = defineLayout('famfs_log_file_meta', 520, {
  size: u64(0),
  flags: u32(8),
  uid: u32(12),
  gid: u32(16),
  mode: u32(20),
  path: relpathField(24),
  fmap: struct(104, LogFmapLayout),
});
export const FILE_FMAP_OFFSET = FileMetaLayout.offsetOf('fmap');

/** struct famfs_log_mkdir (92 bytes), the MKDIR arm. */
export const MkdirLayout = defineLayout('famfs_log_mkdir', 92, {
  uid: u32(0),
  gid: u32(4),
  mode: u32(8),
  path: relpathField(12),
});
export type MkdirMeta = LayoutValue<typeof MkdirLayout>;

/** struct famfs_log_add_daxdev (32 bytes), the ADD_DAXDEV arm. */
export const AddDaxdevLayout = defineLayout('famfs_log_add_daxdev', 32, {
  size: u64(0),
  uuid: bytes(8, 16),
  index: u32(24),
});

export interface FileEntry {
  type: 'file';
  path: string;
  size: number;
  flags: number;
  uid: number;
  gid: number;
  mode: number;
  fmap: Fmap;
}
export interface MkdirEntry {
  type: 'mkdir';
  path: string;
  uid: number;
  gid: number;
  mode: number;
}
export interface AddDaxdevEntry {
  type: 'add_daxdev';
  size: number;
  uuid: Buffer;
  index: number;
}
export type LogEntry = FileEntry | MkdirEntry | AddDaxdevEntry;

/** Encodes `entry` as log slot bytes with the given seqnum and a correct CRC. */
export function encodeLogEntry(
  entry: LogEntry,
  seqnum: number,
  buf: Buffer = Buffer.alloc(LOG_ENTRY_SIZE),
  at = 0,
): Buffer {
  buf.fill(0, at, at + LOG_ENTRY_SIZE);
  const body = at + BODY_OFFSET;
  let type: EntryType;
  switch (entry.type) {
    case 'file': {
      type = EntryType.File;
      const { size, flags, uid, gid, mode, path } = entry;
      FileMetaLayout.encodeInto({ size, flags, uid, gid, mode, path, fmap: { extType: 0, count: 0 } }, buf, body);
      encodeFmap(entry.fmap, buf, body + FILE_FMAP_OFFSET);
      break;
    }
    case 'mkdir':
      type = EntryType.Mkdir;
      MkdirLayout.encodeInto({ uid: entry.uid, gid: entry.gid, mode: entry.mode, path: entry.path }, buf, body);
      break;
    case 'add_daxdev':
      type = EntryType.AddDaxdev;
      AddDaxdevLayout.encodeInto({ size: entry.size, uuid: entry.uuid, index: entry.index }, buf, body);
      break;
  }
  LogEntryLayout.set(buf, 'seqnum', seqnum, at);
  LogEntryLayout.set(buf, 'type', type, at);
  LogEntryLayout.set(buf, 'crc', crc32Of(buf, at, at + LOG_ENTRY_CRC_SPAN), at);
  return buf;
}

/** A file entry as famfs creates it (flags ALL_HOSTS_RW). */
export function fileEntry(path: string, size: number, mode: number, uid: number, gid: number, fmap: Fmap): FileEntry {
  return { type: 'file', path, size, flags: FM_ALL_HOSTS_RW, uid, gid, mode, fmap };
}

/**
 * Reads and checks the entry in slot `index` at `at`: seqnum equal to the index, CRC, known type,
 * a valid path and a structurally sound fmap. Throws EBADENTRY naming the index and the reason.
 * `crc` is the entry's computed CRC when the caller has it already (a batch over the log).
 */
export function readLogEntry(
  buf: Buffer,
  at: number,
  index: number,
  crc = crc32Of(buf, at, at + LOG_ENTRY_CRC_SPAN),
): LogEntry {
  try {
    const { seqnum, type, crc: stored } = LogEntryLayout.decode(buf, at);
    if (seqnum !== index) throw new FamfsError('EBADENTRY', `seqnum ${seqnum} does not match its slot`);
    if (stored !== crc)
      throw new FamfsError(
        'EBADENTRY',
        `CRC mismatch (stored 0x${stored.toString(16)}, computed 0x${crc.toString(16)})`,
      );
    const body = at + BODY_OFFSET;
    switch (type) {
      case EntryType.File: {
        const m = FileMetaLayout.decode(buf, body);
        const fmap = decodeFmap(buf, body + FILE_FMAP_OFFSET);
        return { type: 'file', path: m.path, size: m.size, flags: m.flags, uid: m.uid, gid: m.gid, mode: m.mode, fmap };
      }
      case EntryType.Mkdir: {
        const m = MkdirLayout.decode(buf, body);
        return { type: 'mkdir', path: m.path, uid: m.uid, gid: m.gid, mode: m.mode };
      }
      case EntryType.AddDaxdev: {
        const d = AddDaxdevLayout.decode(buf, body);
        return { type: 'add_daxdev', size: d.size, uuid: d.uuid, index: d.index };
      }
      case EntryType.Delete:
        throw new FamfsError('EBADENTRY', 'DELETE entries are not supported by famfs');
      default:
        throw new FamfsError('EBADENTRY', `unknown entry type ${type}`);
    }
  } catch (e) {
    if (e instanceof FamfsError)
      throw new FamfsError('EBADENTRY', `log entry ${index}: ${e.message}`, { index, reason: e.message });
    throw e;
  }
}
