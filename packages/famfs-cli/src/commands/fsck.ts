import { fsckDevice, isFamfsError } from '@famfs/libfamfs';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf, exitVal } from '../errors';
import { formatFsck } from '../fsck-text';
import { optInt } from '../options';

/**
 * `famfs fsck`: exit code = number of allocation collisions (capped at 127); 1 when the
 * superblock or log header is invalid; 16 (EBUSY) for a mounted device.
 */
export const fsckCommand: CommandSpec = {
  name: 'fsck',
  args: '<device>',
  summary: 'Check a famfs file system: superblock, log entries, allocation collisions and capacity',
  helpShort: false,
  options: [
    ['-h, --human', 'Print sizes in G units (note: -h is not help here; use --help)'],
    ['-v, --verbose', 'Add structure sizes and log geometry'],
    ['-B, --nbuckets <n>', 'Add usage statistics for n equal buckets of the device'],
    ['--json', 'Print the report as one JSON object'],
  ],
  examples: ['famfs fsck /dev/dax0.0', 'famfs fsck -h -B 8 ./famfs.img', 'famfs fsck --json ./famfs.img'],
  run(args, o, io) {
    const device = args[0];
    const nbuckets = optInt(o.nbuckets, '--nbuckets', 1, 1 << 20);
    try {
      const report = fsckDevice(device, { nbuckets });
      io.out(o.json ? JSON.stringify(report, (_k, v) => (v === Infinity ? null : v), 2) + '\n' : formatFsck(report, { human: !!o.human, verbose: !!o.verbose }));
      return exitVal(report.collisionCount);
    } catch (e) {
      io.err(`famfs fsck: ${describeError(e)}\n`);
      if (isFamfsError(e, 'EBADSUPER') || isFamfsError(e, 'EBADLOG')) return 1;
      return exitCodeOf(e);
    }
  },
};
