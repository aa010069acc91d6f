/**
 * File data on the device, through mmap: what the daemon's stock-kernel READ/WRITE path serves
 * and what the CLI writes, copies and verifies (cp, creat -r, verify) without a round trip
 * through FUSE. File ranges become device ranges with resolveRange (file-ranges.ts); each device
 * range is served from a lazily mapped window of the device (1 GiB-aligned by default).
 *
 * Rules:
 * - Nothing ever grows a file: reads and writes are clipped at the file size.
 * - A read at or past EOF returns no data.
 * - A write that starts at or past EOF (with data) fails with EFBIG: returning 0 would make
 *   write(2) report 0 bytes, which callers retry forever. A write that crosses EOF is short.
 * - A range that the fmap does not cover, or that lies outside the device, is EIO.
 * - CPU cache maintenance runs only on real memory devices (devdax, pmem): invalidate before
 *   reading, flush after writing. A regular file is coherent through the page cache.
 *
 * Window policy (DataPathOptions.windows). Every mapping is an external ArrayBuffer that V8
 * accounts for, and creating a large one costs a garbage collection (measured on Node 20: a
 * 2 MiB mapping 26 us, a 32 MiB one 0.36 ms, a 1 GiB one 3.7 ms in a small heap, more in a large
 * one), so a window is mapped once and kept. Which ones are kept:
 * - 'all' (the default): every window until close(). Right for a daemon serving a device's
 *   files over and over: the set of windows is bounded by the device size.
 * - { lru: n }: trim() unmaps all but the n most recently used. Right for a walk over the whole
 *   device (cp -r of many small files maps window after window) that would otherwise end up
 *   mapping everything. Views handed out stay valid until the next trim() or close().
 *
 * pwrite fast path (DataPathOptions.pwriteMax): small writes to a file-backed device skip the
 * mapping altogether. pwrite(2) on the device file reaches the same page-cache pages every mapping
 * of it sees, and touches no window. Memory devices (devdax, pmem) always go through the mapping
 * and the CPU cache flush.
 */
import * as fs from 'fs';
import { Device } from './device';
import { DeviceRange, resolveRange } from './file-ranges';
import { FamfsError } from '../errors';
import { FileEntry } from '../format/log-entry';

/** Default window: 1 GiB, well under the 4 GiB Buffer limit. */
export const DEFAULT_WINDOW_SIZE = 1 << 30;

/** Which windows stay mapped: see the module comment. */
export type WindowPolicy = 'all' | { lru: number };

export interface DataPathOptions {
  /** Window size in bytes (a multiple of the page size; default 1 GiB). */
  windowSize?: number;
  /** Default 'all'. */
  windows?: WindowPolicy;
  /**
   * write() calls of at most this many bytes use pwrite(2) when the device is a regular file
   * needing no cache maintenance. Default 0: never.
   */
  pwriteMax?: number;
}

/**
 * What DataPath needs of a device: a libfamfs Device, or a stand-in for tests. The pwrite fast
 * path needs `fd`, `kind` and `cacheMaintenance` as well, and is off without them.
 */
export type MappableDevice = Pick<Device, 'map' | 'unmap' | 'size' | 'writable' | 'invalidate' | 'flush' | 'path'> &
  Partial<Pick<Device, 'fd' | 'kind' | 'cacheMaintenance'>>;

const eio = (why: string): never => {
  throw new FamfsError('EIO', why);
};

export class DataPath {
  /** Mapped windows by index; with an LRU policy, in least- to most-recently used order. */
  private readonly windows = new Map<number, Buffer>();
  private readonly windowSize: number;
  /** Windows kept by trim(); undefined: all of them. */
  private readonly keep: number | undefined;
  /** The largest write() that goes through pwrite (0: none). */
  private readonly pwriteMax: number;

  constructor(
    readonly device: MappableDevice,
    options: DataPathOptions = {},
  ) {
    this.windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
    if (!Number.isSafeInteger(this.windowSize) || this.windowSize <= 0 || this.windowSize % 4096 !== 0) {
      throw new RangeError(`window size ${this.windowSize} is not a positive multiple of 4096`);
    }
    const policy = options.windows ?? 'all';
    if (policy !== 'all' && !(Number.isSafeInteger(policy.lru) && policy.lru >= 0))
      throw new RangeError(`window policy lru ${policy.lru}: not a count`);
    this.keep = policy === 'all' ? undefined : policy.lru;
    const pwriteOk = device.kind === 'file' && device.cacheMaintenance === false && device.fd !== undefined;
    this.pwriteMax = pwriteOk ? (options.pwriteMax ?? 0) : 0;
  }

