import { FamfsError } from '../errors';
import { crc32Records } from '@famfs/native';
import { LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE, LOG_HEADER_SIZE, LOG_OFFSET } from '../format/constants';
import { LogEntry } from '../format/log-entry';
import { LogHeader, parseLogHeader } from '../format/log-header';
import { FmapGeometry } from '../format/fmap';
import { parseSuperblock, Superblock, SUPERBLOCK_CRC_SPAN, SuperblockLayout } from '../format/superblock';
import { Device } from '../device/device';
import { BadEntry, checkedLogEntry, entryOffset, geometryOf } from './replay';

/** The superblock bytes that identify a file system: magic through the CRC (a re-mkfs changes them). */
const SB_IDENTITY_BYTES = SUPERBLOCK_CRC_SPAN + 8;
const PAGE = 4096;

export interface LogReaderOptions {
  /** Bytes of log mapped per window (a multiple of 4096; default 8 MiB). */
  windowBytes?: number;
  /** Windows kept mapped, least recently used dropped first (default 2). */
  keepWindows?: number;
}

/**
 * Reads a mounted device's log a window at a time, for a process that keeps the device open for
 * long (the daemon): the superblock and log header pages stay mapped (a follower reads them
 * often), entries are read through a few mapped windows, so memory holds a bounded part of the
 * log however large it is. Every read invalidates the CPU cache first (another host writes the
 * log) and every entry is checked exactly as replay checks it (checkedLogEntry).
 */
export class LogReader {
  readonly sb: Superblock;
  readonly geometry: FmapGeometry;
  private readonly sbPage: Buffer;
  private readonly headerPage: Buffer;
  private readonly identity: Buffer;
  private readonly windowBytes: number;
  private readonly keep: number;
  /** Mapped windows by number, least recently used first. */
  private readonly windows = new Map<number, Buffer>();
  private closed = false;
  private ownsDevice = false;

  private constructor(
    readonly device: Device,
    sbPage: Buffer,
    opts: LogReaderOptions,
  ) {
    this.sbPage = sbPage;
    this.sb = parseSuperblock(sbPage, device.path, device.size);
    this.identity = Buffer.from(sbPage.subarray(0, SB_IDENTITY_BYTES));
    this.geometry = geometryOf(this.sb);
    this.headerPage = device.map(LOG_OFFSET, PAGE);
    this.windowBytes = opts.windowBytes ?? 8 << 20;
    this.keep = Math.max(1, opts.keepWindows ?? 2);
    if (!Number.isSafeInteger(this.windowBytes) || this.windowBytes <= 0 || this.windowBytes % PAGE !== 0) {
      throw new RangeError(`window of ${this.windowBytes} bytes is not a positive multiple of ${PAGE}`);
    }
  }

  /**
   * Opens the device at `path` read-only for a reader of its own: close() closes the device too.
   * Throws as Device.open and open() do.
   */
  static openPath(path: string, opts: LogReaderOptions = {}): LogReader {
    const dev = Device.open(path, { writable: false });
    try {
      const r = LogReader.open(dev, opts);
      r.ownsDevice = true;
      return r;
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  /** Reads the superblock of `device` (EBADSUPER when there is no valid one) and maps its first pages. */
  static open(device: Device, opts: LogReaderOptions = {}): LogReader {
    const sbPage = device.map(0, PAGE);
    try {
      device.invalidate(sbPage, 0, SuperblockLayout.size);
      return new LogReader(device, sbPage, opts);
    } catch (e) {
      device.unmap(sbPage);
      throw e;
    }
  }

  /** Number of slots in the log. */
  get slots(): number {
    return Math.floor((this.sb.logLen - LOG_HEADER_SIZE) / LOG_ENTRY_SIZE);
  }

  /** The log header as it is now, checked (EBADLOG when it is not a valid header for this superblock). */
  header(): LogHeader {
    this.device.invalidate(this.headerPage, 0, LOG_HEADER_SIZE);
    return parseLogHeader(this.headerPage, this.sb.logLen, this.device.path);
  }

  /** Whether the superblock's identifying bytes differ from those read at open (a re-mkfs, another file system). */
  superblockChanged(): boolean {
    this.device.invalidate(this.sbPage, 0, SB_IDENTITY_BYTES);
    return !this.sbPage.subarray(0, SB_IDENTITY_BYTES).equals(this.identity);
  }

  /** The entry in slot `index`, checked as replay checks it; throws EBADENTRY. */
  entry(index: number): LogEntry {
    this.checkSlot(index);
    const { buf, at } = this.locate(index);
    this.device.invalidate(buf, at, LOG_ENTRY_SIZE);
    return checkedLogEntry(buf, at, index, this.geometry);
  }

  /**
   * Checks slots [from, to) in order, as replay does: each valid entry goes to `onEntry`, each bad
   * one to `onBad` (torn when it is the last, to - 1, as in a replay up to `to`).
   */
  scan(
    from: number,
    to: number,
    onEntry: (index: number, entry: LogEntry) => void,
    onBad: (bad: BadEntry) => void,
  ): void {
    if (from >= to) return;
    this.checkSlot(from);
    this.checkSlot(to - 1);
    let i = from;
    while (i < to) {
      const { buf, at, window } = this.locate(i);
      // Every slot that starts in this window fits in it (windows overlap by a page).
      const start = window * this.windowBytes;
      const end = Math.min(to, Math.ceil((start + this.windowBytes - LOG_HEADER_SIZE) / LOG_ENTRY_SIZE));
      const count = Math.max(1, end - i);
      this.device.invalidate(buf, at, count * LOG_ENTRY_SIZE);
      const crcs = crc32Records(buf, at, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, count);
      for (let k = 0; k < count; k++, i++) {
        let entry: LogEntry;
        try {
          entry = checkedLogEntry(buf, at + k * LOG_ENTRY_SIZE, i, this.geometry, crcs[k]);
        } catch (e) {
          if (!(e instanceof FamfsError)) throw e;
          onBad({ index: i, reason: e.message, torn: i === to - 1 });
          continue;
        }
        onEntry(i, entry);
      }
    }
  }

  /** Unmaps every window (they are mapped again when needed). */
  dropWindows(): void {
    for (const w of this.windows.values()) this.device.unmap(w);
    this.windows.clear();
  }

  /** Unmaps everything this reader mapped; the device stays open unless openPath() opened it. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropWindows();
    this.device.unmap(this.headerPage);
    this.device.unmap(this.sbPage);
    if (this.ownsDevice) this.device.close();
  }

  private checkSlot(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.slots) {
      throw new RangeError(`log slot ${index} is outside [0, ${this.slots})`);
    }
  }

  /** The window holding slot `index`, mapped (and made most recently used), and the slot's offset in it. */
  private locate(index: number): { buf: Buffer; at: number; window: number } {
    const rel = entryOffset(index);
    const window = Math.floor(rel / this.windowBytes);
    let buf = this.windows.get(window);
    if (buf) {
      this.windows.delete(window);
    } else {
      const start = window * this.windowBytes;
      const len = Math.min(this.windowBytes + PAGE, this.sb.logLen - start);
      buf = this.device.map(LOG_OFFSET + start, len);
      while (this.windows.size >= this.keep) {
        const [oldest, w] = this.windows.entries().next().value as [number, Buffer];
        this.windows.delete(oldest);
        this.device.unmap(w);
      }
    }
    this.windows.set(window, buf);
    return { buf, at: rel - window * this.windowBytes, window };
  }
}
