// DataPath: reads and writes through windows, clipped at EOF; the window policies; the pwrite path.
import * as fs from 'fs';
import { Device } from '../../src/device/device';
import { DataPath } from '../../src/device/file-data';
import { readBytes, sparseDevice, useTempDir } from '../support';
import { BufferDevice, codeOf, fileEntry, LAYOUTS, MiB, naiveMap } from './fixtures';

const tmp = useTempDir();

test.each(LAYOUTS)('%s: read and write through windows match the model, clipped at EOF', (_n, fmap, size) => {
  const mem = Buffer.alloc(6 * 4096);
  for (let i = 0; i < mem.length; i++) mem[i] = (i * 7 + 3) & 0xff;
  const dev = new BufferDevice(mem);
  const dp = new DataPath(dev, { windowSize: 4096 });
  const entry = fileEntry(size, fmap);
  const model = naiveMap(fmap, size);
  const expectRead = (off: number, len: number) =>
    Buffer.from(model.slice(off, Math.min(size, off + len)).map((o) => mem[o]));
  for (const [off, len] of [
    [0, size],
    [0, 1],
    [15, 2],
    [31, 40],
    [size - 3, 10],
    [size, 5],
    [size + 10, 5],
    [99, 2],
  ] as const) {
    expect(Buffer.concat(dp.read(entry, off, len))).toEqual(expectRead(off, len));
  }
  // Reads are views of the mapping, not copies.
  const [first] = dp.read(entry, 0, 1);
  expect(first.buffer).toBe(mem.buffer);
  // Writes land where the model says, never past EOF.
  const before = Buffer.from(mem);
  const data = Buffer.from(Array.from({ length: 50 }, (_, i) => 200 + (i % 50)));
  expect(dp.write(entry, size - 20, data)).toBe(20);
  const expected = Buffer.from(before);
  model.slice(size - 20).forEach((devOff, i) => (expected[devOff] = data[i]));
  expect(mem.equals(expected)).toBe(true);
  expect(mem.equals(before)).toBe(false);
  expect(codeOf(() => dp.write(entry, size, Buffer.from('x')))).toBe('EFBIG');
  expect(dp.write(entry, size + 5, Buffer.alloc(0))).toBe(0);
  // Windows were mapped lazily, each once.
  const starts = dev.maps.map(([o]) => o);
  expect(new Set(starts).size).toBe(starts.length);
  expect(dp.mappedWindows).toBe(starts.length);
});

test('read-only device: writes are EROFS; extents past the device are EIO', () => {
  const dev = new BufferDevice(Buffer.alloc(8192), false);
  const dp = new DataPath(dev, { windowSize: 4096 });
  const ok = fileEntry(10, { kind: 'simple', extents: [{ devIndex: 0, offset: 4000, len: 200 }] });
  expect(Buffer.concat(dp.read(ok, 0, 10)).length).toBe(10);
  expect(codeOf(() => dp.write(ok, 0, Buffer.from('x')))).toBe('EROFS');
  const past = fileEntry(10, { kind: 'simple', extents: [{ devIndex: 0, offset: 8190, len: 200 }] });
  expect(codeOf(() => dp.read(past, 0, 10))).toBe('EIO');
});

