import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE, LOG_HEADER_SIZE } from '../format/constants';
import { parseLogHeader } from '../format/log-header';
import { LOG_META, SUPERBLOCK_META } from '../format/meta-paths';
import { parseSuperblock, Superblock, SuperblockLayout } from '../format/superblock';

/**
 * The superblock and log of a mounted famfs, read through the mount's .meta/.superblock and
 * .meta/.log files instead of the device. On a kernel whose famfs mounts need fsdev_dax, the raw
 * /dev/daxX.Y cannot be mapped or read at all, and it cannot be switched back to device_dax while
 * mounted: the mount is then the only way to the metadata (C famfs reads it the same way).
 *
 * The bytes are copied out with read(2), so the result outlives the call and nothing stays
 * mapped; on a famfs kernel the reads are served from the memory itself, on a stock one by
 * famfs_fused from the device it holds open. Of the log only the header and the entries it counts
 * are read (the rest of the buffer stays zero): a one-file command on a mount with a nearly empty
 * 8 MiB log reads one page, not 8 MiB.
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
  const log = readPrefix(mountpoint, LOG_META, sb.logLen, device, (first) => logBytesInUse(first, sb.logLen, device));
  return { sb, log };
}

/** Bytes a log's first page says are in use: the header and entries [0, next_index). */
function logBytesInUse(first: Buffer, logLen: number, device: string): number {
  try {
    return LOG_HEADER_SIZE + parseLogHeader(first, logLen, device).nextIndex * LOG_ENTRY_SIZE;
  } catch {
    // An invalid header is for the log's reader to report: it gets the whole log.
    return logLen;
  }
}

/** Whether the mount shows a famfs superblock file, i.e. is a famfs mount this module can read. */
export function showsMetaFiles(mountpoint: string): boolean {
  try {
    return fs.statSync(path.join(mountpoint, SUPERBLOCK_META)).isFile();
  } catch {
    return false;
  }
}

/** The first page read of a file (or all of it, if shorter), from which `inUse` tells how much more to read. */
const FIRST_READ = 4096;

/**
 * A buffer of `length` bytes holding the start of mountpoint/rel: all of it, or as far as
 * `inUse(first bytes)` says (the rest left zero).
 */
function readPrefix(
  mountpoint: string,
  rel: string,
  length: number,
  device: string,
  inUse?: (first: Buffer) => number,
): Buffer {
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
    const readTo = (end: number): void => {
      while (done < end) {
        const n = fs.readSync(fd, buf, done, end - done, done);
        if (n === 0) fail(`it ended after ${done} of ${end} bytes`);
        done += n;
      }
    };
    readTo(inUse ? Math.min(length, FIRST_READ) : length);
    if (inUse) readTo(Math.min(length, inUse(buf.subarray(0, done))));
    return buf;
  } catch (e) {
    if (e instanceof FamfsError) throw e;
    return fail((e as Error).message);
  } finally {
    fs.closeSync(fd);
  }
}
