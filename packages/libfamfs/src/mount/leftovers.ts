/**
 * What a famfs mount leaves behind once it is unmounted, and the one rule for removing it, shared
 * by `famfs umount` and by famfs_fused when the kernel ends its session (a plain `umount` or
 * `umount -l`): the shadow tree `famfs mount` created (or, for a shadow path the user gave, only
 * what the mount put in it), the daemon's pid and status files, a dummy mount's temporary mount
 * point, and the mount record. Every step tolerates what another cleaner already removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SHADOW_ROOT_NAME } from '../shadow/tree';
import { daemonPaths } from './contract';
import { MountRecord, readMountRecord, removeMountRecord } from './records';

export interface MountLeftovers {
  mountpoint: string;
  /** The shadow path, when known. */
  shadow?: string;
  /** `famfs mount` made the shadow path (a fresh temporary directory): it goes whole. */
  shadowCreated?: boolean;
  /** The mount point is a dummy mount's temporary directory: it goes when empty. */
  mountpointCreated?: boolean;
}

/** Removes what the unmounted famfs at `m.mountpoint` left behind; never throws. */
export function removeMountLeftovers(m: MountLeftovers, env?: NodeJS.ProcessEnv): void {
  const quietly = (f: () => void) => {
    try {
      f();
    } catch {
      // gone already, or not ours to remove: the rest still goes
    }
  };
  if (m.shadow) {
    const shadow = m.shadow;
    if (m.shadowCreated === true) quietly(() => fs.rmSync(shadow, { recursive: true, force: true }));
    else {
      // A shadow path the user gave (-S) stays; what the mount and its daemon put in it goes.
      const files = daemonPaths(shadow);
      quietly(() => fs.rmSync(path.join(shadow, SHADOW_ROOT_NAME), { recursive: true, force: true }));
      quietly(() => fs.rmSync(files.pid, { force: true }));
      quietly(() => fs.rmSync(files.status, { force: true }));
    }
  }
  if (m.mountpointCreated === true) quietly(() => fs.rmdirSync(m.mountpoint));
  quietly(() => removeMountRecord(m.mountpoint, env));
}

/**
 * The daemon's side: after its session ended with the mount gone, the daemon `pid` removes what
 * the record `famfs mount` wrote for `mountpoint` describes, if that record is its own. Returns
 * the record it acted on (undefined: none, or another daemon's, which is left alone).
 */
export function removeOwnMountLeftovers(
  mountpoint: string,
  pid: number,
  env?: NodeJS.ProcessEnv,
): MountRecord | undefined {
  const record = readMountRecord(mountpoint, env);
  if (!record || record.pid !== pid || record.mountpoint !== mountpoint) return undefined;
  removeMountLeftovers(record, env);
  return record;
}
