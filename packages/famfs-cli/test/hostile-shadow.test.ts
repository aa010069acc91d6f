/**
 * Hostile shadow paths and mount points at the command line: `famfs mount -S` and
 * `famfs logplay --shadow` given a file, an unwritable directory, a directory already holding a
 * root/, a symlink; a mount point reached through a symlink. Each is a clear error; nothing is
 * left mounted or running,
 * nothing outside the shadow path is written, and the device does not change.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { daemonsFor, fuseMountsUnder, mountSuite, TestMounts } from './mounts';
import { famfs, sparseFile, useTempDir, C_MASTER_UUID } from './run';

const lib = require('./built-libfamfs');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

function device(): string {
  const dev = sparseFile(tmp(), 8 * GiB);
  lib.mkfs(dev, { systemUuid: MASTER });
  const s = lib.LogSession.open(dev, { systemUuid: MASTER });
  s.mkdir('d');
  s.createFile('d/f', 1);
  s.close();
  return dev;
}

function fingerprint(dev: string): string {
  const fd = fs.openSync(dev, 'r');
  const b = Buffer.alloc(10 * MiB);
  fs.readSync(fd, b, 0, b.length, 0);
  fs.closeSync(fd);
  return createHash('sha256').update(b).digest('hex') + fs.statSync(dev).mtimeMs;
}

/** The command failed with a one-line message matching `why`, leaving no mount or daemon behind. */
function expectFailed(r: { code: number; stderr: string }, why: RegExp, otherMounts: string[] = []): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(why);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  expect(fuseMountsUnder(tmp())).toEqual(otherMounts);
  expect(daemonsFor(tmp())).toEqual([]);
}

describe('famfs logplay --shadow', () => {
  test('a shadow path that is a file', () => {
    const dev = device();
    const file = path.join(tmp(), 'file');
    fs.writeFileSync(file, 'x');
    const r = famfs(['logplay', '--daxdev', dev, '--shadow', file]);
    expectFailed(r, /shadow path .*file is not a directory/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('a shadow path that is a symlink', () => {
    const dev = device();
    const target = path.join(tmp(), 'target');
    fs.mkdirSync(target);
    fs.symlinkSync(target, path.join(tmp(), 'link'));
    const r = famfs(['logplay', '--daxdev', dev, '--shadow', path.join(tmp(), 'link')]);
    expectFailed(r, /shadow path .*link is a symlink/);
    expect(fs.readdirSync(target)).toEqual([]);
  });

  test('a symlink planted in the shadow tree is reported, not followed', () => {
    const dev = device();
    const shadow = path.join(tmp(), 'shadow');
    const outside = path.join(tmp(), 'outside');
    fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(shadow, 'root', 'd'));
    const before = fingerprint(dev);
    const r = famfs(['logplay', '--daxdev', dev, '--shadow', shadow]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/'d' is a symlink/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fingerprint(dev)).toBe(before);
  });
});

mountSuite('famfs mount hostile shadow tests')('famfs mount -S and mount point paths', () => {
  afterEach(() => mounts.cleanup());

  test('-S a file', () => {
    const dev = device();
    const file = path.join(tmp(), 'file');
    fs.writeFileSync(file, 'x');
    const before = fingerprint(dev);
    expectFailed(
      mounts.mount(dev, path.join(tmp(), 'mnt'), C_MASTER_UUID, ['-S', file]),
      /shadow path .*file is not a directory/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    expect(fingerprint(dev)).toBe(before);
  });

  test('-S a directory on a read-only file system', () => {
    const dev = device();
    const ro = path.join(tmp(), 'ro');
    fs.mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'famfs-test-ro', ro]);
    try {
      expectFailed(
        mounts.mount(dev, path.join(tmp(), 'mnt'), C_MASTER_UUID, ['-S', ro]),
        /shadow path .*ro is not writable/,
        [ro],
      );
      expect(fs.readdirSync(ro)).toEqual([]);
    } finally {
      execFileSync('umount', [ro]);
    }
  });

  test('-S a directory already holding a root/: refused, and that root/ is left alone', () => {
    const dev = device();
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
    fs.writeFileSync(path.join(shadow, 'root', 'keep'), 'mine');
    expectFailed(mounts.mount(dev, path.join(tmp(), 'mnt'), C_MASTER_UUID, ['-S', shadow]), /already holds a root\//);
    expect(fs.readFileSync(path.join(shadow, 'root', 'keep'), 'utf8')).toBe('mine');
  });

  test('-S a symlink to a directory', () => {
    const dev = device();
    const target = path.join(tmp(), 'target');
    fs.mkdirSync(target);
    fs.symlinkSync(target, path.join(tmp(), 'link'));
    expectFailed(
      mounts.mount(dev, path.join(tmp(), 'mnt'), C_MASTER_UUID, ['-S', path.join(tmp(), 'link')]),
      /shadow path .*link is a symlink/,
    );
    expect(fs.readdirSync(target)).toEqual([]);
  });

  test('a mount point reached through a symlink is refused, naming the real path; nothing is mounted', () => {
    const dev = device();
    const real = path.join(tmp(), 'real-mnt');
    fs.mkdirSync(real);
    const link = path.join(tmp(), 'link-mnt');
    fs.symlinkSync(real, link);
    const r = mounts.mount(dev, link);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/goes through a symlink \(it is really .*real-mnt\)/);
    expect(fuseMountsUnder(tmp())).toEqual([]);
  });
});
