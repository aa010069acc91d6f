import * as os from 'os';
import { FamfsError } from '@famfs/libfamfs';
import { FamfsMaster } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { currentUmask, OWNER_FLAGS, parseOwner } from '../create-options';
import { describeError } from '../errors';

const { EALREADY } = os.constants.errno;

/**
 * `famfs mkdir`: log a directory (master only). Without -p the parent must exist and the path
 * must not; with -p every missing component is its own log entry and an existing directory (the
 * mount point included) is success. Without -p the mount point itself is EALREADY (exit 114), as
 * in the C famfs; other failures exit 1.
 */
export const mkdirCommand: CommandSpec = {
  name: 'mkdir',
  args: 'DIR',
  summary: 'Create a famfs directory (with -p, every missing parent too)',
  options: [
    { flags: '-p, --parents', help: 'Create missing parents; an existing directory (even the mount point) is fine' },
    ...OWNER_FLAGS,
    { flags: '-v, --verbose', help: 'Print each directory created' },
  ],
  examples: ['famfs mkdir /mnt/famfs/data', 'famfs mkdir -p -m 750 /mnt/famfs/a/b/c'],
  run(args, o, io) {
    const owner = parseOwner(o);
    const mode = (owner.mode ?? 0o755) & ~currentUmask();
    let master: FamfsMaster | undefined;
    try {
      master = FamfsMaster.open(args[0]);
      const rel = master.relpath(args[0]);
      if (rel === '') {
        if (o.parents) return 0;
        io.err(`famfs mkdir: ${args[0]} is the mount point\n`);
        return EALREADY;
      }
      const parts = rel.split('/');
      const targets = o.parents ? parts.map((_, i) => parts.slice(0, i + 1).join('/')) : [rel];
      for (const dir of targets) {
        if (o.parents && master.dir(dir)) continue;
        if (master.file(dir)) throw new FamfsError('ENOTDIR', `'${dir}' is a file`);
        master.mkdir(dir, { mode, uid: owner.uid, gid: owner.gid });
        if (o.verbose) io.out(`famfs mkdir: created ${dir}\n`);
      }
      return 0;
    } catch (e) {
      io.err(`famfs mkdir: ${describeError(e)}\n`);
      return 1;
    } finally {
      master?.close();
    }
  },
};
