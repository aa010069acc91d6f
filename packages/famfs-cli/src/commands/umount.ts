import * as fs from 'fs';
import * as path from 'path';
import { FamfsError, readSmallFile } from '@famfs/libfamfs/common';
import {
  daemonPaths,
  findFamfsMount,
  mountsOfDevice,
  readMountRecord,
  removeMountLeftovers,
  unmountFamfs,
} from '@famfs/libfamfs/mount';
import type { FamfsMount, MountRecord } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf } from '../errors';
import { stopDaemon } from '../daemon';

/**
 * `famfs umount`: unmount, stop the daemon that served the mount, and remove the shadow tree the
 * mount made. Works on a mount whose daemon was killed (the record written by `famfs mount`
 * says what to clean).
 */
export const umountCommand: CommandSpec = {
  name: 'umount',
  args: 'MOUNTPOINT',
  summary: 'Unmount a famfs file system, stop its daemon and remove its shadow tree',
  options: [],
  examples: ['famfs umount /mnt/famfs'],
  run(args, _o, io) {
    try {
      const { mountpoint, found, record } = umountTarget(args[0]);
      unmountFamfs(mountpoint);
      const shadow = record?.shadow ?? found?.shadow;
      const pid = record?.pid ?? readPid(shadow);
      // The daemon cleans up after itself when its session ends (the same rule, removeMountLeftovers);
      // this covers a daemon that was killed, or stopped here.
      if (pid !== undefined) stopDaemon(pid);
      removeMountLeftovers({
        mountpoint,
        shadow,
        shadowCreated: record?.shadowCreated,
        mountpointCreated: record?.mountpointCreated,
      });
      io.out(`famfs umount: ${mountpoint} unmounted\n`);
      return 0;
    } catch (e) {
      io.err(`famfs umount: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
  },
};

/**
 * The famfs mount `arg` names: it must be the mount point itself (through symlinks, or by the
 * record `famfs mount` left when the mount is already gone). A path inside a mount is EINVAL and
 * anything else ENOENT: umount never acts on an ancestor of what it was given.
 */
function umountTarget(arg: string): { mountpoint: string; found?: FamfsMount; record?: MountRecord } {
  const given = path.resolve(arg);
  const real = realpathOr(given);
  const found = findFamfsMount(given);
  if (found) {
    if (found.mountpoint !== real) {
      const why = `${arg} is inside the famfs mounted at ${found.mountpoint}; give the mount point`;
      throw new FamfsError('EINVAL', why, { path: arg });
    }
    return { mountpoint: found.mountpoint, found, record: found.record };
  }
  const record = readMountRecord(real) ?? readMountRecord(given);
  if (record) return { mountpoint: record.mountpoint, record };
  const asDevice = mountsOfDevice(real).filter((m) => findFamfsMount(m.mountpoint)?.mountpoint === m.mountpoint);
  if (asDevice.length > 0) {
    const where = asDevice.map((m) => m.mountpoint).join(', ');
    throw new FamfsError('ENOENT', `${arg} is a famfs device, not a mount point; give the mount point (${where})`, {
      path: arg,
    });
  }
  throw new FamfsError('ENOENT', `${arg} is not a famfs mount point`, { path: arg });
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    // A dead daemon's mount point cannot be resolved (ENOTCONN): take the path as given.
    return p;
  }
}

/** The daemon's pid from SHADOW/famfs_fused.pid, read without following or blocking. */
function readPid(shadow: string | undefined): number | undefined {
  if (!shadow) return undefined;
  try {
    const n = Number(readSmallFile(daemonPaths(shadow).pid, 64, 'pid file').toString('utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
