import { randomFillSync } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cacheMethod, flush, invalidate, mmap, msync, unmap } from '../src';
import { ADDON_PATH, thrownName, useTempDir } from './helpers';

const FLUSH_METHODS = ['clwb', 'clflushopt', 'clflush', 'dc cvac', 'msync'];
const INVALIDATE_METHODS = ['clflushopt', 'clflush', 'dc civac', 'msync'];
const SIZE = 4 * 1024 * 1024;
const tempDir = useTempDir();

/** Runs fn with a writable shared mapping of a fresh SIZE-byte file. */
function withMapping(fn: (buf: Buffer, fd: number) => void): void {
  const fd = fs.openSync(path.join(tempDir(), 'cache.bin'), 'w+');
  try {
    fs.ftruncateSync(fd, SIZE);
    const buf = mmap(fd, SIZE, 0, true);
    try {
      fn(buf, fd);
    } finally {
      unmap(buf);
    }
  } finally {
    fs.closeSync(fd);
  }
}

describe('cache maintenance', () => {
  test('cacheMethod reports a known instruction for each operation', () => {
    const method = cacheMethod();
    console.log(`cache methods on ${process.arch}: flush=${method.flush} invalidate=${method.invalidate}`);
    expect(FLUSH_METHODS).toContain(method.flush);
    expect(INVALIDATE_METHODS).toContain(method.invalidate);
    if (process.arch === 'x64') {
      expect(['clwb', 'clflushopt', 'clflush']).toContain(method.flush);
      expect(['clflushopt', 'clflush']).toContain(method.invalidate);
    } else if (process.arch === 'arm64') {
      expect(method).toEqual({ flush: 'dc cvac', invalidate: 'dc civac' });
    }
  });

  test('flush and invalidate keep the data intact, whole and unaligned ranges', () => {
    withMapping((buf, fd) => {
      randomFillSync(buf);
      const copy = Buffer.from(buf);
      flush(buf);
      invalidate(buf);
      flush(buf, 1, 1);
      flush(buf, 63, 2); // spans a line boundary
      invalidate(buf, 4097, 12345);
      invalidate(buf, SIZE - 1, 1);
      flush(buf, SIZE, 0);
      invalidate(buf.subarray(100, 300));
      expect(buf.equals(copy)).toBe(true);

      buf.fill(0xa5, 1000, 3000);
      flush(buf, 1000, 2000);
      copy.fill(0xa5, 1000, 3000);
      invalidate(buf, 0, 4096);
      expect(buf.equals(copy)).toBe(true);

      msync(buf);
      const onDisk = Buffer.alloc(SIZE);
      fs.readSync(fd, onDisk, 0, SIZE, 0);
      expect(onDisk.equals(copy)).toBe(true);
    });
  });

  test('flush and invalidate work on ordinary heap buffers too', () => {
    const heap = Buffer.from('ordinary heap memory');
    flush(heap);
    invalidate(heap, 3, 5);
    expect(heap.toString()).toBe('ordinary heap memory');
  });

  test('out-of-range windows throw RangeError (wrapper and addon)', () => {
    withMapping((buf) => {
      for (const op of [flush, invalidate, msync]) {
        expect(() => op(buf, SIZE - 10, 20)).toThrow(RangeError);
        expect(() => op(buf, SIZE + 1, 0)).toThrow(RangeError);
        expect(() => op(buf, -1, 1)).toThrow(RangeError);
        expect(() => op(buf, 0, -1)).toThrow(RangeError);
        expect(() => op(buf, 0.5, 1)).toThrow(TypeError);
      }
      // The addon enforces the same bounds when called directly.
      // The raw addon, bypassing the wrapper's checks: only require() loads a .node file.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const native = require(ADDON_PATH);
      expect(thrownName(() => native.flush(buf, SIZE - 10, 20))).toBe('RangeError');
      expect(thrownName(() => native.invalidate(buf, 0, SIZE + 1))).toBe('RangeError');
      expect(thrownName(() => native.msync(buf, SIZE, 1, true))).toBe('RangeError');
      expect(thrownName(() => native.flush({}, 0, 0))).toBe('TypeError');
    });
  });
});
