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
  /**
   * For a caller resolving many paths (creat -M): the real paths of their directories inside the
   * mount, filled as they are resolved. famfs has no symlinks, so a name in a directory of the
   * mount is that directory's real path plus the name, with no system call (through FUSE) for it.
   */
  mountDirs?: Map<string, string>;
}

/** The famfs-relative path of `p` in the mount at `mount.mountpoint`; EINVAL outside the mount. */
export function relpathInMount(mount: { mountpoint: string }, p: string, opts: MountPathOptions = {}): string {
  const real =
    (opts.mountDirs && inResolvedDir(mount.mountpoint, p, opts.mountDirs)) ??
    (opts.mayNotExist ? resolveLoosely(p) : fs.realpathSync(p));
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

/**
 * The real path of `p` when its directory is inside the mount (resolved once, then remembered in
 * `dirs`); undefined when it is not (outside, missing, or the mount point itself): the caller
 * resolves the whole path then.
 */
function inResolvedDir(mountpoint: string, p: string, dirs: Map<string, string>): string | undefined {
  const abs = isNormalAbsolute(p) ? p : path.resolve(p);
  const slash = abs.lastIndexOf('/');
  const dir = slash === 0 ? '/' : abs.slice(0, slash);
  if (dir === abs) return undefined;
  let realDir = dirs.get(dir);
  if (realDir === undefined) {
    try {
      realDir = fs.realpathSync(dir);
    } catch {
      return undefined;
    }
    if (realDir !== mountpoint && !realDir.startsWith(mountpoint + '/')) return undefined;
    dirs.set(dir, realDir);
  }
  return `${realDir}/${abs.slice(slash + 1)}`;
}

/** Whether path.resolve(p) is p itself: absolute, no empty, '.' or '..' component, no trailing '/'. */
function isNormalAbsolute(p: string): boolean {
  return (
    p.length > 1 &&
    p[0] === '/' &&
    p[p.length - 1] !== '/' &&
    !p.includes('//') &&
    !p.includes('/./') &&
    !p.includes('/../') &&
    !p.endsWith('/.') &&
    !p.endsWith('/..')
  );
}
