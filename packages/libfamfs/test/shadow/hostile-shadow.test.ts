/**
 * Hostile shadow trees and shadow paths: symlinks planted where famfs writes, shadow paths that
 * are files, unwritable or symlinks. Each gets a typed error naming the path; nothing is written
 * through a symlink or outside the shadow root; the device does not change.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../../src/errors';
import { MiB } from '../../src/format/constants';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { logplayDevice } from '../../src/shadow/logplay';
import { prepareShadowRoot } from '../../src/shadow/tree';
import { MASTER, readBytes, sparseDevice, useTempDir } from '../support';

const tmp = useTempDir();

function device(): string {
  const dev = sparseDevice(tmp());
  mkfs(dev, { systemUuid: MASTER });
  const s = LogSession.open(dev, { systemUuid: MASTER });
  s.mkdir('d');
  s.createFile('d/f', 1);
  s.createFile('top', 1);
  s.close();
  return dev;
}

const fingerprint = (dev: string) =>
  createHash('sha256')
    .update(readBytes(dev, 0, 10 * MiB))
    .digest('hex') + fs.statSync(dev).mtimeMs;

function expectFamfsError(run: () => unknown, code: string, why: RegExp): void {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FamfsError);
  expect((err as FamfsError).code).toBe(code);
  expect((err as Error).message).toMatch(why);
}

/** A shadow path with root/ made, an outside directory, and the device. */
function setup() {
  const dev = device();
  const shadow = path.join(tmp(), 'shadow');
  const root = path.join(shadow, 'root');
  const outside = path.join(tmp(), 'outside');
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(outside);
  return { dev, shadow, root, outside, before: fingerprint(dev) };
}

describe('symlinks planted in the shadow tree', () => {
  test('a directory symlink: the directory and everything under it are refused', () => {
    const { dev, shadow, root, outside, before } = setup();
    fs.symlinkSync(outside, path.join(root, 'd'));
    const r = logplayDevice(dev, shadow);
    expect(r.problems.map((p) => [p.path, p.reason])).toEqual([
      ['d', expect.stringMatching(/shadow path 'd' is a symlink/)],
      ['d/f', expect.stringMatching(/shadow path component 'd' is a symlink/)],
    ]);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fingerprint(dev)).toBe(before);
  });

  test('a symlink where a file goes (to an outside file): refused, the target untouched', () => {
    const { dev, shadow, root, outside, before } = setup();
    const victim = path.join(outside, 'victim');
    fs.writeFileSync(victim, 'precious');
    fs.symlinkSync(victim, path.join(root, 'top'));
    const r = logplayDevice(dev, shadow);
    expect(r.problems).toEqual([
      expect.objectContaining({ path: 'top', reason: expect.stringMatching(/shadow path 'top' is a symlink/) }),
    ]);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    expect(fingerprint(dev)).toBe(before);
  });

  test('a dangling symlink where a file goes: refused, nothing created at its target', () => {
    const { dev, shadow, root, outside } = setup();
    fs.symlinkSync(path.join(outside, 'created?'), path.join(root, 'top'));
    const r = logplayDevice(dev, shadow);
    expect(r.problems.map((p) => p.path)).toEqual(['top']);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  test('.meta as a symlink: the replay fails with ESYMLINK and writes nothing through it', () => {
    const { dev, shadow, root, outside, before } = setup();
    fs.symlinkSync(outside, path.join(root, '.meta'));
    expectFamfsError(() => logplayDevice(dev, shadow), 'ESYMLINK', /'\.meta' is a symlink/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fingerprint(dev)).toBe(before);
  });

  test.each(['.log', '.superblock'])(
    '.meta/%s as a symlink to an outside file: refused, the target untouched',
    (name) => {
      const { dev, shadow, root, outside } = setup();
      const victim = path.join(outside, 'victim');
      fs.writeFileSync(victim, 'precious');
      fs.mkdirSync(path.join(root, '.meta'));
      fs.symlinkSync(victim, path.join(root, '.meta', name));
      expectFamfsError(() => logplayDevice(dev, shadow), 'ESYMLINK', new RegExp(`'\\.meta/\\${name}' is a symlink`));
      expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    },
  );

  test('root/ itself as a symlink is refused', () => {
    const { dev, shadow, root, outside } = setup();
    fs.rmdirSync(root);
    fs.symlinkSync(outside, root);
    expectFamfsError(() => logplayDevice(dev, shadow), 'ENOTDIR', /shadow root .*root is not a real directory/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});

describe('shadow paths', () => {
  test('a shadow path that is a file', () => {
    const { dev } = setup();
    const file = path.join(tmp(), 'a-file');
    fs.writeFileSync(file, 'x');
    expectFamfsError(() => logplayDevice(dev, file), 'ENOTDIR', /shadow path .*a-file is not a directory/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  test('a shadow path that does not exist', () => {
    const { dev } = setup();
    expectFamfsError(() => logplayDevice(dev, path.join(tmp(), 'missing')), 'ENOENT', /missing does not exist/);
    expect(fs.existsSync(path.join(tmp(), 'missing'))).toBe(false);
  });

  test('a shadow path that is a symlink to a directory', () => {
    const { dev, outside } = setup();
    const link = path.join(tmp(), 'link');
    fs.symlinkSync(outside, link);
    expectFamfsError(() => logplayDevice(dev, link), 'ESYMLINK', /shadow path .*link is a symlink/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  test('a shadow path given as DIR/root where DIR is a symlink', () => {
    const { outside } = setup();
    const link = path.join(tmp(), 'link');
    fs.symlinkSync(outside, link);
    expectFamfsError(() => prepareShadowRoot(path.join(link, 'root')), 'ESYMLINK', /is a symlink/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('a shadow path on a read-only file system (unwritable even for root)', () => {
    const { dev } = setup();
    const ro = path.join(tmp(), 'ro');
    fs.mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'famfs-test-ro', ro]);
    try {
      expectFamfsError(() => logplayDevice(dev, ro), 'EINVAL', /shadow path .*ro is not writable/);
      expect(fs.readdirSync(ro)).toEqual([]);
    } finally {
      execFileSync('umount', [ro]);
    }
  });

  test('a shadow path already holding a root/ is brought up to date (logplay keeps what is there)', () => {
    const { dev, shadow, root } = setup();
    fs.writeFileSync(path.join(root, 'top'), 'kept');
    const r = logplayDevice(dev, shadow);
    expect(r).toMatchObject({ existingFiles: 1, newFiles: 1, newDirs: 1, problems: [] });
    expect(fs.readFileSync(path.join(root, 'top'), 'utf8')).toBe('kept');
  });

  test('a dry run writes nothing at all', () => {
    const { dev } = setup();
    const shadow = path.join(tmp(), 'dry');
    fs.mkdirSync(shadow);
    const r = logplayDevice(dev, shadow, { dryRun: true });
    expect(r).toMatchObject({ newFiles: 2, newDirs: 1 });
    expect(fs.readdirSync(shadow)).toEqual([]);
  });
});
