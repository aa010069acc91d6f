/**
 * Mounting and unmounting a FUSE file system as root, without fusermount: open /dev/fuse and call
 * mount(2) with the fd in the data string, as libfuse's fuse_kern_mount does. mount(2) and
 * umount2 come from the native addon (@famfs/native).
 */
import * as fs from 'fs';
import * as native from '@famfs/native';
import type { MountTableEntry } from '@famfs/native';

export interface MountOptions {
  mountpoint: string;
  /** Column 1 of /proc/mounts (the "source"). Default "famfs". */
  fsname?: string;
  /** The type becomes "fuse.<subtype>" (default "famfs"); "" gives plain "fuse". */
  subtype?: string;
  allowOther?: boolean;
  defaultPermissions?: boolean;
  /** max_read=N (the kernel uses max(4096, N)). Default 1 MiB. */
  maxRead?: number;
  /** rootmode in octal notation, default "40000" (a directory). */
  rootmode?: string;
  /** Default 0/0. */
  userId?: number;
  groupId?: number;
}

export interface FuseMount {
  /** The /dev/fuse fd serving this mount (the caller closes it once the session ended). */
  fd: number;
  mountpoint: string;
  fstype: string;
}

/** The mount(2) data string libfuse would build, with our options. */
export function fuseMountData(fd: number, o: MountOptions): string {
  const parts = [
    `fd=${fd}`,
    `rootmode=${o.rootmode ?? '40000'}`,
    `user_id=${o.userId ?? 0}`,
    `group_id=${o.groupId ?? 0}`,
  ];
  if (o.allowOther) parts.push('allow_other');
  if (o.defaultPermissions) parts.push('default_permissions');
  parts.push(`max_read=${o.maxRead ?? 1 << 20}`);
  return parts.join(',');
}

/** Opens /dev/fuse and mounts it at o.mountpoint. The mount is live (INIT queued) on return. */
export function mountFuse(o: MountOptions): FuseMount {
  const subtype = o.subtype ?? 'famfs';
  const fstype = subtype ? `fuse.${subtype}` : 'fuse';
  const source = o.fsname ?? 'famfs';
  const fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
  try {
    native.mount(source, o.mountpoint, fstype, native.MS_NOSUID | native.MS_NODEV, fuseMountData(fd, o));
    return { fd, mountpoint: o.mountpoint, fstype };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

export interface UnmountOptions {
  /** MNT_DETACH: detach now, tear down when no longer busy. */
  lazy?: boolean;
}

/** Unmounts; throws an Error with .code (EBUSY, EINVAL when not mounted...). */
export function unmountFuse(mountpoint: string, o: UnmountOptions = {}): void {
  native.umount2(mountpoint, o.lazy ? native.MNT_DETACH : 0);
}

/**
 * The mount entries at this path, from the one mountinfo parser (@famfs/native's mount table):
 * read without touching the mount, so a dead daemon's mount does not block the caller.
 */
export function mountInfo(mountpoint: string): MountTableEntry[] {
  return native.mountsAt(mountpoint);
}

/** True when something is mounted exactly at this path. */
export function isMounted(mountpoint: string): boolean {
  return mountInfo(mountpoint).length > 0;
}

/**
 * Aborts a FUSE connection through the fuse control file system (when mounted at
 * /sys/fs/fuse/connections): every pending and future request fails and the daemon's read gets
 * ENODEV/ECONNABORTED. Returns false when the control file is not there.
 */
export function abortConnection(devMinor: number): boolean {
  const p = `/sys/fs/fuse/connections/${devMinor}/abort`;
  try {
    fs.writeFileSync(p, '1');
    return true;
  } catch {
    return false;
  }
}
