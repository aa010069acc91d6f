/**
 * Following the log for the famfs file system (log source only): the first read of the whole log,
 * the reads that follow it while serving (at most every followMs, or forced), and what each read
 * that changed the tree is followed by: cache invalidations for the directories that gained names
 * (FUSE_NOTIFY_INVAL_ENTRY / INVAL_INODE), the new slots posted to the daemon's main thread (which
 * writes the shadow tree), and the counts the diagnostics socket reports. Also the answer to
 * LOGPLAY_XATTR: read to the end now and report what the mount gained since the previous answer.
 */
import type { Notifier } from '@famfs/fuse';
import type { InodeTable } from './inodes';
import type { CatchUp } from './log-follower';
import { logplayReply, placedMessage } from './log-messages';
import type { PlacedMessage } from './log-messages';
import type { LogNamespace } from './log-namespace';
import { DaemonSharedState, FollowState } from './shared-state';

export interface LogFollowingOptions {
  /** Read the log again at most this often while serving, in ms (0: only at start and when asked). */
  followMs: number;
  /** The inodes the kernel knows: only their directories can have anything cached to invalidate. */
  inodes: InodeTable;
  shared: DaemonSharedState | null;
  /** Hands a message to the daemon's main thread (FileSystemContext.post). */
  post?: (value: unknown, transfer?: ArrayBuffer[]) => void;
  log(message: string): void;
  debug(message: string): void;
}

export class LogFollowing {
  /** Given at INIT: cache invalidations for what following the log changes. */
  notifier: Notifier | null = null;
  /** When the log was last read (ms), and the main thread's follow requests served so far. */
  private followedAt = 0;
  private followRequestsSeen = 0;
  /** What the index held at the last LOGPLAY_XATTR answer (its "new" counts are since then). */
  private logplaySince = { files: 0, dirs: 0 };

  constructor(
    readonly ns: LogNamespace,
    private readonly o: LogFollowingOptions,
  ) {}

  /** The first read of the log, before anything is served: everything in it goes to the index. */
  readWholeLog(): void {
    const ns = this.ns;
    const t0 = Date.now();
    const c = ns.build();
    this.followedAt = Date.now();
    const { files, dirs } = ns.index.counts;
    this.o.log(
      `log: ${ns.follower.applied} entries read in ${this.followedAt - t0} ms: ${files} files, ${dirs} directories`,
    );
    const summary = logplayReply(ns, { files: 0, dirs: 0 }, this.o.followMs);
    this.logplaySince = { files, dirs };
    this.post(placedMessage(c ? c.placed.map((p) => p.slot) : [], true, summary));
    this.publishStatus();
  }

  /**
   * Reads the log again when following is on and `force` is set or followMs has passed since the
   * last read; returns true when it changed what is served.
   */
  follow(force: boolean): boolean {
    if (this.o.followMs === 0) return false;
    const now = Date.now();
    if (!force && now - this.followedAt < this.o.followMs) return false;
    return this.catchUp(now) !== null;
  }

  /** Serves the main thread's requests to read the log (it polls the header and asks when it moved). */
  serveRequests(requests: number): void {
    if (requests === this.followRequestsSeen) return;
    this.followRequestsSeen = requests;
    this.follow(true);
  }

  /**
   * LOGPLAY_XATTR: read the log to its end now (following or not), and answer what the mount
   * gained since the previous answer. A size probe (getxattr(2) asks the size first) does not
   * start a new "since", so the read that follows it reports the same gains.
   */
  logplayAnswer(probe: boolean): Buffer {
    const ns = this.ns;
    this.catchUp();
    const reply = logplayReply(ns, this.logplaySince, this.o.followMs);
    if (!probe) this.logplaySince = { files: ns.index.counts.files, dirs: ns.index.counts.dirs };
    return Buffer.from(JSON.stringify(reply), 'utf8');
  }

  /** Reads the log to its end now (following or not); tells the kernel and the main thread what changed. */
  private catchUp(now = Date.now()): CatchUp | null {
    this.followedAt = now;
    const c = this.ns.catchUp(now);
    if (c) this.announce(c);
    this.publishStatus();
    return c;
  }

  /** After a catch-up: invalidations for the directories that gained names, new slots to the main thread. */
  private announce(c: CatchUp): void {
    if (c.placed.length === 0) return;
    this.o.debug(`log: slots ${c.from}..${c.to - 1}: ${c.placed.length} new files and directories`);
    const notifier = this.notifier;
    if (notifier) {
      const dirs = new Set<number>();
      for (const p of c.placed) {
        // Only directories the kernel has been told of can have anything cached.
        const parent = this.o.inodes.atPath(p.dir.path);
        if (!parent) continue;
        dirs.add(parent.nodeid);
        notifier.invalEntry(parent.nodeid, p.name);
      }
      for (const nodeid of dirs) notifier.invalInode(nodeid, 0, 0);
    }
    this.post(
      placedMessage(
        c.placed.map((p) => p.slot),
        false,
      ),
    );
  }

  private post(message: PlacedMessage): void {
    this.o.post?.(message, [message.slots.buffer as ArrayBuffer]);
  }

  /** The follower's state and counts, for the diagnostics socket (through the shared state). */
  private publishStatus(): void {
    const shared = this.o.shared;
    if (!shared) return;
    const f = this.ns.follower;
    const state = f.stopped ? FollowState.Stopped : this.o.followMs > 0 ? FollowState.Following : FollowState.Off;
    shared.setLogStatus({
      followState: state,
      stopCode: f.stopCode,
      applied: f.applied,
      logNext: f.logNext,
      badEntries: f.badCount,
      conflicts: this.ns.index.conflictCount,
      files: this.ns.index.counts.files,
      directories: this.ns.index.counts.dirs,
      catchUps: f.catchUps,
      lastCatchUpAt: this.followedAt,
    });
  }
}
