import { FamfsError } from './errors';
import { LOG_HEADER_SIZE, LOG_ENTRY_SIZE, LOG_OFFSET } from './format/constants';
import { FileEntry, LogEntry, MkdirEntry, readLogEntry } from './format/log-entry';
import { LogHeader, parseLogHeader } from './format/log-header';
import { fmapProblem, FmapGeometry } from './format/fmap';
import { Superblock } from './format/superblock';

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

export type IndexedFile = FileEntry & { index: number };
export type IndexedDir = MkdirEntry & { index: number };

/** The log replayed into memory: what a mount shows, plus everything found wrong on the way. */
export interface Replay {
  header: LogHeader;
  /** Valid entries in log order, with their slot index. */
  entries: Array<{ index: number; entry: LogEntry }>;
  /** Files and directories by relative path, as they appear in the tree. */
  files: Map<string, IndexedFile>;
  dirs: Map<string, IndexedDir>;
  bad: BadEntry[];
  conflicts: TreeConflict[];
}

export function geometryOf(sb: Superblock): FmapGeometry {
  return { devSize: sb.daxdevSize, dataStart: LOG_OFFSET + sb.logLen, allocUnit: sb.allocUnit };
}

export function entryOffset(index: number): number {
  return LOG_HEADER_SIZE + index * LOG_ENTRY_SIZE;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * Replays the log in `log` (header at 0). Every entry is validated; a bad entry is recorded and
 * skipped, so one damaged slot never hides the rest of the log. Throws EBADLOG only when the
 * header itself is unusable.
 */
export function replayLog(log: Buffer, sb: Superblock, devName: string): Replay {
  const header = parseLogHeader(log, sb.logLen, devName);
  const geom = geometryOf(sb);
  const r: Replay = { header, entries: [], files: new Map(), dirs: new Map(), bad: [], conflicts: [] };
  const n = header.nextIndex;
  for (let i = 0; i < n; i++) {
    let entry: LogEntry;
    try {
      entry = readLogEntry(log, entryOffset(i), i);
      if (entry.type === 'file') {
        const p = fmapProblem(entry.fmap, entry.size, geom);
        if (p) throw new FamfsError('EBADENTRY', `log entry ${i}: file '${entry.path}': ${p}`, { index: i, reason: p });
      }
    } catch (e) {
      if (!(e instanceof FamfsError)) throw e;
      r.bad.push({ index: i, reason: e.message, torn: i === n - 1 });
      continue;
    }
    r.entries.push({ index: i, entry });
    placeInTree(r, entry, i);
  }
  return r;
}

/** Adds a valid entry to the tree, or records why its path cannot go there. */
function placeInTree(r: Replay, entry: LogEntry, index: number): void {
  if (entry.type === 'add_daxdev') return;
  const path = entry.path;
  const conflict = (reason: string) => r.conflicts.push({ index, path, reason });
  const parent = parentOf(path);
  if (parent !== '' && !r.dirs.has(parent)) {
    conflict(r.files.has(parent) ? `parent '${parent}' is a file` : `parent directory '${parent}' does not exist`);
    return;
  }
  if (entry.type === 'file') {
    if (r.files.has(path)) conflict(`duplicate file path (first logged at entry ${r.files.get(path)!.index})`);
    else if (r.dirs.has(path)) conflict('a directory of that name exists');
    else r.files.set(path, { ...entry, index });
  } else {
    if (r.files.has(path)) conflict('a file of that name exists');
    else if (!r.dirs.has(path)) r.dirs.set(path, { ...entry, index });
    // mkdir of an existing directory is harmless: `mkdir -p` may log it twice.
  }
}
