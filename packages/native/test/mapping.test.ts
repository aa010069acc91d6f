import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { hugePageBuffer, MAX_MAP_LENGTH, mmap, msync, pageSize, prefault, unmap } from '../src';
import { ADDON_PATH, expectNativeError, mapsOf, thrownName, useTempDir } from './helpers';

const MiB = 1024 * 1024;
const tempDir = useTempDir();

/** Creates a sparse file of `size` bytes and returns its path and an O_RDWR fd. */
function sparseFile(size: number): { file: string; fd: number } {
  const file = path.join(tempDir(), 'data.bin');
  const fd = fs.openSync(file, 'w+');
  fs.ftruncateSync(fd, size);
  return { file, fd };
}

describe('mmap', () => {
  test('writable mapping of a sparse 64 MiB file is visible through read() after msync', () => {
    const size = 64 * MiB;
    const { fd } = sparseFile(size);
    try {
      const buf = mmap(fd, size, 0, true);
      expect(buf.length).toBe(size);
      expect(buf[12345]).toBe(0);
      const spots = [0, MiB + 123, 33 * MiB + 4095, size - 7];
      spots.forEach((pos, i) => buf.write(`famfs-${i}`, pos, 'latin1'));
      msync(buf);
      for (const [i, pos] of spots.entries()) {
        const expected = Buffer.from(`famfs-${i}`, 'latin1');
        const got = Buffer.alloc(expected.length);
        fs.readSync(fd, got, 0, got.length, pos);
        expect(got).toEqual(expected);
      }
      // A sub-range msync starting mid-page (rounded down internally), async flavour too.
      buf.write('mid-page', 5000);
      msync(buf, 5000, 8);
      msync(buf, 5000, 8, false);
      unmap(buf);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('mappings above 2 GiB work (sparse 3 GiB file)', () => {
    const size = 3 * 1024 * MiB;
    const { fd } = sparseFile(size);
    try {
      const buf = mmap(fd, size, 0, true);
      expect(buf.length).toBe(size);
      buf[size - 1] = 0x5a;
      buf[2 ** 31 + 5] = 0x6b;
      msync(buf, 2 ** 31, size - 2 ** 31);
      const got = Buffer.alloc(1);
      fs.readSync(fd, got, 0, 1, size - 1);
      expect(got[0]).toBe(0x5a);
      fs.readSync(fd, got, 0, 1, 2 ** 31 + 5);
      expect(got[0]).toBe(0x6b);
      unmap(buf);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('MAP_SHARED: writes through write() are visible in the mapping', () => {
    const { fd } = sparseFile(MiB);
    try {
      const buf = mmap(fd, MiB, 0, true);
      fs.writeSync(fd, Buffer.from('from write()'), 0, 12, 4096);
      expect(buf.toString('utf8', 4096, 4096 + 12)).toBe('from write()');
      unmap(buf);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('read-only mapping at a non-zero page-aligned offset', () => {
    const { file, fd } = sparseFile(4 * MiB);
    const page = pageSize();
    fs.writeSync(fd, Buffer.from('second page'), 0, 11, page);
    fs.closeSync(fd);
    const ro = fs.openSync(file, 'r');
    try {
      const buf = mmap(ro, page, page, false);
      expect(buf.toString('utf8', 0, 11)).toBe('second page');
      expectNativeError(() => mmap(ro, page, 0, true), 'EACCES', 'mmap');
      unmap(buf);
    } finally {
      fs.closeSync(ro);
    }
  });

  test('misaligned offset and zero length throw EINVAL with errno/code/syscall', () => {
    const { fd } = sparseFile(MiB);
    try {
      const err = expectNativeError(() => mmap(fd, 4096, 1, true), 'EINVAL', 'mmap');
      expect(err.errno).toBe(22);
      expect(err.message).toBe('mmap: Invalid argument');
      expectNativeError(() => mmap(fd, 0, 0, true), 'EINVAL', 'mmap');
      expectNativeError(() => mmap(987654, 4096, 0, true), 'EBADF', 'mmap');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('argument checks: TypeError for wrong types, RangeError above MAX_MAP_LENGTH', () => {
    expect(thrownName(() => mmap('3' as unknown as number, 4096, 0, true))).toBe('TypeError');
    expect(thrownName(() => mmap(3, 4096.5, 0, true))).toBe('TypeError');
    expect(thrownName(() => mmap(3, 4096, 0, 1 as unknown as boolean))).toBe('TypeError');
    expect(thrownName(() => mmap(3, 4096, -4096, true))).toBe('RangeError');
    expect(() => mmap(3, MAX_MAP_LENGTH + 1, 0, true)).toThrow(RangeError);
    expect(thrownName(() => unmap('x' as unknown as Buffer))).toBe('TypeError');
  });

  test('unmap detaches the buffer, removes the mapping, and rejects a second unmap', () => {
    const { file, fd } = sparseFile(MiB);
    try {
      const buf = mmap(fd, MiB, 0, true);
      const view = buf.subarray(10, 20);
      expect(mapsOf(file).length).toBe(1);
      expectNativeError(() => unmap(view), 'EINVAL', 'unmap'); // not the whole mapping
      unmap(buf);
      expect(buf.length).toBe(0);
      expect(buf.byteLength).toBe(0);
      expect(buf.buffer.byteLength).toBe(0);
      expect(view.length).toBe(0);
      expect(buf[0]).toBeUndefined();
      expect(mapsOf(file).length).toBe(0);
      const err = expectNativeError(() => unmap(buf), 'EINVAL', 'unmap');
      expect(err.message).toMatch(/not a live mapping/);
      expectNativeError(() => unmap(Buffer.alloc(4096)), 'EINVAL', 'unmap');
      // Range-taking calls see an empty buffer rather than freed memory.
      msync(buf);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('dropping a mapping lets GC munmap it (child process with --expose-gc)', () => {
    const { file, fd } = sparseFile(MiB);
    fs.closeSync(fd);
    const script = path.join(tempDir(), 'gc-child.js');
    fs.writeFileSync(
      script,
      `
      const fs = require('fs');
      const native = require(${JSON.stringify(ADDON_PATH)});
      const file = process.argv[2];
      const mapped = () => fs.readFileSync('/proc/self/maps', 'utf8')
        .split('\\n').filter((l) => l.endsWith(' ' + file)).length;
      const fd = fs.openSync(file, 'r+');
      let buf = Buffer.from(native.mmap(fd, 1 << 20, 0, true));
      buf[0] = 42;
      const before = mapped();
      buf = null;
      (async () => {
        let after = mapped();
        for (let i = 0; i < 50 && after > 0; i++) {
          global.gc();
          await new Promise((resolve) => setTimeout(resolve, 10));
          after = mapped();
        }
        fs.closeSync(fd);
        process.stdout.write(JSON.stringify({ before, after }));
      })();
      `,
    );
    const child = spawnSync(process.execPath, ['--expose-gc', script, file], {
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ before: 1, after: 0 });
    expect(fs.readFileSync(file)[0]).toBe(42);
  });

  test('pageSize is a power of two of at least 4 KiB', () => {
    const page = pageSize();
    expect(page).toBeGreaterThanOrEqual(4096);
    expect(page & (page - 1)).toBe(0);
  });
});

test('prefault populates the whole pages inside a typed array, and changes none of its bytes', () => {
  const a = new Int32Array(3 << 20);
  a[5] = 7;
  a[a.length - 1] = 9;
  expect(prefault(a)).toBe(true);
  expect(prefault(a, 4096, 8192)).toBe(true);
  expect(a[5]).toBe(7);
  expect(a[a.length - 1]).toBe(9);
  expect(a.reduce((x, y) => x + y, 0)).toBe(16);
  // The pages are in memory afterwards: the process grew by (about) the array, untouched by JS.
  const fresh = new Uint8Array(64 << 20);
  const before = process.memoryUsage().rss;
  expect(prefault(fresh)).toBe(true);
  expect(process.memoryUsage().rss - before).toBeGreaterThan(48 << 20);
  // A window holding no whole page: nothing to do.
  expect(prefault(Buffer.alloc(100), 0, 100)).toBe(false);
  expect(() => prefault(Buffer.alloc(100), 50, 100)).toThrow(/outside the buffer/);
});

/** The /proc/self/smaps record of the mapping that starts at hex address `start`, or undefined. */
function smapsRecord(start: string): { size: number; flags: string[] } | undefined {
  const lines = fs.readFileSync('/proc/self/smaps', 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${start}-`));
  if (at < 0) return undefined;
  const [from, to] = lines[at].split(' ')[0].split('-');
  const flags = lines.slice(at + 1).find((l) => l.startsWith('VmFlags:'));
  return { size: parseInt(to, 16) - parseInt(from, 16), flags: flags ? flags.split(/\s+/).slice(1) : [] };
}

test('hugePageBuffer gives zeroed, writable memory of the length asked, in a 2 MiB-aligned mapping with huge pages requested', () => {
  const length = 4 * MiB + 1;
  const ab = hugePageBuffer(length);
  expect(ab).toBeInstanceOf(ArrayBuffer);
  expect(ab.byteLength).toBe(length);
  const bytes = new Uint8Array(ab);
  expect(bytes.every((b) => b === 0)).toBe(true);
  for (let i = 0; i < length; i += 4093) bytes[i] = i & 0xff;
  for (let i = 0; i < length; i += 4093) expect(bytes[i]).toBe(i & 0xff);
  // Its mapping: find it by the address of a write, in /proc/self/smaps (the VmFlags "hg" is MADV_HUGEPAGE).
  const records = fs
    .readFileSync('/proc/self/smaps', 'utf8')
    .split('\n')
    .filter((l) => /^[0-9a-f]+-[0-9a-f]+ rw-p 00000000 00:00 0\s*$/.test(l))
    .map((l) => l.split('-')[0])
    .map((start) => ({ start, record: smapsRecord(start) }))
    .filter(({ start, record }) => record && record.size === 6 * MiB && parseInt(start, 16) % (2 * MiB) === 0);
  // A kernel built without transparent huge pages refuses the request (and nothing else changes).
  const thp = fs.existsSync('/sys/kernel/mm/transparent_hugepage');
  expect(records.some(({ record }) => record?.flags.includes('hg'))).toBe(thp);
  expect(() => hugePageBuffer(0)).toThrow(/length/);
  expect(() => hugePageBuffer(-1)).toThrow(/length/);
});
