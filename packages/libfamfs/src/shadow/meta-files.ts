import { FileEntry } from '../format/log-entry';
import { LOG_OFFSET, SUPERBLOCK_SIZE } from '../format/constants';
import { LOG_META, SUPERBLOCK_META } from '../format/meta-paths';
import { Role } from '../system-uuid';

/** The .meta/.superblock file: the 2 MiB superblock area, read-only for everyone. */
export function superblockMetaEntry(): FileEntry {
  return {
    type: 'file',
    path: SUPERBLOCK_META,
    size: SUPERBLOCK_SIZE,
    flags: 0,
    mode: 0o444,
    uid: 0,
    gid: 0,
    fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: SUPERBLOCK_SIZE }] },
  };
}

/** The .meta/.log file: the log, writable on the master only. */
export function logMetaEntry(logLen: number, role: Role): FileEntry {
  return {
    type: 'file',
    path: LOG_META,
    size: logLen,
    flags: 0,
    mode: role === 'master' ? 0o644 : 0o444,
    uid: 0,
    gid: 0,
    fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: LOG_OFFSET, len: logLen }] },
  };
}
