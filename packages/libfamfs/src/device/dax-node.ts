import * as fs from 'fs';
import * as path from 'path';

/** What a path is, as far as deciding whether it is a dax device goes. */
export type NodeKind = 'char' | 'block' | 'file' | 'directory' | 'other';

/**
 * Classifies a resolved path. Injectable because tests cannot create character devices without
 * root: the fake sysfs harness stands in regular files for /dev/daxX.Y and reports them as 'char'.
 */
export type NodeKindProbe = (realPath: string) => NodeKind;

export const statNodeKind: NodeKindProbe = (realPath) => {
  const st = fs.statSync(realPath);
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  return 'other';
};

const DAX_NAME = /^dax\d+\.\d+$/;

/** True for a dax bus device name such as 'dax0.0'. */
export function isDaxName(name: string): boolean {
  return DAX_NAME.test(name);
}

/**
 * The dax bus name of a device path ('/dev/dax0.0' -> 'dax0.0'), or null when the path is not a
 * dax device. Symlinks are resolved first, so udev aliases work. Only a character device named
 * daxX.Y counts: a regular image file that happens to be called dax0.0 must never make famfs
 * rebind the host's real dax0.0. A path that does not exist is not a dax device either; the
 * kernel keeps /dev/daxX.Y while the device is registered, whatever driver it has.
 */
export function daxDeviceName(devPath: string, opts: { nodeKind?: NodeKindProbe } = {}): string | null {
  let real: string;
  try {
    real = fs.realpathSync(devPath);
  } catch {
    return null;
  }
  const name = path.basename(real);
  if (!isDaxName(name)) return null;
  const kind = (opts.nodeKind ?? statNodeKind)(real);
  return kind === 'char' ? name : null;
}
