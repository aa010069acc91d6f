/**
 * A log session opens with one windowed pass (tree-pass.ts) and holds no entry objects: what it
 * finds must be exactly what a replay finds, for logs with every kind of trouble in them, and an
 * entry it reads back later is checked again.
 */
import { AllocationMap } from '../../src/alloc/allocation-map';
import { Device, mapMeta } from '../../src/device/device';
import { isFamfsError } from '../../src/errors';
import { ALLOC_UNIT, LOG_OFFSET, MiB } from '../../src/format/constants';
import { encodeLogEntry, fileEntry, FileEntry, LogEntry, MkdirEntry } from '../../src/format/log-entry';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { entryOffset, Replay, replayLog } from '../../src/log/replay';
import { GiB, MASTER, sparseDevice, useTempDir, writeBytes } from '../support';

const tmp = useTempDir();

function device(logLen = 8 * MiB): { dev: string; dataStart: number } {
  const dev = sparseDevice(tmp(), 64 * GiB);
  mkfs(dev, { systemUuid: MASTER, logLen });
  return { dev, dataStart: LOG_OFFSET + logLen };
}

function open(dev: string): LogSession {
  return LogSession.open(dev, { systemUuid: MASTER });
}

function replayOf(dev: string): { replay: Replay; map: AllocationMap } {
  const d = Device.open(dev);
  try {
    const meta = mapMeta(d);
    const replay = replayLog(meta.log, meta.sb, dev);
    return { replay, map: AllocationMap.build(meta.sb, replay) };
  } finally {
    d.close();
  }
}

const dir = (path: string): MkdirEntry => ({ type: 'mkdir', path, mode: 0o755, uid: 0, gid: 0 });
const file = (path: string, offset: number, len = ALLOC_UNIT): FileEntry =>
  fileEntry(path, len - 1, 0o644, 0, 0, { kind: 'simple', extents: [{ devIndex: 0, offset, len }] });

/** Appends entries as given (appendRaw: no checks), so the log holds whatever the test wants. */
function writeLog(dev: string, entries: LogEntry[]): void {
  const s = open(dev);
  try {
    for (const e of entries) s.appendRaw(e);
  } finally {
    s.close();
  }
}

/** Every answer of a fresh session about the log agrees with a replay of it. */
function expectSessionMatchesReplay(dev: string, askAlso: string[] = []): void {
  const { replay, map } = replayOf(dev);
  const s = open(dev);
  try {
    const paths = new Set([...replay.files.keys(), ...replay.dirs.keys(), ...replay.conflicts.map((c) => c.path)]);
    for (const p of askAlso) paths.add(p);
    const sessionSays = [...paths].map((p) => [p, s.fileSlot(p), s.hasDir(p), s.fileAt(p), s.dirAt(p)]);
    const replaySays = [...paths].map((p) => {
      const f = replay.files.get(p);
      const d = replay.dirs.get(p);
      return [
        p,
        f,
        d !== undefined,
        f === undefined ? undefined : replay.entries[f],
        d === undefined ? undefined : replay.entries[d],
      ];
    });
    expect(sessionSays).toEqual(replaySays);
    expect(Array.from(s.allocation.owner)).toEqual(Array.from(map.owner));
    expect(s.allocation.collisions).toEqual(map.collisions);
    expect(s.allocation.fileBytes).toBe(map.fileBytes);
    expect(s.allocation.allocatedBytes).toBe(map.allocatedBytes);
    expect(s.nextIndex).toBe(replay.header.nextIndex);
  } finally {
    s.close();
  }
}

