import { crc32 } from 'zlib';
import { crc32Records, crc32RecordsStart } from '../src';

test('crc32Records equals zlib.crc32 of each record', () => {
  const buf = Buffer.alloc(48 + 544 * 50);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
  const got = crc32Records(buf, 48, 544, 536, 50);
  expect(got.length).toBe(50);
  for (let i = 0; i < 50; i++) expect(got[i]).toBe(crc32(buf.subarray(48 + 544 * i, 48 + 544 * i + 536)));
  expect(crc32Records(buf, 0, 544, 536, 0).length).toBe(0);
});

test('records past the end, or a span wider than the stride, are refused', () => {
  const buf = Buffer.alloc(1000);
  expect(() => crc32Records(buf, 0, 544, 536, 2)).toThrow(/past the end/);
  expect(() => crc32Records(buf, 0, 8, 16, 1)).toThrow(/span is larger than stride/);
  expect(() => crc32Records(buf, -1, 8, 8, 1)).toThrow();
});

test('crc32RecordsStart computes the same CRCs on its own thread, while JavaScript goes on', () => {
  const buf = Buffer.alloc(48 + 544 * 4000);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  const jobs = [crc32RecordsStart(buf, 48, 544, 536, 4000), crc32RecordsStart(buf, 48 + 544, 544, 536, 3999)];
  const want = crc32Records(buf, 48, 544, 536, 4000);
  const first = jobs[0].wait();
  expect(first).toEqual(want);
  expect(jobs[0].wait()).toBe(first);
  expect(jobs[1].wait()).toEqual(want.subarray(1));
  expect(crc32RecordsStart(buf, 0, 544, 536, 0).wait().length).toBe(0);
});

test('crc32RecordsStart refuses what crc32Records refuses, before any thread starts', () => {
  const buf = Buffer.alloc(1000);
  expect(() => crc32RecordsStart(buf, 0, 544, 536, 2)).toThrow(/crc32RecordsStart: records run past the end/);
  expect(() => crc32RecordsStart(buf, 0, 8, 16, 1)).toThrow(/span is larger than stride/);
  expect(() => crc32RecordsStart('x' as unknown as Buffer, 0, 8, 8, 1)).toThrow(/buf must be a Buffer/);
});
