/**
 * The `famfs cp` engine: walks the sources, applies the destination rules, creates directories
 * and files through one FamfsMaster (one log session for the whole copy) and moves the data
 * through the device mapping.
 *
 * Two passes. The walk decides everything and logs nothing: it checks every source (a file
 * found in a source directory by lstat, a command-line source by opening it), and reserves every
 * new directory and file in the log session (path rules, log slots, space). Then the copy opens
 * each source once, logs its reserved entry and copies its bytes, in walk order (a source that
 * cannot be opened then is skipped and its reservation dropped).
 *
 * Small new files found in source directories are the exception (batches.ts): on a device
 * written with pwrite, their bytes are copied in batches on the addon's background thread, from
 * the walk on, into their reserved (unlogged) space, and each is logged once its batch has copied
 * it. A file a batch could not copy exactly takes the careful way above.
 *
 * Error classes:
 * - a *skip* (source unreadable, empty source, directory without -r, size clash with an existing
 *   file...) is reported, counted, and the copy goes on; the exit code becomes 1;
 * - an *abort* (out of space, log full, a source that is not a regular file or directory, a
 *   target path famfs cannot hold, a source name that is not UTF-8) stops everything. Found by the
 *   walk, it refuses the whole copy before anything is written. During the copy only what could
 *   not be checked in advance aborts (the shadow tree or the device failing): each file logged
 *   before it holds its data, and the report says what was not copied.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DirStats, InvalidNameError, readDirStats } from '@famfs/native';
import { FamfsError, fileKindOf, fileKindOfMode, isFamfsError, kindName, openChecked } from '@famfs/libfamfs/common';
import type { FileKind, KindQuestions } from '@famfs/libfamfs/common';
import { FileEntry, LOG_META, META_DIR, MkdirEntry, SUPERBLOCK_META } from '@famfs/libfamfs/format';
import { DataPath } from '@famfs/libfamfs/device';
import { InterleaveParams } from '@famfs/libfamfs/alloc';
import { FamfsMaster } from '@famfs/libfamfs/mount';
import { showBytes } from '../argv';
import { describeError } from '../errors';
import {
  compareEntry,
  compareFd,
  COPY_DATA_PATH,
  copyEntry,
  copyFdDirect,
  smallFileBuffer,
  SourceChanged,
} from './data';
import { Batch, BatchStep, SmallFileBatches } from './batches';
import { Progress } from './progress';
import { monotonicMs } from '../clock';

export interface CopyOptions {
  recursive: boolean;
  /** Compare sources with existing famfs files instead of copying. */
  compare: boolean;
  /** Mode of new files (umask already applied); default: the source's mode & 0777. */
  mode?: number;
  uid: number;
  gid: number;
  interleave?: InterleaveParams;
  verbose: boolean;
  quiet: boolean;
  /**
   * The interrupt signal recorded since the copy began (0: none), asked between files and between
   * chunks of a file (famfs cp passes @famfs/native's interruptSignal). Default: never interrupted.
   */
  interruptSignal?: () => number;
}

export interface CopyReport {
  filesCopied: number;
  bytesCopied: number;
  /** Existing same-size famfs files written in place (no allocation, no log entry). */
  filesRewritten: number;
  filesCompared: number;
  dirsCreated: number;
  /** Sources not copied (or that differ, with -c): the exit code is 1 when non-zero. */
  errors: number;
  warnings: number;
  /** The error that stopped the copy, if one did. */
  aborted?: FamfsError;
  /** The abort came from the walk: nothing was written. */
  abortedBeforeWrites?: boolean;
  /** What the walk planned and an abort during the copy left undone. */
  notCopied?: { files: number; dirs: number };
  /**
   * The copy stopped at a signal: which, and the file it was writing, if any (logged at its full
   * size, holding only `done` of its bytes; a rerun rewrites it in place).
   */
  interrupted?: { signal: number; partial?: { src: string; target: string; done: number; size: number } };
}

/** One step of the copy, planned by the walk: its log entry is reserved (or the file exists). */
type Step =
  | { kind: 'dir'; entry: MkdirEntry }
  | { kind: 'file'; src: string; entry: FileEntry; reserved: boolean; inTree: boolean; famfsSrc?: FileEntry };