test('the session finds every path, conflict and collision a replay finds', () => {
  const { dev, dataStart } = device();
  const at = (u: number) => dataStart + u * ALLOC_UNIT;
  writeLog(dev, [
    dir('a'),
    file('a/f', at(0)),
    dir('a'), // mkdir -p logged twice: harmless
    file('a/f', at(1)), // duplicate path
    file('nodir/x', at(2)), // missing parent
    dir('a/f'), // a file of that name exists
    file('a', at(3)), // a directory of that name exists
    file('a/f/under', at(4)), // parent is a file
    file('cross', at(0)), // collides with a/f's extent
    dir('.meta'), // reserved name
    file('.meta/.alloc.cfg', at(5)), // a file .meta may hold
    file('.meta/.log', at(6)), // reserved name
    dir('ü'), // not ASCII: the full check places it
    file('ü/é', at(7)),
    dir('b'),
    dir('b/c'),
    file('b/c/deep', at(8), 3 * ALLOC_UNIT),
  ]);
  expectSessionMatchesReplay(dev, ['', 'zz', 'a/g', 'b/c/deep/x', 'x'.repeat(81)]);
});

test('a bad entry is skipped as replay skips it, and the entries after it still count', () => {
  const { dev, dataStart } = device();
  writeLog(dev, [
    dir('d'),
    file('d/one', dataStart),
    file('d/two', dataStart + ALLOC_UNIT),
    file('d/three', dataStart + 2 * ALLOC_UNIT),
  ]);
  // Slot 2 damaged: its CRC no longer matches.
  writeBytes(dev, LOG_OFFSET + entryOffset(2) + 40, Buffer.from('garbage'));
  expect(replayOf(dev).replay.bad.map((b) => b.index)).toEqual([2]);
  expectSessionMatchesReplay(dev, ['d/two']);
});

test('a log read in more than one window: every entry placed, new entries appended after them', () => {
  const { dev, dataStart } = device();
  const entries: LogEntry[] = [];
  // 9,000 entries: about 4.9 MB of log, past the pass's first 4 MiB window.
  for (let i = 0; i < 9000; i++)
    entries.push(
      i % 100 === 0 ? dir(`d${i / 100}`) : file(`d${Math.floor(i / 100)}/f${i}`, dataStart + i * ALLOC_UNIT),
    );
  writeLog(dev, entries);
  expectSessionMatchesReplay(dev);
  const s = open(dev);
  try {
    expect(
      isFamfsError(
        tryCode(() => s.createFile('d89/f8999', 1)),
        'EEXIST',
      ),
    ).toBe(true);
    const e = s.createFile('d89/new', 1);
    expect(s.fileAt('d89/new')).toEqual(e);
    expect(s.fileSlot('d89/new')).toBe(9000);
  } finally {
    s.close();
  }
  // The new file took space no file of the log holds (the directories' slots left units free).
  expect(replayOf(dev).map.collisions).toEqual([]);
  expectSessionMatchesReplay(dev, ['d89/new']);
});

test('an entry read back from a slot that changed under the session is a typed error', () => {
  const { dev, dataStart } = device();
  writeLog(dev, [file('f', dataStart)]);
  const s = open(dev);
  try {
    expect(s.fileAt('f')?.path).toBe('f');
    writeBytes(dev, LOG_OFFSET + entryOffset(0) + 40, Buffer.from('changed'));
    const e = tryCode(() => s.fileAt('f'));
    expect(isFamfsError(e, 'EBADENTRY')).toBe(true);
  } finally {
    s.close();
  }
});

test('a slot that now holds a valid entry for another path is a typed error, not that entry', () => {
  const { dev, dataStart } = device();
  writeLog(dev, [dir('d'), file('d/f', dataStart)]);
  const s = open(dev);
  try {
    expect(s.dirAt('d')?.path).toBe('d');
    // Another valid entry written over slot 1 (as a host ignoring the lock could).
    const raw = Buffer.alloc(544);
    encodeLogEntry(dir('elsewhere'), 1, raw, 0);
    writeBytes(dev, LOG_OFFSET + entryOffset(1), raw);
    const e = tryCode(() => s.fileAt('d/f'));
    expect(isFamfsError(e, 'EBADENTRY')).toBe(true);
    expect((e as Error).message).toMatch(/log entry 1: no longer holds the file 'd\/f'/);
  } finally {
    s.close();
  }
});

function tryCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
