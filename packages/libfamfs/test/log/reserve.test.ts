/**
 * Reservations: a request of several entries (mkdir -p, creat -M, cp -r) is checked and
 * allocated in memory first, and a refusal at any of them leaves the device byte-identical.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { FamfsError, isFamfsError } from '../../src/errors';
import { GiB, MiB } from '../../src/format/constants';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { MASTER, sparseDevice, useTempDir, replayDevice } from '../support';

const tmp = useTempDir();

function device(size = 4 * GiB): string {
  const dev = sparseDevice(tmp(), size);
  mkfs(dev, { systemUuid: MASTER });
  return dev;
}

/** The superblock and log (the only area a refused request could have written). */
function metaHash(dev: string): string {
  const b = Buffer.alloc(10 * MiB);
  const fd = fs.openSync(dev, 'r');
  fs.readSync(fd, b, 0, b.length, 0);
  fs.closeSync(fd);
  return createHash('sha256').update(b).digest('hex');
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isFamfsError(e) ? e.code : String(e);
  }
}

function withSession<T>(dev: string, fn: (s: LogSession) => T): T {
  const s = LogSession.open(dev, { systemUuid: MASTER });
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

test('mkdir -p of a path with a component too long for the log is refused before the first entry', () => {
  const dev = device();
  const before = metaHash(dev);
  withSession(dev, (s) => {
    expect(() => s.reserveMkdirs(`${'a'.repeat(40)}/${'b'.repeat(40)}`, true)).toThrow(/longer than 79 bytes/);
    expect(s.nextIndex).toBe(0);
  });
  expect(metaHash(dev)).toBe(before);
});

test('mkdir -p reserves only the missing directories, in order, and checks log space for all of them', () => {
  const dev = device();
  withSession(dev, (s) => {
    s.mkdir('a');
    s.createFile('a/f', 1);
    expect(s.reserveMkdirs('a', true)).toEqual([]);
    expect(codeOf(() => s.reserveMkdirs('a/f/g', true))).toBe('ENOTDIR');
    expect(codeOf(() => s.reserveMkdirs('a', false))).toBe('EEXIST');
    const got = s.reserveMkdirs('a/b/c', true, { mode: 0o700 });
    expect(got.map((e) => e.path)).toEqual(['a/b', 'a/b/c']);
    for (const e of got) s.logReserved(e);
    while (s.freeSlots > 2) s.mkdir(`z${s.nextIndex}`);
    const before = s.nextIndex;
    expect(codeOf(() => s.reserveMkdirs('p/q/r', true))).toBe('ELOGFULL');
    expect(s.nextIndex).toBe(before);
  });
  expect([...replayDevice(dev).dirs.keys()].slice(0, 3)).toEqual(['a', 'a/b', 'a/b/c']);
});

test('files reserved together: a refusal of any leaves the device as it was; then they log in order', () => {
  const dev = device();
  const before = metaHash(dev);
  withSession(dev, (s) => {
    s.reserveFile('a', MiB);
    expect(codeOf(() => s.reserveFile('a', MiB))).toBe('EEXIST'); // given twice
    expect(codeOf(() => s.reserveFile('a/x', MiB))).toBe('ENOTDIR'); // under a reserved file
    expect(codeOf(() => s.reserveFile('big', 8 * GiB))).toBe('ENOSPC');
    expect(codeOf(() => s.mkdir('d'))).toBe('EINVAL'); // a reserved entry owns the next slot
  });
  expect(metaHash(dev)).toBe(before);
  withSession(dev, (s) => {
    const d = s.reserveMkdir('d');
    const f = s.reserveFile('d/f', 3 * MiB);
    const g = s.reserveFile('g', MiB);
    expect(codeOf(() => s.logReserved(f))).toBe('EINVAL');
    s.logReserved(d);
    s.dropReserved(f); // its source vanished: g takes its slot
    s.logReserved(g);
    expect(s.nextIndex).toBe(2);
  });
  const r = replayDevice(dev);
  expect([...r.dirs.keys()]).toEqual(['d']);
  expect([...r.files.keys()]).toEqual(['g']);
});

test('a path that has no exact UTF-8 form is refused, not written as U+FFFD', () => {
  const dev = device();
  withSession(dev, (s) => {
    const e = (() => {
      try {
        s.createFile('bad\ud800', 1);
      } catch (err) {
        return err as FamfsError;
      }
      return undefined;
    })();
    expect(e?.code).toBe('EINVAL');
    expect(e?.message).toMatch(/lone UTF-16 surrogate/);
    s.createFile('ok\ufffd', 1); // U+FFFD itself is a character like any other
  });
  expect([...replayDevice(dev).files.keys()]).toEqual(['ok\ufffd']);
});
