import { crc32Records } from '@famfs/native';
import { FamfsError } from '../errors';
import { LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE, LOG_HEADER_SIZE } from '../format/constants';
import { LogEntry } from '../format/log-entry';
import { LogHeader, parseLogHeader } from '../format/log-header';
import { META_DIR } from '../format/meta-paths';
import { Superblock } from '../format/superblock';
import { AllocationMap } from '../alloc/allocation-map';
import { newQuickEntry, QUICK_FILE, QUICK_MKDIR, quickEntry, QuickEntry } from './entry-quick';
import { LOG_WINDOW_BYTES, LogWindows } from './log-windows';
import { pathHash, PathIndex } from './path-index';
import { BadEntry, checkedLogEntry, entryOffset, geometryOf, placementOf, TreeConflict } from './replay';

const PAGE = 4096;
const DOT = 0x2e;
const SLASH = 0x2f;
const META = Buffer.from(META_DIR);

/** The tree and the allocation map a whole log makes, read with no object per entry. */
export interface LogTree {
  header: LogHeader;
  /** Every file and directory placed, by path bytes, with the slot that placed it. */
  index: PathIndex;
  /** Every valid file entry's extents claimed (conflicting paths included), fileBytes summed. */
  map: AllocationMap;
  bad: BadEntry[];
  conflicts: TreeConflict[];
}

/**
 * One pass over every entry in use, a window of the log at a time, that keeps what a log session
 * needs to go on appending: the tree (each path placed by replay's rule, placementOf) and the
 * allocation map. Each entry is checked as replay checks it: the quick check (entry-quick.ts) for
 * the common FILE or MKDIR entry, read straight from the slot's bytes, the full check for the rest,
 * so a bad entry is skipped with replay's reason. The tree is a byte-keyed PathIndex, so a log of
 * half a million entries leaves no JS object or string per entry for the garbage collector to walk.
 */
export function passLogTree(windows: LogWindows, sb: Superblock, device: string): LogTree {
  const logLen = sb.logLen;
  // Only the bytes in use are read: a fresh log costs a page, not a window.
  const header = parseLogHeader(windows.window(0, Math.min(pageCeil(LOG_HEADER_SIZE), logLen)), logLen, device);
  const geom = geometryOf(sb);
  const map = AllocationMap.forDevice(sb);
  const n = header.nextIndex;
  // Room for every slot of the log: a session appending to it never grows the index.
  const index = new PathIndex(header.lastIndex + 1);
  const bad: BadEntry[] = [];
  const conflicts: TreeConflict[] = [];
  const q = newQuickEntry();

  /** The whole placement rule, for the entries the quick placement cannot decide. */
  const placeByRule = (path: string, type: 'file' | 'mkdir', slot: number): void => {
    const p = placementOf({ type, path } as Parameters<typeof placementOf>[0], index);
    if (p === 'exists') return;
    if (p !== 'add') conflicts.push({ index: slot, path, reason: p.conflict });
    else index.addPath(path, slot, type === 'mkdir');
  };

  const fullCheck = (buf: Buffer, at: number, slot: number, crc: number): void => {
    let entry: LogEntry;
    try {
      entry = checkedLogEntry(buf, at, slot, geom, crc);
    } catch (e) {
      if (!(e instanceof FamfsError)) throw e;
      bad.push({ index: slot, reason: e.message, torn: slot === n - 1 });
      return;
    }
    map.add(slot, entry);
    if (entry.type !== 'add_daxdev') placeByRule(entry.path, entry.type, slot);
  };

  let i = 0;
  while (i < n) {
    const off = entryOffset(i);
    const start = off - (off % PAGE);
    const len = Math.min(LOG_WINDOW_BYTES, logLen - start, pageCeil(entryOffset(n) - start));
    const buf = windows.window(start, len);
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, len >> 2);
    const count = Math.min(n - i, Math.floor((start + len - off) / LOG_ENTRY_SIZE));
    const first = off - start;
    const crcs = crc32Records(buf, first, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, count);
    for (let k = 0; k < count; k++, i++) {
      const at = first + k * LOG_ENTRY_SIZE;
      const kind = quickEntry(buf, u32, at, i, crcs[k], geom, q);
      if (kind === QUICK_FILE) {
        map.fileBytes += q.size;
        for (let x = 0; x < q.extents; x++) map.claim(q.ext[2 * x], q.ext[2 * x + 1], i);
        if (!placeQuick(index, buf, q, i, false))
          placeByRule(buf.toString('latin1', q.pathStart, q.pathEnd), 'file', i);
      } else if (kind === QUICK_MKDIR) {
        if (!placeQuick(index, buf, q, i, true))
          placeByRule(buf.toString('latin1', q.pathStart, q.pathEnd), 'mkdir', i);
      } else {
        fullCheck(buf, at, i, crcs[k]);
      }
    }
  }
  return { header, index, map, bad, conflicts };
}

/**
 * Places a quickly checked entry whose (ASCII) path is buf[q.pathStart, q.pathEnd) when the
 * common case decides it: not under .meta, its parent a directory, the path new (or a directory
 * again, which mkdir -p may log twice). False when the whole rule must decide.
 */
function placeQuick(index: PathIndex, buf: Buffer, q: QuickEntry, slot: number, dir: boolean): boolean {
  const s = q.pathStart;
  const e = q.pathEnd;
  const slash = q.lastSlash;
  if (isUnderMeta(buf, s, e)) return false;
  let h: number;
  if (slash >= 0) {
    const hp = pathHash(buf, s, slash);
    const pv = index.find(buf, s, slash, hp);
    if (pv < 0 || pv % 2 === 0) return false;
    h = pathHash(buf, slash, e, hp);
  } else {
    h = pathHash(buf, s, e);
  }
  const v = index.find(buf, s, e, h);
  if (v < 0) index.add(buf, s, e, h, slot, dir);
  else if (!(dir && v % 2 === 1)) return false;
  return true;
}

function pageCeil(bytes: number): number {
  return Math.ceil(bytes / PAGE) * PAGE;
}

/** Whether buf[s, e) is .meta or under it: the reserved names, which only the whole rule places. */
function isUnderMeta(buf: Buffer, s: number, e: number): boolean {
  const m = META.length;
  if (e - s < m || buf[s] !== DOT) return false;
  for (let i = 1; i < m; i++) if (buf[s + i] !== META[i]) return false;
  return e - s === m || buf[s + m] === SLASH;
}
