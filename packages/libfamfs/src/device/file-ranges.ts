/**
 * Where file bytes are on the device: a file byte range resolved to device ranges exactly as the
 * famfs kernel does it (fuse-famfs-abi §2.2 for simple extents, §2.3 for interleaved ones: chunk k
 * lives in strip k % nstrips at strip offset floor(k / nstrips) * chunk_size). Pure arithmetic,
 * no I/O; DataPath (file-data.ts) maps and moves the bytes.
 */
import { FamfsError } from '../errors';
import { Fmap } from '../format/fmap';

/** One contiguous piece of a file range on the device. */
export interface DeviceRange {
  /** Device index (only 0 exists today). */
  devIndex: number;
  /** Byte offset on the device. */
  offset: number;
  len: number;
}

const eio = (why: string): never => {
  throw new FamfsError('EIO', why);
};

/**
 * The device ranges holding file bytes [offset, offset + len), clipped at `fileSize`, in file
 * order. Pure arithmetic, no I/O. Throws EIO when the fmap does not cover the range.
 */
export function resolveRange(fmap: Fmap, fileSize: number, offset: number, len: number): DeviceRange[] {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(len) || len < 0) {
    throw new FamfsError('EINVAL', `invalid file range ${offset}+${len}`);
  }
  const end = Math.min(fileSize, offset + len);
  const out: DeviceRange[] = [];
  let pos = offset;
  if (fmap.kind === 'simple') {
    let base = 0;
    for (const e of fmap.extents) {
      if (pos >= end) break;
      const eEnd = base + e.len;
      if (pos < eEnd) {
        const n = Math.min(end, eEnd) - pos;
        push(out, { devIndex: e.devIndex, offset: e.offset + (pos - base), len: n });
        pos += n;
      }
      base = eEnd;
    }
    if (pos < end) eio(`file offset ${pos} is beyond the extents (${base} bytes)`);
    return out;
  }
  const { nstrips, chunkSize, strips } = fmap;
  if (nstrips < 1 || strips.length !== nstrips || !(chunkSize > 0))
    eio(`bad interleave geometry (${nstrips} strips, chunk ${chunkSize})`);
  while (pos < end) {
    const chunk = Math.floor(pos / chunkSize);
    const inChunk = pos - chunk * chunkSize;
    const strip = strips[chunk % nstrips];
    const stripOffset = Math.floor(chunk / nstrips) * chunkSize + inChunk;
    const n = Math.min(end - pos, chunkSize - inChunk);
    if (stripOffset + n > strip.len)
      eio(`file offset ${pos} maps past the end of strip ${chunk % nstrips} (${strip.len} bytes)`);
    push(out, { devIndex: strip.devIndex, offset: strip.offset + stripOffset, len: n });
    pos += n;
  }
  return out;
}

/** Appends a range, merging it with the previous one when they are contiguous on the device. */
function push(out: DeviceRange[], r: DeviceRange): void {
  const last = out[out.length - 1];
  if (last && last.devIndex === r.devIndex && last.offset + last.len === r.offset) last.len += r.len;
  else out.push(r);
}
