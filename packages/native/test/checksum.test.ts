import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { crc32, crc32Method, crc32Records, crc32RecordsStart } from '../src';

test('crc32Records equals zlib.crc32 of each record', () => {
  const buf = Buffer.alloc(48 + 544 * 50);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) & 0xff;
  const got = crc32Records(buf, 48, 544, 536, 50);
  expect(got.length).toBe(50);
  for (let i = 0; i < 50; i++) expect(got[i]).toBe(zlib.crc32(buf.subarray(48 + 544 * i, 48 + 544 * i + 536)));
  expect(crc32Records(buf, 0, 544, 536, 0).length).toBe(0);
});

test('crc32 of one span equals zlib.crc32, as a number', () => {
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + 5) & 0xff;
  for (const [offset, length] of [
    [0, 0],
    [0, 1],
    [3, 536],
    [100, 3996],
    [4095, 1],
  ]) {
    expect(crc32(buf, offset, length)).toBe(zlib.crc32(buf.subarray(offset, offset + length)));
  }
  // Past 2^31, the CRC is still the unsigned number zlib returns.
  const high = Buffer.from('famfs-ts 2');
  expect(zlib.crc32(high)).toBeGreaterThan(2 ** 31);
  expect(crc32(high, 0, high.length)).toBe(zlib.crc32(high));
  expect(() => crc32(buf, 4000, 97)).toThrow(/past the end/);
  expect(() => crc32(buf, -1, 4)).toThrow();
  expect(() => crc32(buf, 0, 1.5)).toThrow();
});

test('the carry-less multiply CRC is used where the CPU has PCLMULQDQ, and gives zlib.crc32 for every length and alignment', () => {
  const flags =
    fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^flags\s*:(.*)$/m)?.[1]
      .split(' ') ?? [];
  expect(crc32Method()).toBe(process.arch === 'x64' && flags.includes('pclmulqdq') ? 'pclmul' : 'zlib');
  // Random bytes: every length through a few fold loops and every tail size, at each alignment.
  const buf = Buffer.alloc(1200 + 16);
  let x = 0x9e3779b9;
  for (let i = 0; i < buf.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    buf[i] = x >>> 24;
  }
  for (let offset = 0; offset < 16; offset++) {
    for (let length = 0; length <= 1200; length++) {
      const want = zlib.crc32(buf.subarray(offset, offset + length));
      if (crc32(buf, offset, length) !== want)
        throw new Error(`crc32 differs from zlib at offset ${offset}, length ${length}`);
    }
  }
  // All ones and all zeros, where a wrong inversion or reflection shows at once; a long span.
  for (const fill of [0x00, 0xff]) {
    const b = Buffer.alloc(4096 + 5, fill);
    expect(crc32(b, 0, b.length)).toBe(zlib.crc32(b));
    expect(crc32(b, 1, 536)).toBe(zlib.crc32(b.subarray(1, 537)));
  }
  const big = Buffer.alloc((1 << 20) + 13);
  for (let i = 0; i < big.length; i += 7) big[i] = i & 0xff;
  expect(crc32(big, 0, big.length)).toBe(zlib.crc32(big));
  // Records of an odd span, odd stride: the batched forms give the same.
  const got = crc32Records(buf, 5, 97, 93, 12);
  for (let i = 0; i < 12; i++) expect(got[i]).toBe(zlib.crc32(buf.subarray(5 + 97 * i, 5 + 97 * i + 93)));
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

test('crc32RecordsStart jobs queue on one background thread: each, waited in any order or not at all, has its CRCs', () => {
  const bufs = Array.from({ length: 40 }, (_, j) => {
    const b = Buffer.alloc(544 * 64);
    for (let i = 0; i < b.length; i++) b[i] = ((i + j * 7919) * 2654435761) >>> 24;
    return b;
  });
  const jobs = bufs.map((b) => crc32RecordsStart(b, 0, 544, 536, 64));
  // One never waited for finishes on its own (its finalizer waits for it if it must).
  crc32RecordsStart(Buffer.alloc(544 * 64, 1), 0, 544, 536, 64);
  for (let j = jobs.length - 1; j >= 0; j--) {
    expect(jobs[j].wait()).toEqual(crc32Records(bufs[j], 0, 544, 536, 64));
  }
});

test('crc32RecordsStart writes into a given array, at least count long, and returns that array', () => {
  const buf = Buffer.alloc(544 * 10);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 40503) >>> 8;
  const out = new Uint32Array(12).fill(7);
  const got = crc32RecordsStart(buf, 0, 544, 536, 10, undefined, out).wait();
  expect(got).toBe(out);
  expect(Array.from(out.subarray(0, 10))).toEqual(Array.from(crc32Records(buf, 0, 544, 536, 10)));
  expect(Array.from(out.subarray(10))).toEqual([7, 7]);
  expect(() => crc32RecordsStart(buf, 0, 544, 536, 10, undefined, new Uint32Array(9))).toThrow(
    /out is shorter than count/,
  );
  expect(() => crc32RecordsStart(buf, 0, 544, 536, 1, undefined, new Int32Array(4) as unknown as Uint32Array)).toThrow(
    /out must be a Uint32Array/,
  );
});

test('crc32RecordsStart refuses what crc32Records refuses, before any thread starts', () => {
  const buf = Buffer.alloc(1000);
  expect(() => crc32RecordsStart(buf, 0, 544, 536, 2)).toThrow(/crc32RecordsStart: records run past the end/);
  expect(() => crc32RecordsStart(buf, 0, 8, 16, 1)).toThrow(/span is larger than stride/);
  expect(() => crc32RecordsStart('x' as unknown as Buffer, 0, 8, 8, 1)).toThrow(/buf must be a Buffer/);
});

test('crc32RecordsStart with a source reads the bytes on its thread first, zeros past the end of the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-crc-'));
  try {
    const file = path.join(dir, 'log');
    const data = Buffer.alloc(544 * 30);
    for (let i = 0; i < data.length; i++) data[i] = (i * 40503) >>> 8;
    fs.writeFileSync(file, Buffer.concat([Buffer.alloc(100, 9), data]));
    const fd = fs.openSync(file, 'r');
    try {
      // A window larger than what is left of the file: the tail reads as zeros.
      const buf = Buffer.alloc(544 * 32, 0xee);
      const got = crc32RecordsStart(buf, 0, 544, 536, 32, { fd, position: 100, length: buf.length }).wait();
      const want = Buffer.concat([data, Buffer.alloc(544 * 2)]);
      expect(buf.equals(want)).toBe(true);
      expect(got).toEqual(crc32Records(want, 0, 544, 536, 32));
    } finally {
      fs.closeSync(fd);
    }
    const dirFd = fs.openSync(dir, 'r');
    try {
      const job = crc32RecordsStart(Buffer.alloc(544), 0, 544, 536, 1, { fd: dirFd, position: 0, length: 544 });
      expect(() => job.wait()).toThrow(expect.objectContaining({ code: 'EISDIR', syscall: 'pread' }));
    } finally {
      fs.closeSync(dirFd);
    }
    expect(() => crc32RecordsStart(Buffer.alloc(8), 0, 8, 8, 1, { fd: 0, position: 0, length: 9 })).toThrow(
      /length must be in \[0, 8\]/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
