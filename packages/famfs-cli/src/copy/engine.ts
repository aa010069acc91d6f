/**
 * The `famfs cp` engine: walks the sources, applies the destination rules, creates directories
 * and files through one FamfsMaster (one log session for the whole copy) and moves the data
 * through the device mapping.
 *
 * Error classes:
 * - a *skip* (source unreadable, empty source, directory without -r, size clash with an existing
 *   file, bad name...) is reported, counted, and the copy goes on; the exit code becomes 1;
 * - an *abort* (out of space, log full, a source that is not a regular file or directory) stops
 *   everything at once. Each file is logged only once its space is allocated and its data copy
 *   follows at once, so at an abort the failed file has no log entry and every file logged
 *   before it holds its data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FamfsError, isFamfsError } from '@famfs/libfamfs';
import { FileEntry, LOG_META, META_DIR, SUPERBLOCK_META } from '@famfs/libfamfs/format';
import { DataPath } from '@famfs/libfamfs/device';
import { InterleaveParams } from '@famfs/libfamfs/alloc';
import { FileOptions } from '@famfs/libfamfs/log';
import { emitShadowYaml } from '@famfs/libfamfs/shadow';
import { FamfsMaster } from '@famfs/libfamfs/mount';
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
import { Progress } from './progress';

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
}

/** Stops the whole copy. */
class Abort extends Error {
  constructor(readonly reason: FamfsError) {
    super(reason.message);
  }
}

type DestKind = 'dir' | 'file' | 'reserved' | undefined;

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;
const OPEN_FLAGS_NOFOLLOW = OPEN_FLAGS | fs.constants.O_NOFOLLOW;
/** Buffer for -c (source bytes are read into it and compared with the mapping). */
const COMPARE_BUFFER = 16 * 1024 * 1024;