/**
 * What refuses the whole copy when the walk meets it: no space or log slot for everything, a
 * target path famfs cannot hold. Other creation errors skip one source.
 */
function isRefusal(e: unknown): e is FamfsError {
  return isFamfsError(e, 'ENOSPC') || isFamfsError(e, 'ELOGFULL') || isFamfsError(e, 'EINVAL');
}

/** Stops the whole copy. */
class Abort extends Error {
  constructor(readonly reason: FamfsError) {
    super(reason.message);
  }
}

/** Stops the whole copy at a signal, between files or in the middle of one (`partial`). */
class Interrupted extends Error {
  constructor(
    readonly signal: number,
    readonly partial?: { src: string; target: string; done: number; size: number },
  ) {
    super(`interrupted by signal ${signal}`);
  }
}

type DestKind = 'dir' | 'file' | 'reserved' | undefined;

/** What the walk needs to know of a source: from lstat, fstat, or the native lstat of a directory's names. */
interface SourceStat {
  kind: FileKind;
  mode: number;
  size: number;
}

function sourceStat(st: fs.Stats): SourceStat {
  return { kind: fileKindOf(st), mode: st.mode, size: st.size };
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Buffer for -c (source bytes are read into it and compared with the mapping). */
const COMPARE_BUFFER = 16 * 1024 * 1024;

function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** The source path names "the contents of" a directory: its last component is '.'. */
export function isContentsForm(p: string): boolean {
  return /(^|\/)\.\/*$/.test(p);
}

/** The name a source gets inside a destination directory (trailing slashes ignored). */
export function sourceBasename(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const base = path.basename(trimmed);
  return base === '..' || base === '' ? path.basename(path.resolve(p)) : base;
}

export class CopyEngine {
  readonly report: CopyReport = {
    filesCopied: 0,
    bytesCopied: 0,
    filesRewritten: 0,
    filesCompared: 0,
    dirsCreated: 0,
    errors: 0,
    warnings: 0,
  };
  private readonly data: DataPath;
  private readonly scratch = smallFileBuffer();
  private compareBuf?: Buffer;
  private readonly steps: Step[] = [];
  private readonly batches: SmallFileBatches;
  /** The mount point with a '/' after it: what every path inside the mount starts with. */
  private underMount?: string;

  constructor(
    private readonly master: FamfsMaster,
    private readonly opts: CopyOptions,
    private readonly io: Output,
    private readonly progress: Progress,
  ) {
    this.data = new DataPath(master.session.device, COPY_DATA_PATH);
    this.batches = new SmallFileBatches(
      this.data,
      () => this.steps.length,
      (i) => this.batchable(this.steps[i]),
    );
  }

  /** The step when it is a new file found in a source directory, small enough for one read: copied in a batch. */
  private batchable(step: Step): BatchStep | undefined {
    const ok =
      step.kind === 'file' &&
      step.reserved &&
      step.inTree &&
      step.famfsSrc === undefined &&
      step.entry.size < this.scratch.length;
    return ok ? step : undefined;
  }

  /** Copies `sources` to `destArg` by the famfs cp rules; returns the report (never throws an Abort). */
  run(sources: string[], destArg: string): CopyReport {
    let walked = false;
    try {
      this.runInner(sources, destArg);
      walked = true;
      this.copySteps();
    } catch (e) {
      if (e instanceof Interrupted) this.report.interrupted = { signal: e.signal, partial: e.partial };
      else if (!(e instanceof Abort)) throw e;
      else {
        this.report.aborted = e.reason;
        this.report.abortedBeforeWrites = !walked;
      }
    } finally {
      this.batches.drain();
      this.progress.clear();
      this.data.close();
    }
    return this.report;
  }

  private runInner(sources: string[], destArg: string): void {
    const destRel = this.master.relpath(destArg);
    const destKind = this.kindOf(destRel);
    const wantsDir = this.opts.recursive || sources.length > 1;
    if (wantsDir) {
      if (destKind === 'file' || destKind === 'reserved')
        return this.skip(`destination '${destArg}' is not a directory`);
      if (destKind === undefined) {
        if (!this.opts.recursive)
          return this.skip(`target directory '${destArg}' does not exist (it is created only with -r)`);
        if (this.opts.compare) return this.skip(`cannot compare: destination directory '${destArg}' does not exist`);
        // cp -r SRCDIR NEWDIR: NEWDIR becomes the copy of SRCDIR (as with cp(1)); with several
        // sources, NEWDIR is created and each source goes inside it.
        const only = sources.length === 1 ? this.statSource(sources[0]) : undefined;
        if (only?.isDirectory()) {
          if (!this.notIntoItself(sources[0], destRel)) return;
          if (!this.ensureDir(destRel, only.mode & 0o777, sources[0])) return;
          return this.copyDirContents(sources[0], destRel);
        }
        if (sources.length === 1 && !only) return; // reported by statSource
        if (!this.ensureDir(destRel, 0o755, destArg)) return;
      }
      for (const src of sources) this.copyInto(src, destRel);
      return;
    }
    // Two arguments, no -r.
    const src = sources[0];
    if (destKind === 'dir') return this.copyInto(src, destRel);
    const st = this.statSource(src);
    if (!st) return;
    if (st.isDirectory()) return this.skip(`-r not specified; omitting directory '${src}'`);
    if (/\/\.?$/.test(destArg)) return this.skip(`cannot copy '${src}' to '${destArg}': not a directory`);
    this.copyFile(src, destRel, false);
  }

  /** Copies one command-line source into the famfs directory `dirRel`. */
  private copyInto(src: string, dirRel: string): void {
    const st = this.statSource(src);
    if (!st) return;
    if (st.isDirectory()) {
      if (!this.opts.recursive) return this.skip(`-r not specified; omitting directory '${src}'`);
      if (isContentsForm(src)) {
        if (!this.notIntoItself(src, dirRel)) return;
        return this.copyDirContents(src, dirRel);
      }
      const target = joinRel(dirRel, sourceBasename(src));
      if (!this.notIntoItself(src, target)) return;
      if (!this.ensureDir(target, st.mode & 0o777, src)) return;
      return this.copyDirContents(src, target);
    }
    if (st.isFile()) return this.copyFile(src, joinRel(dirRel, sourceBasename(src)), false);
    this.abortNotRegular(src, st);
  }

  /** stat (following symlinks: a command-line symlink means its target); undefined after reporting. */
  private statSource(src: string): fs.Stats | undefined {
    try {
      return fs.statSync(src);
    } catch (e) {
      this.skip(`cannot stat '${src}': ${describeError(e)}`);
      return undefined;
    }
  }

  private abortNotRegular(src: string, what: FileKind | KindQuestions): never {
    const kind = typeof what === 'string' ? what : fileKindOf(what);
    const why = `'${src}' is ${kindName(kind)}; famfs cp copies only regular files and directories`;
    throw new Abort(new FamfsError('EINVAL', why, { path: src }));
  }

  /** Refuses to copy a directory into itself (the walk would find its own copies). */
  private notIntoItself(srcDir: string, targetRel: string): boolean {
    let real: string;
    try {
      real = fs.realpathSync(srcDir);
    } catch (e) {
      this.skip(`cannot resolve '${srcDir}': ${describeError(e)}`);
      return false;
    }
    const mpt = this.master.mount.mountpoint;
    const target = targetRel === '' ? mpt : `${mpt}/${targetRel}`;
    if (target === real || target.startsWith(real === '/' ? '/' : real + '/')) {
      this.skip(`cannot copy directory '${srcDir}' into itself ('${target}')`);
      return false;
    }
    return true;
  }

  /** What the log has at `rel`. */
  private kindOf(rel: string): DestKind {
    if (rel === '' || rel === META_DIR) return 'dir';
    if (rel === SUPERBLOCK_META || rel === LOG_META) return 'reserved';
    if (this.master.file(rel)) return 'file';
    if (this.master.dir(rel)) return 'dir';
    const reserved = this.master.session.reservedAt(rel);
    return reserved === undefined ? undefined : reserved.type === 'file' ? 'file' : 'dir';
  }

  /** Makes sure famfs directory `rel` exists (logging it if new); false after reporting a skip. */
  private ensureDir(rel: string, mode: number, src: string): boolean {
    const kind = this.kindOf(rel);
    if (kind === 'dir') return true;
    if (kind !== undefined) {
      this.skip(`cannot copy directory '${src}': '${this.show(rel)}' exists and is not a directory`);
      return false;
    }
    if (this.opts.compare) {
      this.skip(`'${this.show(rel)}' does not exist (compare)`);
      return false;
    }
    try {
      const entry = this.master.session.reserveMkdir(rel, { mode, uid: this.opts.uid, gid: this.opts.gid });
      this.steps.push({ kind: 'dir', entry });
    } catch (e) {
      if (isRefusal(e)) throw new Abort(e);
      this.skip(`cannot create directory '${this.show(rel)}': ${describeError(e)}`);
      return false;
    }
    return true;
  }

  /** Copies the entries of source directory `srcDir` into famfs directory `dirRel`. */
  private copyDirContents(srcDir: string, dirRel: string): void {
    let listing: DirStats;
    let realDir: string;
    try {
      realDir = fs.realpathSync(srcDir);
      listing = readDirStats(srcDir);
    } catch (e) {
      // famfs names are UTF-8 (the log and the FUSE mount would otherwise rename the file).
      if (e instanceof InvalidNameError) {
        const why = `'${srcDir}' holds a name that is not valid UTF-8 ('${showBytes(e.bytes)}'); famfs names are UTF-8`;
        throw new Abort(new FamfsError('EINVAL', why, { path: srcDir }));
      }
      return this.skip(`cannot read directory '${srcDir}': ${describeError(e)}`);
    }
    const { names, stats } = listing;
    const order = names.map((_, i) => i);
    order.sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
    const base = srcDir.endsWith('/') ? srcDir : `${srcDir}/`;
    const realBase = realDir === '/' ? '/' : `${realDir}/`;
    for (const i of order) {
      const name = names[i];
      const child = base + name;
      let st: SourceStat;
      if (stats[3 * i + 2] === 0) {
        const mode = stats[3 * i];
        st = { kind: fileKindOfMode(mode), mode, size: stats[3 * i + 1] };
      } else {
        try {
          st = sourceStat(fs.lstatSync(child)); // its lstat failed in the listing: ask again, to report why
        } catch (e) {
          this.skip(`cannot stat '${child}': ${describeError(e)}`);
          continue;
        }
      }
      this.walkEntry(child, joinRel(dirRel, name), realBase + name, st);
    }
  }

  /** An entry of a source directory whose lstat is known: skipped, walked into, planned or refused. */
  private walkEntry(child: string, targetRel: string, realChild: string, st: SourceStat): void {
    if (st.kind === 'symlink') this.warn(`skipping symlink '${child}' (famfs has no symlinks)`);
    else if (st.kind === 'dir') {
      if (this.ensureDir(targetRel, st.mode & 0o777, child)) this.copyDirContents(child, targetRel);
    } else if (st.kind === 'file') this.copyFile(child, targetRel, true, realChild, st);
    else this.abortNotRegular(child, st.kind);
  }

  /** The famfs file of this device that `real` (a resolved path) is, if any. */
  private famfsSource(real: string): { rel: string; entry: FileEntry } | undefined {
    const under = (this.underMount ??= this.master.mount.mountpoint + '/');
    if (!real.startsWith(under)) return undefined;
    const rel = real.slice(under.length);
    const entry = this.master.file(rel);
    return entry ? { rel, entry } : undefined;
  }

  /**
   * Plans the copy of regular file `src` to famfs path `targetRel` (a new file, reserved now, or
   * an existing famfs file of the same size, written in place), or compares the two with -c.
   */
  private copyFile(src: string, targetRel: string, inTree: boolean, realSrc?: string, seen?: SourceStat): void {
    const kind = this.kindOf(targetRel);
    if (kind === 'dir') return this.skip(`cannot overwrite directory '${this.show(targetRel)}' with file '${src}'`);
    if (kind === 'reserved') return this.skip(`cannot copy '${src}' over famfs metadata '${this.show(targetRel)}'`);
    const checked = this.checkSource(src, inTree, seen);
    if (checked === undefined) return;
    const { fd, stat: st } = checked;
    try {
      if (st.kind === 'dir') return this.skip(`-r not specified; omitting directory '${src}'`);
      if (st.kind !== 'file') this.abortNotRegular(src, st.kind);
      const size = st.size;
      if (size === 0) return this.skip(`skipping empty file '${src}' (famfs files cannot be empty)`);
      let real = realSrc;
      if (real === undefined) {
        try {
          real = fs.realpathSync(src);
        } catch {
          real = path.resolve(src);
        }
      }
      const famfsSrc = this.famfsSource(real);
      if (famfsSrc?.rel === targetRel) return this.skip(`'${src}' and '${this.show(targetRel)}' are the same file`);
      if (this.opts.compare) return this.compareFile(src, targetRel, fd!, size, famfsSrc?.entry);

      // kindOf found no file there when it said undefined: only a file it saw needs looking up.
      const existing = kind === 'file' ? this.master.file(targetRel) : undefined;
      if (existing) {
        if (existing.size !== size) {
          const sizes = `exists with size ${existing.size}, but '${src}' has ${size} bytes`;
          return this.skip(`'${this.show(targetRel)}' ${sizes} (famfs files cannot be resized)`);
        }
        this.steps.push({ kind: 'file', src, entry: existing, reserved: false, inTree, famfsSrc: famfsSrc?.entry });
        return;
      }
      let entry: FileEntry;
      try {
        entry = this.master.session.reserveFile(targetRel, size, {
          mode: this.opts.mode ?? st.mode & 0o777,
          uid: this.opts.uid,
          gid: this.opts.gid,
          interleave: this.opts.interleave,
        });
      } catch (e) {
        if (isRefusal(e)) throw new Abort(e);
        return this.skip(`cannot create '${this.show(targetRel)}': ${describeError(e)}`);
      }
      this.steps.push({ kind: 'file', src, entry, reserved: true, inTree, famfsSrc: famfsSrc?.entry });
      this.batches.stepAdded();
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * What the walk learns of a source file: a file found in a source directory is only lstat'ed
   * (readdir said "regular file"; it is opened once, by the copy, which reads one byte more than
   * this size to prove it did not change); a command-line source, or any source with -c, is
   * opened (openSource) and judged by its fstat. `seen`: the lstat the walk already has. Undefined
   * after reporting a skip.
   */
  private checkSource(src: string, inTree: boolean, seen?: SourceStat): { fd?: number; stat: SourceStat } | undefined {
    if (!inTree || this.opts.compare) {
      const opened = this.openSource(src, inTree);
      return opened && { fd: opened.fd, stat: sourceStat(opened.stat) };
    }
    if (seen) return { stat: seen };
    try {
      return { stat: sourceStat(fs.lstatSync(src)) };
    } catch (e) {
      this.skip(`cannot stat '${src}': ${describeError(e)}`);
      return undefined;
    }
  }

  /**
   * Opens a source without blocking (openChecked: a FIFO or a socket is refused by what it is, not
   * waited on) and aborts on anything but a regular file or a directory; the descriptor and its
   * fstat, or undefined after a skip.
   */
  private openSource(src: string, inTree: boolean): { fd: number; stat: fs.Stats } | undefined {
    try {
      // In a tree, the walk's readdir said "regular file": no stat before the open.
      const kindSeen = inTree ? 'file' : undefined;
      return openChecked(src, { accept: ['file', 'dir'], what: 'source', noFollow: inTree, kindSeen });
    } catch (e) {
      const kind = isFamfsError(e) ? (e.details.kind as FileKind | undefined) : undefined;
      if (kind !== undefined) this.abortNotRegular(src, kind);
      this.skip(`cannot open '${src}': ${describeError(e)}`);
      return undefined;
    }
  }

  /**
   * The second pass: logs each reserved entry and copies each file's bytes, in walk order (the
   * files of a batch are copied by then: each is logged, or sent the careful way).
   */
  private copySteps(): void {
    for (let i = 0; i < this.steps.length;) {
      try {
        this.checkInterrupt();
        // The first time, this starts the batches the walk left open; later it finds nothing new.
        this.batches.launch(true);
        const batch = this.batches.take(i);
        if (batch) {
          this.finishBatch(batch, (k) => (i = k));
          continue;
        }
        const step = this.steps[i];
        if (step.kind === 'dir') this.makeDir(step.entry);
        else this.copyStep(step);
        i++;
      } catch (e) {
        if (e instanceof Abort || e instanceof Interrupted) {
          // A file interrupted part way is logged (and named in the report); the rest was not copied.
          const rest = this.steps.slice(e instanceof Interrupted && e.partial ? i + 1 : i);
          const files = rest.filter((s) => s.kind === 'file').length;
          this.report.notCopied = { files, dirs: rest.length - files };
        }
        throw e;
      }
    }
  }

  /**
   * Logs the files of a batch it copied, in order, and copies the others the careful way;
   * `at(k)` tells the caller which step is being finished (for the report, should one throw).
   */
  private finishBatch(batch: Batch, at: (k: number) => void): void {
    const status = batch.job.wait();
    const copied = (k: number) => status[k - batch.from] === 0;
    for (let k = batch.from; k < batch.to;) {
      at(k);
      if (k > batch.from) this.checkInterrupt();
      if (!copied(k)) {
        this.copyStep(this.steps[k] as Extract<Step, { kind: 'file' }>);
        k++;
        continue;
      }
      let end = k + 1;
      while (end < batch.to && copied(end)) end++;
      const run = this.steps.slice(k, end) as Extract<Step, { kind: 'file' }>[];
      const { logged, failure } = this.logRun(run.map((s) => s.entry));
      for (const step of run.slice(0, logged)) this.copiedInBatch(step);
      if (failure) {
        at(k + logged);
        throw failure;
      }
      k = end;
    }
    at(batch.to);
  }

  /**
   * Logs reserved entries: as one run (all or none) when the daemon serves the log, else one at a
   * time (this process writes the shadow tree, which may fail part way). How many were logged,
   * and the Abort that stops the copy when not all were.
   */
  private logRun(entries: FileEntry[]): { logged: number; failure?: Abort } {
    if (!this.master.daemonServesLog) {
      for (let k = 0; k < entries.length; k++) {
        try {
          this.logReserved(entries[k]);
        } catch (e) {
          if (e instanceof Abort) return { logged: k, failure: e };
          throw e;
        }
      }
      return { logged: entries.length };
    }
    try {
      this.master.logReservedRun(entries);
      return { logged: entries.length };
    } catch (e) {
      return { logged: 0, failure: this.logAbort(entries[0], e) };
    }
  }

  private copiedInBatch(step: Extract<Step, { kind: 'file' }>): void {
    const { entry } = step;
    this.progress.fileStart(path.basename(step.src), entry.size);
    this.progress.addBytes(entry.size);
    this.progress.fileDone();
    this.report.filesCopied++;
    this.report.bytesCopied += entry.size;
    if (this.opts.verbose) this.say(`'${step.src}' -> '${this.show(entry.path)}'`);
  }

  /** Throws Interrupted when a signal was recorded; `partial` names the file being written. */
  private checkInterrupt(partial?: Interrupted['partial']): void {
    const signal = this.opts.interruptSignal?.() ?? 0;
    if (signal !== 0) throw new Interrupted(signal, partial);
  }

  private makeDir(entry: MkdirEntry): void {
    this.logReserved(entry);
    this.report.dirsCreated++;
    if (this.opts.verbose) this.say(`created directory '${this.show(entry.path)}'`);
  }

  private copyStep(step: Extract<Step, { kind: 'file' }>): void {
    const { src, entry, reserved } = step;
    const opened = this.openSource(src, step.inTree);
    if (opened === undefined) {
      // It vanished since the walk: its slot goes to the next entry.
      if (reserved) this.master.session.dropReserved(entry);
      return;
    }
    const fd = opened.fd;
    try {
      if (reserved) this.logReserved(entry);
      this.progress.fileStart(path.basename(src), entry.size);
      let done = 0;
      const chunk = (n: number) => {
        this.progress.addBytes(n);
        done += n;
        if (done < entry.size) this.checkInterrupt({ src, target: this.show(entry.path), done, size: entry.size });
      };
      try {
        if (step.famfsSrc) copyEntry(this.data, step.famfsSrc, entry, chunk);
        else copyFdDirect(this.data, entry, fd, entry.size, chunk, undefined, this.scratch);
      } catch (e) {
        if (e instanceof Interrupted) throw e;
        const why = e instanceof SourceChanged ? e.message : describeError(e);
        const what = reserved ? 'the new file' : 'it';
        const left = `${what} holds partial data (run famfs cp again to rewrite it in place)`;
        return this.skip(`copying '${src}' to '${this.show(entry.path)}' failed: ${why}; ${left}`);
      }
      this.progress.fileDone();
      if (reserved) this.report.filesCopied++;
      else this.report.filesRewritten++;
      this.report.bytesCopied += entry.size;
      if (this.opts.verbose) {
        this.say(`'${src}' -> '${this.show(entry.path)}'${reserved ? '' : ' (rewritten in place)'}`);
      }
    } finally {
      fs.closeSync(fd);
      this.data.trim();
    }
  }

  /** Logs a reserved entry; what fails here could not be checked in advance: the copy stops. */
  private logReserved(entry: FileEntry | MkdirEntry): void {
    try {
      this.master.logReserved(entry);
    } catch (e) {
      throw this.logAbort(entry, e);
    }
  }

  private logAbort(entry: FileEntry | MkdirEntry, e: unknown): Abort {
    const why = `cannot create '${this.show(entry.path)}': ${describeError(e)}`;
    return new Abort(isFamfsError(e) ? e : new FamfsError('EIO', why));
  }

  private compareFile(src: string, targetRel: string, fd: number, size: number, famfsSrc: FileEntry | undefined): void {
    const entry = this.master.file(targetRel);
    if (!entry) return this.skip(`'${this.show(targetRel)}' does not exist (compare with '${src}')`);
    this.progress.fileStart(path.basename(src), size);
    let diff: number;
    try {
      if (famfsSrc) diff = compareEntry(this.data, famfsSrc, entry, (n) => this.progress.addBytes(n));
      else
        diff = compareFd(this.data, entry, fd, size, (this.compareBuf ??= Buffer.allocUnsafe(COMPARE_BUFFER)), (n) =>
          this.progress.addBytes(n),
        );
    } catch (e) {
      return this.skip(`cannot compare '${src}' with '${this.show(targetRel)}': ${describeError(e)}`);
    }
    this.progress.fileDone();
    this.report.filesCompared++;
    if (diff >= 0) {
      const sizes = entry.size !== size ? ` (sizes ${size} and ${entry.size})` : '';
      return this.skip(`'${src}' and '${this.show(targetRel)}' differ at byte ${diff}${sizes}`);
    }
    if (this.opts.verbose) this.say(`'${src}' and '${this.show(targetRel)}' are identical`);
  }

  /** A famfs-relative path as the user sees it: under the mount point. */
  private show(rel: string): string {
    return rel === '' ? this.master.mount.mountpoint : `${this.master.mount.mountpoint}/${rel}`;
  }

  private skip(message: string): void {
    this.report.errors++;
    this.progress.clear();
    this.io.err(`famfs cp: ${message}\n`);
  }

  private warn(message: string): void {
    this.report.warnings++;
    if (this.opts.quiet) return;
    this.progress.clear();
    this.io.err(`famfs cp: warning: ${message}\n`);
  }

  private say(message: string): void {
    if (this.opts.quiet) return;
    this.progress.clear();
    this.io.out(`famfs cp: ${message}\n`);
  }
}

/**
 * Counts the files and bytes the sources hold (for the progress bar), giving up after
 * `budgetMs` (the totals are then unknown and the bar shows counts only).
 */
export function scanTotals(
  sources: string[],
  recursive: boolean,
  budgetMs = 1000,
): { files: number; bytes: number } | undefined {
  const deadline = monotonicMs() + budgetMs;
  let files = 0;
  let bytes = 0;
  const walk = (dir: string): boolean => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return true;
    }
    for (const d of entries) {
      if (monotonicMs() > deadline) return false;
      const p = path.join(dir, d.name);
      if (d.isDirectory()) {
        if (!walk(p)) return false;
      } else if (d.isFile()) {
        try {
          const size = fs.statSync(p).size;
          if (size > 0) {
            files++;
            bytes += size;
          }
        } catch {
          // reported by the copy itself
        }
      }
    }
    return true;
  };
  for (const s of sources) {
    let st: fs.Stats;
    try {
      st = fs.statSync(s);
    } catch {
      continue;
    }
    if (st.isFile() && st.size > 0) {
      files++;
      bytes += st.size;
    } else if (st.isDirectory() && recursive && !walk(s)) return undefined;
  }
  return { files, bytes };
}
