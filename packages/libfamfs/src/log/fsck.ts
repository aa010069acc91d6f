import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE, LOG_HEADER_SIZE } from '../format/constants';
import { Superblock } from '../format/superblock';
import { uuidToText } from '../format/uuid';
import { AllocationMap, META_OWNER } from '../alloc/allocation-map';
import { DaxSysfsOptions } from '../device/dax-switch';
import { withFamfsLogSource } from '../device/device-access';
import { mountpointsOf, mountsOfDevice } from '../mount/mount-table';
import { LogEntry } from '../format/log-entry';
import { BadEntry, TreeConflict } from './replay';
import { LogPass, passLog } from './fsck-pass';
import { deviceWindows, LogWindows, memoryWindows } from './log-windows';
import { Role, roleOf, tryGetSystemUuid } from '../system-uuid';

export interface CollisionReport {
  /** Byte offset on the device of the first unit the two share. */
  offset: number;
  /** Allocation units the two share. */
  units: number;
  first: string;
  second: string;
}

export interface BucketStats {
  index: number;
  startOffset: number;
  bytes: number;
  usedBytes: number;
  freeBytes: number;
  largestFreeRun: number;
}

/** Everything fsck learns about a device, as data: the CLI prints it, tools read it. */
export interface FsckReport {
  device: string;
  superblock: {
    version: number;
    fsUuid: string;
    devUuid: string;
    systemUuid: string;
    role: Role;
    allocUnit: number;
    omfMajor: number;
    omfMinor: number;
    logOffset: number;
    logLen: number;
    daxdevName: string;
    daxdevSize: number;
  };
  log: {
    entriesUsed: number;
    entriesTotal: number;
    lastIndex: number;
    bytesInUse: number;
    nextSeqnum: number;
  };
  files: number;
  directories: number;
  badEntries: BadEntry[];
  treeConflicts: TreeConflict[];
  /** Allocation units claimed twice (the C famfs' "allocation collisions"). */
  collisionCount: number;
  collisions: CollisionReport[];
  capacity: {
    deviceBytes: number;
    bitmapBytes: number;
    fileBytes: number;
    allocatedBytes: number;
    freeBytes: number;
    /** allocated / sum of file sizes; Infinity for an empty file system. */
    amplification: number;
    percentUsed: number;
  };
  buckets?: BucketStats[];
}

export interface FsckOptions {
  systemUuid?: Buffer;
  /** Also report per-bucket statistics over this many equal buckets. */
  nbuckets?: number;
  /** Check even though the device is mounted, from the device itself (a mounted fs changes under the check). */
  allowMounted?: boolean;
  /**
   * Read the superblock and log through this famfs mount of the device (its .meta files) and never
   * open the device: how a mounted file system is checked (on a kernel that needs fsdev_dax, its
   * device cannot be read at all while mounted).
   */
  mountpoint?: string;
  /** Where sysfs is and how to write it, for a dax device in fsdev_dax mode (default: the host's). */
  dax?: DaxSysfsOptions;
}

/**
 * Checks the famfs on a device without changing it. Throws EBADSUPER or EBADLOG when the
 * superblock or log header is unusable; everything else (bad entries, collisions) is reported.
 * A mounted device is refused (EBUSY, as C famfs does) unless `mountpoint` says which mount to
 * read it through, or `allowMounted` asks for the device anyway. A dax device in fsdev_dax mode
 * is switched to device_dax for the check and back afterwards (device/device-access.ts).
 */
export function fsckDevice(path: string, opts: FsckOptions = {}): FsckReport {
  if (!opts.allowMounted && opts.mountpoint === undefined) {
    const m = mountsOfDevice(path);
    if (m.length > 0)
      throw new FamfsError(
        'EBUSY',
        `${path} is mounted at ${m[0].mountpoint}; check the mounted file system by its path instead`,
        { device: path },
      );
  }
  const access = { ...opts.dax, mountsOf: mountpointsOf, mountpoint: opts.mountpoint, whenMounted: 'raw' as const };
  return withFamfsLogSource(
    path,
    (src) => {
      const windows = src.log ? memoryWindows(src.log) : deviceWindows(src.device!);
      try {
        return checkWindows(path, src.sb, windows, opts);
      } finally {
        windows.close();
      }
    },
    access,
  );
}

