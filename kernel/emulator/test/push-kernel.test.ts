/**
 * The emulated push kernel's own rules, against daemons that break them: fuse_get_fmap()'s buffer
 * loop (one retry only, EFBIG past 16 MiB, EIO for a reply shorter than the header, fmap_size 0
 * read as "it fits"), the simple-only parser with its uniform fast path, and famfs_daxdev_open()'s
 * checks in order. The daemon side runs the V10 profile so the fake file system's fmap headers go
 * out untouched (the session would otherwise fill fmap_size itself).
 */
import * as fs from 'fs';
import * as path from 'path';
import { BackingMap, Errno, FuseErrno, FUSE_ROOT_ID, makeAttr, push, S_IFREG } from '@famfs/fuse';
import type { EntryParam, FileSystem } from '@famfs/fuse';
import { buildFmapBlob, emulateMount, errnoOf, fileOffsetToDax, fmapLimits, parseFmap } from '../src';
import type { KSimpleFmap } from '../src';
import { cleanupTempDirs, MiB, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const ext = (i: number, len = 2 * MiB) => ({ offset: (16 + 16 * i) * MiB, len });

/** A fmap blob whose header says fmap_size `size`. */
function sized(blob: Buffer, size: number): Buffer {
  const b = Buffer.from(blob);
  b.writeUInt32LE(size, 12);
  return b;
}

const SIMPLE = buildFmapBlob({ fileSize: 4 * MiB, simple: [ext(0), ext(1)] });

/** name -> what GET_FMAP answers on its n-th call (0-based). */
const FILES: Record<string, (n: number) => Buffer> = {
  grows: (n) => sized(SIMPLE.subarray(0, 32), 8192 + 4096 * n),
  'too-big': () => sized(SIMPLE.subarray(0, 32), 16 * MiB + 1),
  short: () => SIMPLE.subarray(0, 16),
  'size-zero': () => sized(SIMPLE, 0),
  interleave: () =>
    buildFmapBlob({
      fileSize: 4 * MiB,
      interleaved: [{ chunkSize: 2 * MiB, nbytes: 4 * MiB, strips: [ext(0), ext(1)] }],
    }),
};
const NAMES = Object.keys(FILES);

function fakeDaemon(): FileSystem & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const entry = (id: number): EntryParam => ({
    nodeid: id,
    attr: makeAttr({ ino: id, mode: S_IFREG | 0o644, size: 4 * MiB }),
  });
  return {
    calls,
    init: () => ({ famfs: true }),
    lookup: (req) => {
      const i = NAMES.indexOf(req.name);
      if (req.header.nodeid !== FUSE_ROOT_ID || i < 0) throw new FuseErrno(Errno.ENOENT);
      return entry(i + 2);
    },
    getattr: (req) => ({ attr: entry(req.header.nodeid).attr }),
    open: () => ({ fh: 1 }),
    release: () => undefined,
    getFmap: (req) => {
      const name = NAMES[req.header.nodeid - 2];
      const n = calls.get(name) ?? 0;
      calls.set(name, n + 1);
      return FILES[name](n);
    },
  };
}

function mount() {
  const daemon = fakeDaemon();
  const m = emulateMount(daemon, { session: { profile: 'v10' }, kernel: { profile: 'push' } });
  m.kernel.init();
  return { ...m, daemon };
}

describe("fuse_get_fmap()'s buffer loop", () => {
  test('a header-only reply is retried once with its fmap_size; too big again is EINVAL (a server bug)', () => {
    const { kernel, daemon } = mount();
    expect(errnoOf(() => kernel.open('/grows'))).toBe(Errno.EINVAL);
    expect(daemon.calls.get('grows')).toBe(2);
    expect([...kernel.fmapBuffers.values()]).toEqual([[4096, 8192]]);
  });

  test('fmap_size past 16 MiB is EFBIG without a retry', () => {
    const { kernel, daemon } = mount();
    expect(errnoOf(() => kernel.open('/too-big'))).toBe(Errno.EFBIG);
    expect(daemon.calls.get('too-big')).toBe(1);
  });

  test('a reply shorter than the fmap header is EIO', () => {
    expect(errnoOf(() => mount().kernel.open('/short'))).toBe(Errno.EIO);
  });

  test('fmap_size 0 reads as "it fits" (what a daemon that never sets it sends)', () => {
    const { kernel } = mount();
    const h = kernel.open('/size-zero');
    expect(kernel.inode(h.nodeid)!.fmap).toMatchObject({ extType: 'simple', extShift: 21 });
  });

  test('interleaved extents are refused: EINVAL', () => {
    expect(errnoOf(() => mount().kernel.open('/interleave'))).toBe(Errno.EINVAL);
  });

  test('an fmap naming a daxdev nobody pushed: the open succeeds, the kernel says ENODEV, I/O is EIO', () => {
    const { kernel } = mount();
    const h = kernel.open('/size-zero');
    expect(kernel.warnings.join('\n')).toMatch(/never pushed: famfs_check_daxdev_table\(\) ENODEV/);
    expect(errnoOf(() => kernel.read(h, 0, 1))).toBe(Errno.EIO);
    expect(kernel.count('GET_DAXDEV')).toBe(0);
  });
});

