/**
 * Moving file bytes for `famfs cp`: from a source file descriptor (or another famfs file of the
 * same device) into a famfs file through the device mapping, and comparing the two.
 *
 * The default path reads the source straight into views of the device mapping: one copy
 * (kernel page cache -> device memory) instead of two (page cache -> buffer -> device). Then
 * the written range is flushed from the CPU cache (a no-op for a file-backed device). A small
 * file is read whole, with one extra byte asked for, in a single pread into a scratch buffer:
 * that one call also proves the source ends where its size said. bench/cp/run.js (part 3)
 * measures these paths against the buffered one (`copyFdBuffered`).
 *
 * The device is reached through a libfamfs DataPath with COPY_DATA_PATH's policy: a copy walks
 * the device window after window, so only the two most recently used windows stay mapped across
 * trim() (called after each chunk and between files), and small writes to a file-backed device
 * take the pwrite path (DataPath's module comment says why each matters).
 */
import * as fs from 'fs';
import { FileEntry } from '@famfs/libfamfs/format';
import { DataPath, DataPathOptions } from '@famfs/libfamfs/device';

/** How the copy engine maps the device: two windows kept across trim(), pwrite for writes up to 1 MiB. */
export const COPY_DATA_PATH: DataPathOptions = { windows: { lru: 2 }, pwriteMax: 1024 * 1024 };

/** Bytes of the file handled per step: large enough that syscall costs vanish, small enough to report progress often. */
export const COPY_CHUNK = 64 * 1024 * 1024;

/** The source no longer has the size it had when its famfs file was created. */
export class SourceChanged extends Error {}

/** Progress callback: bytes done since the last call. */
export type OnBytes = (n: number) => void;

