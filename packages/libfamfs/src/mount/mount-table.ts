/**
 * famfs' questions to the mount table: which FUSE mounts hold a path, where a device is mounted,
 * whether anything is mounted at a point. The table itself comes from the one mountinfo parser,
 * @famfs/native's readMountTable (shared with @famfs/fuse, which cannot depend on libfamfs).
 * This module imports nothing else of libfamfs, so log/mkfs.ts and log/fsck.ts may use it to
 * refuse a mounted device.
 */
import * as fs from 'fs';
import { MountTableEntry, mountsAt, mountsHolding, readMountTable } from '@famfs/native';

export type { MountTableEntry } from '@famfs/native';

/** famfs mounts are FUSE mounts ('fuse.famfs' as famfs_fused makes them; 'fuse' for others). */
export function isFuseMount(m: MountTableEntry): boolean {
  return m.fstype === 'fuse' || m.fstype.startsWith('fuse.');
}

/** The FUSE mounts whose tree holds the real path `real`, innermost first. */
export function fuseMountsHolding(real: string, table: MountTableEntry[] = readMountTable()): MountTableEntry[] {
  return mountsHolding(real, table).filter(isFuseMount);
}

/** Whether something is mounted exactly at `mountpoint`. */
export function isMountpoint(mountpoint: string, table: MountTableEntry[] = readMountTable()): boolean {
  return mountsAt(mountpoint, table).length > 0;
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The (device, inode) identity of a path, or undefined when it cannot be stat'ed. */
function identity(p: string): string | undefined {
  try {
    const st = fs.statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Mounts whose source is this device: the same path, the same real path, or the same file by
 * inode (a hard link or a bind-mounted path names the same device under another name).
 */
export function mountsOfDevice(device: string, table: MountTableEntry[] = readMountTable()): MountTableEntry[] {
  const dev = realpathOr(device);
  const id = identity(device);
  return table.filter(
    (m) =>
      m.source === dev ||
      (m.source.startsWith('/') && (realpathOr(m.source) === dev || (id !== undefined && identity(m.source) === id))),
  );
}

/**
 * The mount points of every mount of `device` (see mountsOfDevice): the callback the device
 * layer's device-access.ts takes to refuse switching, and to read through, a mounted device.
 */
export function mountpointsOf(device: string): string[] {
  return mountsOfDevice(device).map((m) => m.mountpoint);
}
