/**
 * The push generation end to end: the real FamfsFileSystem of famfs_fused behind the emulated push
 * kernel, over a 4 TiB sparse image (the device is an image file, so these mounts opt in to one).
 *
 * - "auto" finds the generation by its DAXDEV_OPEN probe; the daemon pushes daxdev 0 at the first
 *   LOOKUP of a regular file and closes its fd; no GET_DAXDEV is ever sent.
 * - Simple files go as they are; striped files go unrolled: each extent the chunk size, the last
 *   shorter, a uniform list the kernel resolves by a shift, and every offset reaching the same
 *   device byte as the interleaved map it came from.
 * - A 1 TiB striped file's map (12 MiB) does not fit the first 4 KiB buffer: header-only reply,
 *   one retry with the exact size. A map over 16 MiB is refused with EFBIG and one log line.
 * - On a V10 kernel "auto" finds ENOTTY and falls back to V10 (GET_DAXDEV, interleave as logged);
 *   --simple-fmaps unrolls there too.
 * - A push the kernel refuses is logged once, retried at the next LOOKUP, and the file's fmap then
 *   names a daxdev nobody pushed: ENODEV in the kernel, EIO on every access.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FileEntry } from '@famfs/libfamfs/format';
import { encodeFmapReply, FamfsFileSystem } from '@famfs/fused';
import type { FamfsFsOptions } from '@famfs/fused';
import { Errno, v10 } from '@famfs/fuse';
import { emulateMount, errnoOf, fileOffsetToDax, fmapLimits, parseFmap } from '../src';
import type { EmulatorOptions, KSimpleFmap } from '../src';
import { cleanupTempDirs, devOffsetOf, expectedFileBytes, fillPattern, Layout, MiB, tempDir } from './helpers';
import { fileEntry, stripsAt, writeShadowTree } from '../../../packages/famfs-fused/test/entries';

afterAll(cleanupTempDirs);

const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

const strips = stripsAt;
const file = fileEntry;

/** The files of the world: path -> entry. */
const FILES: FileEntry[] = [
  file('a.bin', 3 * MiB + 17, { kind: 'simple', extents: [{ devIndex: 0, offset: 4 * GiB, len: 4 * MiB }] }),
  file('sub/inter.bin', 7 * MiB + 5, {
    kind: 'interleaved',
    nstrips: 2,
    chunkSize: 2 * MiB,
    strips: strips(2, 5 * GiB, 4 * MiB),
  }),
  // 3 chunks of 4 MiB on 3 strips; the last holds 1 MiB + 3 bytes and goes out as 2 MiB.
  file('odd.bin', 9 * MiB + 3, {
    kind: 'interleaved',
    nstrips: 3,
    chunkSize: 4 * MiB,
    strips: strips(3, 7 * GiB, 4 * MiB),
  }),
  // 524,288 chunks: a 12 MiB map.
  file('big.bin', TiB, { kind: 'interleaved', nstrips: 4, chunkSize: 2 * MiB, strips: strips(4, 10 * GiB, 256 * GiB) }),
  // 786,432 chunks: an 18 MiB map, more than the kernel's 16 MiB.
  file('huge.bin', 1.5 * TiB, {
    kind: 'interleaved',
    nstrips: 4,
    chunkSize: 2 * MiB,
    strips: strips(4, 1100 * GiB, 384 * GiB),
  }),
];
const entry = (p: string): FileEntry => FILES.find((f) => f.path === p)!;

function layoutOf(e: FileEntry): Layout {
  const f = e.fmap;
  if (f.kind === 'simple') return { kind: 'simple', extents: f.extents };
  return { kind: 'interleaved', chunk: f.chunkSize, strips: f.strips };
}

let dev = '';
let shadow = '';

/** Offsets of big.bin checked byte for byte: its device pages get the pattern. */
const BIG_OFFSETS = [0, 2 * MiB - 7, GiB + 12345, 513 * GiB + 1, TiB - 4096];

beforeAll(() => {
  const dir = tempDir('famfs-push-');
  dev = path.join(dir, 'dax.img');
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, 4 * TiB);
  shadow = path.join(dir, 'shadow');
  writeShadowTree(shadow, FILES);
  for (const e of FILES.slice(0, 3)) {
    for (const x of e.fmap.kind === 'simple' ? e.fmap.extents : e.fmap.strips)
      fillPattern(dev, x.offset, x.offset + x.len);
  }
  // The device pages under the first and the last byte of each 4 KiB read (it may cross a chunk).
  for (const off of BIG_OFFSETS.flatMap((o) => [o, Math.min(o + 4095, TiB - 1)])) {
    const d = devOffsetOf(layoutOf(entry('big.bin')), off);
    const page = d - (d % 4096);
    fillPattern(dev, page, page + 4096);
  }
});