describe('window policy', () => {
  // One file over the whole 8-window device, so each 4096-byte step is in a new window.
  const whole = (dev: BufferDevice) =>
    fileEntry(dev.size, { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: dev.size }] });

  test("'all' keeps every window until close(); trim() changes nothing", () => {
    const dev = new BufferDevice(Buffer.alloc(8 * 4096));
    const dp = new DataPath(dev, { windowSize: 4096 });
    for (let w = 0; w < 8; w++) dp.read(whole(dev), w * 4096, 1);
    dp.trim();
    expect(dp.mappedWindows).toBe(8);
    dp.read(whole(dev), 0, 8 * 4096);
    expect(dev.maps.length).toBe(8);
    dp.close();
    expect(dp.mappedWindows).toBe(0);
    expect(dev.unmaps).toBe(8);
  });

  test('{ lru: 2 } keeps the two most recently used windows across trim(), views stay valid until then', () => {
    const dev = new BufferDevice(Buffer.alloc(8 * 4096));
    const dp = new DataPath(dev, { windowSize: 4096, windows: { lru: 2 } });
    const f = whole(dev);
    const views = [0, 1, 2, 3].map((w) => dp.views(f, w * 4096, 1, false)[0]);
    expect(dp.mappedWindows).toBe(4);
    dp.read(f, 4096, 1); // window 1 becomes the most recently used
    dp.trim();
    expect(dp.mappedWindows).toBe(2);
    expect(dev.unmaps).toBe(2);
    // Windows 3 and 1 stay mapped: reading them maps nothing new; window 0 is mapped again.
    dp.read(f, 3 * 4096, 1);
    dp.read(f, 4096, 1);
    expect(dev.maps.length).toBe(4);
    dp.read(f, 0, 1);
    expect(dev.maps.map(([o]) => o)).toEqual([0, 4096, 8192, 12288, 0]);
    expect(views.length).toBe(4);
    dp.close();
    expect(dp.mappedWindows).toBe(0);
  });

  test('a policy that is not a count is refused', () => {
    const dev = new BufferDevice(Buffer.alloc(4096));
    expect(() => new DataPath(dev, { windows: { lru: -1 } })).toThrow(RangeError);
    expect(() => new DataPath(dev, { windows: { lru: 1.5 } })).toThrow(RangeError);
  });
});

describe('pwrite fast path', () => {
  test('small writes to a file-backed device go to the file, map nothing, and land where the map says', () => {
    const file = sparseDevice(tmp(), 16 * MiB);
    const dev = Device.open(file, { writable: true });
    try {
      const entry = fileEntry(3 * MiB, {
        kind: 'interleaved',
        nstrips: 2,
        chunkSize: 2 * MiB,
        strips: [
          { devIndex: 0, offset: 8 * MiB, len: 2 * MiB },
          { devIndex: 0, offset: 4 * MiB, len: 2 * MiB },
        ],
      });
      const dp = new DataPath(dev, { windowSize: 4 * MiB, pwriteMax: MiB });
      const data = Buffer.alloc(4096, 0x5a);
      // Bytes [2 MiB - 2048, 2 MiB + 2048): the end of strip 0, then the start of strip 1.
      expect(dp.write(entry, 2 * MiB - 2048, data)).toBe(4096);
      expect(dp.mappedWindows).toBe(0);
      expect(readBytes(file, 10 * MiB - 2048, 2048).equals(data.subarray(0, 2048))).toBe(true);
      expect(readBytes(file, 4 * MiB, 2048).equals(data.subarray(2048))).toBe(true);
      // A write over pwriteMax takes the mapping; both are seen through it.
      expect(dp.write(entry, 0, Buffer.alloc(MiB + 1, 0x33))).toBe(MiB + 1);
      expect(dp.mappedWindows).toBeGreaterThan(0);
      expect(Buffer.concat(dp.read(entry, 2 * MiB - 2048, 4096)).equals(data)).toBe(true);
      expect(readBytes(file, 8 * MiB, 1)[0]).toBe(0x33);
      dp.close();
    } finally {
      dev.close();
    }
    expect(fs.statSync(file).size).toBe(16 * MiB);
  });

  test('without the fields it needs (a stand-in device) or on a read-only device, no pwrite', () => {
    const dev = new BufferDevice(Buffer.alloc(8192));
    const dp = new DataPath(dev, { windowSize: 4096, pwriteMax: MiB });
    dp.write(fileEntry(10, { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 4096 }] }), 0, Buffer.from('x'));
    expect(dev.maps.length).toBe(1);
    const ro = Device.open(sparseDevice(tmp(), 4 * MiB), { writable: false });
    try {
      expect(
        codeOf(() =>
          new DataPath(ro, { pwriteMax: MiB }).write(
            fileEntry(10, { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 4096 }] }),
            0,
            Buffer.from('x'),
          ),
        ),
      ).toBe('EROFS');
    } finally {
      ro.close();
    }
  });
});