/**
 * Checks a log in memory (mapped or read whole): one streaming pass validates every entry, marks
 * the allocation map, counts files and directories and places every path (passLog), so even a
 * full 256 MiB log never holds half a million decoded entries.
 */
export function checkLog(device: string, sb: Superblock, log: Buffer, opts: FsckOptions = {}): FsckReport {
  return checkWindows(device, sb, memoryWindows(log), opts);
}

function checkWindows(device: string, sb: Superblock, windows: LogWindows, opts: FsckOptions): FsckReport {
  const pass = passLog(windows, sb, device);
  const { header, map, files, directories } = pass;
  const me = opts.systemUuid ?? tryGetSystemUuid();
  return {
    device,
    superblock: {
      version: sb.version,
      fsUuid: uuidToText(sb.uuid),
      devUuid: uuidToText(sb.devUuid),
      systemUuid: uuidToText(sb.systemUuid),
      role: roleOf(sb, me),
      allocUnit: sb.allocUnit,
      omfMajor: sb.omfMajor,
      omfMinor: sb.omfMinor,
      logOffset: sb.logOffset,
      logLen: sb.logLen,
      daxdevName: sb.daxdevName,
      daxdevSize: sb.daxdevSize,
    },
    log: {
      entriesUsed: header.nextIndex,
      entriesTotal: header.lastIndex + 1,
      lastIndex: header.lastIndex,
      bytesInUse: LOG_HEADER_SIZE + header.nextIndex * LOG_ENTRY_SIZE,
      nextSeqnum: header.nextSeqnum,
    },
    files,
    directories,
    badEntries: pass.bad,
    treeConflicts: pass.conflicts,
    collisionCount: map.collisions.length,
    collisions: groupCollisions(map, pass.entryAt),
    capacity: {
      deviceBytes: sb.daxdevSize,
      bitmapBytes: map.capacityBytes,
      fileBytes: map.fileBytes,
      allocatedBytes: map.allocatedBytes,
      freeBytes: map.freeBytes,
      amplification: map.fileBytes === 0 ? Infinity : map.allocatedBytes / map.fileBytes,
      percentUsed: (100 * map.allocatedBytes) / map.capacityBytes,
    },
    buckets: opts.nbuckets ? bucketStats(map, opts.nbuckets) : undefined,
  };
}

/** One line per pair of entries that share units, with the first shared offset. */
function groupCollisions(map: AllocationMap, entryAt: LogPass['entryAt']): CollisionReport[] {
  const pairs = new Map<string, CollisionReport>();
  // Colliding entries were valid when scanned, so they are read again by slot rather than kept.
  const nameOf = (index: number): string => {
    if (index === META_OWNER) return '(superblock and log)';
    const e: LogEntry = entryAt(index);
    return e.type !== 'add_daxdev' ? `${e.path} (entry ${index})` : `entry ${index}`;
  };
  for (const c of map.collisions) {
    const key = `${c.first}:${c.second}`;
    const seen = pairs.get(key);
    if (seen) seen.units++;
    else pairs.set(key, { offset: c.unit * map.unitSize, units: 1, first: nameOf(c.first), second: nameOf(c.second) });
  }
  return [...pairs.values()];
}

/** Usage of `n` equal buckets of the device (the last takes the remainder). */
export function bucketStats(map: AllocationMap, n: number): BucketStats[] {
  if (!Number.isInteger(n) || n < 1 || n > map.units)
    throw new FamfsError('EINVAL', `number of buckets ${n} must be between 1 and ${map.units}`);
  const per = Math.floor(map.units / n);
  const out: BucketStats[] = [];
  for (let b = 0; b < n; b++) {
    const start = b * per;
    const end = b === n - 1 ? map.units : start + per;
    let used = 0;
    let largest = 0;
    for (let u = start; u < end;) {
      if (!map.isFree(u)) {
        used++;
        u++;
        continue;
      }
      const run = map.freeRun(u, end);
      largest = Math.max(largest, run);
      u += run;
    }
    const units = end - start;
    out.push({
      index: b,
      startOffset: start * map.unitSize,
      bytes: units * map.unitSize,
      usedBytes: used * map.unitSize,
      freeBytes: (units - used) * map.unitSize,
      largestFreeRun: largest * map.unitSize,
    });
  }
  return out;
}