function mount(o: { kernel?: EmulatorOptions; session?: string; fs?: Partial<FamfsFsOptions> } = {}) {
  const logs: string[] = [];
  const famfs = new FamfsFileSystem({
    shadow,
    daxdev: dev,
    serve: 'shadow',
    abi: 'auto',
    log: (m) => logs.push(m),
    ...o.fs,
  });
  const kernelOptions: EmulatorOptions = { profile: 'push', allowFileDaxdev: true, ...o.kernel };
  const m = emulateMount(famfs, { session: { profile: o.session ?? 'auto' }, kernel: kernelOptions });
  m.kernel.init();
  return { ...m, famfs, logs };
}

/** Opens `p` and reads it whole (files of a few MiB), comparing with the interleaved or simple layout. */
function readsRight(kernel: ReturnType<typeof mount>['kernel'], p: string): void {
  const e = entry(p);
  const h = kernel.open(`/${p}`);
  expect(kernel.read(h, 0, e.size + 4096).equals(expectedFileBytes(layoutOf(e), 0, e.size))).toBe(true);
  kernel.release(h);
}

/** Fds of this process open on the device image. */
function fdsOnDevice(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === dev) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

test('auto finds the push generation; daxdev 0 is pushed at the first regular-file LOOKUP, its fd closed', () => {
  const { kernel, session, famfs, logs } = mount();
  expect(session.profile.name).toBe('push');
  expect(session.negotiated!.probes).toEqual([{ profile: 'push', ioctl: 0x4010e504, answer: 'EBADF', present: true }]);
  // The probe (fd -1) is the first DAXDEV_OPEN; a directory pushes nothing.
  const probe = { index: 0, answer: 'EBADF' };
  kernel.lookupPath('/sub');
  expect(kernel.daxdevPushes).toEqual([probe]);
  const before = fdsOnDevice();
  kernel.lookupPath('/a.bin');
  expect(kernel.daxdevPushes).toEqual([probe, { index: 0, answer: 'OK' }]);
  expect(kernel.daxdev(0)).toMatchObject({ name: dev, daxErr: false });
  // One more fd on the device: the kernel's own reference; the daemon closed the one it pushed.
  expect(fdsOnDevice()).toBe(before + 1);
  kernel.lookupPath('/sub/inter.bin');
  expect(kernel.daxdevPushes).toHaveLength(2);
  expect(famfs.abi.daxdevPusher!.registered).toBe(1);
  expect(logs.filter((l) => /registered with the kernel/.test(l))).toHaveLength(1);
  readsRight(kernel, 'a.bin');
  expect(kernel.count('GET_DAXDEV')).toBe(0);
  expect(kernel.count('READ')).toBe(0);
  expect(kernel.warnings).toEqual([]);
  kernel.close();
});

test("striped files unrolled: chunk-sized extents, the last shorter, uniform, the interleaved map's bytes", () => {
  const { kernel } = mount();
  for (const p of ['sub/inter.bin', 'odd.bin']) readsRight(kernel, p);
  const h = kernel.open('/odd.bin');
  const fmap = kernel.inode(h.nodeid)!.fmap as KSimpleFmap;
  expect(fmap.extType).toBe('simple');
  expect(fmap.extents.map((x) => Number(x.len) / MiB)).toEqual([4, 4, 2]);
  expect(fmap.extShift).toBe(22);
  const e = entry('odd.bin');
  // The same device byte for every offset as the interleaved map, resolved by the kernel's own code.
  const interleaved = parseFmap(encodeFmapReply(e, v10), fmapLimits(v10));
  for (let off = 0; off < e.size; off += 97 * 1024 + 3) {
    const a = fileOffsetToDax(fmap, BigInt(off), 1n)!;
    const b = fileOffsetToDax(interleaved, BigInt(off), 1n)!;
    expect([a.devIndex, a.devOffset]).toEqual([b.devIndex, b.devOffset]);
    expect(Number(a.devOffset)).toBe(devOffsetOf(layoutOf(e), off));
  }
  kernel.release(h);
  expect(kernel.warnings).toEqual([]);
  kernel.close();
});

