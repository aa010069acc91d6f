/**
 * The shadow tree of a mount served from the log, written by the daemon's main thread in the
 * background: the C tools (and `famfs logplay --shadow` users) find famfs files through
 * <shadow>/root, so it must become complete, but it is never on the path to the mount's first
 * answer, which comes from the log index. The session worker posts the slots it placed, in log
 * order (the whole log at mount, then each catch-up's); this writes them a batch per turn of the
 * event loop (signals and the diagnostics socket are answered in between), with logplay's own
 * step (playEntry: missing directories made, missing YAML written, an empty YAML rewritten, what
 * is there already left alone) under the checked shadow root, so nothing is written outside it.
 * Each turn plays through a fresh ShadowPlayer: the directories one turn made or checked are
 * trusted for the rest of that turn only (at most TURN_MS), so an entry in one of them costs an
 * exclusive create instead of an lstat of every ancestor, while a tree changed between turns is
 * checked again from the root.
 *
 * Each slot is read again from the device and checked as replay checks it; a slot that no longer
 * holds a valid entry is logged and skipped.
 */
import { isFamfsError, roleOf } from '@famfs/libfamfs';
import { LogReader } from '@famfs/libfamfs/log';
import { ShadowPlayer, ShadowTree, writeMetaFiles } from '@famfs/libfamfs/shadow';
import type { PlacedMessage } from '../famfs/log-messages';

/** Work per turn of the event loop: at most this long, or this many entries. */
const TURN_MS = 8;
const TURN_ENTRIES = 2000;

export interface ShadowWriterOptions {
  device: string;
  shadowRoot: string;
  systemUuid: Buffer | undefined;
  log: (message: string) => void;
}

export interface ShadowWriterStatus {
  /** Entries written or found already there. */
  written: number;
  /** Entries waiting to be written. */
  pending: number;
  /** Entries that could not be written (logged). */
  problems: number;
  /** When the queue last became empty (ms since the epoch; 0: not yet). */
  doneAt: number;
}

export class ShadowWriter {
  private readonly reader: LogReader;
  private readonly tree: ShadowTree;
  private readonly queue: Int32Array[] = [];
  private pos = 0;
  private scheduled = false;
  private closed = false;
  private readonly counts: ShadowWriterStatus = { written: 0, pending: 0, problems: 0, doneAt: 0 };
  private loggedProblems = 0;

  constructor(private readonly o: ShadowWriterOptions) {
    this.reader = LogReader.openPath(o.device);
    this.tree = new ShadowTree(o.shadowRoot);
  }

  /** The role of this host on the device (from the superblock read at open). */
  get role(): ReturnType<typeof roleOf> {
    return roleOf(this.reader.sb, this.o.systemUuid);
  }

  /** Queues the slots of a placement message (the first one also writes the .meta files). */
  enqueue(m: PlacedMessage): void {
    if (this.closed) return;
    if (m.initial) {
      try {
        writeMetaFiles(this.tree, this.reader.sb, this.role);
      } catch (e) {
        this.problem(`the .meta files: ${(e as Error).message}`);
      }
    }
    if (m.slots.length === 0) {
      if (this.counts.pending === 0) this.counts.doneAt = Date.now();
      return;
    }
    this.queue.push(m.slots);
    this.counts.pending += m.slots.length;
    this.counts.doneAt = 0;
    this.schedule();
  }

  status(): ShadowWriterStatus {
    return { ...this.counts };
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.reader.close();
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.turn();
    });
  }

  private turn(): void {
    const end = Date.now() + TURN_MS;
    const player = new ShadowPlayer(this.tree);
    for (let n = 0; n < TURN_ENTRIES && this.queue.length > 0 && !this.closed; n++) {
      const slots = this.queue[0];
      this.writeSlot(player, slots[this.pos++]);
      this.counts.pending--;
      if (this.pos >= slots.length) {
        this.queue.shift();
        this.pos = 0;
      }
      if ((n & 63) === 63 && Date.now() >= end) break;
    }
    if (this.closed) return;
    if (this.queue.length > 0) return this.schedule();
    this.counts.doneAt = Date.now();
    this.reader.dropWindows();
  }

  private writeSlot(player: ShadowPlayer, slot: number): void {
    let what = `log slot ${slot}`;
    try {
      const entry = this.reader.entry(slot);
      if (entry.type === 'add_daxdev') return;
      what = `'${entry.path}' (log slot ${slot})`;
      player.play(entry);
      this.counts.written++;
    } catch (e) {
      // Whatever went wrong with one entry (a rewritten slot, something in the way, a full
      // tmpfs), the others are still written and the daemon goes on serving.
      this.problem(`${what}: ${isFamfsError(e) ? e.message : e instanceof Error ? e.message : String(e)}`);
    }
  }

  private problem(what: string): void {
    this.counts.problems++;
    if (this.loggedProblems++ < 20) this.o.log(`shadow tree: cannot write ${what}`);
  }
}
