import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '@famfs/libfamfs/common';
import { checkRelpath, FileEntry, fmapExtents, LOG_META, SUPERBLOCK_META } from '@famfs/libfamfs/format';
import { FamfsMaster, isMetaFile, relpathInMount, requireFamfsMount } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf } from '../errors';

/**
 * `famfs clone SRC DST` (testing aid, master only): log a new file DST with exactly SRC's
 * extents, and give it a shadow entry so the mount serves it. The file system is then
 * cross-linked on purpose: fsck reports the collision.
 */
export const cloneCommand: CommandSpec = {
  name: 'clone',
  args: 'SRC DST',
  summary: "Testing aid: create DST sharing SRC's extents (a cross-linked file that fsck must report)",
  options: [{ flags: '-v, --verbose', help: 'Print the cloned extents' }],
  examples: ['famfs clone /mnt/famfs/file0 /mnt/famfs/file0-clone'],
  run(args, o, io) {
    const [src, dst] = args;
    let master: FamfsMaster | undefined;
    try {
      let srcReal: string;
      try {
        srcReal = fs.realpathSync(src);
      } catch {
        throw new FamfsError('ENOENT', `bad source path ${src}`, { path: src });
      }
      const srcMount = requireFamfsMount(srcReal);
      if (fs.statSync(srcReal).isDirectory())
        throw new FamfsError('EISDIR', `source ${src} is a directory`, { path: src });
      const dstMount = requireFamfsMount(path.dirname(path.resolve(dst)));
      if (realpathOr(srcMount.device) !== realpathOr(dstMount.device)) {
        throw new FamfsError(
          'EINVAL',
          `source and destination must be in the same file system (${srcMount.device} vs ${dstMount.device})`,
        );
      }
      master = FamfsMaster.open(dstMount.mountpoint);
      const srcRel = relpathInMount(srcMount, srcReal);
      // SRC's map as the log has it. The .meta files are not logged, and a log entry mapping the
      // superblock or log would be a bad entry rather than a collision: they are refused.
      if (isMetaFile(srcRel))
        throw new FamfsError('EINVAL', `source ${src} is a famfs metadata file; clone takes a logged file`, {
          path: src,
        });
      const from: FileEntry | undefined = master.file(srcRel);
      if (!from) throw new FamfsError('ENOENT', `source ${src} is not a logged famfs file`, { path: src });

      const dstRel = checkRelpath(master.relpath(dst), 'destination path');
      if (dstRel === SUPERBLOCK_META || dstRel === LOG_META)
        throw new FamfsError('EEXIST', `'${dstRel}' is reserved for famfs metadata`);
      if (exists(dst) || master.file(dstRel) || master.dir(dstRel))
        throw new FamfsError('EEXIST', `destination ${dst} exists`, { path: dst });
      const parent = path.dirname(path.resolve(dst));
      const parentKind = kindOf(parent);
      if (parentKind === undefined)
        throw new FamfsError('ENOENT', `destination directory ${parent} does not exist`, { path: dst });
      if (parentKind !== 'dir') throw new FamfsError('ENOTDIR', `${parent} is not a directory`, { path: dst });
      const parentRel = path.posix.dirname(dstRel) === '.' ? '' : path.posix.dirname(dstRel);
      if (master.tree.kind(parentRel) !== 'dir')
        throw new FamfsError(
          'ENOENT',
          `directory '${parentRel}' is not in the shadow tree of ${master.mount.mountpoint}`,
        );

      const entry: FileEntry = { ...from, path: dstRel };
      master.logUnallocated(entry);
      const n = fmapExtents(entry.fmap).length;
      io.out(
        `famfs clone: ${dst} now shares the ${n} extent(s) of ${src}: the file system is cross-linked (fsck will report it)\n`,
      );
      if (o.verbose) for (const e of fmapExtents(entry.fmap)) io.out(`\t\t${e.offset.toString(16)}\t${e.len}\n`);
      return 0;
    } catch (e) {
      io.err(`famfs clone: ${describeError(e)}\n`);
      return exitCodeOf(e);
    } finally {
      master?.close();
    }
  },
};

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function kindOf(p: string): 'dir' | 'other' | undefined {
  try {
    return fs.statSync(p).isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
