import * as fs from 'fs';
import { FamfsError } from '@famfs/libfamfs/common';
import { logplayDevice, logplayErrorCount, shadowRootOf } from '@famfs/libfamfs/shadow';
import { logplayMount, requireFamfsMount } from '@famfs/libfamfs/mount';
import type { FamfsMount, LogplayReply } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { checkReadMethod, READ_METHOD, SET_DAXMODE } from '../compat-options';
import { describeError, exitVal } from '../errors';
import { Io, UsageError } from '../io';
import { optCount, optString } from '../options';
import { shadowTest } from '../shadow-test';

/** logplay's exit code for a failure other than bad entries (the C famfs' -1). */
const EXIT_FAILED = 1;

/**
 * `famfs logplay`: bring a mount up to date with its log, or replay a log into a shadow tree.
 * MOUNTPOINT (any path in a mounted famfs) brings that mount up to date: a famfs-ts daemon
 * serving the log is asked to read it to its end (cheap: it already follows it); a daemon serving
 * a shadow tree (the C famfs_fused) gets the log, read through the mount's .meta files, replayed
 * into that tree. `--shadow DIR MOUNTPOINT` replays the mount's log into another
 * shadow tree; `--daxdev DEVICE --shadow DIR` replays an unmounted device. Exit code = bad entries
 * + entries that could not be placed + (with --shadowtest) shadow files that disagree with the
 * log, capped at 127; 1 when the replay could not run; 22 for --shadow given twice.
 */
export const logplayCommand: CommandSpec = {
  name: 'logplay',
  args: '[MOUNTPOINT]',
  summary: 'Replay the famfs log: bring a mount up to date, or fill a shadow tree from a mount or a device',
  options: [
    { flags: '-n, --dryrun', help: 'Read and check the log, create nothing' },
    { flags: '-v, --verbose', help: 'Name every entry that could not be replayed' },
    {
      flags: '-S, --shadow=DIR',
      help: "Fill this shadow tree, not the mount's: DIR holds root/ (or ends in /root; --daxdev creates it)",
      repeat: { refuseWith: 22 },
    },
    { flags: '-d, --daxdev=DEVICE', help: 'With --shadow: replay this device (not mounted) instead of a mount' },
    { flags: '-s, --shadowtest', help: "Then read back every file's shadow YAML and compare it with its log entry" },
    { flags: '-c, --client', help: "With --shadow: write the .meta/.log file as a client's (read-only)" },
    ...READ_METHOD,
    SET_DAXMODE,
  ],
  examples: [
    'famfs logplay /mnt/famfs',
    'famfs logplay --shadow /tmp/shadow /mnt/famfs     # /tmp/shadow/root must exist',
    'famfs logplay --daxdev ./famfs.img --shadow /tmp/famfs_shadow',
  ],
  run(args, o, io) {
    const daxdev = optString(o.daxdev, '--daxdev');
    const shadow = optString(o.shadow, '--shadow');
    checkReadMethod(o);
    if (daxdev !== undefined && shadow === undefined) throw new UsageError('--daxdev needs --shadow DIR');
    if (daxdev !== undefined && args[0] !== undefined)
      throw new UsageError('give either a MOUNTPOINT or --daxdev DEVICE, not both');
    if (daxdev === undefined && args[0] === undefined)
      throw new UsageError('missing MOUNTPOINT (or --daxdev DEVICE --shadow DIR)');
    // -c writes another tree's .meta files as a client's; a mount's own tree keeps its mount's role.
    const role = optCount(o.client) > 0 && shadow !== undefined ? ('client' as const) : undefined;
    const dryRun = optCount(o.dryrun) > 0;
    const verbose = optCount(o.verbose) > 0;
    try {
      const mount = daxdev === undefined ? requireFamfsMount(args[0]) : undefined;
      // A famfs-ts daemon serving the log reads it to its end when asked: nothing to replay here.
      const asked = mount && shadow === undefined && !dryRun ? logplayMount(mount.mountpoint) : undefined;
      if (asked) return reportMount(asked, verbose, io);
      const target = mount ? mountTarget(mount, shadow) : { device: daxdev!, shadow: shadow!, mountpoint: undefined };
      const r = logplayDevice(target.device, target.shadow, { dryRun, role, mountpoint: target.mountpoint });
      const tested = optCount(o.shadowtest) > 0 && !dryRun ? shadowTest(target.device, target.shadow) : undefined;
      report(r, tested, verbose, io);
      return exitVal(logplayErrorCount(r) + (tested?.length ?? 0));
    } catch (e) {
      io.err(`famfs logplay: ${describeError(e)}\n`);
      return EXIT_FAILED;
    }
  },
};

/** What the daemon answered, in logplay's words; the exit code counts the log's problems as logplay does. */
function reportMount(r: LogplayReply, verbose: boolean, io: Io): number {
  const problems = r.problems;
  const count = r.badCount + r.conflictCount;
  if (verbose) for (const line of problems) io.err(`famfs logplay: ${line}\n`);
  if (verbose && count > problems.length) io.err(`famfs logplay: and ${count - problems.length} more\n`);
  else if (!verbose && count > 0)
    io.err(`famfs logplay: ${count} log entries could not be replayed (first: ${problems[0]}); -v lists them\n`);
  if (r.follow === 'stopped') io.err(`famfs logplay: the mount stopped following its log: ${r.stopReason}\n`);
  io.out(`famfs_logplay(mount): ${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories\n`);
  return exitVal(count);
}

/**
 * The device and shadow path of the mount at `p`. An explicit DIR must already hold the shadow
 * root (DIR/root, or DIR itself when it ends in /root), as in the C famfs: a mistyped DIR must
 * not grow a tree of its own.
 */
function mountTarget(mount: FamfsMount, dir: string | undefined) {
  const { device, mountpoint } = mount;
  if (dir === undefined) return { device, mountpoint, shadow: mount.shadow };
  const root = shadowRootOf(dir);
  let isDir = false;
  try {
    isDir = fs.lstatSync(root).isDirectory();
  } catch {
    // missing: refused below
  }
  if (!isDir)
    throw new FamfsError(
      'ENOENT',
      `shadow path ${dir} holds no root/ directory (create ${root}, or give a path ending in /root)`,
    );
  return { device, mountpoint, shadow: dir };
}

type LogplayResult = ReturnType<typeof logplayDevice>;

/** Problems on stderr (counted, or each with -v), then the C famfs' summary line. */
function report(r: LogplayResult, tested: string[] | undefined, verbose: boolean, io: Io): void {
  const problems = [
    ...r.bad.map((b) => `${b.reason}${b.torn ? ' (torn last entry, ignored)' : ''}`),
    ...r.problems.map((p) => `log entry ${p.index}: '${p.path}': ${p.reason}`),
  ];
  if (verbose) for (const line of problems) io.err(`famfs logplay: ${line}\n`);
  else if (problems.length > 0) {
    const first = `first: ${problems[0]}`;
    io.err(`famfs logplay: ${problems.length} log entries could not be replayed (${first}); -v lists them all\n`);
  }
  for (const line of tested ?? []) io.err(`famfs logplay: shadowtest: ${line}\n`);
  io.out(`famfs_logplay(shadow): ${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories\n`);
  if (tested?.length === 0) io.out('famfs logplay: shadowtest: every shadow file matches its log entry\n');
}
