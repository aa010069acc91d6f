import { FamfsError } from '../errors';
import { Device, mapMeta } from '../device/device';
import { Replay, replayLog, BadEntry } from '../log/replay';
import { roleOf, tryGetSystemUuid } from '../system-uuid';
import type { Role } from '../system-uuid';
import { Superblock } from '../format/superblock';
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
  /** Write the .meta files as this role rather than the one the system UUID gives (logplay -c). */
  role?: Role;
}

/**
 * Replays a device's log into a shadow tree (a YAML file per famfs file, real directories), with
 * no mount: what `famfs logplay --daxdev DEV --shadow DIR` does, and what famfs_fused serves from.
 */
export function logplayDevice(devicePath: string, shadowPath: string, opts: LogplayOptions = {}): LogplayResult {
  const dev = Device.open(devicePath, { writable: false });
  try {
    const meta = mapMeta(dev);
    dev.invalidate(meta.log, 0, meta.log.length);
    const replay = replayLog(meta.log, meta.sb, devicePath);
    const root = opts.dryRun ? shadowPath : prepareShadowRoot(shadowPath);
    return playIntoShadow(replay, meta.sb, root, opts);
  } finally {
    dev.close();
  }
}

/** Writes the .meta files and every logged directory and file missing from the shadow tree. */
export function playIntoShadow(replay: Replay, sb: Superblock, shadowRoot: string, opts: LogplayOptions = {}): LogplayResult {
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
      const kind = opts.dryRun ? undefined : tree.kind(entry.path);
      if (entry.type === 'mkdir') {
        if (kind === 'dir') continue;
        if (kind !== undefined) throw new FamfsError('EEXIST', `a non-directory is in the way`);
        if (!opts.dryRun) tree.mkdir(entry.path, entry.mode, entry.uid, entry.gid);
        result.newDirs++;
      } else {
        if (kind === 'file') {
          // The log is the truth and the shadow tree its cache: an empty shadow file is a creation
          // cut short between its create and its write, so it is written again from the entry.
          if (!opts.dryRun && tree.isEmptyFile(entry.path)) {
            tree.writeFile(entry.path, emitShadowYaml(entry));
            result.repairedFiles++;
          } else {
            result.existingFiles++;
          }
          continue;
        }
        if (kind !== undefined) throw new FamfsError('EISDIR', `a directory or special file is in the way`);
        if (!opts.dryRun) tree.createFile(entry.path, emitShadowYaml(entry));
        result.newFiles++;
      }
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      result.problems.push({ index, path: entry.path, reason });
    }
  }
  return result;
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
