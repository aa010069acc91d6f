/**
 * Unmounting a famfs mount from a famfs tool (the CLI's umount, a failed mount's cleanup). This
 * is the one unmount path of libfamfs, and it goes straight to umount2(2) through @famfs/native,
 * not through @famfs/fuse: a tool unmounts a mount it does not serve, often one whose daemon is
 * gone. The FUSE-level primitives (@famfs/fuse unmountFuse, and the session's emergency unmount
 * with a connection abort) belong to the daemon, which tears down the mount it serves.
 */
import { sleepMs, umount2 } from '@famfs/native';
import { FamfsError } from '../errors';
import { isMountpoint } from './mount-table';

/**
 * Unmounts `mountpoint`, retrying while it is busy (10 tries, backing off from 100 ms, as the C
 * famfs does). A mount whose daemon died unmounts like any other. Throws EBUSY when it stays busy.
 */
export function unmountFamfs(mountpoint: string, tries = 10): void {
  let delay = 100;
  for (let i = 1; ; i++) {
    try {
      umount2(mountpoint, 0);
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EINVAL' && !isMountpoint(mountpoint)) return;
      if (code !== 'EBUSY' || i >= tries) {
        throw new FamfsError(
          code === 'EBUSY' ? 'EBUSY' : 'EIO',
          `cannot unmount ${mountpoint}: ${(e as Error).message}`,
          { mountpoint },
          e,
        );
      }
    }
    sleepMs(delay);
    delay = Math.min(delay * 2, 2000);
  }
}

/** unmountFamfs for cleanup paths: never throws; true when nothing is mounted there afterwards. */
export function umountQuietly(mountpoint: string): boolean {
  try {
    if (isMountpoint(mountpoint)) unmountFamfs(mountpoint, 3);
  } catch {
    // reported by the caller's own error
  }
  return !isMountpoint(mountpoint);
}
