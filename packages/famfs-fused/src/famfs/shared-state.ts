/**
 * What the daemon's main thread and its session worker share while the worker is blocked reading
 * /dev/fuse: the log level (set at run time through the diagnostics socket), a request to dump
 * the lookup cache, and the lookup-cache and inode counters the socket reports. One
 * SharedArrayBuffer crosses to the worker in the file system options; each slot has one writer
 * (the level and the dump request: main; the counters: the worker), so plain stores suffice.
 */
import { LOG_LEVEL_DEFAULT } from '../diag/provider';

/** Slots of the Float64Array (every count stays exact below 2^53). */
const enum Slot {
  LogLevel = 0,
  DumpRequested,
  SearchCount,
  NodesScanned,
  SearchFailCount,
  Files,
  Directories,
  Count,
}

export class DaemonSharedState {
  private readonly v: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(Slot.Count * 8)) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < Slot.Count * 8) {
      throw new TypeError('DaemonSharedState needs a SharedArrayBuffer of at least ' + Slot.Count * 8 + ' bytes');
    }
    this.v = new Float64Array(buffer, 0, Slot.Count);
  }

  /** A fresh state at the default level (main thread, before the worker starts). */
  static create(level = LOG_LEVEL_DEFAULT): DaemonSharedState {
    const s = new DaemonSharedState();
    s.logLevel = level;
    return s;
  }

  get logLevel(): number {
    return this.v[Slot.LogLevel];
  }
  set logLevel(level: number) {
    this.v[Slot.LogLevel] = level;
  }

  /** True when messages of syslog `level` (0 EMERG .. 7 DEBUG) are to be logged. */
  logs(level: number): boolean {
    return level <= this.v[Slot.LogLevel];
  }

  requestDump(): void {
    this.v[Slot.DumpRequested] = 1;
  }
  /** Consumes a dump request (worker); true when one was pending. */
  takeDumpRequest(): boolean {
    if (this.v[Slot.DumpRequested] === 0) return false;
    this.v[Slot.DumpRequested] = 0;
    return true;
  }

  /** One lookup in the cache: `scanned` nodes examined, `found` or not. */
  countSearch(scanned: number, found: boolean): void {
    this.v[Slot.SearchCount]++;
    this.v[Slot.NodesScanned] += scanned;
    if (!found) this.v[Slot.SearchFailCount]++;
  }

  setInodeCounts(files: number, directories: number): void {
    this.v[Slot.Files] = files;
    this.v[Slot.Directories] = directories;
  }

  get icacheStats(): { searchCount: number; nodesScanned: number; searchFailCount: number } {
    return {
      searchCount: this.v[Slot.SearchCount],
      nodesScanned: this.v[Slot.NodesScanned],
      searchFailCount: this.v[Slot.SearchFailCount],
    };
  }

  get inodeCounts(): { files: number; directories: number } {
    return { files: this.v[Slot.Files], directories: this.v[Slot.Directories] };
  }
}
