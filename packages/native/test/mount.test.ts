import * as fs from 'fs';
import * as path from 'path';
import { MNT_DETACH, mount, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, umount2 } from '../src';
import { expectNativeError, isRoot, useTempDir } from './helpers';

const TMPFS_MAGIC = 0x01021994;
const tempDir = useTempDir();
if (!isRoot) console.log('skipping mount tests: mount(2) needs root');
const rootTest = isRoot ? test : test.skip;

function isMountPoint(dir: string): boolean {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === dir);
}

/** Mounts a tmpfs on a fresh dir, runs fn, and always unmounts afterwards. */
function withTmpfs(flags: number, fn: (target: string) => void): void {
  const target = path.join(tempDir(), 'mnt');
  fs.mkdirSync(target);
  mount('tmpfs', target, 'tmpfs', flags, 'size=4m,mode=0700');
  try {
    fn(target);
  } finally {
    if (isMountPoint(target)) umount2(target, MNT_DETACH);
  }
}

describe('mount / umount2', () => {
  test('constants are distinct non-zero flags', () => {
    expect(new Set([MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC]).size).toBe(4);
    expect(MS_RDONLY).toBe(1);
  });

  rootTest('tmpfs: mount, write a file, umount2', () => {
    withTmpfs(MS_NOSUID | MS_NODEV | MS_NOEXEC, (target) => {
      expect(isMountPoint(target)).toBe(true);
      expect(fs.statfsSync(target).type).toBe(TMPFS_MAGIC);
      const file = path.join(target, 'hello.txt');
      fs.writeFileSync(file, 'hello tmpfs');
      expect(fs.readFileSync(file, 'utf8')).toBe('hello tmpfs');
      umount2(target, 0);
      expect(isMountPoint(target)).toBe(false);
      expect(fs.existsSync(file)).toBe(false);
    });
  });

  rootTest('MS_RDONLY tmpfs rejects writes', () => {
    withTmpfs(MS_RDONLY, (target) => {
      expect(() => fs.writeFileSync(path.join(target, 'x'), 'x')).toThrow(/EROFS/);
    });
  });

  rootTest('errors: missing target, umount2 of a non-mount point', () => {
    const missing = path.join(tempDir(), 'missing');
    expectNativeError(() => mount('tmpfs', missing, 'tmpfs', 0, ''), 'ENOENT', 'mount');
    expectNativeError(() => umount2(tempDir(), 0), 'EINVAL', 'umount2');
  });
});
