import { logplayDevice, logplayErrorCount } from '@famfs/libfamfs';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf, exitVal } from '../errors';
import { UsageError } from '../io';
import { optString } from '../options';

/**
 * `famfs logplay --daxdev DEVICE --shadow DIR [-n]`: replay a device's log into a shadow tree
 * with no mount. Exit code = bad entries + entries that could not be placed (capped at 127).
 */
export const logplayCommand: CommandSpec = {
  name: 'logplay',
  args: '[mountpoint]',
  summary: 'Replay the famfs log: into a shadow tree from a device (--daxdev/--shadow)',
  options: [
    ['-d, --daxdev <device>', 'Replay from this device, with no mount (needs --shadow)'],
    ['-S, --shadow <dir>', 'Shadow tree to fill (DIR/root, or DIR itself when it ends in /root)'],
    ['-n, --dryrun', 'Read and check the log, create nothing'],
    ['-v, --verbose', 'Name every entry that could not be replayed'],
  ],
  examples: ['famfs logplay --daxdev ./famfs.img --shadow /tmp/famfs_shadow'],
  run(args, o, io) {
    const daxdev = optString(o.daxdev, '--daxdev');
    const shadow = optString(o.shadow, '--shadow');
    if (args[0] !== undefined) throw new UsageError('logplay of a mount point needs a mounted famfs, which this build does not support yet; use --daxdev DEVICE --shadow DIR');
    if (!daxdev || !shadow) throw new UsageError('logplay needs --daxdev DEVICE and --shadow DIR');
    try {
      const r = logplayDevice(daxdev, shadow, { dryRun: !!o.dryrun });
      for (const b of r.bad) io.err(`famfs logplay: ${b.reason}${b.torn ? ' (torn last entry, ignored)' : ''}\n`);
      for (const p of r.problems) io.err(`famfs logplay: log entry ${p.index}: '${p.path}': ${p.reason}\n`);
      io.out(`famfs_logplay(shadow): ${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories\n`);
      return exitVal(logplayErrorCount(r));
    } catch (e) {
      io.err(`famfs logplay: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
  },
};
