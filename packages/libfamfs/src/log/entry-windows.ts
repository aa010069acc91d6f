import { crc32Records, crc32RecordsStart } from '@famfs/native';
import { LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE } from '../format/constants';
import { LogHeader, parseLogHeader } from '../format/log-header';
import { LOG_WINDOW_BYTES, LogWindows } from './log-windows';
import { entryOffset } from './replay';

const PAGE = 4096;

/** The log header, from the log's first page (a pass reads no more of an empty log). */
export function logHeaderOf(windows: LogWindows, logLen: number, device: string): LogHeader {
  return parseLogHeader(windows.window(0, Math.min(PAGE, logLen)), logLen, device);
}

/** Entries [index, index + count) of a log, in one window, with the CRC computed over each. */
export interface EntryWindow {
  /** The window's bytes; 4-byte aligned, so a 32-bit array can view them. */
  buf: Buffer;
  /** Byte offset in buf of entry `index`; entry index + k is at first + k * LOG_ENTRY_SIZE. */
  first: number;
  index: number;
  count: number;
  /** crcs[k], k < count: the CRC-32 of entry index + k's checked span, to compare with its crc field (the array may be longer). */
  crcs: Uint32Array;
}

interface PendingWindow {
  buf: Buffer;
  first: number;
  index: number;
  count: number;
  /** The CRCs, waiting for the addon's thread if it is computing them. */
  crcs: () => Uint32Array;
}

/**
 * Hands every entry in use (slots 0 .. n - 1) to `onWindow`, a window of the log at a time, in log
 * order. A window starts at the page holding its first entry and ends at the last page in use, so
 * nothing past entry n - 1 is read. While `onWindow` walks one window, the next is read (for a log
 * in a file) and checksummed on the addon's thread (crc32RecordsStart): on two CPUs the read and
 * the checksums cost the pass almost nothing. `onWindow` must not keep the window's buffer.
 */
export function forEachEntryWindow(
  windows: LogWindows,
  logLen: number,
  n: number,
  onWindow: (w: EntryWindow) => void,
  /** Bytes per window: at most what `windows` serves. */
  windowBytes = LOG_WINDOW_BYTES,
): void {
  const end = entryOffset(n);
  // The CRCs of the windows checksummed ahead, in two arrays taken in turn (as the windows are).
  const crcArrays: Uint32Array[] = [];
  let crcTurn = 1;
  /** The window from entry `index`: read and checksummed here, or `ahead` on the addon's thread. */
  const open = (index: number, ahead: boolean): PendingWindow | undefined => {
    if (index >= n) return undefined;
    const off = entryOffset(index);
    const start = off - (off % PAGE);
    const len = Math.min(windowBytes, logLen - start, Math.ceil((end - start) / PAGE) * PAGE);
    const first = off - start;
    const count = Math.min(n - index, Math.floor((len - first) / LOG_ENTRY_SIZE));
    if (count < 1) throw new RangeError(`a log window of ${windowBytes} bytes cannot hold entry ${index}`);
    if (!ahead) {
      const buf = windows.window(start, len);
      const crcs = crc32Records(buf, first, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, count);
      return { buf, first, index, count, crcs: () => crcs };
    }
    // A log in a file is read by the addon's thread too; otherwise the window is already memory.
    const file = windows.unread?.(start, len);
    const buf = file ? file.buf : windows.window(start, len);
    const from = file && { fd: file.fd, position: file.position, length: len };
    crcTurn ^= 1;
    const out = (crcArrays[crcTurn] ??= new Uint32Array(Math.floor(windowBytes / LOG_ENTRY_SIZE)));
    const job = crc32RecordsStart(buf, first, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, count, from, out);
    return { buf, first, index, count, crcs: () => job.wait() };
  };
  // The first window is needed at once; each next one is started (in the other buffer) before
  // this one is walked.
  let current = open(0, false);
  while (current) {
    const next = open(current.index + current.count, true);
    const { buf, first, index, count } = current;
    onWindow({ buf, first, index, count, crcs: current.crcs() });
    current = next;
  }
}
