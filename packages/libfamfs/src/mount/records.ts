import * as fs from 'fs';
import * as path from 'path';
import { getxattr } from '@famfs/native';
import { FamfsError } from '../errors';
import { readSmallFile, writeSmallFile } from '../checked-open';
import { SHADOW_XATTR } from './contract';
import { fuseMountsHolding, MountTableEntry } from './mount-table';

/** What `famfs mount` records about each mount it makes, so that umount works even after the daemon died. */
export interface MountRecord {
  mountpoint: string;
  device: string;
  shadow: string;
  /** The shadow path was a fresh temporary directory that umount removes. */
  shadowCreated: boolean;
  /** The mount point was a temporary directory made by `famfs mount --dummy`; umount removes it. */
  mountpointCreated?: boolean;
  pid: number;
  abi: string;
  /** The system UUID (text) of the "host" that mounted it: one machine may play several hosts. */
  systemUuid: string;
  startedAt: string;
}

/** Where mount records live: FAMFS_RUN_DIR, else /run/famfs. */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FAMFS_RUN_DIR || '/run/famfs';
}

function recordFile(mountpoint: string, env?: NodeJS.ProcessEnv): string {
  return path.join(runDir(env), `${encodeURIComponent(mountpoint)}.json`);
}

export function writeMountRecord(rec: MountRecord, env?: NodeJS.ProcessEnv): void {
  fs.mkdirSync(runDir(env), { recursive: true, mode: 0o755 });
  const file = recordFile(rec.mountpoint, env);
  writeSmallFile(`${file}.tmp`, JSON.stringify(rec, null, 2) + '\n', 0o644, 'mount record');
  fs.renameSync(`${file}.tmp`, file);
}

/** A record is a few hundred bytes; anything much larger is not one of ours. */
const RECORD_MAX = 64 * 1024;

export function readMountRecord(mountpoint: string, env?: NodeJS.ProcessEnv): MountRecord | undefined {
  let text: string;
  try {
    text = readSmallFile(recordFile(mountpoint, env), RECORD_MAX, 'mount record').toString('utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as MountRecord;
    if (typeof r.mountpoint !== 'string' || typeof r.shadow !== 'string' || !Number.isInteger(r.pid)) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

export function removeMountRecord(mountpoint: string, env?: NodeJS.ProcessEnv): void {
  fs.rmSync(recordFile(mountpoint, env), { force: true });
}

export interface FamfsMount {
  mountpoint: string;
  device: string;
  shadow: string;
  mount: MountTableEntry;
  record?: MountRecord;
}

/** The shadow path of a live famfs mount, asked of its daemon. */
function shadowFromXattr(mountpoint: string): string | undefined {
  try {
    const v = getxattr(mountpoint, SHADOW_XATTR);
    return v ? v.toString('utf8').replace(/\0+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The famfs FUSE mount holding `p` (the mount point or any path below it), or undefined when `p`
 * is not on famfs. A mount is famfs when `famfs mount` recorded it or its daemon answers the
 * user.famfs.shadow xattr.
 */
export function findFamfsMount(p: string, env?: NodeJS.ProcessEnv): FamfsMount | undefined {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    // A dead daemon's mount point cannot be resolved; the path itself may still be it.
    real = path.resolve(p);
  }
  for (const m of fuseMountsHolding(real)) {
    const record = readMountRecord(m.mountpoint, env);
    const shadow = record?.shadow ?? shadowFromXattr(m.mountpoint);
    if (shadow) return { mountpoint: m.mountpoint, device: record?.device ?? m.source, shadow, mount: m, record };
  }
  return undefined;
}

/** Like findFamfsMount, but throws ENOENT naming the path. */
export function requireFamfsMount(p: string, env?: NodeJS.ProcessEnv): FamfsMount {
  const m = findFamfsMount(p, env);
  if (!m) throw new FamfsError('ENOENT', `${p} is not in a mounted famfs file system`, { path: p });
  return m;
}
