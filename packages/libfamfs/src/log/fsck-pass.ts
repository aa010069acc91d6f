import { LOG_ENTRY_SIZE } from '../format/constants';
import { LogEntry, readLogEntry } from '../format/log-entry';
import { LogHeader } from '../format/log-header';
import { Superblock } from '../format/superblock';
import { AllocationMap } from '../alloc/allocation-map';
import { LogWindows } from './log-windows';
import { BadEntry, entryOffset, TreeConflict } from './replay';
import { passLogTree } from './tree-pass';

const PAGE = 4096;

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
 * fsck's pass: the tree pass (tree-pass.ts: every entry checked as replay checks it, files and
 * directories counted, extents marked in the allocation map, paths placed by replay's rule), and
 * a way back to any entry by its slot for the report's collisions. The index itself is dropped.
 */
export function passLog(windows: LogWindows, sb: Superblock, device: string): LogPass {
  const { header, files, directories, bad, conflicts, map } = passLogTree(windows, sb, device);
  const entryAt = (slot: number): LogEntry => {
    const off = entryOffset(slot);
    const start = off - (off % PAGE);
    return readLogEntry(windows.window(start, off - start + LOG_ENTRY_SIZE), off - start, slot);
  };
  return { header, files, directories, bad, conflicts, map, entryAt };
}
