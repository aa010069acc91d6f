import { FamfsError } from '../errors';
import { DaxSysfsOptions } from '../device/dax-switch';
import { withFamfsMeta } from '../device/device-access';
import { mountpointsOf } from '../mount/mount-table';
import { Replay, replayLog, BadEntry } from '../log/replay';
import { roleOf, tryGetSystemUuid } from '../system-uuid';
import type { Role } from '../system-uuid';
import { Superblock } from '../format/superblock';
import { FileEntry, MkdirEntry } from '../format/log-entry';
import { emitShadowYaml } from './yaml-emit';
import { META_DIR } from '../format/meta-paths';
import { logMetaEntry, superblockMetaEntry } from './meta-files';
import { prepareShadowRoot, ShadowTree } from './tree';

export interface LogplayProblem {
  index: number;
  path: string;
  reason: string;
}

export interface LogplayResult {
  shadowRoot: string;
  /** Entries in use in the log. */
  entries: number;
  newFiles: number;
  newDirs: number;
  /** Files already in the shadow tree (left as they are). */
  existingFiles: number;
  /** Shadow files found empty (a creator killed mid-write) and rewritten from the log. */
  repairedFiles: number;
  bad: BadEntry[];
  problems: LogplayProblem[];
}

export interface LogplayOptions {
  /** Parse and count, create nothing. */
  dryRun?: boolean;
  systemUuid?: Buffer;
  /** Read the superblock and log through this famfs mount of the device (default: any, when mounted). */
  mountpoint?: string;
  /** Where sysfs is and how to write it, for a dax device in fsdev_dax mode (default: the host's). */
  dax?: DaxSysfsOptions;
  /** Write the .meta files as this role rather than the one the system UUID gives (logplay -c). */
  role?: Role;
}

/**
 * Replays a device's log into a shadow tree (a YAML file per famfs file, real directories): what
 * `famfs logplay --daxdev DEV --shadow DIR` does, and what famfs_fused serves from. A mounted
 * device is read through its mount's .meta files, never opened; an unmounted dax device in
 * fsdev_dax mode is switched to device_dax for the read and back (device/device-access.ts).
 */
export function logplayDevice(devicePath: string, shadowPath: string, opts: LogplayOptions = {}): LogplayResult {
  const access = { ...opts.dax, mountsOf: mountpointsOf, mountpoint: opts.mountpoint };
  return withFamfsMeta(
    devicePath,
    (meta) => {
      const replay = replayLog(meta.log, meta.sb, devicePath);
      const root = opts.dryRun ? shadowPath : prepareShadowRoot(shadowPath);
      return playIntoShadow(replay, meta.sb, root, opts);
    },
    access,
  );
}

/** Writes the .meta files and every logged directory and file missing from the shadow tree. */
export function playIntoShadow(
  replay: Replay,
  sb: Superblock,
  shadowRoot: string,
  opts: LogplayOptions = {},
): LogplayResult {
  const tree = new ShadowTree(shadowRoot);
  const result: LogplayResult = {
    shadowRoot,
    entries: replay.header.nextIndex,
    newFiles: 0,
    newDirs: 0,
    existingFiles: 0,
    repairedFiles: 0,
    bad: replay.bad,
    problems: replay.conflicts.map((c) => ({ ...c })),
  };
  const conflicted = new Set(replay.conflicts.map((c) => c.index));
  if (!opts.dryRun) writeMetaFiles(tree, sb, opts.role ?? roleOf(sb, opts.systemUuid ?? tryGetSystemUuid()));

  for (let index = 0; index < replay.entries.length; index++) {
    const entry = replay.entries[index];
    if (entry === undefined || entry.type === 'add_daxdev' || conflicted.has(index)) continue;
    try {
      const done = opts.dryRun ? dryRunOutcome(entry) : playEntry(tree, entry);
      if (done === 'new-dir') result.newDirs++;
      else if (done === 'new-file') result.newFiles++;
      else if (done === 'repaired') result.repairedFiles++;
      else if (done === 'existing') result.existingFiles++;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      result.problems.push({ index, path: entry.path, reason });
    }
  }
  return result;
}

/** What playEntry did with an entry. */
export type PlayOutcome = 'new-file' | 'new-dir' | 'existing' | 'repaired' | 'existing-dir';

function dryRunOutcome(entry: FileEntry | MkdirEntry): PlayOutcome {
  return entry.type === 'mkdir' ? 'new-dir' : 'new-file';
}

/**
 * Writes one placed entry (valid, and placed by the log's tree rule) into a shadow tree, as
 * logplay does: a missing directory is made, a missing file gets its YAML, an empty YAML file (a
 * creation cut short) is written again, anything else already there is left alone. Another writer
 * of the same tree (a daemon writing it in the background, the C tools) may create the same path
 * meanwhile: that is "already there", not an error. Throws when something else is in the way.
 */
export function playEntry(tree: ShadowTree, entry: FileEntry | MkdirEntry): PlayOutcome {
  const kind = tree.kind(entry.path);
  if (entry.type === 'mkdir') {
    if (kind === 'dir') return 'existing-dir';
    if (kind !== undefined) throw new FamfsError('EEXIST', `a non-directory is in the way`);
    try {
      tree.mkdir(entry.path, entry.mode, entry.uid, entry.gid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && tree.kind(entry.path) === 'dir') return 'existing-dir';
      throw e;
    }
    return 'new-dir';
  }
  if (kind === 'file') {
    // The log is the truth and the shadow tree its cache: an empty shadow file is a creation
    // cut short between its create and its write, so it is written again from the entry.
    if (!tree.isEmptyFile(entry.path)) return 'existing';
    tree.writeFile(entry.path, emitShadowYaml(entry));
    return 'repaired';
  }
  if (kind !== undefined) throw new FamfsError('EISDIR', `a directory or special file is in the way`);
  try {
    tree.createFile(entry.path, emitShadowYaml(entry));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && tree.kind(entry.path) === 'file') return 'existing';
    throw e;
  }
  return 'new-file';
}

/** (Re)writes .meta/.superblock and .meta/.log in the shadow tree. */
export function writeMetaFiles(tree: ShadowTree, sb: Superblock, role: ReturnType<typeof roleOf>): void {
  if (tree.kind(META_DIR) === undefined) tree.mkdir(META_DIR, 0o755, 0, 0);
  const sbEntry = superblockMetaEntry();
  const logEntry = logMetaEntry(sb.logLen, role);
  tree.writeFile(sbEntry.path, emitShadowYaml(sbEntry));
  tree.writeFile(logEntry.path, emitShadowYaml(logEntry));
}

/** The C famfs' return value: bad entries plus files and directories that could not be placed. */
export function logplayErrorCount(r: LogplayResult): number {
  return r.bad.length + r.problems.length;
}
