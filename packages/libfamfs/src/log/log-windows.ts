import * as fs from 'fs';
import { LOG_OFFSET } from '../format/constants';
import { Device } from '../device/device';

const PAGE = 4096;
/** Default bytes per window: small enough to stay in cache, large enough that calls are few. */
export const LOG_WINDOW_BYTES = 4 << 20;

/**
 * The bytes of a log, a window at a time, for one pass over a whole log (fsck) that must neither
 * map nor hold the whole log: its memory stays a window however large the log. A window starts
 * at a page boundary of the log; its Buffer is valid until the next call, and its memory is
 * 4-byte aligned so a Uint32Array can view it.
 */
export interface LogWindows {
  /** Bytes [start, start + len) of the log (start a multiple of 4096). */
  window(start: number, len: number): Buffer;
  close(): void;
}

/** A log already in memory (read through a mount, or mapped whole by the caller). */
export function memoryWindows(log: Buffer): LogWindows {
  let scratch: Buffer | undefined;
  return {
    window(start, len) {
      const w = log.subarray(start, start + len);
      if (w.byteOffset % 4 === 0) return w;
      if (!scratch || scratch.length < len) scratch = Buffer.allocUnsafeSlow(Math.max(len, LOG_WINDOW_BYTES));
      w.copy(scratch);
      return scratch.subarray(0, len);
    },
    close() {},
  };
}

/**
 * The log of an open device: read with pread into one reused buffer for a regular file (the page
 * cache keeps it coherent, and a copy costs less than faulting in a mapping), mapped a window at a
 * time, with the CPU cache invalidated, for a block or dax device (another host writes that memory).
 */
export function deviceWindows(dev: Device, windowBytes = LOG_WINDOW_BYTES): LogWindows {
  if (dev.kind === 'file') {
    const buf = Buffer.allocUnsafeSlow(windowBytes);
    return {
      window(start, len) {
        if (len > buf.length) throw new RangeError(`log window of ${len} bytes exceeds ${buf.length}`);
        let got = 0;
        while (got < len) {
          const n = fs.readSync(dev.fd, buf, got, len - got, LOG_OFFSET + start + got);
          if (n === 0) break;
          got += n;
        }
        // Past the end of a short file reads as zeros, as a mapping would.
        buf.fill(0, got, len);
        return buf.subarray(0, len);
      },
      close() {},
    };
  }
  let mapped: Buffer | undefined;
  const drop = (): void => {
    if (mapped) dev.unmap(mapped);
    mapped = undefined;
  };
  return {
    window(start, len) {
      if (start % PAGE !== 0) throw new RangeError(`log window at ${start} is not page aligned`);
      drop();
      mapped = dev.map(LOG_OFFSET + start, len);
      dev.invalidate(mapped, 0, len);
      return mapped;
    },
    close: drop,
  };
}
