/**
 * relpathInMount: the famfs-relative path of a path in a mount. With mountDirs (a caller resolving
 * many paths), each directory of the mount is resolved once and remembered; the answers are the
 * same as without it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isFamfsError } from '../../src/errors';
import { relpathInMount } from '../../src/mount/mount-path';
import { useTempDir } from '../support';

const tmp = useTempDir();

function answer(fn: () => string): string {
  try {
    return fn();
  } catch (e) {
    return isFamfsError(e) ? `error ${e.code}` : String(e);
  }
}

test('mountDirs gives the same relative paths as resolving each path, and remembers only directories in the mount', () => {
  const root = fs.realpathSync(tmp());
  const mpt = path.join(root, 'mnt');
  fs.mkdirSync(path.join(mpt, 'd', 'e'), { recursive: true });
  fs.writeFileSync(path.join(mpt, 'd', 'file'), 'x');
  fs.mkdirSync(path.join(root, 'outside'));
  fs.symlinkSync(path.join(mpt, 'd'), path.join(root, 'link-in')); // a link elsewhere into the mount
  const mount = { mountpoint: mpt };
  const paths = [
    path.join(mpt, 'new'),
    path.join(mpt, 'd', 'new'),
    path.join(mpt, 'd', 'file'),
    path.join(mpt, 'd', 'e', 'new'),
    path.join(mpt, 'd', 'e', '..', 'new2'),
    path.join(mpt, 'missing', 'x'),
    path.join(root, 'link-in', 'x'),
    path.join(root, 'outside', 'x'),
    mpt,
    path.join(mpt, 'd') + '/',
  ];
  const mountDirs = new Map<string, string>();
  const loose = paths.map((p) => answer(() => relpathInMount(mount, p, { mayNotExist: true })));
  const cached = paths.map((p) => answer(() => relpathInMount(mount, p, { mayNotExist: true, mountDirs })));
  expect(cached).toEqual(loose);
  expect(loose).toEqual(['new', 'd/new', 'd/file', 'd/e/new', 'd/new2', 'missing/x', 'd/x', 'error EINVAL', '', 'd']);
  // Asked again, the remembered directories answer the same.
  expect(paths.map((p) => answer(() => relpathInMount(mount, p, { mayNotExist: true, mountDirs })))).toEqual(loose);
  expect([...mountDirs.values()].every((d) => d === mpt || d.startsWith(mpt + '/'))).toBe(true);
  expect(mountDirs.has(path.join(root, 'outside'))).toBe(false);
});
