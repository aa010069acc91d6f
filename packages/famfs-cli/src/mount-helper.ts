/**
 * mount.famfs: the helper mount(8) runs for `mount -t famfs DEVICE MOUNTPOINT -o OPTS` and for
 * fstab lines of type famfs, as /sbin/mount.famfs DEVICE MOUNTPOINT [-sfnv] [-o OPTS] [-t TYPE].
 * It turns that command line into `famfs mount [-v] -o OPTS DEVICE MOUNTPOINT` and runs it:
 * -o options are famfs mount's (mount-o.ts); -s (sloppy) drops options famfs does not know, -f
 * (fake) checks everything and mounts nothing, -n (no mtab) is what famfs does anyway.
 */
import { mountCommand } from './commands/mount';
import { dropUnknownMountO } from './commands/mount-o';
import { mountSettings } from './commands/mount-options';
import { Io, UsageError } from './io';
import { runCommand, versionLine } from './main';

export const MOUNT_HELPER = 'mount.famfs';

export const MOUNT_HELPER_USAGE = `Usage: mount.famfs DEVICE MOUNTPOINT [-sfnv] [-o OPT[,OPT...]]

The mount(8) helper for famfs: 'mount -t famfs DEVICE MOUNTPOINT -o OPTS' and fstab lines of
type famfs run it as /sbin/mount.famfs. It runs 'famfs mount -o OPTS DEVICE MOUNTPOINT'.

Options:
  -o OPTS  famfs mount options: shadow=DIR, timeout=SECONDS, cache=MODE, follow=MS, abi=NAME,
           loglevel=LEVEL, debug, nouseraccess, nodefaultperm, set_daxmode; mount(8)'s generic
           options (defaults, noauto, nofail, _netdev, x-*, ...) are accepted and ignored
  -s       sloppy: ignore options famfs does not know instead of refusing them
  -f       fake: check the command line and the options, mount nothing
  -n       no mtab: accepted (famfs writes none)
  -v       verbose: say what the mount does
  -t TYPE  famfs (or fuse.famfs): accepted
  -h       this help; -V the version
`;

interface HelperLine {
  args: string[];
  options: string[];
  sloppy: boolean;
  fake: boolean;
  verbose: number;
}

function parseHelperLine(argv: string[]): HelperLine | 'help' | 'version' {
  const line: HelperLine = { args: [], options: [], sloppy: false, fake: false, verbose: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--version' || a === '-V') return 'version';
    if (a === '--') {
      line.args.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-o') line.options.push(value());
    else if (a.startsWith('-o')) line.options.push(a.slice(2));
    else if (a === '-t') checkType(value());
    else if (a.startsWith('-t')) checkType(a.slice(2));
    else if (/^-[sfnv]+$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === 's') line.sloppy = true;
        else if (f === 'f') line.fake = true;
        else if (f === 'v') line.verbose++;
      }
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    else line.args.push(a);
  }
  if (line.args.length < 2) throw new UsageError(`missing ${line.args.length === 0 ? 'DEVICE' : 'MOUNTPOINT'}`);
  if (line.args.length > 2) throw new UsageError(`unexpected argument '${line.args[2]}'`);
  return line;
}

function checkType(t: string): void {
  if (t !== 'famfs' && t !== 'fuse.famfs') throw new UsageError(`-t ${t}: mount.famfs mounts type famfs only`);
}

/** Runs mount.famfs with mount(8)'s arguments; returns the exit code (famfs mount's). */
export function runMountHelper(argv: string[], io: Io): number {
  let line;
  try {
    line = parseHelperLine(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${MOUNT_HELPER}: ${e.message}\nTry '${MOUNT_HELPER} --help' for more information.\n`);
    return e.exitCode;
  }
  if (line === 'help') {
    io.out(MOUNT_HELPER_USAGE);
    return 0;
  }
  if (line === 'version') {
    io.out(versionLine(MOUNT_HELPER));
    return 0;
  }
  const options = line.sloppy ? line.options.map(dropUnknownMountO) : line.options;
  const mountArgs = [
    ...Array.from({ length: line.verbose }, () => '-v'),
    ...options.filter((o) => o !== '').flatMap((o) => ['-o', o]),
    '--',
    ...line.args,
  ];
  if (line.fake) {
    // Everything mount would check on its command line, nothing started.
    const spec = { ...mountCommand, run: (args: string[], o: Record<string, unknown>) => (mountSettings(args, o), 0) };
    return runCommand(spec, mountArgs, io, 'famfs');
  }
  return runCommand(mountCommand, mountArgs, io, 'famfs');
}
