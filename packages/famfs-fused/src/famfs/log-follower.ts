/**
 * Following the log: bringing the index up to the log's next_index, as a logplay would, for the
 * mount's first answer (the whole log) and again whenever the log may have grown.
 *
 * - Every new slot is checked as replay checks it (LogReader.scan); a bad one is reported once,
 *   when it is first read (each slot is read once), and skipped; a valid one is placed by the
 *   replay rule (LogIndex.place), a conflict reported once and skipped.
 * - What cannot be followed stops the following for the life of the mount, with one log line:
 *   the superblock's identity changed (another host ran mkfs), the log header is no longer
 *   valid, or its next_index went backwards (a log that only grows cannot). The mount keeps
 *   serving the tree it has; nothing more is read from the log.
 */
import { FamfsError } from '@famfs/libfamfs';
import type { BadEntry, LogReader, TreeConflict } from '@famfs/libfamfs/log';
import type { LogIndex, Placed } from './log-index';

/** Why following stopped (numbers, for the state shared with the daemon's main thread). */
export const enum StopCode {
  None = 0,
  SuperblockChanged = 1,
  HeaderInvalid = 2,
  HeaderBackwards = 3,
}

/** What one catch-up read and did. */
export interface CatchUp {
  /** Slots [from, to) were read. */
  from: number;
  to: number;
  placed: Placed[];
  bad: BadEntry[];
  conflicts: TreeConflict[];
}

/** Lines of one kind logged per catch-up before the rest are only counted. */
const REPORT_LINES = 20;
const LOG_WARNING = 4;
const LOG_ERR = 3;

export class LogFollower {
  /** The next slot to read: every slot below it has been read once. */
  applied = 0;
  /** The log's next_index when last read. */
  logNext = 0;
  stopCode = StopCode.None;
  stopReason: string | null = null;
  badCount = 0;
  /** The first bad entries seen (for reports), all of them counted in badCount. */
  readonly bad: BadEntry[] = [];
  catchUps = 0;

  constructor(
    readonly reader: LogReader,
    readonly index: LogIndex,
    private readonly log: (message: string, level: number) => void,
    private readonly maxBadKept = 100,
  ) {}

  get stopped(): boolean {
    return this.stopCode !== StopCode.None;
  }

  /**
   * Reads the log from `applied` up to its next_index now. Returns what changed, or null when
   * nothing is new or following has stopped (then it never resumes).
   */
  catchUp(now: number): CatchUp | null {
    if (this.stopped) return null;
    if (this.reader.superblockChanged()) {
      return this.stop(StopCode.SuperblockChanged, 'the superblock changed under the mount (another host ran mkfs?)');
    }
    let next: number;
    try {
      next = this.reader.header().nextIndex;
    } catch (e) {
      if (!(e instanceof FamfsError)) throw e;
      return this.stop(StopCode.HeaderInvalid, e.message);
    }
    if (next < this.applied) {
      return this.stop(
        StopCode.HeaderBackwards,
        `the log header went backwards: next_index ${next}, but ${this.applied} entries were already read`,
      );
    }
    this.logNext = next;
    if (next === this.applied) return null;
    const c: CatchUp = { from: this.applied, to: next, placed: [], bad: [], conflicts: [] };
    this.reader.scan(
      c.from,
      c.to,
      (i, entry) => {
        if (entry.type === 'add_daxdev') return;
        const r = this.index.place(entry, i, now);
        if (r === null) return;
        if ('reason' in r) c.conflicts.push(r);
        else c.placed.push(r);
      },
      (b) => c.bad.push(b),
    );
    this.applied = next;
    this.catchUps++;
    this.badCount += c.bad.length;
    for (const b of c.bad) if (this.bad.length < this.maxBadKept) this.bad.push(b);
    this.report(c);
    return c;
  }

  /** One line per bad entry and conflict (a few per catch-up, then a count): each slot is read once. */
  private report(c: CatchUp): void {
    const lines = [
      ...c.bad.map((b) => `log: ${b.reason}${b.torn ? ' (torn last entry, skipped)' : ' (skipped)'}`),
      ...c.conflicts.map((t) => `log entry ${t.index}: '${t.path}': ${t.reason} (skipped)`),
    ];
    for (const line of lines.slice(0, REPORT_LINES)) this.log(line, LOG_WARNING);
    if (lines.length > REPORT_LINES)
      this.log(`log: ${lines.length - REPORT_LINES} more entries of slots ${c.from}..${c.to - 1} skipped`, LOG_WARNING);
  }

  private stop(code: StopCode, reason: string): null {
    this.stopCode = code;
    this.stopReason = reason;
    this.log(
      `stopped following the log: ${reason}; the mount keeps serving the ${this.applied} entries read so far`,
      LOG_ERR,
    );
    return null;
  }
}