describe('the simple-only parser', () => {
  const limits = fmapLimits(push);
  const shift = (lens: number[]): number =>
    (
      parseFmap(
        buildFmapBlob({ fileSize: 2 * MiB, simple: lens.map((l, i) => ext(i, l * MiB)) }),
        limits,
      ) as KSimpleFmap
    ).extShift;

  test('uniform: several extents, a power-of-2 first, the middle ones equal, the last no larger', () => {
    expect(shift([4, 4, 2])).toBe(22);
    expect(shift([2, 2])).toBe(21);
    expect(shift([2])).toBe(0); // one extent: walked
    expect(shift([6, 6])).toBe(0); // not a power of 2
    expect(shift([4, 2, 4])).toBe(0);
    expect(shift([4, 4, 8])).toBe(0);
    const v10 = parseFmap(buildFmapBlob({ fileSize: 2 * MiB, simple: [ext(0), ext(1)] }), {
      maxExtents: 32,
      maxStrips: 32,
    });
    expect((v10 as KSimpleFmap).extShift).toBe(0); // V10 always walks
  });

  test('the shift and the walk resolve every offset alike', () => {
    const blob = buildFmapBlob({ fileSize: 10 * MiB, simple: [ext(0, 4 * MiB), ext(1, 4 * MiB), ext(2, 2 * MiB)] });
    const fast = parseFmap(blob, limits) as KSimpleFmap;
    const walk = { ...fast, extShift: 0 };
    for (let off = 0n; off < 11n * BigInt(MiB); off += 333_333n) {
      expect(fileOffsetToDax(fast, off, 4096n)).toEqual(fileOffsetToDax(walk, off, 4096n));
    }
  });

  test('no cap on nextents but the buffer (V10 stops at 32)', () => {
    const many = buildFmapBlob({ fileSize: 66 * MiB, simple: Array.from({ length: 33 }, (_, i) => ext(i)) });
    expect(parseFmap(many, limits).extType).toBe('simple');
    expect(() => parseFmap(many, { maxExtents: 32, maxStrips: 32 })).toThrow(
      expect.objectContaining({ errno: Errno.ERANGE }),
    );
  });
});

describe('famfs_daxdev_open()', () => {
  const arg = (fd: number, index = 0, flags = 0) => BackingMap.encode({ fd, flags, daxdevIndex: index });
  const code = (fn: () => unknown): string => {
    try {
      fn();
      return 'OK';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };

  test('in order: EOPNOTSUPP before famfs, EBADF, EINVAL for a file or a high index; then idempotent', () => {
    const noFamfs = emulateMount(fakeDaemon(), {
      session: { profile: 'v10' },
      kernel: { profile: 'push', offerFamfs: false },
    });
    noFamfs.kernel.init();
    const zero = fs.openSync('/dev/zero', 'r');
    const img = path.join(tempDir(), 'img');
    fs.writeFileSync(img, Buffer.alloc(4096));
    const file = fs.openSync(img, 'r');
    try {
      expect(code(() => noFamfs.kernel.ioctl(push.daxdevPush!.ioctl, arg(zero)))).toBe('EOPNOTSUPP');
      const { kernel } = mount();
      const ioctl = push.daxdevPush!.ioctl;
      expect(code(() => kernel.ioctl(ioctl + 1, arg(zero)))).toBe('ENOTTY');
      expect(code(() => kernel.ioctl(ioctl, arg(-1)))).toBe('EBADF');
      expect(code(() => kernel.ioctl(ioctl, arg(file)))).toBe('EINVAL');
      expect(code(() => kernel.ioctl(ioctl, arg(zero, 24)))).toBe('EINVAL');
      expect(code(() => kernel.ioctl(ioctl, arg(zero)))).toBe('OK');
      expect(kernel.daxdev(0)).toMatchObject({ name: '/dev/zero', daxErr: false });
      // Again: an installed slot answers 0; reserved flags are not checked by the kernel, only noted here.
      expect(code(() => kernel.ioctl(ioctl, arg(zero, 0, 1)))).toBe('OK');
      expect(kernel.warnings).toEqual(['DAXDEV_OPEN of daxdev 0 with flags 0x1 (reserved: 0)']);
      expect(kernel.daxdevPushes.map((p) => p.answer)).toEqual(['EBADF', 'EINVAL', 'EINVAL', 'OK', 'OK']);
      kernel.close();
    } finally {
      fs.closeSync(zero);
      fs.closeSync(file);
    }
  });
});
