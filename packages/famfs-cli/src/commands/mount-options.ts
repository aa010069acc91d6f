/**
 * `famfs mount`'s command line: the C famfs' mount options with their meaning here, read into
 * one settings object. Everything the daemon will be given is checked with the daemon's own
 * parser before anything is started, so a bad value (`--abi bogus`) is the mount's usage error
 * (exit 1), never a daemon that dies at start.
 */
import type * as Fused from '@famfs/fused';
import { OptionSpec } from '../args/option-spec';
import { checkReadMethod, LOAD_MODULE, READ_METHOD } from '../compat-options';
import { daemonArgv, DaemonArgs } from '../daemon';
import { UsageError } from '../io';
import { optCount, optString, parseCInteger } from '../options';
import { applyMountO } from './mount-o';

/** The C famfs' -c/--cache names for entry/attribute timeouts, in seconds. */
const CACHE_TIMEOUTS: Record<string, number> = { always: 3600 * 24 * 365, normal: 1, never: 0 };

export const MOUNT_OPTIONS: OptionSpec[] = [
  { flags: '-t, --timeout=SECONDS', help: "FUSE entry and attribute cache timeout (default: the daemon's, 1 s)" },
  { flags: '-c, --cache=MODE', help: 'The timeout by name: always (1 year), normal (1 s) or never (0); not with -t' },
  {
    flags: '--follow=MS',
    help: 'How often the daemon looks for new log entries, in ms (default 100; 0: only at mount and famfs logplay)',
  },
  {
    flags: '--io-uring',
    help: "Serve through FUSE over io_uring where the kernel allows it (6.14+, the fuse module's enable_uring=Y)",
  },
  { flags: '-d, --debug', help: 'Run the daemon with debug logging (the same as --loglevel debug)' },
  {
    flags: '--loglevel=LEVEL',
    help: "The daemon's log level: 0..7 or emerg, alert, crit, err, warning, notice (default), info, debug",
  },
  {
    flags: '-o, --options=OPTS',
    help: 'Options as mount(8) and fstab give them: shadow=, timeout=, cache=, follow=, abi=, loglevel=, debug, ...',
    repeat: 'list',
  },
  { flags: '-v, --verbose', help: 'Say what the mount does, step by step (-vv: also the daemon command line)' },
  { flags: '-u, --nouseraccess', help: 'Only root may use the mount (no FUSE allow_other)' },
  { flags: '-p, --nodefaultperm', help: 'The kernel does not check file modes (no FUSE default_permissions)' },
  {
    flags: '-S, --shadow=DIR',
    help: 'Use this shadow path (it must exist and hold no root/); default a new famfs_shadow_* on a tmpfs',
    repeat: { refuseWith: 22 },
  },
  { flags: '-D, --dummy', help: 'Mount DEVICE (no MOUNTPOINT) with only its .meta files at a new /tmp/famfs_dummy_*' },
  {
    flags: '-R, --remount',
    help: 'DEVICE already mounted at MOUNTPOINT: replay the new log entries into it (C: v1 remount)',
  },
  {
    flags: '--abi=NAME',
    help: 'famfs kernel ABI profile: auto (default: V10, or push when its ioctl answers), v10, rfc or push',
  },
  { flags: '-f, --fuse', help: 'C famfs: insist on the FUSE mode; famfs-ts always mounts with FUSE (accepted)' },
  { flags: '-F, --nofuse', help: 'C famfs: use the v1 kernel module; famfs-ts has none, so the mount fails (exit 1)' },
  ...READ_METHOD,
  {
    flags: '-M, --set-daxmode',
    help: 'Switch a dax device to the mode mounts need: fsdev_dax on a famfs kernel, else device_dax',
  },
  LOAD_MODULE,
  { flags: '-b', help: 'C famfs: accepted and ignored (it has no meaning there either)' },
];

