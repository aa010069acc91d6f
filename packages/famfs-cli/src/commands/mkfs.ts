import { DEFAULT_LOG_LEN } from '@famfs/libfamfs/format';
import { mkfs } from '@famfs/libfamfs/log';
import { CommandSpec } from '../command';
import { describeError } from '../errors';
import { formatFsck } from '../fsck-text';
import { optSize } from '../options';

/** `famfs mkfs` and `mkfs.famfs`: exit 0 on success and 2 on any failure, as mkfs.famfs does. */
export const mkfsCommand: CommandSpec = {
  name: 'mkfs',
  args: '<device>',
  summary: 'Make a famfs file system on a memory device (devdax, pmem, or a regular file)',
  options: [
    ['-f, --force', 'Overwrite an existing famfs superblock, even one owned by another host'],
    ['-k, --kill', 'With --force: invalidate the existing superblock (zero its magic) and stop'],
    ['-l, --loglen <len>', `Log length, a power of 2 >= 8m (default ${DEFAULT_LOG_LEN / 1048576}m); k/m/g suffixes`],
  ],
  examples: ['famfs mkfs /dev/dax0.0', 'famfs mkfs -l 256m ./famfs.img', 'mkfs.famfs -f -k /dev/dax0.0'],
  run(args, o, io) {
    const device = args[0];
    try {
      const logLen = optSize(o.loglen, '--loglen');
      const res = mkfs(device, { force: !!o.force, kill: !!o.kill, logLen, report: true });
      if (res.action === 'killed') {
        io.out(`famfs superblock on ${device} invalidated\n`);
        return 0;
      }
      io.out(formatFsck(res.report!));
      return 0;
    } catch (e) {
      io.err(`mkfs.famfs: ${describeError(e)}\n`);
      return 2;
    }
  },
};
