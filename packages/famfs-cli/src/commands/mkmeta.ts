import * as fs from 'fs';
import { FamfsError } from '@famfs/libfamfs/common';
import { LOG_META, SUPERBLOCK_META } from '@famfs/libfamfs/format';
import { FamfsMount, findFamfsMount, mountsOfDevice, rewriteMetaFiles } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf } from '../errors';

/**
 * `famfs mkmeta DEVICE`: (re)write .meta/.superblock and .meta/.log in the shadow tree of each
 * famfs mount of DEVICE, as famfs mount writes them (useful after the shadow tree was damaged).
 * Errors (exit != 0) when DEVICE does not exist or is not mounted.
 */
export const mkmetaCommand: CommandSpec = {
  name: 'mkmeta',
  args: 'DEVICE',
  summary: 'Rewrite the .meta/.superblock and .meta/.log files of the mount(s) of a famfs device',
  options: [{ flags: '-v, --verbose', help: 'Name the shadow files written' }],
  examples: ['famfs mkmeta /dev/dax0.0'],
  run(args, o, io) {
    const device = args[0];
    try {
      let real: string;
      try {
        real = fs.realpathSync(device);
      } catch (e) {
        throw new FamfsError('ENOENT', `unable to rationalize device path ${device}: ${describeError(e)}`, { device });
      }
      const mounts: FamfsMount[] = [];
      for (const m of mountsOfDevice(real)) {
        const f = findFamfsMount(m.mountpoint);
        if (f && f.mountpoint === m.mountpoint && !mounts.some((x) => x.mountpoint === f.mountpoint)) mounts.push(f);
      }
      if (mounts.length === 0) throw new FamfsError('ENOENT', `${device} is not mounted as famfs`, { device });
      for (const m of mounts) {
        const r = rewriteMetaFiles(m);
        io.out(`famfs mkmeta: ${device}: wrote ${SUPERBLOCK_META} and ${LOG_META} for ${m.mountpoint} (${r.role})\n`);
        if (o.verbose) io.out(`famfs mkmeta: shadow root ${r.shadowRoot}\n`);
      }
      return 0;
    } catch (e) {
      io.err(`famfs mkmeta: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
  },
};
