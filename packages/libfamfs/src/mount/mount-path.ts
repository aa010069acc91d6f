/**
 * Where a path is inside a famfs mount: the famfs-relative path ('' for the mount point) that the
 * log, the shadow tree and the snapshots speak in. One rule for every caller: the path is
 * resolved through symlinks first, so a link elsewhere that points into the mount (or one inside
 * it that points out) is judged by where it really leads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../errors';

export interface MountPathOptions {
  /**
   * The path may not exist yet (a file or directory about to be created): its longest existing
   * prefix is resolved and the rest appended. Otherwise the whole path must exist.
   */
  mayNotExist?: boolean;
}

/** The famfs-relative path of `p` in the mount at `mount.mountpoint`; EINVAL outside the mount. */
export function relpathInMount(mount: { mountpoint: string }, p: string, opts: MountPathOptions = {}): string {
  const real = opts.mayNotExist ? resolveLoosely(p) : fs.realpathSync(p);
  if (real === mount.mountpoint) return '';
  if (!real.startsWith(mount.mountpoint + '/')) {
    throw new FamfsError('EINVAL', `${p} is not inside the famfs mounted at ${mount.mountpoint}`, { path: p });
  }
  return real.slice(mount.mountpoint.length + 1);
}

/** realpath of the longest existing prefix, with the rest appended (for paths not created yet). */
function resolveLoosely(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}
