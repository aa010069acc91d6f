import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE } from '../format/constants';
import { LogEntry } from '../format/log-entry';
import { Superblock } from '../format/superblock';
import { EntryWindow, forEachEntryWindow, logHeaderOf } from './entry-windows';
import { LOG_WINDOW_BYTES, LogWindows } from './log-windows';
import { BadEntry, checkedLogEntry, geometryOf, LogScan } from './replay';

/**
 * scanLog over a log read a window at a time: every entry in use checked as replay checks it
 * (checkedLogEntry, the CRCs computed a window ahead) and each valid one handed to `onEntry` in
 * log order; a bad entry is recorded and skipped. The entries handed out are decoded values that
 * do not refer to the window, so a caller may keep them; memory is otherwise two windows.
 */
export function scanLogWindows(
  windows: LogWindows,
  sb: Superblock,
  devName: string,
  onEntry: (index: number, entry: LogEntry) => void,
  /** Bytes per window: at most what `windows` serves. */
  windowBytes = LOG_WINDOW_BYTES,
): LogScan {
  const header = logHeaderOf(windows, sb.logLen, devName);
  const geom = geometryOf(sb);
  const n = header.nextIndex;
  const bad: BadEntry[] = [];
  const walk = ({ buf, first, index, count, crcs }: EntryWindow): void => {
    for (let k = 0, i = index; k < count; k++, i++) {
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
  };
  forEachEntryWindow(windows, sb.logLen, n, walk, windowBytes);
  return { header, bad };
}
