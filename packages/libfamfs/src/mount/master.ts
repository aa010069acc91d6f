import { FamfsError } from '../errors';
import { FileEntry, MkdirEntry } from '../format/log-entry';
import { DataPath } from '../device/file-data';
import { FileOptions, LogSession, LogSessionOptions, OwnerOptions } from '../log/log-session';
import { FamfsMount, requireFamfsMount } from './records';
import { readDaemonStatus } from './contract';
import { logplayMount } from './logplay-mount';
import { relpathInMount } from './mount-path';
import { emitShadowYaml } from '../shadow/yaml-emit';
import { ShadowTree, shadowRootOf } from '../shadow/tree';
import { ALLOC_CFG_META } from '../format/meta-paths';
import { parseAllocConfig } from '../shadow/alloc-config';
import { SHADOW_YAML_MAX } from '../shadow/yaml-parse';
import { InterleaveParams, interleaveProblem } from '../alloc/interleave';

/**
 * The master's view of a mounted famfs: an exclusive log session on its device (so creations
 * from any number of processes are serialized), the mount, and the file data on the device.
 *
 * A famfs-ts daemon serving the log shows a new entry as soon as it is appended (it reads the
 * log again before it answers that a name does not exist, and before a listing) and writes the
 * shadow tree itself. On a mount that does not follow the log (-o follow=0), close() asks the
 * daemon to read the log to its end, so every creation shows; a following daemon is not waited
 * for (it reads the new entries in the background, or at the first lookup or listing that needs
 * them). A daemon serving the shadow tree (the C famfs_fused) needs the shadow entry:
 * then each creation appends its log entry (under the device lock), then writes the shadow entry.
 * A crash in between leaves a logged file that is not visible until the next `famfs logplay`,
 * never a visible file whose space the log does not own.
 */
export class FamfsMaster {
  private dataPath?: DataPath;
  private appended = false;
  /** Real paths of the mount's directories that relpath() resolved (for requests of many paths). */
  private readonly mountDirs = new Map<string, string>();
  /** Directories seen present in the shadow tree: checked once each, not once per creation. */
  private readonly shadowDirsPresent = new Set<string>(['']);

  private constructor(
    readonly mount: FamfsMount,
    readonly session: LogSession,
    readonly tree: ShadowTree,
    /** The daemon serves the log: it writes the shadow tree, not this process. */
    readonly daemonServesLog: boolean,
    /** ... and follows it: it finds new entries by itself, close() need not ask it to read the log. */
    private readonly daemonFollows: boolean,
  ) {}

  /** Opens the famfs mounted at (or above) `pathInMount`; ENOTMASTER on a client. */
  static open(pathInMount: string, opts: LogSessionOptions = {}): FamfsMaster {
    const mount = requireFamfsMount(pathInMount);
    const session = LogSession.open(mount.device, opts);
    const status = readDaemonStatus(mount.shadow);
    const servesLog = status?.source === 'log';
    const follows = servesLog && status?.log?.follow === 'following';
    return new FamfsMaster(mount, session, new ShadowTree(shadowRootOf(mount.shadow)), servesLog, follows);
  }

  /** The famfs-relative path of `p` ('' for the mount point); EINVAL outside the mount. */
  relpath(p: string): string {
    return relpathInMount(this.mount, p, { mayNotExist: true, mountDirs: this.mountDirs });
  }

  file(rel: string): FileEntry | undefined {
    return this.session.fileAt(rel);
  }

  dir(rel: string): MkdirEntry | undefined {
    return rel === '' ? { type: 'mkdir', path: '', mode: 0o755, uid: 0, gid: 0 } : this.session.dirAt(rel);
  }

  mkdir(rel: string, opts: OwnerOptions = {}): MkdirEntry {
    return this.logReserved(this.session.reserveMkdir(rel, opts));
  }

  createFile(rel: string, size: number, opts: FileOptions = {}): FileEntry {
    return this.logReserved(this.session.reserveFile(rel, size, opts));
  }

  /** Logs an entry reserved with `session.reserveFile` or `reserveMkdir` (the oldest one). */
  logReserved<T extends FileEntry | MkdirEntry>(entry: T): T {
    this.session.logReserved(entry);
    return this.logged(entry);
  }

  /**
   * Logs the oldest reserved entries, `entries` in order. When the daemon serves the log they go
   * as one run (LogSession.logReservedRun: all or none); when this process writes the shadow
   * tree, one at a time, so that a failure names exactly what was logged before it.
   */
  logReservedRun(entries: readonly (FileEntry | MkdirEntry)[]): void {
    if (!this.daemonServesLog) {
      for (const entry of entries) this.logReserved(entry);
      return;
    }
    this.session.logReservedRun(entries);
    for (const entry of entries) this.logged(entry);
  }

  /**
   * Logs a file entry as given, allocating nothing: `famfs clone`, whose entry shares the extents
   * of another file (the file system is then cross-linked, as fsck reports).
   */
  logUnallocated(entry: FileEntry): FileEntry {
    this.session.appendRaw(entry);
    return this.logged(entry);
  }

  /** After an append: unless the daemon serves the log, the shadow tree the mount serves gains it. */
  private logged<T extends FileEntry | MkdirEntry>(entry: T): T {
    this.appended = true;
    if (this.daemonServesLog) return entry;
    this.ensureShadowDirs(parentOf(entry.path));
    if (entry.type === 'file') this.tree.createFile(entry.path, emitShadowYaml(entry));
    else {
      this.tree.mkdir(entry.path, entry.mode, entry.uid, entry.gid);
      this.shadowDirsPresent.add(entry.path);
    }
    return entry;
  }

  /**
   * The interleave parameters of `.meta/.alloc.cfg`, when that file exists and is valid (as in
   * the C famfs, a broken file is ignored: the result says why).
   */
  allocConfig(): { params?: InterleaveParams; problem?: string } {
    const entry = this.file(ALLOC_CFG_META);
    if (!entry) return {};
    try {
      const text = Buffer.concat(this.data.read(entry, 0, Math.min(entry.size, SHADOW_YAML_MAX + 1))).toString('utf8');
      const params = parseAllocConfig(text, ALLOC_CFG_META);
      const problem = interleaveProblem(
        params,
        this.session.allocation.capacityBytes,
        this.session.allocation.unitSize,
      );
      return problem ? { problem } : { params };
    } catch (e) {
      return { problem: (e as Error).message };
    }
  }

  /** File data on the device (read and write), shared by every file of this master. */
  get data(): DataPath {
    this.dataPath ??= new DataPath(this.session.device);
    return this.dataPath;
  }

  /** Ends the session (the device lock is released) and has a mount that does not follow show what was created. */
  close(): void {
    this.dataPath?.close();
    this.session.close();
    if (!this.appended || !this.daemonServesLog || this.daemonFollows) return;
    try {
      logplayMount(this.mount.mountpoint);
    } catch {
      // The daemon shows the entries when it next reads the log; nothing is lost.
    }
  }

  /**
   * Creates in the shadow tree any logged directory on the way to `rel` that is missing there
   * (a creation by a process that died before its shadow write, or a mount not yet replayed).
   */
  private ensureShadowDirs(rel: string): void {
    if (this.shadowDirsPresent.has(rel)) return;
    if (this.tree.kind(rel) !== 'dir') {
      this.ensureShadowDirs(parentOf(rel));
      const d = this.dir(rel);
      if (!d) throw new FamfsError('ENOENT', `directory '${rel}' is not in the log`, { path: rel });
      this.tree.mkdir(rel, d.mode, d.uid, d.gid);
    }
    this.shadowDirsPresent.add(rel);
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