  /** Number of windows mapped now (for tests and stats). */
  get mappedWindows(): number {
    return this.windows.size;
  }

  private window(index: number): Buffer {
    let w = this.windows.get(index);
    if (w) {
      // Most recently used goes last; with 'all' the order does not matter.
      if (this.keep !== undefined) {
        this.windows.delete(index);
        this.windows.set(index, w);
      }
      return w;
    }
    const start = index * this.windowSize;
    const len = Math.min(this.windowSize, this.device.size - start);
    if (len <= 0) eio(`window ${index} is beyond the end of ${this.device.path}`);
    w = this.device.map(start, len);
    this.windows.set(index, w);
    return w;
  }

  private checkRange(r: DeviceRange): void {
    if (r.devIndex !== 0) eio(`device index ${r.devIndex} is not served (only 0)`);
    if (r.offset + r.len > this.device.size)
      eio(`device range ${r.offset}+${r.len} is past the end of ${this.device.path} (${this.device.size} bytes)`);
  }

  /** Calls fn for each window piece of device range r: (window buffer, offset in it, length). */
  private pieces(r: DeviceRange, fn: (buf: Buffer, at: number, len: number) => void): void {
    this.checkRange(r);
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

  /**
   * File bytes [offset, offset + size) clipped at EOF, as views of the mappings (no copy), in
   * file order. `fresh` (default) invalidates the CPU cache first, before reading bytes another
   * host may have written; bytes about to be overwritten do not need it. A caller writing into a
   * view flushes it afterwards (flush()) and must have opened the device writable.
   */
  views(entry: FileEntry, offset: number, size: number, fresh = true): Buffer[] {
    if (offset >= entry.size || size <= 0) return [];
    const out: Buffer[] = [];
    for (const r of resolveRange(entry.fmap, entry.size, offset, size)) {
      this.pieces(r, (buf, at, n) => {
        if (fresh) this.device.invalidate(buf, at, n);
        out.push(buf.subarray(at, at + n));
      });
    }
    return out;
  }

  /** File bytes [offset, offset + size) clipped at EOF, read fresh (views of the mappings). */
  read(entry: FileEntry, offset: number, size: number): Buffer[] {
    return this.views(entry, offset, size, true);
  }

  /** After writing into a view: push the bytes out of the CPU cache (memory devices only). */
  flush(view: Buffer, at = 0, len = view.length - at): void {
    this.device.flush(view, at, len);
  }

  /**
   * For a writer that moves small files' bytes itself with pwrite(2) (famfs cp's batches, on the
   * addon's thread): the device's descriptor when a write of `size` bytes takes the pwrite path
   * here (a regular file needing no cache maintenance), else undefined.
   */
  pwriteFd(size: number): number | undefined {
    return size <= this.pwriteMax && this.device.writable ? this.device.fd : undefined;
  }

  /** The device ranges holding all of `entry`'s bytes, in file order, checked against the device (EIO). */
  deviceRanges(entry: FileEntry): DeviceRange[] {
    const ranges = resolveRange(entry.fmap, entry.size, 0, entry.size);
    for (const r of ranges) this.checkRange(r);
    return ranges;
  }

  /** Copies data into the file at offset, clipped at EOF; returns the bytes written. */
  write(entry: FileEntry, offset: number, data: Buffer): number {
    if (data.length === 0) return 0;
    if (!this.device.writable) throw new FamfsError('EROFS', `${this.device.path} is open read-only`);
    if (offset >= entry.size)
      throw new FamfsError(
        'EFBIG',
        `write at ${offset} is at or past the end of ${entry.path} (${entry.size} bytes); famfs files never grow`,
      );
    if (data.length <= this.pwriteMax) return this.pwrite(entry, offset, data);
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

  private pwrite(entry: FileEntry, offset: number, data: Buffer): number {
    const fd = this.device.fd!;
    let src = 0;
    for (const r of resolveRange(entry.fmap, entry.size, offset, data.length)) {
      this.checkRange(r);
      for (let done = 0; done < r.len;) done += fs.writeSync(fd, data, src + done, r.len - done, r.offset + done);
      src += r.len;
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

  /**
   * With an LRU policy, unmaps all windows but the most recently used ones (views of them become
   * invalid); with 'all', nothing.
   */
  trim(): void {
    if (this.keep !== undefined) this.unmapOldest(this.windows.size - this.keep);
  }

  /** Unmaps every window. */
  close(): void {
    this.unmapOldest(this.windows.size);
  }

  private unmapOldest(count: number): void {
    for (const [i, w] of this.windows) {
      if (count-- <= 0) break;
      this.windows.delete(i);
      try {
        this.device.unmap(w);
      } catch {
        // already unmapped by the device's close()
      }
    }
  }
}
