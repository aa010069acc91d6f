// The one fmap rule (fmapProblem) under each thing known of the device, and the capacity helpers.
import { allocatedBytes, Extent, Fmap, fmapCapacity, fmapProblem, interleavedCapacity } from '../../src/format/fmap';

const MiB = 1024 * 1024;
const ext = (offset: number, len: number, devIndex = 0): Extent => ({ devIndex, offset, len });
const simple = (...extents: Extent[]): Fmap => ({ kind: 'simple', extents });
const striped = (chunkSize: number, ...strips: Extent[]): Fmap => ({
  kind: 'interleaved',
  nstrips: strips.length,
  chunkSize,
  strips,
});

describe('capacity', () => {
  test('simple: the sum of its extents; interleaved: whole chunks of the shortest strip, times the strips', () => {
    expect(fmapCapacity(simple(ext(0, 2 * MiB), ext(8 * MiB, 4 * MiB)))).toBe(6 * MiB);
    const il = striped(2 * MiB, ext(0, 6 * MiB), ext(16 * MiB, 5 * MiB));
    expect(fmapCapacity(il)).toBe(8 * MiB);
    expect(interleavedCapacity(2, 2 * MiB, il.kind === 'interleaved' ? il.strips : [])).toBe(8 * MiB);
    expect(allocatedBytes(il)).toBe(11 * MiB);
  });

  test('no chunk or no strips hold nothing', () => {
    expect(interleavedCapacity(2, 0, [ext(0, MiB)])).toBe(0);
    expect(interleavedCapacity(0, MiB, [])).toBe(0);
  });
});

describe('fmapProblem', () => {
  const geometry = { devSize: 64 * MiB, dataStart: 10 * MiB, allocUnit: 2 * MiB };

  test('a valid map passes with any bounds', () => {
    const f = simple(ext(10 * MiB, 2 * MiB));
    for (const g of [geometry, { devSize: 64 * MiB }, {}]) expect(fmapProblem(f, 2 * MiB, g)).toBeUndefined();
  });

  test('the superblock geometry adds alignment, the data start and the power-of-2 chunk', () => {
    expect(fmapProblem(simple(ext(10 * MiB + 4096, 2 * MiB)), 1, geometry)).toMatch(/not aligned/);
    expect(fmapProblem(simple(ext(10 * MiB + 4096, 2 * MiB)), 1, { devSize: 64 * MiB })).toBeUndefined();
    expect(fmapProblem(simple(ext(0, 2 * MiB)), 1, geometry)).toMatch(/overlaps the superblock or log/);
    expect(fmapProblem(striped(6 * MiB, ext(12 * MiB, 6 * MiB)), 1, geometry)).toMatch(
      /chunk size 6291456 is not a power of 2/,
    );
    expect(fmapProblem(striped(6 * MiB, ext(12 * MiB, 6 * MiB)), 1, {})).toBeUndefined();
  });

  test('the device size alone bounds the extents', () => {
    expect(fmapProblem(simple(ext(62 * MiB, 4 * MiB)), 1, { devSize: 64 * MiB })).toMatch(/runs past the device end/);
    expect(fmapProblem(simple(ext(62 * MiB, 4 * MiB)), 1, {})).toBeUndefined();
  });

  test('structure is checked whatever is known', () => {
    expect(fmapProblem(simple(), 0, {})).toBe('no extents');
    expect(fmapProblem(simple(ext(0, MiB, 1)), 1, {})).toMatch(/device index 1/);
    expect(fmapProblem(simple(ext(0, 0)), 0, {})).toMatch(/length 0/);
    expect(fmapProblem(simple(ext(-4096, MiB)), 1, {})).toMatch(/is not a byte range/);
    expect(fmapProblem(simple(ext(2 ** 60, MiB)), 1, {})).toMatch(/is not a byte range/);
    expect(fmapProblem({ kind: 'interleaved', nstrips: 3, chunkSize: MiB, strips: [ext(0, MiB)] }, 1, {})).toMatch(
      /3 strips lists 1/,
    );
    expect(fmapProblem(striped(0, ext(0, MiB)), 1, {})).toMatch(/chunk size 0 is not a positive integer/);
    expect(fmapProblem(simple(ext(0, MiB)), MiB + 1, {})).toMatch(/file size 1048577 exceeds the 1048576 bytes/);
    expect(fmapProblem(simple(ext(0, MiB)), -1, {})).toMatch(/file size -1 is not a byte count/);
    expect(fmapProblem(simple(ext(0, MiB)), 0.5, {})).toMatch(/is not a byte count/);
  });
});