/** pread until `len` bytes are in `buf[at, at + len)`; returns the bytes read (short only at EOF). */
function preadFull(fd: number, buf: Buffer, at: number, len: number, position: number): number {
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, at + got, len - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

const probe = Buffer.alloc(1);

/** Throws SourceChanged unless the source still ends exactly at `size`. */
function checkEof(fd: number, size: number): void {
  if (fs.readSync(fd, probe, 0, 1, size) !== 0)
    throw new SourceChanged(
      `the source grew beyond ${size} bytes while it was copied (only the first ${size} bytes were copied)`,
    );
}

function shrank(size: number, at: number): never {
  throw new SourceChanged(`the source shrank while it was copied: it ended at ${at} of ${size} bytes`);
}

/** Files up to this size go through the scratch buffer in one pread. */
export const SMALL_FILE = 256 * 1024;

/** A scratch buffer for copyFdDirect's small files (SMALL_FILE + 1 bytes). */
export function smallFileBuffer(): Buffer {
  return Buffer.allocUnsafe(SMALL_FILE + 1);
}

/** Copies `size` bytes of `fd` into `entry`, reading straight into the device mapping. */
export function copyFdDirect(
  data: DataPath,
  entry: FileEntry,
  fd: number,
  size: number,
  onBytes?: OnBytes,
  chunk = COPY_CHUNK,
  scratch?: Buffer,
): void {
  if (scratch && size < scratch.length) {
    // One pread normally: it returns `size` bytes, short of the size + 1 asked, at EOF.
    let got = fs.readSync(fd, scratch, 0, size + 1, 0);
    while (got < size) {
      const n = fs.readSync(fd, scratch, got, size + 1 - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got < size) shrank(size, got);
    if (got > size) throw new SourceChanged(`the source grew beyond ${size} bytes while it was copied`);
    data.write(entry, 0, scratch.subarray(0, size));
    onBytes?.(size);
    return;
  }
  for (let off = 0; off < size;) {
    const n = Math.min(chunk, size - off);
    let at = off;
    for (const view of data.views(entry, off, n, false)) {
      const got = preadFull(fd, view, 0, view.length, at);
      data.flush(view, 0, got);
      if (got < view.length) shrank(size, at + got);
      at += got;
    }
    data.trim();
    off += n;
    onBytes?.(n);
  }
  checkEof(fd, size);
}

/** Same result as copyFdDirect, through a reused buffer and `DataPath.write`. */
export function copyFdBuffered(
  data: DataPath,
  entry: FileEntry,
  fd: number,
  size: number,
  buf: Buffer,
  onBytes?: OnBytes,
): void {
  for (let off = 0; off < size;) {
    const n = Math.min(buf.length, size - off);
    const got = preadFull(fd, buf, 0, n, off);
    if (got > 0) data.write(entry, off, buf.subarray(0, got));
    data.trim();
    if (got < n) shrank(size, off + got);
    off += n;
    onBytes?.(n);
  }
  checkEof(fd, size);
}

/** Calls fn on matching pieces of two lists of views that cover the same number of bytes. */
function zipViews(a: Buffer[], b: Buffer[], fn: (x: Buffer, y: Buffer) => boolean | void): boolean {
  let i = 0;
  let j = 0;
  let ai = 0;
  let bj = 0;
  while (i < a.length && j < b.length) {
    const n = Math.min(a[i].length - ai, b[j].length - bj);
    if (fn(a[i].subarray(ai, ai + n), b[j].subarray(bj, bj + n)) === false) return false;
    ai += n;
    bj += n;
    if (ai === a[i].length) {
      i++;
      ai = 0;
    }
    if (bj === b[j].length) {
      j++;
      bj = 0;
    }
  }
  return true;
}

/** Copies famfs file `src` into famfs file `dst` of the same size, mapping to mapping. */
export function copyEntry(data: DataPath, src: FileEntry, dst: FileEntry, onBytes?: OnBytes, chunk = COPY_CHUNK): void {
  for (let off = 0; off < dst.size;) {
    const n = Math.min(chunk, dst.size - off);
    zipViews(data.views(src, off, n, true), data.views(dst, off, n, false), (s, d) => {
      s.copy(d);
      data.flush(d);
    });
    data.trim();
    off += n;
    onBytes?.(n);
  }
}

/** Offset of the first differing byte of two equal-length buffers (they are known to differ). */
function firstDifference(a: Buffer, b: Buffer): number {
  let lo = 0;
  let hi = a.length;
  // Narrow down by halves with memcmp, then finish byte by byte.
  while (hi - lo > 64) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (a.compare(b, lo, mid, lo, mid) !== 0) hi = mid;
    else lo = mid;
  }
  for (let k = lo; k < hi; k++) if (a[k] !== b[k]) return k;
  return hi;
}

/**
 * Compares `size` bytes of `fd` with famfs file `entry`; returns the file offset of the first
 * difference, or -1 when they are equal (a source of another length differs where it ends).
 */
export function compareFd(
  data: DataPath,
  entry: FileEntry,
  fd: number,
  size: number,
  buf: Buffer,
  onBytes?: OnBytes,
): number {
  if (entry.size !== size) return Math.min(entry.size, size);
  for (let off = 0; off < size;) {
    const n = Math.min(buf.length, size - off);
    const got = preadFull(fd, buf, 0, n, off);
    if (got < n) return off + got;
    let at = off;
    let diff = -1;
    for (const view of data.views(entry, off, n, true)) {
      const mine = buf.subarray(at - off, at - off + view.length);
      if (!mine.equals(view)) {
        diff = at + firstDifference(mine, view);
        break;
      }
      at += view.length;
    }
    data.trim();
    if (diff >= 0) return diff;
    off += n;
    onBytes?.(n);
  }
  return fs.readSync(fd, probe, 0, 1, size) !== 0 ? size : -1;
}

/** Compares two famfs files of the device; -1 when equal, else the first differing offset. */
export function compareEntry(
  data: DataPath,
  a: FileEntry,
  b: FileEntry,
  onBytes?: OnBytes,
  chunk = COPY_CHUNK,
): number {
  if (a.size !== b.size) return Math.min(a.size, b.size);
  for (let off = 0; off < a.size;) {
    const n = Math.min(chunk, a.size - off);
    let at = off;
    let diff = -1;
    zipViews(data.views(a, off, n, true), data.views(b, off, n, true), (x, y) => {
      if (!x.equals(y)) {
        diff = at + firstDifference(x, y);
        return false;
      }
      at += x.length;
    });
    data.trim();
    if (diff >= 0) return diff;
    off += n;
    onBytes?.(n);
  }
  return -1;
}
