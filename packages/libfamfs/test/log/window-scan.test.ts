/**
 * scanLogWindows (logplay's read of the log) against scanLog over the whole mapped log: the same
 * entries, in the same order, and the same bad entries, with windows that cut the log at many
 * places; and the reserved-entry queue of a log session.
 */
import * as fs from 'fs';
import { GiB, LOG_OFFSET } from '../../src/format/constants';
import { Device, mapMeta } from '../../src/device/device';
import { fileEntry, LogEntry, MkdirEntry } from '../../src/format/log-entry';
import { deviceWindows } from '../../src/log/log-windows';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { entryOffset, scanLog } from '../../src/log/replay';
import { ReservedQueue } from '../../src/log/reserved-queue';
import { scanLogWindows } from '../../src/log/window-scan';
import { MASTER, sparseDevice, useTempDir } from '../support';

const tmp = useTempDir();

test('a windowed scan hands out what scanLog does, bad entries included', () => {
  const dev = sparseDevice(tmp(), 4 * GiB);
  mkfs(dev, { systemUuid: MASTER });
  const s = LogSession.open(dev, { systemUuid: MASTER });
  try {
    s.mkdir('d');
    for (let i = 0; i < 400; i++) s.createFile(`d/f${i}`, 4096);
  } finally {
    s.close();
  }
  // Damage two entries: one in the middle, the last (a torn append).
  const fd = fs.openSync(dev, 'r+');
  for (const slot of [123, 400]) fs.writeSync(fd, Buffer.from([0xff]), 0, 1, LOG_OFFSET + entryOffset(slot) + 100);
  fs.closeSync(fd);

  const d = Device.open(dev);
  try {
    const meta = mapMeta(d);
    const whole: Array<[number, LogEntry]> = [];
    const ref = scanLog(meta.log, meta.sb, dev, (i, e) => whole.push([i, e]));
    for (const windowBytes of [8192, 65536, 1 << 20]) {
      const got: Array<[number, LogEntry]> = [];
      const w = deviceWindows(d, windowBytes);
      const r = scanLogWindows(w, meta.sb, dev, (i, e) => got.push([i, e]), windowBytes);
      w.close();
      expect(got).toEqual(whole);
      expect(r).toEqual(ref);
    }
    expect(ref.bad.map((b) => [b.index, b.torn])).toEqual([
      [123, false],
      [400, true],
    ]);
  } finally {
    d.close();
  }
});

test('the reserved queue keeps slot order and finds entries by path', () => {
  const q = new ReservedQueue();
  const dir: MkdirEntry = { type: 'mkdir', path: 'a', mode: 0o755, uid: 0, gid: 0 };
  const f = (p: string) =>
    fileEntry(p, 1, 0o644, 0, 0, { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 1 }] });
  const [x, y, z] = [f('a/x'), f('a/y'), f('b')];
  for (const e of [dir, x, y, z]) q.push(e);
  expect(q.size).toBe(4);
  expect(q.at('a/y')).toBe(y);
  expect(q.hasBelow('a')).toBe(true);
  q.remove(y);
  expect(q.at('a/y')).toBeUndefined();
  expect(q.first()).toBe(dir);
  q.shift();
  expect([q.first(), q.size, q.at('a')]).toEqual([x, 2, undefined]);
  q.shift();
  q.shift();
  expect([q.first(), q.size, q.hasBelow('a')]).toEqual([undefined, 0, false]);
  q.push(x);
  expect([q.first(), q.size]).toEqual([x, 1]);
});
