/**
 * The inode table of the famfs daemon: which nodeid stands for which famfs path, how many
 * references the kernel holds on it (fuse-famfs-abi §4.7), and what we know about it (its
 * attributes and, for a file, its entry).
 *
 * - nodeids are never reused (a counter), so (nodeid, generation 0) is unique for the life of
 *   the mount; the root is nodeid 1 and is never forgotten.
 * - Every successful LOOKUP / READDIRPLUS entry (not "." or "..") takes one reference with ref();
 *   FORGET / BATCH_FORGET give them back with forget(). At zero the inode is dropped.
 * - A path maps to one live inode. When the object behind a path changes (another identity, or
 *   file <-> directory: possible in a shadow tree, never in a log), a new inode is made for the
 *   path; the old one stays reachable by nodeid until the kernel forgets it.
 * - SETATTR changes (mode, uid, gid, atime, mtime) are kept in memory as overrides on the inode:
 *   they last while the kernel references it, like the C famfs_fused's icache (they are not logged).
 */
import type { FileEntry } from '@famfs/libfamfs/format';
import type { AttrValue } from '@famfs/fuse';
import { FUSE_ROOT_ID, S_IFMT } from '@famfs/fuse';

export type InodeKind = 'dir' | 'file';

/** In-memory attribute changes (SETATTR). Times are [seconds, nanoseconds]. */
export interface AttrOverrides {
  /** Permission bits (07777). */
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: [number, number];
  mtime?: [number, number];
  ctime?: [number, number];
}

export interface Inode {
  readonly nodeid: number;
  /** Path relative to the mount's root, '' for the root. */
  readonly path: string;
  readonly kind: InodeKind;
  /** nodeid of the parent directory (the root is its own parent). */
  readonly parent: number;
  /** Identity of the object behind the path (its st_ino: the shadow file's, or the log slot's). */
  readonly ident: number;
  /** References the kernel holds (lookups not yet forgotten). */
  nlookup: number;
  /** Attributes as last derived from the source (before overrides). */
  attr: AttrValue;
  /** The file's entry (files only): from its log slot, or its parsed shadow YAML. */
  entry?: FileEntry;
  overrides: AttrOverrides;
}

export class InodeTable {
  private readonly byId = new Map<number, Inode>();
  private readonly byPath = new Map<string, number>();
  private nextId = FUSE_ROOT_ID + 1;
  /** Inodes held, by kind (root included). */
  readonly counts = { file: 0, dir: 1 };

  constructor(rootAttr: AttrValue, rootIdent: number) {
    const root: Inode = {
      nodeid: FUSE_ROOT_ID,
      path: '',
      kind: 'dir',
      parent: FUSE_ROOT_ID,
      ident: rootIdent,
      nlookup: 1,
      attr: rootAttr,
      overrides: {},
    };
    this.byId.set(FUSE_ROOT_ID, root);
    this.byPath.set('', FUSE_ROOT_ID);
  }

  get root(): Inode {
    return this.byId.get(FUSE_ROOT_ID)!;
  }

  get(nodeid: number): Inode | undefined {
    return this.byId.get(nodeid);
  }

  /** The live inode of a path, if any. */
  atPath(path: string): Inode | undefined {
    const id = this.byPath.get(path);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Every inode held, in nodeid order (for dumps). */
  all(): IterableIterator<Inode> {
    return this.byId.values();
  }

  /** Number of inodes held (root included). */
  get size(): number {
    return this.byId.size;
  }

  /**
   * The inode for `path` as found now: the existing one when the same object (identity and kind)
   * is still there, else a new inode (taking over the path).
   * Takes no reference: call ref() when the kernel is told about it.
   */
  upsert(
    path: string,
    parent: number,
    kind: InodeKind,
    ident: number,
    make: () => { attr: AttrValue; entry?: FileEntry },
  ): Inode {
    const cur = this.atPath(path);
    if (cur && cur.kind === kind && cur.ident === ident) return cur;
    if (path === '' && cur) return cur;
    const { attr, entry } = make();
    const ino: Inode = { nodeid: this.nextId++, path, kind, parent, ident, nlookup: 0, attr, entry, overrides: {} };
    this.byId.set(ino.nodeid, ino);
    this.byPath.set(path, ino.nodeid);
    this.counts[kind]++;
    return ino;
  }

  /** The kernel now holds n more references. */
  ref(ino: Inode, n = 1): void {
    ino.nlookup += n;
  }

  /**
   * The kernel dropped n references; at zero the inode (and its overrides) is dropped. The root
   * is never dropped. Unknown nodeids are ignored. Returns true when the inode was dropped.
   */
  forget(nodeid: number, n: number): boolean {
    const ino = this.byId.get(nodeid);
    if (!ino || nodeid === FUSE_ROOT_ID) return false;
    ino.nlookup = Math.max(0, ino.nlookup - n);
    if (ino.nlookup > 0) return false;
    this.byId.delete(nodeid);
    if (this.byPath.get(ino.path) === nodeid) this.byPath.delete(ino.path);
    this.counts[ino.kind]--;
    return true;
  }

  /** An inode created by upsert() that the kernel was never told about (a failed reply). */
  dropIfUnreferenced(ino: Inode): void {
    if (ino.nlookup === 0 && ino.nodeid !== FUSE_ROOT_ID) this.forget(ino.nodeid, 0);
  }

  /** The attributes to report: the cached ones with SETATTR overrides applied. */
  effectiveAttr(ino: Inode): AttrValue {
    const o = ino.overrides;
    const a = { ...ino.attr };
    if (o.mode !== undefined) a.mode = (a.mode & S_IFMT) | (o.mode & 0o7777);
    if (o.uid !== undefined) a.uid = o.uid;
    if (o.gid !== undefined) a.gid = o.gid;
    if (o.atime) [a.atime, a.atimensec] = o.atime;
    if (o.mtime) [a.mtime, a.mtimensec] = o.mtime;
    if (o.ctime) [a.ctime, a.ctimensec] = o.ctime;
    return a;
  }
}
