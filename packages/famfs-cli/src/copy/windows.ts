/**
 * File bytes of a famfs device as views of device mappings, for the copy engine.
 *
 * libfamfs' DataPath keeps every 1 GiB window it maps until close(). A recursive copy of many
 * small files walks the whole device (each file takes a 2 MiB unit), so it maps the device
 * window after window. Every mapping is an external ArrayBuffer that V8 accounts for, and
 * creating a large one costs a garbage collection (measured on Node 20: a 2 MiB mapping costs
 * 26 us, a 32 MiB one 0.36 ms, a 1 GiB one 3.7 ms in a small heap, more in a large one). So:
 * - windows are 1 GiB, and `trim()` (after each chunk and between files) unmaps all but the
 *   two most recently used ones, so what stays mapped is bounded;
 * - small writes to a file-backed device skip the mapping altogether: pwrite(2) on the device
 *   file reaches the same page-cache pages the mapping (and the daemon's mapping) sees. Memory
 *   devices (devdax, pmem) always go through the mapping and the CPU cache flush.
 *
 * Views handed out stay valid until the next trim() or close().
 */
import * as fs from 'fs';
import { Device, FamfsError, FileEntry, resolveRange } from '@famfs/libfamfs/internal';

export const WINDOW_SIZE = 1024 * 1024 * 1024;
/** Windows kept mapped across trim(): the current one and the one before it. */
const KEEP = 2;
/** Writes up to this size to a file-backed device use pwrite. */
export const PWRITE_MAX = 1024 * 1024;

export type WindowDevice = Pick<Device, 'map' | 'unmap' | 'size' | 'path' | 'flush' | 'invalidate' | 'fd' | 'kind' | 'cacheMaintenance'>;

export class DeviceWindows {
  /** Mapped windows by index, in least- to most-recently used order. */
  private readonly windows = new Map<number, Buffer>();

  constructor(
    readonly device: WindowDevice,
    private readonly windowSize = WINDOW_SIZE,
  ) {
    this.pwrite = device.kind === 'file' && !device.cacheMaintenance;
  }

  /** Small writes go through pwrite(2) (a file-backed device needs no cache maintenance). */
  private readonly pwrite: boolean;

  private window(index: number): Buffer {
    let w = this.windows.get(index);
    if (w) {
      this.windows.delete(index); // re-insert as most recently used
    } else {
      const start = index * this.windowSize;
      const len = Math.min(this.windowSize, this.device.size - start);
      if (len <= 0) throw new FamfsError('EIO', `window ${index} is beyond the end of ${this.device.path}`);
      w = this.device.map(start, len);
    }
    this.windows.set(index, w);
    return w;
  }

  /**
   * Views of file bytes [offset, offset + len) clipped at EOF, in file order. `fresh` invalidates
   * the CPU cache first (before reading bytes another host may have written; not needed for
   * bytes about to be overwritten).
   */
  views(entry: FileEntry, offset: number, len: number, fresh: boolean): Buffer[] {
    if (offset >= entry.size || len <= 0) return [];
    const out: Buffer[] = [];
    for (const r of resolveRange(entry.fmap, entry.size, offset, len)) {
      if (r.devIndex !== 0) throw new FamfsError('EIO', `device index ${r.devIndex} is not served (only 0)`);
      if (r.offset + r.len > this.device.size) throw new FamfsError('EIO', `device range ${r.offset}+${r.len} is past the end of ${this.device.path}`);
      for (let off = r.offset, left = r.len; left > 0; ) {
        const wi = Math.floor(off / this.windowSize);
        const w = this.window(wi);
        const at = off - wi * this.windowSize;
        const n = Math.min(left, w.length - at);
        if (fresh) this.device.invalidate(w, at, n);
        out.push(w.subarray(at, at + n));
        off += n;
        left -= n;
      }
    }
    return out;
  }

  /** After writing into a view: push the bytes out of the CPU cache (memory devices only). */
  flush(view: Buffer, at = 0, len = view.length - at): void {
    this.device.flush(view, at, len);
  }

  /** Copies `data` into the file at `offset` (clipped at EOF) and flushes it. */
  write(entry: FileEntry, offset: number, data: Buffer): number {
    if (this.pwrite && data.length <= PWRITE_MAX) return this.pwriteRanges(entry, offset, data);
    let src = 0;
    for (const v of this.views(entry, offset, data.length, false)) {
      data.copy(v, 0, src, src + v.length);
      this.flush(v);
      src += v.length;
    }
    return src;
  }

  private pwriteRanges(entry: FileEntry, offset: number, data: Buffer): number {
    let src = 0;
    for (const r of resolveRange(entry.fmap, entry.size, offset, data.length)) {
      if (r.devIndex !== 0 || r.offset + r.len > this.device.size) throw new FamfsError('EIO', `device range ${r.offset}+${r.len} is not on ${this.device.path}`);
      for (let done = 0; done < r.len; ) done += fs.writeSync(this.device.fd, data, src + done, r.len - done, r.offset + done);
      src += r.len;
    }
    return src;
  }

  /** Unmaps all windows but the most recently used ones (views of them become invalid). */
  trim(keep = KEEP): void {
    let extra = this.windows.size - keep;
    for (const [i, w] of this.windows) {
      if (extra-- <= 0) break;
      this.windows.delete(i);
      this.device.unmap(w);
    }
  }

  get mapped(): number {
    return this.windows.size;
  }

  close(): void {
    this.trim(0);
  }
}
