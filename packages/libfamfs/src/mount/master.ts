import { FamfsError } from '../errors';
import { FileEntry, MkdirEntry } from '../format/log-entry';
import { DataPath } from '../device/file-data';
import { FileOptions, LogSession, LogSessionOptions, OwnerOptions } from '../log/log-session';
import { FamfsMount, requireFamfsMount } from './records';
import { relpathInMount } from './mount-path';
import { replayedDir, replayedFile } from '../log/replay';
import { emitShadowYaml } from '../shadow/yaml-emit';
import { ShadowTree, shadowRootOf } from '../shadow/tree';
import { ALLOC_CFG_META } from '../format/meta-paths';
import { parseAllocConfig } from '../shadow/alloc-config';
import { SHADOW_YAML_MAX } from '../shadow/yaml-parse';
import { InterleaveParams, interleaveProblem } from '../alloc/interleave';

/**
 * The master's view of a mounted famfs: an exclusive log session on its device (so creations
 * from any number of processes are serialized), the shadow tree the mount serves, and the file
 * data on the device.
 *
 * Order of a creation: allocate and append the log entry (under the device lock), then write the
 * shadow entry the mount serves. A crash in between leaves a logged file that is not visible
 * until the next `famfs logplay`, never a visible file whose space the log does not own.
 */
export class FamfsMaster {
  private dataPath?: DataPath;

  private constructor(
    readonly mount: FamfsMount,
    readonly session: LogSession,
    readonly tree: ShadowTree,
  ) {}

  /** Opens the famfs mounted at (or above) `pathInMount`; ENOTMASTER on a client. */
  static open(pathInMount: string, opts: LogSessionOptions = {}): FamfsMaster {
    const mount = requireFamfsMount(pathInMount);
    const session = LogSession.open(mount.device, opts);
    return new FamfsMaster(mount, session, new ShadowTree(shadowRootOf(mount.shadow)));
  }

  /** The famfs-relative path of `p` ('' for the mount point); EINVAL outside the mount. */
  relpath(p: string): string {
    return relpathInMount(this.mount, p, { mayNotExist: true });
  }

  file(rel: string): FileEntry | undefined {
    return replayedFile(this.session.replay, rel);
  }

  dir(rel: string): MkdirEntry | undefined {
    return rel === '' ? { type: 'mkdir', path: '', mode: 0o755, uid: 0, gid: 0 } : replayedDir(this.session.replay, rel);
  }

  mkdir(rel: string, opts: OwnerOptions = {}): MkdirEntry {
    return this.logReserved(this.session.reserveMkdir(rel, opts));
  }

  createFile(rel: string, size: number, opts: FileOptions = {}): FileEntry {
    return this.logReserved(this.session.reserveFile(rel, size, opts));
  }

  /**
   * Logs an entry reserved with `session.reserveFile` or `reserveMkdir` (the oldest one) and adds
   * it to the shadow tree the mount serves.
   */
  logReserved<T extends FileEntry | MkdirEntry>(entry: T): T {
    this.session.logReserved(entry);
    this.ensureShadowDirs(parentOf(entry.path));
    if (entry.type === 'file') this.tree.createFile(entry.path, emitShadowYaml(entry));
    else this.tree.mkdir(entry.path, entry.mode, entry.uid, entry.gid);
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
      const problem = interleaveProblem(params, this.session.allocation.capacityBytes, this.session.allocation.unitSize);
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

  close(): void {
    this.dataPath?.close();
    this.session.close();
  }

  /**
   * Creates in the shadow tree any logged directory on the way to `rel` that is missing there
   * (a creation by a process that died before its shadow write, or a mount not yet replayed).
   */
  private ensureShadowDirs(rel: string): void {
    if (rel === '' || this.tree.kind(rel) === 'dir') return;
    this.ensureShadowDirs(parentOf(rel));
    const d = this.dir(rel);
    if (!d) throw new FamfsError('ENOENT', `directory '${rel}' is not in the log`, { path: rel });
    this.tree.mkdir(rel, d.mode, d.uid, d.gid);
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
