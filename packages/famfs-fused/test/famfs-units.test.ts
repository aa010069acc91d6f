/**
 * Unit tests of the famfs file system's pieces: GET_FMAP / GET_DAXDEV reply bytes and the limits
 * the kernel would enforce, the data path's offset arithmetic against a naive byte-by-byte model,
 * and the inode table's lookup counts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { parseShadowYaml } from '@famfs/libfamfs/internal';
import type { Extent, FileEntry, Fmap } from '@famfs/libfamfs/internal';
import { encodeFmapReply, FmapReplyError } from '../src/famfs/fmap-reply';
import { DataPath, isFamfsError, MappableDevice, resolveRange } from '@famfs/libfamfs/internal';
import { InodeTable } from '../src/famfs/inodes';
import { FuseErrno, Errno } from '@famfs/fuse';
import { rfc, v10 } from '@famfs/fuse';
import { makeAttr } from '@famfs/fuse';
import { S_IFDIR, S_IFREG } from '@famfs/fuse';
import { cleanupTempDirs, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const MiB = 1 << 20;
const VECTORS = '/work/shared/vectors/c-famfs/populated.shadow.tar';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
}

function fileEntry(size: number, fmap: Fmap, p = 'f'): FileEntry {
  return { type: 'file', path: p, size, flags: 2, mode: 0o644, uid: 0, gid: 0, fmap };
}

function errnoOf(fn: () => unknown): number | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof FuseErrno) return e.errno;
    if (isFamfsError(e)) return e.errno;
    throw e;
  }
}

describe('GET_FMAP reply', () => {
  let shadow: string;
  beforeAll(() => {
    shadow = tempDir('famfs-vec-');
    execFileSync('tar', ['xf', VECTORS, '-C', shadow]);
  });
  const load = (rel: string) => parseShadowYaml(fs.readFileSync(path.join(shadow, 'root', rel)), rel);

  test('simple file from the C image (a/f1: 1 MiB in one 2 MiB extent at 0xa00000)', () => {
    const blob = encodeFmapReply(load('a/f1'), v10);
    expect(blob.toString('hex')).toBe(
      hex(`
        00 00 01 00  00 00 00 00  01 00 00 00  00 00 00 00
        00 00 10 00 00 00 00 00   00 00 00 00 00 00 00 00
        00 00 00 00  00 00 00 00  00 00 a0 00 00 00 00 00   00 00 20 00 00 00 00 00
      `).toString('hex'),
    );
  });

  test('the worked example of fuse-famfs-abi §1.6 (4 MiB at 64 MiB)', () => {
    const blob = encodeFmapReply(fileEntry(4 * MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 64 * MiB, len: 4 * MiB }] }), v10);
    expect(blob).toEqual(
      hex(`00 00 01 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00 00 00 00 00 00 00
           00 00 00 00 00 00 00 00 00 00 00 04 00 00 00 00 00 00 40 00 00 00 00 00`),
    );
  });

  test('interleaved file from the C image (striped: 7 MiB, 2 strips of 4 MiB, chunk 2 MiB)', () => {
    const e = load('striped');
    expect(e.fmap.kind).toBe('interleaved');
    const blob = encodeFmapReply(e, v10);
    expect(blob.length).toBe(32 + 24 + 2 * 24);
    expect(blob.toString('hex')).toBe(
      hex(`
        00 00 01 00  01 00 00 00  01 00 00 00  00 00 00 00
        00 00 70 00 00 00 00 00   00 00 00 00 00 00 00 00
        02 00 00 00  00 00 20 00  00 00 70 00 00 00 00 00  00 00 00 00 00 00 00 00
        00 00 00 00  00 00 00 00  00 00 80 01 00 00 00 00  00 00 40 00 00 00 00 00
        00 00 00 00  00 00 00 00  00 00 00 00 01 00 00 00  00 00 40 00 00 00 00 00
      `).toString('hex'),
    );
  });

  test('every file of the C image encodes, multi-extent counts included', () => {
    for (const rel of ['a/f1', 'a/b/f2', 'a/odd', 'top', 'p/q/r/deep', 'striped', '.meta/.superblock', '.meta/.log']) {
      const e = load(rel);
      const blob = encodeFmapReply(e, v10);
      expect(blob.readBigUInt64LE(16)).toBe(BigInt(e.size));
    }
  });

  const ext = (i: number, len = 2 * MiB): Extent => ({ devIndex: 0, offset: (16 + 2 * i) * MiB, len });

  test('limits the kernel enforces are refused with EINVAL', () => {
    const simple = (n: number) => fileEntry(2 * MiB, { kind: 'simple', extents: Array.from({ length: n }, (_, i) => ext(i)) });
    expect(encodeFmapReply(simple(32), v10).length).toBe(32 + 32 * 24);
    expect(() => encodeFmapReply(simple(33), v10)).toThrow(FmapReplyError);
    expect(errnoOf(() => encodeFmapReply(simple(33), v10))).toBe(Errno.EINVAL);
    expect(errnoOf(() => encodeFmapReply(simple(3), rfc))).toBe(Errno.EINVAL);
    expect(errnoOf(() => encodeFmapReply(simple(0), v10))).toBe(Errno.EINVAL);
    // A reply larger than the kernel's buffer (a profile allowing many extents).
    const wide = { ...v10, maxExtents: 1000 };
    expect(() => encodeFmapReply(simple(200), wide)).toThrow(/exceeds the kernel's 4096-byte buffer/);
    expect(encodeFmapReply(simple(169), wide).length).toBe(32 + 169 * 24);
    // Misaligned, wrong device, too small for the file.
    expect(errnoOf(() => encodeFmapReply(fileEntry(MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 3 * MiB, len: 2 * MiB }] }), v10))).toBe(Errno.EINVAL);
    expect(errnoOf(() => encodeFmapReply(fileEntry(MiB, { kind: 'simple', extents: [{ devIndex: 1, offset: 4 * MiB, len: 2 * MiB }] }), v10))).toBe(Errno.EINVAL);
    expect(errnoOf(() => encodeFmapReply(fileEntry(5 * MiB, { kind: 'simple', extents: [ext(0, 4 * MiB)] }), v10))).toBe(Errno.EINVAL);

    const il = (nstrips: number, chunkSize: number, size = 2 * MiB, stripLen = 4 * MiB): FileEntry =>
      fileEntry(size, { kind: 'interleaved', nstrips, chunkSize, strips: Array.from({ length: nstrips }, (_, i) => ({ devIndex: 0, offset: (100 + 8 * i) * MiB, len: stripLen })) });
    expect(encodeFmapReply(il(32, 2 * MiB), v10).length).toBe(32 + 24 + 32 * 24);
    expect(errnoOf(() => encodeFmapReply(il(33, 2 * MiB), v10))).toBe(Errno.EINVAL);
    expect(errnoOf(() => encodeFmapReply(il(17, 2 * MiB), rfc))).toBe(Errno.EINVAL);
    expect(() => encodeFmapReply(il(2, 3 * MiB), v10)).toThrow(/not a multiple of 2 MiB/);
    expect(() => encodeFmapReply(il(2, 4096 * MiB, 2 * MiB, 4096 * MiB), v10)).toThrow(/u32/);
    expect(encodeFmapReply(il(2, 2048 * MiB, 2 * MiB, 2048 * MiB), v10).readUInt32LE(36)).toBe(2048 * MiB);
    expect(errnoOf(() => encodeFmapReply(il(2, 2 * MiB, 0), v10))).toBe(Errno.EINVAL);
    // 2 strips of 4 MiB with 2 MiB chunks hold 8 MiB; 9 MiB would run past a strip.
    expect(encodeFmapReply(il(2, 2 * MiB, 8 * MiB), v10).length).toBe(104);
    expect(() => encodeFmapReply(il(2, 2 * MiB, 9 * MiB), v10)).toThrow(/hold/);
    const mismatched = il(2, 2 * MiB);
    (mismatched.fmap as { nstrips: number }).nstrips = 3;
    expect(errnoOf(() => encodeFmapReply(mismatched, v10))).toBe(Errno.EINVAL);
  });
});

// ---------------------------------------------------------------------------------------------
// Data path

/** The device offset of every file byte, built by walking the layout in order (no division). */
function naiveMap(fmap: Fmap, size: number): number[] {
  const out: number[] = [];
  if (fmap.kind === 'simple') {
    for (const e of fmap.extents) for (let i = 0; i < e.len && out.length < size; i++) out.push(e.offset + i);
    return out;
  }
  const next = fmap.strips.map(() => 0);
  for (let k = 0; out.length < size; k++) {
    const s = k % fmap.nstrips;
    for (let i = 0; i < fmap.chunkSize && out.length < size; i++) out.push(fmap.strips[s].offset + next[s]++);
  }
  return out;
}

