import { FileEntry, MkdirEntry } from '../format/log-entry';
import { parentOf } from '../log/replay';
import { playEntry, PlayOutcome } from './play-entry';
import { ShadowTree } from './tree';
import { emitShadowYaml } from './yaml-emit';

/**
 * playEntry for a whole log played in order into one tree, with fewer system calls. It remembers
 * the directories it made or found to be real directories in this run; an entry whose parent is
 * one of them is created straight away (mkdir, or one exclusive open, write and close: O_EXCL and
 * O_NOFOLLOW refuse anything already there, a symlink included), with no lstat of the path or its
 * ancestors. Whatever is already there (EEXIST), and every entry whose parent it has not seen,
 * takes playEntry, which keeps the rules for an existing tree: files already there are left
 * alone, empty ones rewritten, anything else in the way an error. A fresh tree thus costs one
 * mkdir per directory and three calls per file.
 *
 * Entries must be valid (checked by readLogEntry: a relative path with no empty, '.' or '..'
 * component), so `root/path` is inside the root without a path.resolve.
 */
export class ShadowPlayer {
  /** Relative paths of directories known to be real directories ('' is the root). */
  private readonly dirs = new Set<string>(['']);
  private readonly prefix: string;

  constructor(readonly tree: ShadowTree) {
    this.prefix = tree.root + '/';
  }

  play(entry: FileEntry | MkdirEntry): PlayOutcome {
    if (this.dirs.has(parentOf(entry.path))) {
      const abs = this.prefix + entry.path;
      try {
        if (entry.type === 'mkdir') {
          this.tree.mkdirAt(abs, entry.mode, entry.uid, entry.gid);
          this.dirs.add(entry.path);
          return 'new-dir';
        }
        this.tree.createFileAt(abs, emitShadowYaml(entry));
        return 'new-file';
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    // playEntry checks every ancestor: when it returns, the parent (and a mkdir's path) is a real directory.
    const outcome = playEntry(this.tree, entry);
    this.dirs.add(parentOf(entry.path));
    if (entry.type === 'mkdir') this.dirs.add(entry.path);
    return outcome;
  }
}