function typeName(st: fs.Stats | fs.Dirent): string {
  if (st.isFIFO()) return 'a fifo';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

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
  /** Directories known to be present in the shadow tree during this copy. */
  private readonly shadowDirs = new Set<string>(['']);

  constructor(
    private readonly master: FamfsMaster,
    private readonly opts: CopyOptions,
    private readonly io: Output,
    private readonly progress: Progress,
  ) {
    this.data = new DataPath(master.session.device, COPY_DATA_PATH);
  }

  /** Copies `sources` to `destArg` by the famfs cp rules; returns the report (never throws an Abort). */
  run(sources: string[], destArg: string): CopyReport {
    try {
      this.runInner(sources, destArg);
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      this.report.aborted = e.reason;
    } finally {
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

  private abortNotRegular(src: string, st: fs.Stats | fs.Dirent): never {
    throw new Abort(
      new FamfsError('EINVAL', `'${src}' is ${typeName(st)}; famfs cp copies only regular files and directories`, {
        path: src,
      }),
    );
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
    return undefined;
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
      this.master.mkdir(rel, { mode, uid: this.opts.uid, gid: this.opts.gid });
      this.shadowDirs.add(rel);
    } catch (e) {
      if (isFamfsError(e, 'ELOGFULL')) throw new Abort(e);
      this.skip(`cannot create directory '${this.show(rel)}': ${describeError(e)}`);
      return false;
    }
    this.report.dirsCreated++;
    if (this.opts.verbose) this.say(`created directory '${this.show(rel)}'`);
    return true;
  }

  /** Copies the entries of source directory `srcDir` into famfs directory `dirRel`. */
  private copyDirContents(srcDir: string, dirRel: string): void {
    let entries: fs.Dirent[];
    let realDir: string;
    try {
      realDir = fs.realpathSync(srcDir);
      entries = fs.readdirSync(srcDir, { withFileTypes: true });
    } catch (e) {
      return this.skip(`cannot read directory '${srcDir}': ${describeError(e)}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const base = srcDir.endsWith('/') ? srcDir : `${srcDir}/`;
    const realBase = realDir === '/' ? '/' : `${realDir}/`;
    for (const d of entries) {
      const child = base + d.name;
      const targetRel = joinRel(dirRel, d.name);
      let kind: fs.Dirent | fs.Stats = d;
      if (
        !d.isFile() &&
        !d.isDirectory() &&
        !d.isSymbolicLink() &&
        !d.isFIFO() &&
        !d.isSocket() &&
        !d.isCharacterDevice() &&
        !d.isBlockDevice()
      ) {
        try {
          kind = fs.lstatSync(child); // the file system gave no type
        } catch (e) {
          this.skip(`cannot stat '${child}': ${describeError(e)}`);
          continue;
        }
      }
      if (kind.isSymbolicLink()) {
        this.warn(`skipping symlink '${child}' (famfs has no symlinks)`);
      } else if (kind.isDirectory()) {
        let mode: number;
        try {
          mode = fs.lstatSync(child).mode & 0o777;
        } catch (e) {
          this.skip(`cannot stat '${child}': ${describeError(e)}`);
          continue;
        }
        if (this.ensureDir(targetRel, mode, child)) this.copyDirContents(child, targetRel);
      } else if (kind.isFile()) {
        this.copyFile(child, targetRel, true, realBase + d.name);
      } else {
        this.abortNotRegular(child, kind);
      }
    }
  }

  /** The famfs file of this device that `real` (a resolved path) is, if any. */
  private famfsSource(real: string): { rel: string; entry: FileEntry } | undefined {
    const mpt = this.master.mount.mountpoint;
    if (!real.startsWith(mpt + '/')) return undefined;
    const rel = real.slice(mpt.length + 1);
    const entry = this.master.file(rel);
    return entry ? { rel, entry } : undefined;
  }

  /**
   * Copies (or compares) regular file `src` to famfs path `targetRel`: a new file, or an existing
   * famfs file of the same size written in place.
   */
  private copyFile(src: string, targetRel: string, inTree: boolean, realSrc?: string): void {
    const kind = this.kindOf(targetRel);
    if (kind === 'dir') return this.skip(`cannot overwrite directory '${this.show(targetRel)}' with file '${src}'`);
    if (kind === 'reserved') return this.skip(`cannot copy '${src}' over famfs metadata '${this.show(targetRel)}'`);
    let fd: number;
    try {
      fd = fs.openSync(src, inTree ? OPEN_FLAGS_NOFOLLOW : OPEN_FLAGS);
    } catch (e) {
      return this.skip(`cannot open '${src}': ${describeError(e)}`);
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) return this.skip(`-r not specified; omitting directory '${src}'`);
      if (!st.isFile()) this.abortNotRegular(src, st);
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
      if (this.opts.compare) return this.compareFile(src, targetRel, fd, size, famfsSrc?.entry);

      let entry = this.master.file(targetRel);
      let rewrite = false;
      if (entry) {
        if (entry.size !== size) {
          return this.skip(
            `'${this.show(targetRel)}' exists with size ${entry.size}, but '${src}' has ${size} bytes (famfs files cannot be resized)`,
          );
        }
        rewrite = true;
      } else {
        try {
          entry = this.createFile(targetRel, size, {
            mode: this.opts.mode ?? st.mode & 0o777,
            uid: this.opts.uid,
            gid: this.opts.gid,
            interleave: this.opts.interleave,
          });
        } catch (e) {
          if (isFamfsError(e, 'ENOSPC') || isFamfsError(e, 'ELOGFULL')) throw new Abort(e);
          return this.skip(`cannot create '${this.show(targetRel)}': ${describeError(e)}`);
        }
      }
      this.progress.fileStart(path.basename(src), size);
      try {
        if (famfsSrc) copyEntry(this.data, famfsSrc.entry, entry, (n) => this.progress.addBytes(n));
        else copyFdDirect(this.data, entry, fd, size, (n) => this.progress.addBytes(n), undefined, this.scratch);
      } catch (e) {
        const why = e instanceof SourceChanged ? e.message : describeError(e);
        return this.skip(
          `copying '${src}' to '${this.show(targetRel)}' failed: ${why}; ${rewrite ? 'it' : 'the new file'} holds partial data (run famfs cp again to rewrite it in place)`,
        );
      }
      this.progress.fileDone();
      if (rewrite) this.report.filesRewritten++;
      else this.report.filesCopied++;
      this.report.bytesCopied += size;
      if (this.opts.verbose) this.say(`'${src}' -> '${this.show(targetRel)}'${rewrite ? ' (rewritten in place)' : ''}`);
    } finally {
      fs.closeSync(fd);
      this.data.trim();
    }
  }

  /**
   * FamfsMaster.createFile (log entry, then, for a daemon serving the shadow tree, the shadow
   * file), minus its per-file check that every directory above the file is present in the shadow
   * tree: that check (an lstat per path component) is done once per directory here, and a
   * directory whose shadow entry is missing goes through FamfsMaster.createFile, which repairs it.
   */
  private createFile(rel: string, size: number, opts: FileOptions): FileEntry {
    // A daemon serving the log writes the shadow tree itself: nothing to check or write here.
    if (this.master.daemonServesLog) return this.master.createFile(rel, size, opts);
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    if (!this.shadowDirs.has(parent)) {
      if (this.master.tree.kind(parent) !== 'dir') {
        const entry = this.master.createFile(rel, size, opts);
        this.shadowDirs.add(parent);
        return entry;
      }
      this.shadowDirs.add(parent);
    }
    const entry = this.master.session.createFile(rel, size, opts);
    this.master.tree.createFile(rel, emitShadowYaml(entry));
    return entry;
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
  const deadline = performance.now() + budgetMs;
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
      if (performance.now() > deadline) return false;
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
