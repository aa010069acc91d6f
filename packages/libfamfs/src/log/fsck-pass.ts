import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE } from '../format/constants';
import { LogEntry, readLogEntry } from '../format/log-entry';
import { LogHeader } from '../format/log-header';
import { META_DIR } from '../format/meta-paths';
import { Superblock } from '../format/superblock';
import { AllocationMap } from '../alloc/allocation-map';
import { newQuickEntry, QUICK_FILE, QUICK_MKDIR, quickEntry } from './entry-quick';
import { EntryWindow, forEachEntryWindow, logHeaderOf } from './entry-windows';
import { LogWindows } from './log-windows';
import { PathIndex } from './path-index';
import { BadEntry, checkedLogEntry, entryOffset, geometryOf, placementOf, TreeConflict } from './replay';

const PAGE = 4096;
const DOT = 0x2e;
const SLASH = 0x2f;
const META = Buffer.from(META_DIR);

/** What one pass over a log finds: fsck's report is made from it. */
export interface LogPass {
  header: LogHeader;
  files: number;
  directories: number;
  bad: BadEntry[];
  conflicts: TreeConflict[];
  map: AllocationMap;
  /** The entry in slot `index` (a valid one: for naming colliding entries after the pass). */
  entryAt(index: number): LogEntry;
}

/**
 * One pass over every entry in use, a window of the log at a time: each entry checked as replay
 * checks it (the quick check for the common entry, the full one for the rest, so a bad entry gets
 * the same reason), files and directories counted, extents marked in the allocation map and
 * paths placed with replay's rule in a byte-keyed index. No per-entry objects for the common
 * entry; memory is the window, the map and the index.
 */
export function passLog(windows: LogWindows, sb: Superblock, device: string): LogPass {
  const logLen = sb.logLen;
  const header = logHeaderOf(windows, logLen, device);
  const geom = geometryOf(sb);
  const map = AllocationMap.forDevice(sb);
  const n = header.nextIndex;
  const index = new PathIndex(n);
  const bad: BadEntry[] = [];
  const conflicts: TreeConflict[] = [];
  const q = newQuickEntry();
  let files = 0;
  let directories = 0;

  /** The whole placement rule, for an entry the quick placement cannot decide. */
  const placeByRule = (path: string, type: 'file' | 'mkdir', slot: number): void => {
    const p = placementOf({ type, path } as Parameters<typeof placementOf>[0], index);
    if (p === 'exists') return;
    if (p !== 'add') conflicts.push({ index: slot, path, reason: p.conflict });
    else index.addPath(path, slot, type === 'mkdir');
  };

  /** Places a quickly checked entry whose path is buf[q.pathStart, q.pathEnd). */
  const placeQuick = (buf: Buffer, slot: number, dir: boolean): void => {
    const s = q.pathStart;
    const e = q.pathEnd;
    const slash = q.lastSlash;
    if (isUnderMeta(buf, s, e)) return placeByRule(buf.toString('latin1', s, e), dir ? 'mkdir' : 'file', slot);
    if (slash >= 0) {
      const pv = index.find(buf, s, slash, q.parentHash);
      if (pv < 0 || pv % 2 === 0) return placeByRule(buf.toString('latin1', s, e), dir ? 'mkdir' : 'file', slot);
    }
    const v = index.findOrAdd(buf, s, e, q.hash, slot, dir);
    if (v >= 0 && !(dir && v % 2 === 1)) placeByRule(buf.toString('latin1', s, e), dir ? 'mkdir' : 'file', slot);
  };

  /** The full check, for whatever the quick one does not accept. */
  const fullCheck = (buf: Buffer, at: number, slot: number, crc: number): void => {
    let entry: LogEntry;
    try {
      entry = checkedLogEntry(buf, at, slot, geom, crc);
    } catch (e) {
      if (!(e instanceof FamfsError)) throw e;
      bad.push({ index: slot, reason: e.message, torn: slot === n - 1 });
      return;
    }
    if (entry.type === 'file') files++;
    else if (entry.type === 'mkdir') directories++;
    map.add(slot, entry);
    if (entry.type !== 'add_daxdev') placeByRule(entry.path, entry.type, slot);
  };

  const walk = ({ buf, u32, first, index, count, crcs }: EntryWindow): void => {
    for (let k = 0, i = index; k < count; k++, i++) {
      const at = first + k * LOG_ENTRY_SIZE;
      const kind = quickEntry(buf, u32, at, i, crcs[k], geom, q);
      if (kind === QUICK_FILE) {
        files++;
        map.fileBytes += q.size;
        for (let x = 0; x < q.extents; x++) map.claim(q.ext[2 * x], q.ext[2 * x + 1], i);
        placeQuick(buf, i, false);
      } else if (kind === QUICK_MKDIR) {
        directories++;
        placeQuick(buf, i, true);
      } else {
        fullCheck(buf, at, i, crcs[k]);
      }
    }
  };
  forEachEntryWindow(windows, logLen, n, walk);

  const entryAt = (slot: number): LogEntry => {
    const off = entryOffset(slot);
    const start = off - (off % PAGE);
    return readLogEntry(windows.window(start, off - start + LOG_ENTRY_SIZE), off - start, slot);
  };
  return { header, files, directories, bad, conflicts, map, entryAt };
}

/** Whether buf[s, e) is .meta or under it: the reserved names, which only the whole rule places. */
function isUnderMeta(buf: Buffer, s: number, e: number): boolean {
  const m = META.length;
  if (e - s < m || buf[s] !== DOT) return false;
  for (let i = 1; i < m; i++) if (buf[s + i] !== META[i]) return false;
  return e - s === m || buf[s + m] === SLASH;
}
