import { spawnSync } from 'child_process';
import * as path from 'path';
import { useTempDir as useSharedTempDir } from '../../libfamfs/test/support';

export const FAMFS_BIN = path.resolve(__dirname, '..', 'bin', 'famfs.js');
export const MKFS_BIN = path.resolve(__dirname, '..', 'bin', 'mkfs.famfs.js');
export const VECTOR_DIR = path.resolve(__dirname, '../../../../shared/vectors/c-famfs');
export const C_MASTER_UUID = '30313233-3435-3637-3839-3a3b3c3d3e3f';
export const OTHER_UUID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `famfs` (or another bin) as a user would, as a separate process. */
export function famfs(args: string[], env: Record<string, string> = {}, bin = FAMFS_BIN): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FAMFS_SYSTEM_UUID: C_MASTER_UUID, ...env },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 128 + (r.signal ? 1 : 0), stdout: r.stdout, stderr: r.stderr };
}

export { readBytes, sparseDevice as sparseFile } from '../../libfamfs/test/support';

/** A fresh temporary directory per test, removed afterwards. */
export function useTempDir(): () => string {
  return useSharedTempDir('famfs-cli-');
}
