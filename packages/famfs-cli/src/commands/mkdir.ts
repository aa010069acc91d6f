import * as os from 'os';
import { FamfsMaster } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { currentUmask, OWNER_FLAGS, parseOwner } from '../create-options';
import { describeError } from '../errors';
import { partialFailure } from '../partial';

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
      // Every component, what is in the way and the log space are checked before the first entry.
      const entries = master.session.reserveMkdirs(rel, !!o.parents, { mode, uid: owner.uid, gid: owner.gid });
      const made: string[] = [];
      for (const [i, entry] of entries.entries()) {
        try {
          master.logReserved(entry);
        } catch (e) {
          // Only what could not be known in advance gets here (a shadow tree or device failure).
          const rest = entries.slice(i + 1).map((x) => x.path);
          io.err(`famfs mkdir: ${partialFailure(master, made, entry.path, rest, e)}\n`);
          return 1;
        }
        made.push(entry.path);
        if (o.verbose) io.out(`famfs mkdir: created ${entry.path}\n`);
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
