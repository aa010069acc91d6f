import { FamfsError } from '../errors';
import { FileEntry, MkdirEntry } from '../format/log-entry';
import { ShadowTree } from './tree';
import { emitShadowYaml } from './yaml-emit';

/** What playEntry did with an entry. */
export type PlayOutcome = 'new-file' | 'new-dir' | 'existing' | 'repaired' | 'existing-dir';

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