test('a 1 TiB striped file: header-only reply to the 4 KiB buffer, one retry with its 12 MiB', () => {
  const { kernel } = mount();
  const h = kernel.open('/big.bin');
  const n = TiB / (2 * MiB);
  expect(kernel.fmapBuffers.get(h.nodeid)).toEqual([4096, 32 + 24 * n]);
  const fmap = kernel.inode(h.nodeid)!.fmap as KSimpleFmap;
  expect(fmap.extents).toHaveLength(n);
  expect(fmap.extShift).toBe(21);
  const layout = layoutOf(entry('big.bin'));
  for (const off of BIG_OFFSETS) {
    const len = Math.min(4096, TiB - off);
    expect(kernel.read(h, off, len).equals(expectedFileBytes(layout, off, len))).toBe(true);
  }
  kernel.release(h);
  kernel.close();
});

test('a map over 16 MiB: EFBIG at open and one clear daemon log line', () => {
  const { kernel, logs } = mount();
  expect(errnoOf(() => kernel.open('/huge.bin'))).toBe(Errno.EFBIG);
  expect(errnoOf(() => kernel.open('/huge.bin'))).toBe(Errno.EFBIG);
  const lines = logs.filter((l) => /huge\.bin/.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /file too large for simple-fmap at this chunk size: 786432 extents of 0x200000 make an fmap of 18874400 bytes/,
  );
  // The daemon refused outright: no header-only reply, so no retry.
  expect([...kernel.fmapBuffers.values()].flat()).toEqual([4096, 4096]);
  kernel.close();
});

test('a V10 kernel: the probe answers ENOTTY, auto falls back to V10 (GET_DAXDEV, interleave as logged)', () => {
  const { kernel, session, logs } = mount({ kernel: { profile: 'v10' } });
  expect(session.profile.name).toBe('v10');
  expect(session.negotiated!.probes[0]).toMatchObject({ answer: 'ENOTTY', present: false });
  const h = kernel.open('/sub/inter.bin');
  expect(kernel.inode(h.nodeid)!.fmap!.extType).toBe('interleave');
  kernel.release(h);
  readsRight(kernel, 'sub/inter.bin');
  expect(kernel.count('GET_DAXDEV')).toBe(1);
  expect(kernel.daxdevPushes).toEqual([]);
  expect(logs.join('\n')).toMatch(/famfs kernel ABI v10: fmaps as logged, daxdevs named by GET_DAXDEV/);
  kernel.close();
});

test('--simple-fmaps on a V10 kernel: striped files unrolled within its 32 extents, the 1 TiB one refused', () => {
  const { kernel } = mount({ kernel: { profile: 'v10' }, fs: { simpleFmaps: true } });
  for (const p of ['sub/inter.bin', 'odd.bin']) {
    readsRight(kernel, p);
    expect(kernel.inode(kernel.lookupPath(`/${p}`).nodeid)!.fmap!.extType).toBe('simple');
  }
  expect(errnoOf(() => kernel.open('/big.bin'))).toBe(Errno.EFBIG);
  kernel.close();
});

test('a refused push: logged once, retried at the next LOOKUP; the fmap names an unpushed daxdev: ENODEV, EIO', () => {
  // Without the opt-in the kernel wants a character device: DAXDEV_OPEN of the image is EINVAL.
  const { kernel, logs } = mount({ kernel: { allowFileDaxdev: false } });
  kernel.lookupPath('/a.bin');
  kernel.lookupPath('/a.bin');
  expect(kernel.daxdevPushes).toEqual([
    { index: 0, answer: 'EBADF' },
    { index: 0, answer: 'EINVAL' },
    { index: 0, answer: 'EINVAL' },
  ]);
  expect(logs.filter((l) => /push failed/.test(l))).toEqual([
    expect.stringMatching(
      /daxdev 0 \(.*dax\.img\) push failed: DAXDEV_OPEN \(ioctl 0x4010e504\) of daxdev 0: EINVAL; a later lookup/,
    ),
  ]);
  const h = kernel.open('/a.bin');
  expect(kernel.warnings.join('\n')).toMatch(
    /names daxdev\(s\) 0 that were never pushed: famfs_check_daxdev_table\(\) ENODEV/,
  );
  expect(errnoOf(() => kernel.read(h, 0, 10))).toBe(Errno.EIO);
  kernel.close();
});