export interface MountSettings {
  device: string;
  /** Undefined for a dummy mount (-D), which makes its own. */
  mountpoint?: string;
  shadow?: string;
  timeout?: number;
  /** --follow: the daemon's follow interval in ms (its default when absent). */
  follow?: number;
  abi: string;
  debug: boolean;
  /** --loglevel (or -o loglevel=): the daemon's starting log level, as given. */
  logLevel?: string;
  /** --io-uring (or -o io_uring): the daemon serves through FUSE over io_uring where it can. */
  ioUring: boolean;
  setDaxMode: boolean;
  verbose: number;
  allowOther: boolean;
  defaultPermissions: boolean;
  dummy: boolean;
  remount: boolean;
}

/** Reads and checks mount's options and arguments; throws UsageError (exit 1, or 22 for -S twice). */
export function mountSettings(args: string[], given: Record<string, unknown>): MountSettings {
  const o = { ...given };
  delete o.options;
  applyMountO(optList(given.options), o);
  checkReadMethod(o);
  if (optCount(o.nofuse) > 0) {
    throw new UsageError(
      '--nofuse asks for the v1 famfs kernel module, which famfs-ts does not have (it mounts with FUSE)',
    );
  }
  const dummy = optCount(o.dummy) > 0;
  if (dummy && args.length !== 1) throw new UsageError('--dummy takes DEVICE only (it makes its own mount point)');
  if (!dummy && args.length !== 2) throw new UsageError('missing MOUNTPOINT');
  const s: MountSettings = {
    device: args[0],
    mountpoint: args[1],
    shadow: optString(o.shadow, '--shadow'),
    timeout: timeoutOf(o),
    follow: followOf(o),
    abi: optString(o.abi, '--abi') ?? 'auto',
    debug: optCount(o.debug) > 0,
    logLevel: optString(o.loglevel, '--loglevel'),
    ioUring: optCount(o.ioUring) > 0,
    verbose: optCount(o.verbose),
    allowOther: optCount(o.nouseraccess) === 0,
    defaultPermissions: optCount(o.nodefaultperm) === 0,
    dummy,
    remount: optCount(o.remount) > 0,
    setDaxMode: optCount(o.setDaxmode) > 0,
  };
  checkDaemonArgs(s);
  return s;
}

/** A 'list' option's values (none, one, or several). */
function optList(v: unknown): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/** -t SECONDS (C: strtoul base 0; fractions are accepted here) or -c MODE, never both. */
function timeoutOf(o: Record<string, unknown>): number | undefined {
  const t = optString(o.timeout, '--timeout');
  const cache = optString(o.cache, '--cache');
  if (t !== undefined && cache !== undefined) throw new UsageError('--timeout and --cache exclude each other');
  if (cache !== undefined) {
    if (!(cache in CACHE_TIMEOUTS)) throw new UsageError(`--cache '${cache}' is not always, normal or never`);
    return CACHE_TIMEOUTS[cache];
  }
  if (t === undefined) return undefined;
  const whole = parseCInteger(t);
  const n = whole !== undefined ? Number(whole) : /^\d*\.\d+$|^\d+\.$/.test(t) ? Number(t) : NaN;
  if (!(n >= 0) || n > 1e9) throw new UsageError(`--timeout '${t}' is not a number of seconds (0..1000000000)`);
  return n;
}

/** --follow MS: a whole number of milliseconds (the daemon's parser bounds it). */
function followOf(o: Record<string, unknown>): number | undefined {
  const text = optString(o.follow, '--follow');
  if (text === undefined) return undefined;
  const whole = parseCInteger(text);
  if (whole === undefined || whole < 0n) throw new UsageError(`--follow '${text}' is not a whole number of ms >= 0`);
  return Number(whole);
}

/**
 * The daemon's command line, through the daemon's parser: what it would refuse, mount refuses now.
 * The paths are not known yet (the shadow path may be made later); the parser does not look at them.
 */
function checkDaemonArgs(s: MountSettings): void {
  const a: DaemonArgs = { ...s, mountpoint: s.mountpoint ?? '/mnt', shadow: s.shadow ?? '/shadow' };
  // Loaded here, not at the top: the daemon's modules would add a tenth of a second to every command.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseFamfsFusedArgs } = require('@famfs/fused') as typeof Fused;
  try {
    parseFamfsFusedArgs(daemonArgv(a));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
