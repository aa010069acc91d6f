/**
 * famfs cp's small files, copied in batches on the addon's background thread
 * (@famfs/native copyFilesStart) while JavaScript walks the sources and logs entries: for a tree
 * of many small files, the five system calls per file cost more through Node's fs wrappers than
 * everything else the copy does.
 *
 * A batch is a run of consecutive copy steps the engine calls batchable (new files, found in a
 * source directory, small, on a device written with pwrite). Their bytes go into space reserved
 * for them and not yet logged, so a batch that fails or is cut short leaves nothing a reader
 * could see; the engine logs each file after its batch has copied it, and sends any file the
 * batch could not copy exactly (it vanished, changed size, became something else) the careful
 * way, which opens it again and reports what it finds. Batches run in step order; the engine
 * takes them in the same order.
 */
import { copyFilesStart, CopyFilesJob, FileCopy } from '@famfs/native';
import { FileEntry } from '@famfs/libfamfs/format';
import { DataPath } from '@famfs/libfamfs/device';

/** Files per batch: small enough that the first batch is soon done, large enough that a batch costs little. */
export const BATCH_FILES = 64;
/** Bytes per batch: a batch takes files until it holds this many (its last file may take it past). */
export const BATCH_BYTES = 4 * 1024 * 1024;

/** What a batch needs of a copy step. */
export interface BatchStep {
  src: string;
  entry: FileEntry;
}

/** A batch: steps [from, to) and the job copying them (its wait() gives each one's status). */
export interface Batch {
  from: number;
  to: number;
  job: CopyFilesJob;
}

export class SmallFileBatches {
  /** Batches started and not yet taken, in step order. */
  private readonly started: Batch[] = [];
  private head = 0;
  /** Steps before this one are in a batch or were passed over. */
  private scanned = 0;

  /**
   * `steps()`: how many copy steps there are so far; `candidate(i)`: step i when it may be
   * batched, else undefined.
   */
  constructor(
    private readonly data: DataPath,
    private readonly steps: () => number,
    private readonly candidate: (index: number) => BatchStep | undefined,
  ) {}

  /** Called as the walk adds steps: starts each batch as soon as it is full. */
  stepAdded(): void {
    if (this.steps() - this.scanned >= BATCH_FILES) this.launch(false);
  }

  /**
   * Starts batches over the steps not yet scanned. Without `all`, a run still open at the end of
   * the steps waits for more (the walk is adding to it); with `all`, it is started as it is.
   */
  launch(all: boolean): void {
    const count = this.steps();
    for (;;) {
      while (this.scanned < count && this.candidate(this.scanned) === undefined) this.scanned++;
      const from = this.scanned;
      const files: FileCopy[] = [];
      let fd: number | undefined;
      let bytes = 0;
      let end = from;
      for (; end < count && files.length < BATCH_FILES && bytes < BATCH_BYTES; end++) {
        const step = this.candidate(end);
        if (step === undefined) break;
        const { src, entry } = step;
        const stepFd = this.data.pwriteFd(entry.size);
        if (stepFd === undefined || (fd !== undefined && stepFd !== fd)) break;
        let ranges;
        try {
          ranges = this.data.deviceRanges(entry);
        } catch {
          break; // the careful way reports it
        }
        fd = stepFd;
        files.push({ path: src, size: entry.size, ranges });
        bytes += entry.size;
      }
      if (files.length === 0) {
        // The step at `from` (if any) cannot be batched after all: it goes the careful way.
        if (from < count) {
          this.scanned = from + 1;
          continue;
        }
        return;
      }
      const open = end === count && files.length < BATCH_FILES && bytes < BATCH_BYTES;
      if (open && !all) return;
      this.started.push({ from, to: end, job: copyFilesStart(files, fd!, { noFollow: true }) });
      this.scanned = end;
    }
  }

  /** The batch that begins at step `index`, if one was started there (taken: the next one is then first). */
  take(index: number): Batch | undefined {
    const b = this.started[this.head];
    if (b === undefined || b.from !== index) return undefined;
    this.started[this.head++] = undefined as unknown as Batch;
    return b;
  }

  /** Waits for every batch not yet taken: the device must stay open while one runs. */
  drain(): void {
    while (this.head < this.started.length) this.started[this.head++].job.wait();
  }
}
