import { FamfsError } from '../errors';
import { crc32Records } from '@famfs/native';
import { LOG_ENTRY_CRC_SPAN, LOG_HEADER_SIZE, LOG_ENTRY_SIZE, LOG_OFFSET } from '../format/constants';
import { FileEntry, LogEntry, MkdirEntry, readLogEntry } from '../format/log-entry';
import { LogHeader, parseLogHeader } from '../format/log-header';
import { fmapProblem, FmapGeometry } from '../format/fmap';
import { Superblock } from '../format/superblock';
import { LOG_META, META_DIR, SUPERBLOCK_META } from '../format/meta-paths';

export interface BadEntry {
  index: number;
  reason: string;
  /** The last entry in use is damaged: the trace of an append cut short. */
  torn: boolean;
}

/** A problem with where an otherwise valid entry puts its path in the tree. */
export interface TreeConflict {
  index: number;
  path: string;
  reason: string;
}

/** The log replayed into memory: what a mount shows, plus everything found wrong on the way. */
export interface Replay {
  header: LogHeader;
  /** Entries by slot index; undefined where the slot holds a bad entry. */
  entries: Array<LogEntry | undefined>;
  /** The slot index of each file and directory in the tree, by relative path. */
  files: Map<string, number>;
  dirs: Map<string, number>;
  bad: BadEntry[];
  conflicts: TreeConflict[];
}

/** The file at `path` in a replayed tree. */
export function replayedFile(r: Replay, path: string): FileEntry | undefined {
  const i = r.files.get(path);
  return i === undefined ? undefined : (r.entries[i] as FileEntry);
}

/** The directory at `path` in a replayed tree. */
export function replayedDir(r: Replay, path: string): MkdirEntry | undefined {
  const i = r.dirs.get(path);
  return i === undefined ? undefined : (r.entries[i] as MkdirEntry);
}

export function geometryOf(sb: Superblock): FmapGeometry {
  return { devSize: sb.daxdevSize, dataStart: LOG_OFFSET + sb.logLen, allocUnit: sb.allocUnit };
}

export function entryOffset(index: number): number {
  return LOG_HEADER_SIZE + index * LOG_ENTRY_SIZE;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * The entry in slot `index` at `at` of `buf`, checked as replay checks every entry: the slot
 * (seqnum, CRC, type, path, fmap structure: readLogEntry) and, for a file, its map against the
 * device geometry (fmapProblem). Throws EBADENTRY naming the slot and the reason. `crc` is the
 * slot's computed CRC when the caller has it from a batch.
 */
export function checkedLogEntry(buf: Buffer, at: number, index: number, geom: FmapGeometry, crc?: number): LogEntry {
  const entry = readLogEntry(buf, at, index, crc);
  if (entry.type === 'file') {
    const p = fmapProblem(entry.fmap, entry.size, geom);
    if (p) throw new FamfsError('EBADENTRY', `log entry ${index}: file '${entry.path}': ${p}`, { index, reason: p });
  }
  return entry;
}

export interface LogScan {
  header: LogHeader;
  bad: BadEntry[];
}

/**
 * Validates every entry in use in the log at `log` (header at 0) and hands each valid one to
 * `onEntry`, in log order. A bad entry is recorded and skipped, so one damaged slot never hides
 * the rest of the log. Throws EBADLOG only when the header itself is unusable. Nothing is
 * retained: callers keep what they need (replay keeps the tree, fsck only counts and marks).
 */
export function scanLog(log: Buffer, sb: Superblock, devName: string, onEntry: (index: number, entry: LogEntry) => void): LogScan {
  const header = parseLogHeader(log, sb.logLen, devName);
  const geom = geometryOf(sb);
  const n = header.nextIndex;
  const bad: BadEntry[] = [];
  const crcs = crc32Records(log, LOG_HEADER_SIZE, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, n);
  for (let i = 0; i < n; i++) {
    let entry: LogEntry;
    try {
      entry = checkedLogEntry(log, entryOffset(i), i, geom, crcs[i]);
    } catch (e) {
      if (!(e instanceof FamfsError)) throw e;
      bad.push({ index: i, reason: e.message, torn: i === n - 1 });
      continue;
    }
    onEntry(i, entry);
  }
  return { header, bad };
}

/** Replays the log into memory: every valid entry by slot, and the path tree they make. */
export function replayLog(log: Buffer, sb: Superblock, devName: string): Replay {
  const entries: Array<LogEntry | undefined> = [];
  const tree = new PathTree();
  const scan = scanLog(log, sb, devName, (i, entry) => {
    entries[i] = entry;
    tree.place(entry, i);
  });
  entries.length = scan.header.nextIndex;
  return { header: scan.header, entries, files: tree.files, dirs: tree.dirs, bad: scan.bad, conflicts: tree.conflicts };
}

/** What the placement rule asks of a tree built from a log's entries (the .meta files are not in it). */
export interface TreeView {
  /** The slot of the file placed at `path`, if any. */
  fileIndex(path: string): number | undefined;
  /** Whether a directory is placed at `path`. */
  hasDir(path: string): boolean;
}

/** Where a valid entry goes: added, already there (a repeated mkdir), or refused with a reason. */
export type Placement = 'add' | 'exists' | { conflict: string };

/**
 * The one rule for where a valid FILE or MKDIR entry goes in the tree the entries before it
 * made (replay, fsck and the daemon's index all place entries with it, in log order): a missing
 * parent, a duplicate, a file/directory clash or a reserved .meta name is a conflict.
 */
export function placementOf(entry: FileEntry | MkdirEntry, tree: TreeView): Placement {
  const path = entry.path;
  // famfs writes these itself at mount; a log entry claiming one (another host's) is refused.
  if (path === META_DIR || path === SUPERBLOCK_META || path === LOG_META) {
    return { conflict: `'${path}' is reserved for famfs metadata` };
  }
  const parent = parentOf(path);
  if (parent !== '' && parent !== META_DIR && !tree.hasDir(parent)) {
    const isFile = tree.fileIndex(parent) !== undefined;
    return { conflict: isFile ? `parent '${parent}' is a file` : `parent directory '${parent}' does not exist` };
  }
  if (entry.type === 'file') {
    const first = tree.fileIndex(path);
    if (first !== undefined) return { conflict: `duplicate file path (first logged at entry ${first})` };
    return tree.hasDir(path) ? { conflict: 'a directory of that name exists' } : 'add';
  }
  if (tree.fileIndex(path) !== undefined) return { conflict: 'a file of that name exists' };
  // mkdir of an existing directory is harmless: `mkdir -p` may log it twice.
  return tree.hasDir(path) ? 'exists' : 'add';
}

/**
 * The directory tree the log describes, by relative path, with every entry whose path does not
 * fit (missing parent, duplicate, file/directory clash) recorded as a conflict.
 */
export class PathTree implements TreeView {
  readonly files = new Map<string, number>();
  readonly dirs = new Map<string, number>();
  readonly conflicts: TreeConflict[] = [];

  fileIndex(path: string): number | undefined {
    return this.files.get(path);
  }

  hasDir(path: string): boolean {
    return this.dirs.has(path);
  }

  /** Adds a valid entry, or records why its path cannot go in the tree. */
  place(entry: LogEntry, index: number): void {
    if (entry.type === 'add_daxdev') return;
    const p = placementOf(entry, this);
    if (p === 'exists') return;
    if (p !== 'add') this.conflicts.push({ index, path: entry.path, reason: p.conflict });
    else if (entry.type === 'file') this.files.set(entry.path, index);
    else this.dirs.set(entry.path, index);
  }
}
