import { logplayDevice, logplayErrorCount } from '@famfs/libfamfs/shadow';
import { logplayMount, requireFamfsMount } from '@famfs/libfamfs/mount';
import type { LogplayReply } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf, exitVal } from '../errors';
import { Io, UsageError } from '../io';
import { optString } from '../options';

/**
 * `famfs logplay MOUNTPOINT`: bring a mount up to date with its log. A famfs-ts daemon serving
 * the log is asked to read it to its end (cheap: it already follows it); a daemon serving a
 * shadow tree (the C famfs_fused) gets the log replayed into that tree.
 * `famfs logplay --daxdev DEVICE --shadow DIR [-n]`: replay a device's log into a shadow tree
 * with no mount. Exit code = bad entries + entries that could not be placed (capped at 127).
 */
export const logplayCommand: CommandSpec = {
  name: 'logplay',
  args: '[mountpoint]',
  summary: 'Replay the famfs log: bring a mount up to date, or fill a shadow tree from a device',
  options: [
    ['-d, --daxdev <device>', 'Replay from this device, with no mount (needs --shadow)'],
    ['-S, --shadow <dir>', 'Shadow tree to fill (DIR/root, or DIR itself when it ends in /root)'],
    ['-n, --dryrun', 'Read and check the log, create nothing'],
    ['-v, --verbose', 'Name every entry that could not be replayed'],
  ],
  examples: ['famfs logplay /mnt/famfs', 'famfs logplay --daxdev ./famfs.img --shadow /tmp/famfs_shadow'],
  run(args, o, io) {
    const daxdev = optString(o.daxdev, '--daxdev');
    const shadow = optString(o.shadow, '--shadow');
    if (args[0] !== undefined && (daxdev || shadow)) throw new UsageError('give either a mount point or --daxdev DEVICE --shadow DIR');
    if (args[0] === undefined && (!daxdev || !shadow)) throw new UsageError('logplay needs a mount point, or --daxdev DEVICE and --shadow DIR');
    try {
      const mount = args[0] !== undefined ? requireFamfsMount(args[0]) : undefined;
      // A famfs-ts daemon serving the log reads it to its end when asked: nothing to replay here.
      const asked = mount && !o.dryrun ? logplayMount(mount.mountpoint) : undefined;
      if (asked) return reportMount(asked, !!o.verbose, io);
      // Otherwise the mount's shadow tree is what it serves: replay the device's log into it.
      const target = mount ?? { device: daxdev!, shadow: shadow! };
      const r = logplayDevice(target.device, target.shadow, { dryRun: !!o.dryrun });
      const problems = [
        ...r.bad.map((b) => `${b.reason}${b.torn ? ' (torn last entry, ignored)' : ''}`),
        ...r.problems.map((p) => `log entry ${p.index}: '${p.path}': ${p.reason}`),
      ];
      if (o.verbose) for (const line of problems) io.err(`famfs logplay: ${line}\n`);
      else if (problems.length > 0) io.err(`famfs logplay: ${problems.length} log entries could not be replayed (first: ${problems[0]}); -v lists them all\n`);
      io.out(`famfs_logplay(shadow): ${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories\n`);
      return exitVal(logplayErrorCount(r));
    } catch (e) {
      io.err(`famfs logplay: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
  },
};

/** What the daemon answered, in logplay's words; the exit code counts the log's problems as logplay does. */
function reportMount(r: LogplayReply, verbose: boolean, io: Io): number {
  const problems = r.problems;
  const count = r.badCount + r.conflictCount;
  if (verbose) for (const line of problems) io.err(`famfs logplay: ${line}\n`);
  if (verbose && count > problems.length) io.err(`famfs logplay: and ${count - problems.length} more\n`);
  else if (!verbose && count > 0) {
    io.err(`famfs logplay: ${count} log entries could not be replayed (first: ${problems[0]}); -v lists them\n`);
  }
  if (r.follow === 'stopped') io.err(`famfs logplay: the mount stopped following its log: ${r.stopReason}\n`);
  io.out(`famfs_logplay(mount): ${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories\n`);
  return exitVal(count);
}
