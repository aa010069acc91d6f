import * as fs from 'fs';
import { prefault } from '@famfs/native';
import { LOG_OFFSET } from '../format/constants';
import { Device } from '../device/device';
import { LARGE_ARRAY_BYTES, scratchBuffer } from '../large-arrays';

const PAGE = 4096;
/** Default bytes per window: small enough to stay in cache, large enough that calls are few. */
export const LOG_WINDOW_BYTES = 4 << 20;

/**
 * The bytes of a log, a window at a time, for one pass over a whole log (fsck) that must neither
 * map nor hold the whole log: its memory stays two windows however large the log. A window
 * starts at a page boundary of the log; its Buffer stays valid through the next call (so the next
 * window can be read while this one is checked: entry-windows.ts) and is reused by the call after
 * that. Its memory is 4-byte aligned so a Uint32Array can view it.
 */
export interface LogWindows {
  /** Bytes [start, start + len) of the log (start a multiple of 4096). */
  window(start: number, len: number): Buffer;
  /**
   * For a log in a regular file: the buffer window(start, len) would fill (taking its turn as
   * window() does) and where its bytes are, left unread for a caller that reads them on another
   * thread (entry-windows.ts). Absent for memory and mappings, which need no read.
   */
  unread?(start: number, len: number): { buf: Buffer; fd: number; position: number };
  close(): void;
}

/** A log already in memory (read through a mount, or mapped whole by the caller). */
export function memoryWindows(log: Buffer): LogWindows {
  const scratch: (Buffer | undefined)[] = [undefined, undefined];
  let turn = 0;
  return {
    window(start, len) {
      const w = log.subarray(start, start + len);
      if (w.byteOffset % 4 === 0) return w;
      turn ^= 1;
      let s = scratch[turn];
      if (!s || s.length < len) s = scratch[turn] = Buffer.allocUnsafeSlow(Math.max(len, LOG_WINDOW_BYTES));
      w.copy(s);
      return s.subarray(0, len);
    },
    close() {},
  };
}

/**
 * A window's buffer, whose pages are faulted in with one call each time a window reaches further
 * into it than before (a window fills what it covers). A small log's windows get a buffer of their
 * size (an empty log's pass covers one page); a large one's, all `bytes` on huge pages at once.
 */
function windowBuffer(bytes: number): (len: number) => Buffer {
  let buf: Buffer = Buffer.alloc(0);
  let ready = 0;
  return (len) => {
    if (len > buf.length) {
      buf = scratchBuffer(len >= LARGE_ARRAY_BYTES ? bytes : len);
      ready = 0;
    }
    if (len > ready) {
      prefault(buf, ready, len - ready);
      ready = len;
    }
    return buf.subarray(0, len);
  };
}

/**
 * The log of an open device: read with pread into two reused buffers for a regular file (the page
 * cache keeps it coherent, and a copy costs less than faulting in a mapping), mapped a window at a
 * time, with the CPU cache invalidated, for a block or dax device (another host writes that memory).
 */
export function deviceWindows(dev: Device, windowBytes = LOG_WINDOW_BYTES): LogWindows {
  if (dev.kind === 'file') {
    // Two buffers taken in turn, each allocated when first needed (a log of one window needs one).
    const bufs: ((len: number) => Buffer)[] = [];
    let turn = 1;
    const unread = (start: number, len: number): { buf: Buffer; fd: number; position: number } => {
      if (len > windowBytes) throw new RangeError(`log window of ${len} bytes exceeds ${windowBytes}`);
      turn ^= 1;
      const buf = (bufs[turn] ??= windowBuffer(windowBytes))(len);
      return { buf, fd: dev.fd, position: LOG_OFFSET + start };
    };
    return {
      window(start, len) {
        const { buf, fd, position } = unread(start, len);
        let got = 0;
        while (got < len) {
          const n = fs.readSync(fd, buf, got, len - got, position + got);
          if (n === 0) break;
          got += n;
        }
        // Past the end of a short file reads as zeros, as a mapping would.
        buf.fill(0, got, len);
        return buf;
      },
      unread,
      close() {},
    };
  }
  // The window before the last stays mapped until the next call.
  let previous: Buffer | undefined;
  let last: Buffer | undefined;
  return {
    window(start, len) {
      if (start % PAGE !== 0) throw new RangeError(`log window at ${start} is not page aligned`);
      if (previous) dev.unmap(previous);
      previous = last;
      last = dev.map(LOG_OFFSET + start, len);
      dev.invalidate(last, 0, len);
      return last;
    },
    close() {
      for (const m of [previous, last]) if (m) dev.unmap(m);
      previous = last = undefined;
    },
  };
}
