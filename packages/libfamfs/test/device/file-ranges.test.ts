// resolveRange: file ranges to device ranges, against a byte-by-byte model of each layout.
import { resolveRange } from '../../src/device/file-ranges';
import { Fmap } from '../../src/format/fmap';
import { codeOf, LAYOUTS, MiB, naiveMap } from './fixtures';

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
  expect(resolveRange(fmap, 24 * MiB, 15 * MiB, 1)).toEqual([
    { devIndex: 0, offset: strips[3].offset + 3 * MiB, len: 1 },
  ]);
  // 4 MiB: chunk 2, strip 2, offset 0.
  expect(resolveRange(fmap, 24 * MiB, 4 * MiB, 1)).toEqual([{ devIndex: 0, offset: strips[2].offset, len: 1 }]);
});

test('a range the fmap does not cover is EIO; a chunk past its strip is EIO', () => {
  const simple: Fmap = { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 10 }] };
  expect(codeOf(() => resolveRange(simple, 20, 5, 10))).toBe('EIO');
  const il: Fmap = {
    kind: 'interleaved',
    nstrips: 2,
    chunkSize: 16,
    strips: [
      { devIndex: 0, offset: 0, len: 16 },
      { devIndex: 0, offset: 100, len: 16 },
    ],
  };
  expect(resolveRange(il, 32, 0, 32).length).toBe(2);
  expect(codeOf(() => resolveRange(il, 40, 30, 10))).toBe('EIO');
});
