import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE, MAX_PATHLEN } from '../format/constants';
import { LogEntry } from '../format/log-entry';
import { LogHeader } from '../format/log-header';
import { META_DIR } from '../format/meta-paths';
import { Superblock } from '../format/superblock';
import { AllocationMap } from '../alloc/allocation-map';
import { newQuickEntry, QUICK_FILE, QUICK_MKDIR, quickEntry, quickGeometry } from './entry-quick';
import { EntryWindow, forEachEntryWindow, logHeaderOf } from './entry-windows';
import { LogWindows } from './log-windows';
import { PathIndex } from './path-index';
import { BadEntry, checkedLogEntry, geometryOf, placementOf, TreeConflict } from './replay';

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
  /** Valid file and directory entries, placed or not (fsck's counts). */
  files: number;
  directories: number;
  bad: BadEntry[];
  conflicts: TreeConflict[];
}

/**
 * One pass over every entry in use, a window of the log at a time (entry-windows.ts), that keeps
 * the tree (each path placed by replay's rule, placementOf) and the allocation map: what a log
 * session needs to go on appending, and what fsck reports. Each entry is checked as replay checks
 * it: the quick check (entry-quick.ts) for the common FILE or MKDIR entry, read straight from the
 * slot's bytes, the full check for the rest, so a bad entry is skipped with replay's reason. The
 * tree is a byte-keyed PathIndex, so a log of half a million entries leaves no JS object or string
 * per entry for the garbage collector to walk; memory is two windows, the map and the index.
 */
export function passLogTree(windows: LogWindows, sb: Superblock, device: string): LogTree {
  const header = logHeaderOf(windows, sb.logLen, device);
  const geom = geometryOf(sb);
  const map = AllocationMap.forDevice(sb);
  const n = header.nextIndex;
  const index = new PathIndex(n);
  const bad: BadEntry[] = [];
  const conflicts: TreeConflict[] = [];
  const q = newQuickEntry();
  let files = 0;
  let directories = 0;

  /** The whole placement rule, for the entries the quick placement cannot decide. */
  const placeByRule = (path: string, type: 'file' | 'mkdir', slot: number): void => {
    const p = placementOf({ type, path } as Parameters<typeof placementOf>[0], index);
    if (p === 'exists') return;
    if (p !== 'add') conflicts.push({ index: slot, path, reason: p.conflict });
    else index.addPath(path, slot, type === 'mkdir');
  };

  /**
   * The directory last found as a parent, by its bytes, length and hash: consecutive entries
   * mostly share a parent (a directory's files are made together), and comparing a few bytes
   * spares a probe of the index. Only a directory is remembered: a path placed stays what it is.
   */
  const parentBytes = new Uint8Array(MAX_PATHLEN);
  let parentLen = -1;
  let parentHash = 0;
  const parentIsDir = (buf: Buffer, s: number, end: number, h: number): boolean => {
    const len = end - s;
    if (len === parentLen && h === parentHash) {
      let i = 0;
      while (i < len && buf[s + i] === parentBytes[i]) i++;
      if (i === len) return true;
    }
    const pv = index.find(buf, s, end, h);
    if (pv < 0 || pv % 2 === 0) return false;
    for (let i = 0; i < len; i++) parentBytes[i] = buf[s + i];
    parentLen = len;
    parentHash = h;
    return true;
  };

  /**
   * Places a quickly checked entry whose (ASCII) path is buf[q.pathStart, q.pathEnd) when the
   * common case decides it: not under .meta, its parent a directory, the path new (or a directory
   * again, which mkdir -p may log twice). Anything else goes to the whole rule.
   */
  const placeQuick = (buf: Buffer, slot: number, dir: boolean): void => {
    const s = q.pathStart;
    const e = q.pathEnd;
    if (isUnderMeta(buf, s, e) || (q.lastSlash >= 0 && !parentIsDir(buf, s, q.lastSlash, q.parentHash))) {
      return placeByRule(buf.toString('latin1', s, e), dir ? 'mkdir' : 'file', slot);
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

  // Numbers handed to calls per entry are small integers (CRCs and hashes as int32, extents in
  // allocation units): a double past 2^31 would be boxed, a heap allocation per call.
  const quickGeom = quickGeometry(geom);
  const walk = ({ buf, first, index: from, count, crcs }: EntryWindow): number => {
    // The window's words and CRCs as int32: a word read from a Uint32Array past 2^31 is a boxed
    // number until the JIT has optimized the code reading it (a pass's first windows).
    const i32 = new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
    const crc32s = new Int32Array(crcs.buffer, crcs.byteOffset, crcs.length);
    // File sizes are summed here while the sum is a small integer, and added to the map's total
    // (past 2^31 in a full log) now and then.
    let sizes = 0;
    for (let k = 0, i = from; k < count; k++, i++) {
      const at = first + k * LOG_ENTRY_SIZE;
      const kind = quickEntry(buf, i32, at, i, crc32s[k], quickGeom, q);
      if (kind === QUICK_FILE) {
        files++;
        if (sizes >= SMALL_SUM - q.size) {
          map.fileBytes += sizes;
          sizes = 0;
        }
        sizes += q.size;
        for (let x = 0; x < q.extents; x++) map.claimUnits(q.ext[2 * x], q.ext[2 * x + 1], i);
        placeQuick(buf, i, false);
      } else if (kind === QUICK_MKDIR) {
        directories++;
        placeQuick(buf, i, true);
      } else {
        fullCheck(buf, at, i, crcs[k]);
      }
    }
    return sizes;
  };
  // The window's sum is added here, not at the end of walk: code after the loop has no type
  // feedback when the JIT compiles the loop (on-stack, in the first window), and every later
  // window then left the compiled loop through a deoptimization there.
  forEachEntryWindow(windows, sb.logLen, n, (w) => {
    const sizes = walk(w); // before reading map.fileBytes: walk adds to it too, now and then
    map.fileBytes += sizes;
  });
  return { header, index, map, files, directories, bad, conflicts };
}

/** Below this a sum of file sizes stays a small integer. */
const SMALL_SUM = 2 ** 30;

/** Whether buf[s, e) is .meta or under it: the reserved names, which only the whole rule places. */
function isUnderMeta(buf: Buffer, s: number, e: number): boolean {
  const m = META.length;
  if (e - s < m || buf[s] !== DOT) return false;
  for (let i = 1; i < m; i++) if (buf[s + i] !== META[i]) return false;
  return e - s === m || buf[s + m] === SLASH;
}