/** A device backed by a Buffer, so the data path can be tested without mmap. */
class BufferDevice implements MappableDevice {
  readonly path = '<buffer>';
  readonly maps: Array<[number, number]> = [];
  constructor(
    readonly mem: Buffer,
    readonly writable = true,
  ) {}
  get size() {
    return this.mem.length;
  }
  map(offset: number, length: number): Buffer {
    this.maps.push([offset, length]);
    return this.mem.subarray(offset, offset + length);
  }
  unmap(): void {}
  invalidate(): void {}
  flush(): void {}
}

const LAYOUTS: Array<[string, Fmap, number]> = [
  [
    'simple, 3 extents',
    {
      kind: 'simple',
      extents: [
        { devIndex: 0, offset: 8192, len: 100 },
        { devIndex: 0, offset: 100, len: 37 },
        { devIndex: 0, offset: 20000, len: 500 },
      ],
    },
    600,
  ],
  [
    'interleaved, 2 strips, chunk 16',
    { kind: 'interleaved', nstrips: 2, chunkSize: 16, strips: [{ devIndex: 0, offset: 4090, len: 64 }, { devIndex: 0, offset: 1000, len: 64 }] },
    120,
  ],
  [
    'interleaved, 3 strips, chunk 32',
    {
      kind: 'interleaved',
      nstrips: 3,
      chunkSize: 32,
      strips: [
        { devIndex: 0, offset: 12000, len: 96 },
        { devIndex: 0, offset: 4000, len: 96 },
        { devIndex: 0, offset: 8180, len: 96 },
      ],
    },
    250,
  ],
];

