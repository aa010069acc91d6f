import { DEFAULT_LOG_LEN } from '@famfs/libfamfs/format';
import { mkfs } from '@famfs/libfamfs/log';
import { CommandSpec } from '../command';
import { describeError } from '../errors';
import { formatFsck } from '../fsck-text';
import { optSize } from '../options';
import { FUSE_DUMMY, NODAX, NOFUSE_DUMMY, SET_DAXMODE } from '../compat-options';

/**
 * `famfs mkfs` and `mkfs.famfs`: exit 0 on success and 2 on any failure, as mkfs.famfs does; a
 * bad command line exits 1.
 */
export const mkfsCommand: CommandSpec = {
  name: 'mkfs',
  args: 'DEVICE',
  summary: 'Make a famfs file system on a memory device (devdax, pmem, or a regular file)',
  options: [
    { flags: '-f, --force', help: 'Overwrite an existing famfs superblock, even one owned by another host' },
    { flags: '-k, --kill', help: 'With --force: invalidate the existing superblock (zero its magic) and stop' },
    {
      flags: '-l, --loglen=SIZE',
      help: `Log length, a power of 2 >= 8M (default ${DEFAULT_LOG_LEN / 1048576}M); K, M, G suffixes`,
    },
    { flags: '-v, --verbose', help: 'Add structure sizes and log geometry to the report' },
    NODAX,
    SET_DAXMODE,
    NOFUSE_DUMMY,
    FUSE_DUMMY,
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
      io.out(formatFsck(res.report!, { verbose: !!o.verbose }));
      return 0;
    } catch (e) {
      io.err(`mkfs.famfs: ${describeError(e)}\n`);
      return 2;
    }
  },
};
