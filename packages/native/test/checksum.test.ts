import { crc32 } from 'zlib';
import { crc32Records } from '../src';

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
