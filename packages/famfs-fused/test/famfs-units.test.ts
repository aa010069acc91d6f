/**
 * Unit tests of the famfs file system's pieces: GET_FMAP / GET_DAXDEV reply bytes and the limits
 * the kernel would enforce, and the inode table's lookup counts. (libfamfs' data path has its
 * tests in packages/libfamfs/test/device.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { parseShadowYaml } from '@famfs/libfamfs/shadow';
import type { Extent, FileEntry, Fmap } from '@famfs/libfamfs/format';
import { encodeFmapReply, FmapReplyError } from '../src/famfs/fmap-reply';
import { isFamfsError } from '@famfs/libfamfs';
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
    const blob = encodeFmapReply(
      fileEntry(4 * MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 64 * MiB, len: 4 * MiB }] }),
      v10,
    );
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
    const simple = (n: number) =>
      fileEntry(2 * MiB, { kind: 'simple', extents: Array.from({ length: n }, (_, i) => ext(i)) });
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
    expect(
      errnoOf(() =>
        encodeFmapReply(
          fileEntry(MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 3 * MiB, len: 2 * MiB }] }),
          v10,
        ),
      ),
    ).toBe(Errno.EINVAL);
    expect(
      errnoOf(() =>
        encodeFmapReply(
          fileEntry(MiB, { kind: 'simple', extents: [{ devIndex: 1, offset: 4 * MiB, len: 2 * MiB }] }),
          v10,
        ),
      ),
    ).toBe(Errno.EINVAL);
    expect(
      errnoOf(() => encodeFmapReply(fileEntry(5 * MiB, { kind: 'simple', extents: [ext(0, 4 * MiB)] }), v10)),
    ).toBe(Errno.EINVAL);

    const il = (nstrips: number, chunkSize: number, size = 2 * MiB, stripLen = 4 * MiB): FileEntry =>
      fileEntry(size, {
        kind: 'interleaved',
        nstrips,
        chunkSize,
        strips: Array.from({ length: nstrips }, (_, i) => ({
          devIndex: 0,
          offset: (100 + 8 * i) * MiB,
          len: stripLen,
        })),
      });
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
