import { crc32Records } from '@famfs/native';
import { FamfsError } from '../errors';
import { LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE } from '../format/constants';
import { LogEntry } from '../format/log-entry';
import { parseLogHeader } from '../format/log-header';
import { Superblock } from '../format/superblock';
import { LOG_WINDOW_BYTES, LogWindows } from './log-windows';
import { BadEntry, checkedLogEntry, entryOffset, geometryOf, LogScan } from './replay';

const PAGE = 4096;

/**
 * scanLog over a log read a window at a time: every entry in use checked as replay checks it
 * (checkedLogEntry, the CRCs batched per window) and each valid one handed to `onEntry` in log
 * order; a bad entry is recorded and skipped. The entries handed out are decoded values that do
 * not refer to the window, so a caller may keep them; memory is otherwise one window.
 */
export function scanLogWindows(
  windows: LogWindows,
  sb: Superblock,
  devName: string,
  onEntry: (index: number, entry: LogEntry) => void,
  /** Bytes per window: at most what `windows` serves. */
  windowBytes = LOG_WINDOW_BYTES,
): LogScan {
  const logLen = sb.logLen;
  const header = parseLogHeader(windows.window(0, Math.min(windowBytes, logLen)), logLen, devName);
  const geom = geometryOf(sb);
  const n = header.nextIndex;
  const bad: BadEntry[] = [];
  let i = 0;
  while (i < n) {
    const off = entryOffset(i);
    const start = off - (off % PAGE);
    const len = Math.min(windowBytes, logLen - start);
    const buf = windows.window(start, len);
    const count = Math.min(n - i, Math.floor((start + len - off) / LOG_ENTRY_SIZE));
    const first = off - start;
    const crcs = crc32Records(buf, first, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, count);
    for (let k = 0; k < count; k++, i++) {
      let entry: LogEntry;
      try {
        entry = checkedLogEntry(buf, first + k * LOG_ENTRY_SIZE, i, geom, crcs[k]);
      } catch (e) {
        if (!(e instanceof FamfsError)) throw e;
        bad.push({ index: i, reason: e.message, torn: i === n - 1 });
        continue;
      }
      onEntry(i, entry);
    }
  }
  return { header, bad };
}