describe('data path', () => {
  test.each(LAYOUTS)('%s: every range resolves like the byte-by-byte model', (_n, fmap, size) => {
    const model = naiveMap(fmap, size);
    expect(model.length).toBe(size);
    for (let off = 0; off <= size + 3; off += 7) {
      for (const len of [0, 1, 5, 16, 17, 33, 100, 1000]) {
        const got: number[] = [];
        for (const r of resolveRange(fmap, size, off, len)) for (let i = 0; i < r.len; i++) got.push(r.offset + i);
        expect(got).toEqual(model.slice(off, Math.min(size, off + len)));
      }
    }
  });

  test('the fuse-famfs-abi §2.3 worked example (4 strips, 2 MiB chunks)', () => {
    const strips = [0, 1, 2, 3].map((i) => ({ devIndex: 0, offset: (100 + 10 * i) * MiB, len: 6 * MiB }));
    const fmap: Fmap = { kind: 'interleaved', nstrips: 4, chunkSize: 2 * MiB, strips };
    // 15 MiB: chunk 7, strip 3, 3 MiB into the strip.
    expect(resolveRange(fmap, 24 * MiB, 15 * MiB, 1)).toEqual([{ devIndex: 0, offset: strips[3].offset + 3 * MiB, len: 1 }]);
    // 4 MiB: chunk 2, strip 2, offset 0.
    expect(resolveRange(fmap, 24 * MiB, 4 * MiB, 1)).toEqual([{ devIndex: 0, offset: strips[2].offset, len: 1 }]);
  });

  test('a range the fmap does not cover is EIO; a chunk past its strip is EIO', () => {
    const simple: Fmap = { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 10 }] };
    expect(errnoOf(() => resolveRange(simple, 20, 5, 10))).toBe(Errno.EIO);
    const il: Fmap = { kind: 'interleaved', nstrips: 2, chunkSize: 16, strips: [{ devIndex: 0, offset: 0, len: 16 }, { devIndex: 0, offset: 100, len: 16 }] };
    expect(resolveRange(il, 32, 0, 32).length).toBe(2);
    expect(errnoOf(() => resolveRange(il, 40, 30, 10))).toBe(Errno.EIO);
  });

  test.each(LAYOUTS)('%s: read and write through windows match the model, clipped at EOF', (_n, fmap, size) => {
    const mem = Buffer.alloc(6 * 4096);
    for (let i = 0; i < mem.length; i++) mem[i] = (i * 7 + 3) & 0xff;
    const dev = new BufferDevice(mem);
    const dp = new DataPath(dev, { windowSize: 4096 });
    const entry = fileEntry(size, fmap);
    const model = naiveMap(fmap, size);
    const expectRead = (off: number, len: number) => Buffer.from(model.slice(off, Math.min(size, off + len)).map((o) => mem[o]));
    for (const [off, len] of [[0, size], [0, 1], [15, 2], [31, 40], [size - 3, 10], [size, 5], [size + 10, 5], [99, 2]] as const) {
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
    expect(errnoOf(() => dp.write(entry, size, Buffer.from('x')))).toBe(Errno.EFBIG);
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
    expect(errnoOf(() => dp.write(ok, 0, Buffer.from('x')))).toBe(Errno.EROFS);
    const past = fileEntry(10, { kind: 'simple', extents: [{ devIndex: 0, offset: 8190, len: 200 }] });
    expect(errnoOf(() => dp.read(past, 0, 10))).toBe(Errno.EIO);
  });
});

