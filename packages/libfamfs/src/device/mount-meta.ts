import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../errors';
import { LOG_META, SUPERBLOCK_META } from '../format/meta-paths';
import { parseSuperblock, Superblock, SuperblockLayout } from '../format/superblock';

/**
 * The superblock and log of a mounted famfs, read through the mount's .meta/.superblock and
 * .meta/.log files instead of the device. On a kernel whose famfs mounts need fsdev_dax, the raw
 * /dev/daxX.Y cannot be mapped or read at all, and it cannot be switched back to device_dax while
 * mounted: the mount is then the only way to the metadata (C famfs reads it the same way).
 *
 * The bytes are copied out with read(2) (the files are small: 2 MiB and the log), so the result
 * outlives the call and nothing stays mapped; on a famfs kernel the reads are served from the
 * memory itself, on a stock one by famfs_fused from the device it holds open.
 */
export interface MountedMeta {
  sb: Superblock;
  log: Buffer;
}

/**
 * Reads and checks both files. `device` only names the file system in messages. Throws
 * EBADSUPER (as for a device) for an invalid superblock, EBADLOG when .meta/.log is shorter than
 * the superblock's log, EIO when a file cannot be read.
 */
export function readMetaThroughMount(mountpoint: string, device: string): MountedMeta {
  const sbArea = readPrefix(mountpoint, SUPERBLOCK_META, SuperblockLayout.size, device);
  // The superblock's own device size cannot be checked here: the device is never opened.
  const sb = parseSuperblock(sbArea, device);
  const log = readPrefix(mountpoint, LOG_META, sb.logLen, device);
  return { sb, log };
}

/** Whether the mount shows a famfs superblock file, i.e. is a famfs mount this module can read. */
export function showsMetaFiles(mountpoint: string): boolean {
  try {
    return fs.statSync(path.join(mountpoint, SUPERBLOCK_META)).isFile();
  } catch {
    return false;
  }
}

function readPrefix(mountpoint: string, rel: string, length: number, device: string): Buffer {
  const file = path.join(mountpoint, rel);
  const fail = (why: string, code: 'EIO' | 'EBADLOG' = 'EIO'): never => {
    throw new FamfsError(code, `${device}: cannot read ${file} of its mount: ${why}`, { device, path: file });
  };
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    return fail((e as Error).message);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return fail('not a regular file');
    if (st.size < length) return fail(`it holds ${st.size} bytes, not ${length}`, rel === LOG_META ? 'EBADLOG' : 'EIO');
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, buf, done, length - done, done);
      if (n === 0) return fail(`it ended after ${done} of ${length} bytes`);
      done += n;
    }
    return buf;
  } catch (e) {
    if (e instanceof FamfsError) throw e;
    return fail((e as Error).message);
  } finally {
    fs.closeSync(fd);
  }
}
