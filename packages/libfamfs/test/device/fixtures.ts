// Shared by the device tests: file layouts, a byte-by-byte model of where their bytes are, and a
// device backed by a Buffer so the data path can be tested without mmap.
import { isFamfsError } from '../../src/errors';
import { MappableDevice } from '../../src/device/file-data';
import { Fmap } from '../../src/format/fmap';
import { FileEntry } from '../../src/format/log-entry';

export const MiB = 1 << 20;

export function fileEntry(size: number, fmap: Fmap, p = 'f'): FileEntry {
  return { type: 'file', path: p, size, flags: 2, mode: 0o644, uid: 0, gid: 0, fmap };
}

/** The FamfsError code fn throws, or 'ok'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFamfsError(e)) return e.code;
    throw e;
  }
}

/** The device offset of every file byte, built by walking the layout in order (no division). */
export function naiveMap(fmap: Fmap, size: number): number[] {
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

/** A device backed by a Buffer; it records every map() and unmap(). */
export class BufferDevice implements MappableDevice {
  readonly path = '<buffer>';
  readonly maps: Array<[number, number]> = [];
  unmaps = 0;
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
  unmap(): void {
    this.unmaps++;
  }
  invalidate(): void {}
  flush(): void {}
}

export const LAYOUTS: Array<[string, Fmap, number]> = [
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
    {
      kind: 'interleaved',
      nstrips: 2,
      chunkSize: 16,
      strips: [
        { devIndex: 0, offset: 4090, len: 64 },
        { devIndex: 0, offset: 1000, len: 64 },
      ],
    },
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