// ---------------------------------------------------------------------------------------------
// Inode table

describe('inode table', () => {
  const attr = (ino: number, dir = false) => makeAttr({ ino, mode: dir ? S_IFDIR | 0o755 : S_IFREG | 0o644 });

  test('lookups count, forgets release, the root stays', () => {
    const t = new InodeTable(attr(2, true), 2);
    expect(t.root.nodeid).toBe(1);
    const a = t.upsert('a', 1, 'dir', 10, () => ({ attr: attr(10, true) }));
    expect(a.nodeid).toBeGreaterThan(1);
    t.ref(a);
    const again = t.upsert('a', 1, 'dir', 10, () => {
      throw new Error('must not rebuild a cached inode');
    });
    expect(again).toBe(a);
    t.ref(again);
    expect(a.nlookup).toBe(2);
    expect(t.forget(a.nodeid, 1)).toBe(false);
    expect(t.get(a.nodeid)).toBe(a);
    expect(t.forget(a.nodeid, 1)).toBe(true);
    expect(t.get(a.nodeid)).toBeUndefined();
    expect(t.atPath('a')).toBeUndefined();
    // A path looked up again gets a new nodeid (never reused).
    const b = t.upsert('a', 1, 'dir', 10, () => ({ attr: attr(10, true) }));
    expect(b.nodeid).toBeGreaterThan(a.nodeid);
    // The root is never forgotten; unknown nodeids are ignored.
    expect(t.forget(1, 100)).toBe(false);
    expect(t.get(1)).toBeDefined();
    expect(t.forget(9999, 1)).toBe(false);
  });

  test('a replaced shadow object gets a new inode; the old one lives until forgotten', () => {
    const t = new InodeTable(attr(2, true), 2);
    const f = t.upsert('f', 1, 'file', 20, () => ({ attr: attr(20) }));
    t.ref(f, 3);
    const g = t.upsert('f', 1, 'file', 21, () => ({ attr: attr(21) }));
    expect(g.nodeid).not.toBe(f.nodeid);
    expect(t.atPath('f')).toBe(g);
    expect(t.get(f.nodeid)).toBe(f);
    expect(t.forget(f.nodeid, 3)).toBe(true);
    expect(t.atPath('f')).toBe(g);
    const d = t.upsert('f', 1, 'dir', 21, () => ({ attr: attr(21, true) }));
    expect(d.nodeid).not.toBe(g.nodeid);
  });

  test('SETATTR overrides apply while referenced and vanish with the inode', () => {
    const t = new InodeTable(attr(2, true), 2);
    const f = t.upsert('f', 1, 'file', 20, () => ({ attr: attr(20) }));
    t.ref(f);
    f.overrides = { mode: 0o600, uid: 7, mtime: [5, 6] };
    const a = t.effectiveAttr(f);
    expect(a.mode).toBe(S_IFREG | 0o600);
    expect([a.uid, a.gid, a.mtime, a.mtimensec]).toEqual([7, 0, 5, 6]);
    expect(f.attr.mode).toBe(S_IFREG | 0o644);
    t.forget(f.nodeid, 1);
    const f2 = t.upsert('f', 1, 'file', 20, () => ({ attr: attr(20) }));
    expect(t.effectiveAttr(f2).mode).toBe(S_IFREG | 0o644);
  });
});
