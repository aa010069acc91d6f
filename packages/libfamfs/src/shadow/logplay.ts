import { DaxSysfsOptions } from '../device/dax-switch';
import { withFamfsLogSource } from '../device/device-access';
import { mountpointsOf } from '../mount/mount-table';
import { BadEntry, PathTree, Replay, TreeConflict } from '../log/replay';
import { deviceWindows, memoryWindows } from '../log/log-windows';
import { scanLogWindows } from '../log/window-scan';
import { parseLogHeader } from '../format/log-header';
import { roleOf, tryGetSystemUuid } from '../system-uuid';
import type { Role } from '../system-uuid';
import { Superblock } from '../format/superblock';
import { FileEntry, LogEntry, MkdirEntry } from '../format/log-entry';
import { emitShadowYaml } from './yaml-emit';
import { META_DIR } from '../format/meta-paths';
import { logMetaEntry, superblockMetaEntry } from './meta-files';
import { prepareShadowRoot, ShadowTree } from './tree';
import { PlayOutcome } from './play-entry';
import { ShadowPlayer } from './shadow-player';

export { playEntry } from './play-entry';

const HEADER_WINDOW = 4096;
export type { PlayOutcome } from './play-entry';

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
 * The log is read a window at a time and each entry played as soon as it is placed, so memory is
 * a window and the path tree however large the log.
 */
export function logplayDevice(devicePath: string, shadowPath: string, opts: LogplayOptions = {}): LogplayResult {
  const access = { ...opts.dax, mountsOf: mountpointsOf, mountpoint: opts.mountpoint };
  return withFamfsLogSource(
    devicePath,
    (src) => {
      const windows = src.log ? memoryWindows(src.log) : deviceWindows(src.device!);
      try {
        // An unusable log header fails here, before anything is created.
        parseLogHeader(windows.window(0, Math.min(HEADER_WINDOW, src.sb.logLen)), src.sb.logLen, devicePath);
        const root = opts.dryRun ? shadowPath : prepareShadowRoot(shadowPath);
        const play = new LogPlay(src.sb, root, opts);
        const scan = scanLogWindows(windows, src.sb, devicePath, (i, entry) => play.entry(i, entry));
        return play.result(scan.header.nextIndex, scan.bad);
      } finally {
        windows.close();
      }
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
  const conflicted = new Set(replay.conflicts.map((c) => c.index));
  const play = new LogPlay(sb, shadowRoot, opts, (entry, index) => !conflicted.has(index));
  for (let index = 0; index < replay.entries.length; index++) {
    const entry = replay.entries[index];
    if (entry !== undefined && entry.type !== 'add_daxdev') play.place(entry, index);
  }
  return play.result(replay.header.nextIndex, replay.bad, replay.conflicts);
}

/**
 * Logplay of entries in log order: each valid entry placed with the tree rule (PathTree), unless
 * the caller decides placement, then played into the tree (or only counted, for a dry run).
 */
class LogPlay {
  private readonly tree = new PathTree();
  private readonly player: ShadowPlayer;
  private readonly failed: LogplayProblem[] = [];
  private newFiles = 0;
  private newDirs = 0;
  private existingFiles = 0;
  private repairedFiles = 0;

  constructor(
    sb: Superblock,
    private readonly root: string,
    private readonly opts: LogplayOptions,
    /** Whether a valid entry is placed; default the tree rule over the entries before it. */
    private readonly placed?: (entry: FileEntry | MkdirEntry, index: number) => boolean,
  ) {
    const tree = new ShadowTree(root);
    this.player = new ShadowPlayer(tree);
    if (!opts.dryRun) writeMetaFiles(tree, sb, opts.role ?? roleOf(sb, opts.systemUuid ?? tryGetSystemUuid()));
  }

  /** A valid entry from the log scan. */
  entry(index: number, entry: LogEntry): void {
    if (entry.type === 'add_daxdev') return;
    const conflicts = this.tree.conflicts.length;
    this.tree.place(entry, index);
    if (this.tree.conflicts.length === conflicts) this.play(entry, index);
  }

  /** A valid entry whose placement the caller decides. */
  place(entry: FileEntry | MkdirEntry, index: number): void {
    if (this.placed!(entry, index)) this.play(entry, index);
  }

  private play(entry: FileEntry | MkdirEntry, index: number): void {
    try {
      const done = this.opts.dryRun ? dryRunOutcome(entry) : this.player.play(entry);
      if (done === 'new-dir') this.newDirs++;
      else if (done === 'new-file') this.newFiles++;
      else if (done === 'repaired') this.repairedFiles++;
      else if (done === 'existing') this.existingFiles++;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.failed.push({ index, path: entry.path, reason });
    }
  }

  result(entries: number, bad: BadEntry[], conflicts: TreeConflict[] = this.tree.conflicts): LogplayResult {
    return {
      shadowRoot: this.root,
      entries,
      newFiles: this.newFiles,
      newDirs: this.newDirs,
      existingFiles: this.existingFiles,
      repairedFiles: this.repairedFiles,
      bad,
      problems: [...conflicts.map((c) => ({ ...c })), ...this.failed],
    };
  }
}

function dryRunOutcome(entry: FileEntry | MkdirEntry): PlayOutcome {
  return entry.type === 'mkdir' ? 'new-dir' : 'new-file';
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
