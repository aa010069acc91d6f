/**
 * The numbers a mounted famfs reports to statfs(2), computed from its device: the device, not
 * the shadow tree behind the mount (where the C famfs_fused answers), so that `df` shows famfs
 * space. The log is replayed each time: another host may have allocated since.
 */
import { AllocationMap } from '../alloc/allocation-map';
import { Device, mapMeta, unmapMeta } from '../device/device';
import { replayLog } from './replay';

/** The block size statfs reports (bsize and frsize). */
export const STATFS_BLOCK_SIZE = 4096;

export interface FamfsStatfs {
  bsize: number;
  frsize: number;
  /** The device size (from the superblock), in blocks. */
  blocks: number;
  /** Unallocated bytes, in blocks: the superblock, the log and every file extent count as used. */
  bfree: number;
  /** As bfree: famfs reserves nothing for root. */
  bavail: number;
  /** Log slots: each file or directory takes one log entry, so slots are famfs' inodes. */
  files: number;
  /** Free log slots. */
  ffree: number;
}

/**
 * statfs numbers of the famfs on `dev` (opened by the caller, read-only is enough; nothing stays
 * mapped afterwards). Throws FamfsError EBADSUPER or EBADLOG when the device holds no usable famfs.
 */
export function statfsOfDevice(dev: Device): FamfsStatfs {
  const meta = mapMeta(dev);
  try {
    dev.invalidate(meta.log, 0, meta.log.length);
    const replay = replayLog(meta.log, meta.sb, dev.path);
    const free = Math.max(0, AllocationMap.build(meta.sb, replay).freeBytes);
    const slots = replay.header.lastIndex + 1;
    const bfree = Math.floor(free / STATFS_BLOCK_SIZE);
    return {
      bsize: STATFS_BLOCK_SIZE,
      frsize: STATFS_BLOCK_SIZE,
      blocks: Math.floor(meta.sb.daxdevSize / STATFS_BLOCK_SIZE),
      bfree,
      bavail: bfree,
      files: slots,
      ffree: Math.max(0, slots - replay.header.nextIndex),
    };
  } finally {
    unmapMeta(dev, meta);
  }
}
