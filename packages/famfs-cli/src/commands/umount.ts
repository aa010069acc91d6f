import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '@famfs/libfamfs';
import { SHADOW_ROOT_NAME } from '@famfs/libfamfs/shadow';
import {
  daemonPaths,
  findFamfsMount,
  readMountRecord,
  removeMountRecord,
  unmountFamfs,
} from '@famfs/libfamfs/mount';
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
    const mpt = path.resolve(args[0]);
    try {
      const found = findFamfsMount(mpt);
      const mountpoint = found?.mountpoint ?? mpt;
      const record = found?.record ?? readMountRecord(mountpoint);
      if (!found && !record) throw new FamfsError('ENOENT', `${mpt} is not a famfs mount point`);
      // Only what was named is unmounted: a path inside a mount is refused, never its ancestor.
      if (found && found.mountpoint !== realOr(mpt)) {
        throw new FamfsError('EINVAL', `${mpt} is inside the famfs mount at ${found.mountpoint}; give the mount point`);
      }
      unmountFamfs(mountpoint);
      const shadow = record?.shadow ?? found?.shadow;
      const pid = record?.pid ?? readPid(shadow);
      if (pid !== undefined) stopDaemon(pid);
      if (shadow) {
        if (record?.shadowCreated) fs.rmSync(shadow, { recursive: true, force: true });
        else {
          // A shadow path the user gave (-S) stays; what the mount and its daemon put in it goes.
          fs.rmSync(path.join(shadow, SHADOW_ROOT_NAME), { recursive: true, force: true });
          fs.rmSync(daemonPaths(shadow).pid, { force: true });
          fs.rmSync(daemonPaths(shadow).status, { force: true });
        }
      }
      if (record?.mountpointCreated) removeEmptyDir(mountpoint);
      removeMountRecord(mountpoint);
      io.out(`famfs umount: ${mountpoint} unmounted\n`);
      return 0;
    } catch (e) {
      io.err(`famfs umount: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
  },
};

function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The temporary mount point of a dummy mount; left alone if anything was put in it. */
function removeEmptyDir(p: string): void {
  try {
    fs.rmdirSync(p);
  } catch {
    // not empty, or gone
  }
}

function readPid(shadow: string | undefined): number | undefined {
  if (!shadow) return undefined;
  try {
    const n = Number(fs.readFileSync(daemonPaths(shadow).pid, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
