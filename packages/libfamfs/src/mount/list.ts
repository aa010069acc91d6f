/**
 * The famfs mounts of this machine, as `famfs mount` with no arguments lists them: each FUSE
 * mount that `famfs mount` recorded or whose daemon answers the shadow xattr, with what its
 * daemon's status record says (role, data path). Nothing read here is trusted: a missing or bad
 * status record leaves those fields unknown.
 */
import { readMountTable } from '@famfs/native';
import type { Role } from '../system-uuid';
import { DataPathKind, readDaemonStatus } from './contract';
import { isFuseMount } from './mount-table';
import { findFamfsMount } from './records';

export interface FamfsMountInfo {
  device: string;
  mountpoint: string;
  shadow: string;
  /** From the daemon's status record; undefined when it has none or it cannot be read. */
  role?: Role;
  dataPath?: DataPathKind;
  /** The daemon's pid, from its status record. */
  pid?: number;
}

export function listFamfsMounts(env?: NodeJS.ProcessEnv): FamfsMountInfo[] {
  const out: FamfsMountInfo[] = [];
  const seen = new Set<string>();
  for (const entry of readMountTable().filter(isFuseMount)) {
    if (seen.has(entry.mountpoint)) continue;
    seen.add(entry.mountpoint);
    const m = findFamfsMount(entry.mountpoint, env);
    if (!m || m.mountpoint !== entry.mountpoint) continue;
    const status = readDaemonStatus(m.shadow);
    const fromDaemon = status && status.mountpoint === m.mountpoint ? status : undefined;
    out.push({
      device: m.device,
      mountpoint: m.mountpoint,
      shadow: m.shadow,
      ...(fromDaemon?.role ? { role: fromDaemon.role } : {}),
      ...(fromDaemon ? { dataPath: fromDaemon.dataPath, pid: fromDaemon.pid } : {}),
    });
  }
  return out;
}
