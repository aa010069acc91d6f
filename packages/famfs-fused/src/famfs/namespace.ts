/**
 * Where the famfs file system finds what it serves. Two sources implement it:
 * - the log (log-namespace.ts, the default with a daxdev): an in-memory index of the device's
 *   log, following it as it grows;
 * - a shadow tree (shadow-namespace.ts, `-o serve=shadow` or no daxdev): one YAML file per famfs
 *   file, as the C famfs_fused serves, read on demand.
 * famfs-fs.ts turns either into FUSE answers: inodes, references, handles, caches and checks.
 */
import type { AttrValue } from '@famfs/fuse';
import type { FileEntry } from '@famfs/libfamfs/format';
import type { InodeKind } from './inodes';

/** An object found in a directory: its kind and identity (reported as st_ino; another identity at the same path is another object). */
export interface NsObject {
  readonly kind: InodeKind;
  readonly ino: number;
}

/** One listed child. */
export interface NsEntry extends NsObject {
  readonly name: string;
}

/** A directory's children by position. Positions never name another child while a handle reads them. */
export interface DirListing {
  /** The child at position `i`, or undefined past the end. */
  at(i: number): NsEntry | undefined;
}

export interface Namespace {
  readonly source: 'log' | 'shadow';
  /** The root directory's attributes and identity now. */
  root(): { attr: AttrValue; ino: number };
  /** What `name` is in the directory at `dirPath` now: undefined when nothing servable is there. Throws FuseErrno for other failures. */
  child(dirPath: string, name: string): NsObject | undefined;
  /**
   * The attributes of an object child() found at `path` and, for a file, its entry. Throws
   * FuseErrno ENOENT (after one log line) when it cannot be served.
   */
  load(path: string, obj: NsObject): { attr: AttrValue; entry?: FileEntry };
  /** The directory at `path` with identity `ino` as it is now; undefined when it is not there any more. */
  dirAttr(path: string, ino: number): AttrValue | undefined;
  /** The children of the directory at `path` (no '.' and '..'). Throws FuseErrno when it cannot be read. */
  list(path: string): DirListing;
}
