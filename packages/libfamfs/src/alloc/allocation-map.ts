import { prefault } from '@famfs/native';
import { LOG_OFFSET } from '../format/constants';
import { fmapExtents } from '../format/fmap';
import { Superblock } from '../format/superblock';
import { LogEntry } from '../format/log-entry';
import { zeroedArray } from '../large-arrays';

/** Owner value of allocation units that hold the superblock and log. */
export const META_OWNER = -2;
const FREE = -1;

export interface Collision {
  /** Allocation unit index where two files meet. */
  unit: number;
  /** Log index of the entry that claimed the unit first, or META_OWNER. */
  first: number;
  /** Log index of the entry that claimed it again. */
  second: number;
}

/**
 * Which allocation unit belongs to whom, rebuilt from the log (famfs keeps no persistent bitmap).
 * Every valid file entry is marked, including files whose path conflicts in the tree: their
 * space was allocated all the same and must never be handed out twice.
 */
export class AllocationMap {
  readonly owner: Int32Array;
  readonly collisions: Collision[] = [];
  /**
   * Units in use, each counted once, superblock and log included: a count (a small integer),
   * where a sum of bytes past 2^31 would box a number per unit claimed before the JIT optimizes.
   */
  allocatedUnits = 0;
  /** Sum of the logged file sizes. */
  fileBytes = 0;

  constructor(
    readonly unitSize: number,
    readonly units: number,
  ) {
    this.owner = zeroedArray(Int32Array, units);
    // Filled at once: its pages are faulted in with one call rather than one fault each.
    prefault(this.owner);
    this.owner.fill(FREE);
  }

  /** An empty map of the device with the superblock and log claimed. */
  static forDevice(sb: Superblock): AllocationMap {
    const map = new AllocationMap(sb.allocUnit, Math.floor(sb.daxdevSize / sb.allocUnit));
    map.claim(0, LOG_OFFSET + sb.logLen, META_OWNER);
    return map;
  }

  /** The map of a replayed log (a log/replay.ts Replay): every valid entry, by slot index. */
  static build(sb: Superblock, replay: { entries: ReadonlyArray<LogEntry | undefined> }): AllocationMap {
    const map = AllocationMap.forDevice(sb);
    replay.entries.forEach((entry, index) => map.add(index, entry));
    return map;
  }

  /** Accounts for one valid log entry: a file's extents are claimed for its slot index. */
  add(index: number, entry: LogEntry | undefined): void {
    if (entry === undefined || entry.type !== 'file') return;
    this.fileBytes += entry.size;
    for (const e of fmapExtents(entry.fmap)) this.claim(e.offset, e.len, index);
  }

  /** Bytes in use, each unit counted once, superblock and log included. */
  get allocatedBytes(): number {
    return this.allocatedUnits * this.unitSize;
  }

  get capacityBytes(): number {
    return this.units * this.unitSize;
  }

  get freeBytes(): number {
    return this.capacityBytes - this.allocatedBytes;
  }

  isFree(unit: number): boolean {
    return this.owner[unit] === FREE;
  }

  /** Marks [offset, offset+len) as owned by `who`; units already owned are recorded as collisions. */
  claim(offset: number, len: number, who: number): void {
    const first = Math.floor(offset / this.unitSize);
    this.claimUnits(first, Math.ceil((offset + len) / this.unitSize) - first, who);
  }

  /**
   * claim() in units: [first, first + count). A pass over a whole log calls this with unit numbers,
   * small integers, where byte offsets past 2 GiB would box a number per call.
   */
  claimUnits(first: number, count: number, who: number): void {
    const end = Math.min(this.units, first + count);
    for (let u = first; u < end; u++) {
      const prev = this.owner[u];
      if (prev === FREE) {
        this.owner[u] = who;
        this.allocatedUnits++;
      } else {
        this.collisions.push({ unit: u, first: prev, second: who });
      }
    }
  }

  /** Length of the free run starting at `unit`, stopping at `limit`. */
  freeRun(unit: number, limit = this.units): number {
    let u = unit;
    while (u < limit && this.owner[u] === FREE) u++;
    return u - unit;
  }
}
