import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '@famfs/libfamfs/common';
import { checkMountedTree, findFamfsMount, readMountedLog } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError } from '../errors';

/**
 * `famfs check [-v] MOUNTPOINT`: walk a mounted famfs and check that every file has a valid map:
 * its shadow YAML parses, agrees with the log entry for its path, and maps valid space on the
 * device. Prints "famfs_check: N files, D directories, E errors". Exit 1 when there is any error
 * or when MOUNTPOINT is relative or not a famfs mount point; 0 otherwise.
 */
export const checkCommand: CommandSpec = {
  name: 'check',
  args: 'MOUNTPOINT',
  missingArgsExit: 22,
  summary: 'Check that every file of a mounted famfs has a valid map that matches the log',
  options: [
    { flags: '-v, --verbose', help: 'Name every good file and every logged file the mount does not show' },
    { flags: '-q, --quiet', help: 'No summary line: errors only (the exit code tells the rest)' },
  ],
  examples: ['famfs check /mnt/famfs'],
  run(args, o, io) {
    const mpt = args[0];
    try {
      if (!path.isAbsolute(mpt)) throw new FamfsError('EINVAL', `${mpt}: the mount point must be an absolute path`);
      let real: string;
      try {
        real = fs.realpathSync(mpt);
      } catch (e) {
        throw new FamfsError('ENOENT', `${mpt}: ${describeError(e)}`);
      }
      const mount = findFamfsMount(real);
      if (!mount) throw new FamfsError('EINVAL', `${mpt} is not in a mounted famfs file system`);
      if (mount.mountpoint !== real)
        throw new FamfsError('EINVAL', `${mpt} is not a mount point (the famfs is mounted at ${mount.mountpoint})`);
      const r = checkMountedTree(readMountedLog(mount));
      for (const e of r.errors) io.err(`famfs_check: ${e.path === '' ? mpt : path.join(mpt, e.path)}: ${e.reason}\n`);
      if (o.verbose) {
        for (const g of r.good) io.out(`famfs_check: good file ${path.join(mpt, g)}\n`);
        for (const n of r.notShown)
          io.out(
            `famfs_check: ${path.join(mpt, n)} is in the log but not shown by the mount (famfs logplay adds it)\n`,
          );
      }
      if (!o.quiet) io.out(`famfs_check: ${r.files} files, ${r.directories} directories, ${r.errors.length} errors\n`);
      return r.errors.length > 0 ? 1 : 0;
    } catch (e) {
      io.err(`famfs check: ${describeError(e)}\n`);
      return 1;
    }
  },
};
