/**
 * The in-memory index of a famfs log that the daemon serves the tree from: for every directory,
 * its children by name and in log order, each child named by its log slot. Nothing else of an
 * entry is kept (a file's size, owner and map are read from its slot when the kernel asks: see
 * log-namespace.ts), so a full 256 MiB log (493,447 entries) costs a few tens of MiB.
 *
 * Entries are placed in log order with libfamfs' placementOf, the rule replay and fsck use, so
 * the index holds exactly the files and directories a logplay of the same log would create. The
 * .meta directory and its .superblock and .log files are not in the log; they get slots of their
 * own below zero, as famfs writes them itself at mount.
 *
 * A directory's children only ever grow (famfs has no unlink or rename), so a position in its
 * `order` array names the same child for the life of the mount: READDIR offsets are positions.
 */
import { placementOf } from '@famfs/libfamfs/log';
import type { Placement, TreeConflict, TreeView } from '@famfs/libfamfs/log';
import type { FileEntry, MkdirEntry } from '@famfs/libfamfs/format';
import { META_DIR } from '@famfs/libfamfs/format';

export const ROOT_SLOT = -1;
export const META_DIR_SLOT = -2;
export const SUPERBLOCK_META_SLOT = -3;
export const LOG_META_SLOT = -4;
const META_FILE_NAMES: readonly [string, number][] = [
  ['.superblock', SUPERBLOCK_META_SLOT],
  ['.log', LOG_META_SLOT],
];

const enum SlotKind {
  None = 0,
  File = 1,
  Dir = 2,
}

export interface IndexDir {
  /** The directory's log slot (ROOT_SLOT, META_DIR_SLOT for the two that are not logged). */
  readonly slot: number;
  /** Relative path ('' for the root). */
  readonly path: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Child slot by name. */
  readonly children: Map<string, number>;
  /** Child slots in the order they were placed; `names` holds their names at the same positions. */
  readonly order: number[];
  readonly names: string[];
  /** Child directories (for nlink). */
  subdirs: number;
  /** When a child was last added (ms since the epoch); the index's build time before that. */
  changedAt: number;
  /** Bumped at every change, so attributes made from it can be cached. */
  version: number;
}

/** A placement the index made: the new child, its slot and the directory that got it. */
export interface Placed {
  dir: IndexDir;
  name: string;
  slot: number;
  kind: 'file' | 'dir';
}

function nameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

function parentPathOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export class LogIndex implements TreeView {
  private readonly byPath = new Map<string, IndexDir>();
  private readonly bySlot = new Map<number, IndexDir>();
  private readonly kinds: Uint8Array;
  /** When each entry placed after the first catch-up was placed (ms); the rest were placed at `builtAt`. */
  private readonly placedAt = new Map<number, number>();
  private sealed = false;
  /** dirAt's memo. */
  private lastPath = '';
  private lastDir: IndexDir | undefined;
  readonly counts = { files: 0, dirs: 0 };
  readonly conflicts: TreeConflict[] = [];
  conflictCount = 0;

  /**
   * @param slots the log's number of slots
   * @param builtAt the time the initial entries are given (ms since the epoch)
   * @param maxConflicts how many conflicts to keep for reports (all are counted)
   */
  constructor(
    readonly slots: number,
    readonly builtAt: number,
    private readonly maxConflicts = 100,
  ) {
    this.kinds = new Uint8Array(slots);
    const root = this.addDir(ROOT_SLOT, '', 0o755, 0, 0);
    const meta = this.addDir(META_DIR_SLOT, META_DIR, 0o755, 0, 0);
    this.link(root, META_DIR, META_DIR_SLOT, true);
    for (const [name, slot] of META_FILE_NAMES) this.link(meta, name, slot, false);
  }

  get root(): IndexDir {
    return this.bySlot.get(ROOT_SLOT)!;
  }

  /** The directory at `path`, if one is placed there (the root and .meta included). */
  dir(path: string): IndexDir | undefined {
    return this.byPath.get(path);
  }

  /** The directory logged in `slot`. */
  dirOfSlot(slot: number): IndexDir | undefined {
    return this.bySlot.get(slot);
  }

  /** What `slot` holds in the tree: a file, a directory, or nothing (bad, conflicting or unused). */
  kindOf(slot: number): 'file' | 'dir' | undefined {
    if (slot < 0)
      return this.bySlot.has(slot)
        ? 'dir'
        : slot === SUPERBLOCK_META_SLOT || slot === LOG_META_SLOT
          ? 'file'
          : undefined;
    const k = this.kinds[slot];
    return k === SlotKind.File ? 'file' : k === SlotKind.Dir ? 'dir' : undefined;
  }

  /** When the entry in `slot` was placed (ms since the epoch). */
  placedTime(slot: number): number {
    return this.placedAt.get(slot) ?? this.builtAt;
  }

  /** From now on, placements are dated (they are the log's new entries, not the mount's first read). */
  seal(): void {
    this.sealed = true;
  }

  /**
   * The directory at `path`, remembering the last one asked for: a log's entries mostly come
   * directory by directory, so placing one asks for the same parent several times.
   */
  private dirAt(path: string): IndexDir | undefined {
    if (path === this.lastPath && this.lastDir) return this.lastDir;
    const d = this.byPath.get(path);
    if (d) {
      this.lastPath = path;
      this.lastDir = d;
    }
    return d;
  }

  // TreeView: the logged tree only, as replay's PathTree sees it (.meta's own objects are not logged).

  fileIndex(path: string): number | undefined {
    const slot = this.dirAt(parentPathOf(path))?.children.get(nameOf(path));
    return slot !== undefined && slot >= 0 && this.kinds[slot] === SlotKind.File ? slot : undefined;
  }

  hasDir(path: string): boolean {
    const d = this.byPath.get(path);
    return d !== undefined && d.slot >= 0;
  }

  /**
   * Places a valid FILE or MKDIR entry from `slot` as replay would. Returns what was added, the
   * conflict (also counted, and kept for reports up to maxConflicts), or null for a repeated mkdir.
   */
  place(entry: FileEntry | MkdirEntry, slot: number, now = this.builtAt): Placed | TreeConflict | null {
    const p: Placement = placementOf(entry, this);
    if (p === 'exists') return null;
    if (p !== 'add') {
      const c: TreeConflict = { index: slot, path: entry.path, reason: p.conflict };
      this.conflictCount++;
      if (this.conflicts.length < this.maxConflicts) this.conflicts.push(c);
      return c;
    }
    const parent = this.dirAt(parentPathOf(entry.path))!;
    const name = nameOf(entry.path);
    const isDir = entry.type === 'mkdir';
    if (isDir)
      this.addDir(slot, entry.path, entry.mode, entry.uid, entry.gid).changedAt = this.sealed ? now : this.builtAt;
    this.kinds[slot] = isDir ? SlotKind.Dir : SlotKind.File;
    this.link(parent, name, slot, isDir);
    if (isDir) this.counts.dirs++;
    else this.counts.files++;
    if (this.sealed) {
      this.placedAt.set(slot, now);
      parent.changedAt = now;
    }
    return { dir: parent, name, slot, kind: isDir ? 'dir' : 'file' };
  }

  private addDir(slot: number, path: string, mode: number, uid: number, gid: number): IndexDir {
    const d: IndexDir = {
      slot,
      path,
      mode,
      uid,
      gid,
      children: new Map(),
      order: [],
      names: [],
      subdirs: 0,
      changedAt: this.builtAt,
      version: 0,
    };
    this.byPath.set(path, d);
    this.bySlot.set(slot, d);
    return d;
  }

  private link(parent: IndexDir, name: string, slot: number, isDir: boolean): void {
    parent.children.set(name, slot);
    parent.order.push(slot);
    parent.names.push(name);
    if (isDir) parent.subdirs++;
    parent.version++;
  }
}
