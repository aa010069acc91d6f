/**
 * What the daemon's main thread and its session worker share while the worker is blocked reading
 * /dev/fuse: the log level (set at run time through the diagnostics socket), requests to dump
 * the lookup cache and to read the log, and the counters the socket reports (lookup cache,
 * inodes, the log index and its following). One SharedArrayBuffer crosses to the worker in the
 * file system options; each slot has one writer (the level and the requests: main; the counters:
 * the worker), so plain stores suffice.
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
  /** Main asks the worker to read the log now (a counter; the worker remembers the last it served). */
  FollowRequests,
  /** FollowState, StopCode (log-follower.ts) and what the worker's index holds. */
  FollowState,
  StopCode,
  Applied,
  LogNext,
  BadEntries,
  Conflicts,
  IndexFiles,
  IndexDirs,
  CatchUps,
  LastCatchUpAt,
  Count,
}

/** Whether the worker follows the log. */
export const enum FollowState {
  /** Serving a shadow tree, or -o follow=0 (the log is read at mount and at `famfs logplay`). */
  Off = 0,
  Following = 1,
  Stopped = 2,
}

/** What the worker's log index says, for /status. */
export interface LogStatus {
  followState: FollowState;
  stopCode: number;
  /** Log slots read (next_index when last caught up). */
  applied: number;
  /** The log's next_index when last read. */
  logNext: number;
  badEntries: number;
  conflicts: number;
  files: number;
  directories: number;
  catchUps: number;
  /** When the log was last read (ms since the epoch; 0: never). */
  lastCatchUpAt: number;
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

  /** Main: the log may have grown; the worker reads it after the next request it answers. */
  requestFollow(): void {
    this.v[Slot.FollowRequests]++;
  }
  /** The count of follow requests so far (the worker compares it with the last it served). */
  get followRequests(): number {
    return this.v[Slot.FollowRequests];
  }

  /** Worker: publishes what its log index holds. */
  setLogStatus(s: LogStatus): void {
    const v = this.v;
    v[Slot.FollowState] = s.followState;
    v[Slot.StopCode] = s.stopCode;
    v[Slot.Applied] = s.applied;
    v[Slot.LogNext] = s.logNext;
    v[Slot.BadEntries] = s.badEntries;
    v[Slot.Conflicts] = s.conflicts;
    v[Slot.IndexFiles] = s.files;
    v[Slot.IndexDirs] = s.directories;
    v[Slot.CatchUps] = s.catchUps;
    v[Slot.LastCatchUpAt] = s.lastCatchUpAt;
  }

  get logStatus(): LogStatus {
    const v = this.v;
    return {
      followState: v[Slot.FollowState],
      stopCode: v[Slot.StopCode],
      applied: v[Slot.Applied],
      logNext: v[Slot.LogNext],
      badEntries: v[Slot.BadEntries],
      conflicts: v[Slot.Conflicts],
      files: v[Slot.IndexFiles],
      directories: v[Slot.IndexDirs],
      catchUps: v[Slot.CatchUps],
      lastCatchUpAt: v[Slot.LastCatchUpAt],
    };
  }
}
