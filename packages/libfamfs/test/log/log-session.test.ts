import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { isFamfsError } from '../../src/errors';
import { LOG_ENTRY_SIZE, LOG_HEADER_SIZE, LOG_OFFSET, MiB, GiB as GIB } from '../../src/format/constants';
import { FileEntry, MkdirEntry } from '../../src/format/log-entry';
import { fsckDevice } from '../../src/log/fsck';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { MASTER, sparseDevice, useTempDir } from '../support';

const tmp = useTempDir();

function freshSession(size = 8 * GIB, name = 'dev.img') {
  const dev = sparseDevice(tmp(), size, name);
  mkfs(dev, { systemUuid: MASTER });
  return { dev, s: LogSession.open(dev, { systemUuid: MASTER }) };
}

test('paths are checked against the tree', () => {
  const { s } = freshSession();
  try {
    s.mkdir('a');
    s.createFile('a/f', 10);
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (e) {
        return isFamfsError(e) ? e.code : String(e);
      }
    };
    expect(codeOf(() => s.mkdir('a'))).toBe('EEXIST');
    expect(codeOf(() => s.createFile('a/f', 10))).toBe('EEXIST');
    expect(codeOf(() => s.createFile('nodir/x', 10))).toBe('ENOENT');
    expect(codeOf(() => s.createFile('a/f/x', 10))).toBe('ENOTDIR');
    expect(codeOf(() => s.createFile('../x', 10))).toBe('EINVAL');
    expect(codeOf(() => s.createFile('/abs', 10))).toBe('EINVAL');
    expect(codeOf(() => s.createFile('a//b', 10))).toBe('EINVAL');
    expect(codeOf(() => s.createFile('x'.repeat(80), 10))).toBe('EINVAL');
    expect(codeOf(() => s.createFile('zero', 0))).toBe('EINVAL');
    expect(s.nextIndex).toBe(2);
  } finally {
    s.close();
  }
});

test('a 1 GiB-class device: allocation is first fit and bounded by the device end', () => {
  // 4 GiB device: 2048 units, 5 taken by superblock and 8 MiB log.
  const { dev, s } = freshSession(4 * GIB);
  try {
    const a = s.createFile('a', 1);
    expect(a.fmap).toEqual({ kind: 'simple', extents: [{ devIndex: 0, offset: 10 * MiB, len: 2 * MiB }] });
    const big = s.createFile('big', 4 * GIB - 12 * MiB);
    expect(big.fmap.kind === 'simple' && big.fmap.extents[0].offset + big.fmap.extents[0].len).toBe(4 * GIB);
    expect(() => s.createFile('more', 1)).toThrow(/no contiguous free space/);
    s.mkdir('still-possible');
  } finally {
    s.close();
  }
  const r = fsckDevice(dev, { systemUuid: MASTER });
  expect(r.collisionCount).toBe(0);
  expect(r.capacity.freeBytes).toBe(0);
});

test('filling the log: the next append is ELOGFULL and fsck stays clean', () => {
  const { dev, s } = freshSession();
  try {
    for (let i = 0; i < 15420; i++) s.mkdir(`d${i}`);
    expect(s.freeSlots).toBe(0);
    let err: unknown;
    try {
      s.mkdir('one-more');
    } catch (e) {
      err = e;
    }
    expect(isFamfsError(err, 'ELOGFULL')).toBe(true);
    expect((err as Error).message).toMatch(/log is full \(15420 entries\)/);
  } finally {
    s.close();
  }
  const r = fsckDevice(dev, { systemUuid: MASTER });
  expect(r.log.entriesUsed).toBe(15420);
  expect(r.directories).toBe(15420);
  expect(r.badEntries).toEqual([]);
});

test('two processes appending at once are serialized by the lock', async () => {
  const dev = sparseDevice(tmp());
  mkfs(dev, { systemUuid: MASTER });
  // Child processes run the built library (dist) so this test needs no TS loader.
  const lib = path.resolve(__dirname, '..', '..', 'dist', 'index.js');
  const child = (tag: string) =>
    new Promise<number>((resolve, reject) => {
      const code = `
        const lib = require(${JSON.stringify(lib)});
        const uuid = Buffer.from(${JSON.stringify(MASTER.toString('hex'))}, 'hex');
        for (let i = 0; i < 40; i++) {
          const s = lib.LogSession.open(${JSON.stringify(dev)}, { systemUuid: uuid });
          try { s.createFile('${tag}' + i, 3 * 1024 * 1024); } finally { s.close(); }
        }`;
      const p = spawn(process.execPath, ['-e', code], { stdio: 'inherit' });
      p.on('error', reject);
      p.on('exit', (c) => resolve(c ?? 1));
    });
  const codes = await Promise.all([child('p'), child('q'), child('r')]);
  expect(codes).toEqual([0, 0, 0]);
  const r = fsckDevice(dev, { systemUuid: MASTER });
  expect(r.files).toBe(120);
  expect(r.collisionCount).toBe(0);
  expect(r.badEntries).toEqual([]);
  expect(r.capacity.allocatedBytes).toBe(10 * MiB + 120 * 4 * MiB);
});

test('a run of reserved entries is written whole, then the counters move once; the bytes are those of one at a time', () => {
  const logBytes = (dev: string) => {
    const b = Buffer.alloc(LOG_HEADER_SIZE + 300 * LOG_ENTRY_SIZE);
    const fd = fs.openSync(dev, 'r');
    try {
      fs.readSync(fd, b, 0, b.length, LOG_OFFSET);
    } finally {
      fs.closeSync(fd);
    }
    return b;
  };
  const plan = (s: LogSession) => {
    const entries: (FileEntry | MkdirEntry)[] = [s.reserveMkdir('d', { mode: 0o750 })];
    for (let i = 0; i < 290; i++) entries.push(s.reserveFile(`d/f${i}`, 1 + i * 4099, { mode: 0o640, uid: i }));
    return entries;
  };
  const one = freshSession(8 * GIB, 'one.img');
  const run = freshSession(8 * GIB, 'run.img');
  try {
    for (const e of plan(one.s)) one.s.logReserved(e);
    const entries = plan(run.s);
    // Not the oldest reserved entries, in order: refused, and nothing is written.
    expect(() => run.s.logReservedRun(entries.slice(1, 3))).toThrow(/is not the next reserved entry/);
    expect(() => run.s.logReservedRun([entries[0], entries[2]])).toThrow(/'d\/f1' is not the next reserved entry/);
    expect(run.s.nextIndex).toBe(0);
    // 291 entries: more than two of the chunks a file-backed device's log is written in.
    run.s.logReservedRun(entries.slice(0, 1));
    run.s.logReservedRun([]);
    run.s.logReservedRun(entries.slice(1));
    expect(run.s.nextIndex).toBe(291);
    // The session reads entries back through its mapping of the log: it sees what was written.
    expect(run.s.fileAt('d/f289')).toEqual(entries[290]);
    expect(logBytes(run.dev).equals(logBytes(one.dev))).toBe(true);
  } finally {
    one.s.close();
    run.s.close();
  }
  for (const dev of [one.dev, run.dev]) {
    const r = fsckDevice(dev, { systemUuid: MASTER });
    expect(r.collisionCount).toBe(0);
    expect(r.badEntries).toEqual([]);
  }
});
