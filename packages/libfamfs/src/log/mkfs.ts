import { FamfsError } from '../errors';
import {
  ALLOC_UNIT,
  CURRENT_VERSION,
  DEFAULT_LOG_LEN,
  DEVNAME_LEN,
  isPowerOfTwo,
  LOG_OFFSET,
  MIN_DEVICE_SIZE,
  MIN_LOG_LEN,
  OMF_VER_MAJOR,
  OMF_VER_MINOR,
  SUPER_MAGIC,
  SUPERBLOCK_SIZE,
} from '../format/constants';
import { newLogHeader } from '../format/log-header';
import { encodeSuperblock, Superblock, SuperblockFault, SuperblockLayout } from '../format/superblock';
import { randomUuidBytes, uuidToText } from '../format/uuid';
import { DaxSysfsOptions } from '../device/dax-switch';
import { withRawDevice } from '../device/device-access';
import { checkLog, FsckReport } from './fsck';
import { mountpointsOf, mountsOfDevice } from '../mount/mount-table';
import { getSystemUuid, roleOf } from '../system-uuid';
import * as fs from 'fs';

export interface MkfsOptions {
  /** Overwrite a valid superblock, even one owned by another host. */
  force?: boolean;
  /** With force: only invalidate the existing superblock (zero its magic). */
  kill?: boolean;
  /** Log length: a power of 2 of at least 8 MiB. Default 8 MiB. */
  logLen?: number;
  /** The master's UUID to record; defaults to this host's. */
  systemUuid?: Buffer;
  /** Fixed file-system and device UUIDs (tests, reproducible images); random by default. */
  uuid?: Buffer;
  devUuid?: Buffer;
  /** The name recorded in the superblock; defaults to the device's real path (truncated to 64 bytes). */
  deviceName?: string;
  /** Smallest device accepted; default 4 GiB as `famfs mkfs` requires (tests make smaller ones). */
  minDeviceSize?: number;
  /** Where sysfs is and how to write it, for a dax device in fsdev_dax mode (default: the host's). */
  dax?: DaxSysfsOptions;
  /**
   * Also check the new file system (what `famfs mkfs` prints) while the device is still open: a
   * dax device in fsdev_dax mode is then switched once, not twice.
   */
  report?: boolean;
}

/** Faults of a superblock that is there all the same: mkfs needs --force to overwrite it. */
const KEPT_FAULTS: SuperblockFault[] = ['version', 'dev_size', 'dev_name'];

export type MkfsResult = { action: 'created'; superblock: Superblock; report?: FsckReport } | { action: 'killed' };

function deviceNameFor(path: string): string {
  let name: string;
  try {
    name = fs.realpathSync(path);
  } catch {
    name = path;
  }
  const b = Buffer.from(name, 'utf8');
  return b.length <= DEVNAME_LEN
    ? name
    : b
        .subarray(0, DEVNAME_LEN)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}

/**
 * Makes a famfs file system on `path`, following the C famfs' rules: a log length that is a power
 * of two >= 8 MiB; kill only with force; a device of at least 4 GiB that is not mounted; an
 * existing superblock (of any version, or owned by another host) kept unless forced. The log is
 * zeroed and written before the superblock, and each is flushed, so a crash mid-mkfs never leaves
 * a valid superblock over a stale log. A dax device in fsdev_dax mode is switched to device_dax
 * for the writes and back afterwards (device/device-access.ts).
 */
export function mkfs(path: string, opts: MkfsOptions = {}): MkfsResult {
  const logLen = opts.logLen ?? DEFAULT_LOG_LEN;
  if (opts.kill && !opts.force) throw new FamfsError('EINVAL', 'kill (-k) is only allowed together with force (-f)');
  if (!isPowerOfTwo(logLen) || logLen < MIN_LOG_LEN) {
    throw new FamfsError('EINVAL', `log length ${logLen} must be a power of 2 and at least ${MIN_LOG_LEN} bytes`, {
      logLen,
    });
  }
  const mounted = mountsOfDevice(path);
  if (mounted.length > 0)
    throw new FamfsError('EBUSY', `cannot mkfs ${path}: it is mounted at ${mounted[0].mountpoint}`, { device: path });

  return withRawDevice(
    path,
    { writable: true },
    (dev): MkfsResult => {
      const me = opts.systemUuid ?? getSystemUuid();
      const existing = dev.readSuperblock();
      // A superblock that fails only a check famfs-ts adds (or one of another version) is still a famfs.
      const present = existing !== undefined && (existing.ok || KEPT_FAULTS.includes(existing.fault!));
      if (present && !opts.force) {
        if (existing.ok && roleOf(existing.sb, me) === 'client') {
          throw new FamfsError(
            'ENOTMASTER',
            `${path}: the superblock is owned by another host (${uuidToText(existing.sb.systemUuid)}); use --force to overwrite`,
            { device: path },
          );
        }
        throw new FamfsError('EEXIST', `${path} already has a famfs superblock; use --force to overwrite it`, {
          device: path,
        });
      }
      if (opts.kill) {
        const area = dev.map(0, SUPERBLOCK_SIZE);
        SuperblockLayout.set(area, 'magic', 0);
        dev.flush(area, 0, 8);
        return { action: 'killed' };
      }
      const min = opts.minDeviceSize ?? MIN_DEVICE_SIZE;
      if (dev.size < min) {
        throw new FamfsError(
          'EINVAL',
          `${path}: device of ${dev.size} bytes is smaller than the ${min / 1024 ** 3} GiB famfs minimum`,
          { device: path, size: dev.size },
        );
      }
      if (LOG_OFFSET + logLen + ALLOC_UNIT > dev.size) {
        throw new FamfsError(
          'EINVAL',
          `${path}: a ${logLen}-byte log leaves no room for data on a ${dev.size}-byte device`,
          { device: path },
        );
      }
      const sb: Superblock = {
        magic: SUPER_MAGIC,
        version: CURRENT_VERSION,
        logOffset: LOG_OFFSET,
        logLen,
        allocUnit: ALLOC_UNIT,
        omfMajor: OMF_VER_MAJOR,
        omfMinor: OMF_VER_MINOR,
        uuid: opts.uuid ?? randomUuidBytes(),
        devUuid: opts.devUuid ?? randomUuidBytes(),
        systemUuid: me,
        crc: 0,
        flags: 0,
        daxdevSize: dev.size,
        daxdevUuid: Buffer.alloc(16),
        daxdevName: opts.deviceName ?? deviceNameFor(path),
      };
      const sbBytes = encodeSuperblock(sb);

      const log = dev.map(LOG_OFFSET, logLen);
      log.fill(0);
      newLogHeader(logLen).copy(log, 0);
      dev.flush(log, 0, logLen);

      const area = dev.map(0, SUPERBLOCK_SIZE);
      sbBytes.copy(area, 0);
      dev.flush(area, 0, sbBytes.length);
      const superblock = SuperblockLayout.decode(sbBytes);
      const report = opts.report ? checkLog(path, superblock, log, { systemUuid: me }) : undefined;
      return { action: 'created', superblock, report };
    },
    { ...opts.dax, mountsOf: mountpointsOf },
  );
}
