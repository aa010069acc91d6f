/**
 * File data on the device, through mmap: what the daemon's stock-kernel READ/WRITE path serves
 * and what the CLI writes and verifies (cp, creat -r, verify) without a round trip through FUSE.
 *
 * A file byte range is resolved to device ranges exactly as the famfs kernel does it
 * (fuse-famfs-abi §2.2 for simple extents, §2.3 for interleaved ones: chunk k lives in strip
 * k % nstrips at strip offset floor(k / nstrips) * chunk_size), then each device range is served
 * from a lazily mapped window of the device (1 GiB-aligned by default, cached until close()).
 *
 * Rules:
 * - Nothing ever grows a file: reads and writes are clipped at the file size.
 * - A read at or past EOF returns no data.
 * - A write that starts at or past EOF (with data) fails with EFBIG: returning 0 would make
 *   write(2) report 0 bytes, which callers retry forever. A write that crosses EOF is short.
 * - A range that the fmap does not cover, or that lies outside the device, is EIO.
 * - CPU cache maintenance runs only on real memory devices (devdax, pmem): invalidate before
 *   reading, flush after writing. A regular file is coherent through the page cache.
 */
import { Device } from './device';
import { FamfsError } from '../errors';
import { Fmap } from '../format/fmap';
import { FileEntry } from '../format/log-entry';

/** One contiguous piece of a file range on the device. */
export interface DeviceRange {
  /** Device index (only 0 exists today). */
  devIndex: number;
  /** Byte offset on the device. */
  offset: number;
  len: number;
}

/** Default window: 1 GiB, well under the 4 GiB Buffer limit. */
export const DEFAULT_WINDOW_SIZE = 1 << 30;

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
  if (nstrips < 1 || strips.length !== nstrips || !(chunkSize > 0)) eio(`bad interleave geometry (${nstrips} strips, chunk ${chunkSize})`);
  while (pos < end) {
    const chunk = Math.floor(pos / chunkSize);
    const inChunk = pos - chunk * chunkSize;
    const strip = strips[chunk % nstrips];
    const stripOffset = Math.floor(chunk / nstrips) * chunkSize + inChunk;
    const n = Math.min(end - pos, chunkSize - inChunk);
    if (stripOffset + n > strip.len) eio(`file offset ${pos} maps past the end of strip ${chunk % nstrips} (${strip.len} bytes)`);
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

export interface DataPathOptions {
  /** Window size in bytes (a multiple of the page size; default 1 GiB). */
  windowSize?: number;
}

/** Something with a file descriptor we can map: a libfamfs Device. */
export type MappableDevice = Pick<Device, 'map' | 'unmap' | 'size' | 'writable' | 'invalidate' | 'flush' | 'path'>;

export class DataPath {
  private readonly windows = new Map<number, Buffer>();
  private readonly windowSize: number;

  constructor(
    readonly device: MappableDevice,
    options: DataPathOptions = {},
  ) {
    this.windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
    if (!Number.isSafeInteger(this.windowSize) || this.windowSize <= 0 || this.windowSize % 4096 !== 0) {
      throw new RangeError(`window size ${this.windowSize} is not a positive multiple of 4096`);
    }
  }

  /** Number of windows mapped so far (for tests and stats). */
  get mappedWindows(): number {
    return this.windows.size;
  }

  private window(index: number): Buffer {
    let w = this.windows.get(index);
    if (!w) {
      const start = index * this.windowSize;
      const len = Math.min(this.windowSize, this.device.size - start);
      if (len <= 0) eio(`window ${index} is beyond the device`);
      w = this.device.map(start, len);
      this.windows.set(index, w);
    }
    return w;
  }

  /** Calls fn for each window piece of device range r: (window buffer, offset in it, length). */
  private pieces(r: DeviceRange, fn: (buf: Buffer, at: number, len: number) => void): void {
    if (r.devIndex !== 0) eio(`device index ${r.devIndex} is not served (only 0)`);
    if (r.offset + r.len > this.device.size) eio(`device range ${r.offset}+${r.len} is past the end of ${this.device.path} (${this.device.size} bytes)`);
    let off = r.offset;
    let left = r.len;
    while (left > 0) {
      const wi = Math.floor(off / this.windowSize);
      const at = off - wi * this.windowSize;
      const buf = this.window(wi);
      const n = Math.min(left, buf.length - at);
      fn(buf, at, n);
      off += n;
      left -= n;
    }
  }

  /** File bytes [offset, offset + size) clipped at EOF, as views of the mappings (no copy). */
  read(entry: FileEntry, offset: number, size: number): Buffer[] {
    if (offset >= entry.size || size <= 0) return [];
    const out: Buffer[] = [];
    for (const r of resolveRange(entry.fmap, entry.size, offset, size)) {
      this.pieces(r, (buf, at, n) => {
        this.device.invalidate(buf, at, n);
        out.push(buf.subarray(at, at + n));
      });
    }
    return out;
  }

  /** Copies data into the file at offset, clipped at EOF; returns the bytes written. */
  write(entry: FileEntry, offset: number, data: Buffer): number {
    if (data.length === 0) return 0;
    if (!this.device.writable) throw new FamfsError('EROFS', `${this.device.path} is open read-only`);
    if (offset >= entry.size) throw new FamfsError('EFBIG', `write at ${offset} is at or past the end of ${entry.path} (${entry.size} bytes); famfs files never grow`);
    let src = 0;
    for (const r of resolveRange(entry.fmap, entry.size, offset, data.length)) {
      this.pieces(r, (buf, at, n) => {
        data.copy(buf, at, src, src + n);
        this.device.flush(buf, at, n);
        src += n;
      });
    }
    return src;
  }

  /**
   * Lets `fill` write file bytes [offset, offset + size) in place, one mapping view at a time in
   * file order (no intermediate buffer), then flushes them. Clipped at EOF; returns the bytes given.
   */
  writeInPlace(entry: FileEntry, offset: number, size: number, fill: (view: Buffer) => void): number {
    if (size <= 0 || offset >= entry.size) return 0;
    if (!this.device.writable) throw new FamfsError('EROFS', `${this.device.path} is open read-only`);
    let done = 0;
    for (const r of resolveRange(entry.fmap, entry.size, offset, size)) {
      this.pieces(r, (buf, at, n) => {
        const view = buf.subarray(at, at + n);
        fill(view);
        this.device.flush(buf, at, n);
        done += n;
      });
    }
    return done;
  }

  /** Unmaps every window. */
  close(): void {
    for (const w of this.windows.values()) {
      try {
        this.device.unmap(w);
      } catch {
        // already unmapped by the device's close()
      }
    }
    this.windows.clear();
  }
}
