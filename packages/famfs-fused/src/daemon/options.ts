/**
 * famfs_fused command line:
 *
 *   famfs_fused [-f] [-d] [-s] [--abi NAME] [--simple-fmaps] [-o opt[,opt...]]... MOUNTPOINT
 *
 * -o options: shadow=PATH (required; source=PATH too, as in C), daxdev=DEV, fsname=NAME (default
 * the daxdev), serve=log|shadow (default log with a daxdev), follow=MS (default 100, 0 = off),
 * timeout=SECONDS, cache=never|auto|always, allow_other, default_permissions, max_write=N,
 * simple_fmaps, daxdev_ioctl=N (the push generation's ioctl number); also accepted for
 * compatibility with the C famfs_fused: flock / no_flock, readdirplus / no_readdirplus,
 * pass_yaml, debug=N, and direct_io / no_direct_io (stock-kernel data path: FOPEN_DIRECT_IO,
 * default on); and libfuse's own: debug, auto_unmount, clone_fd, max_threads=N,
 * max_idle_threads=N. Unknown options are an error.
 *
 * As with libfuse (fuse_opt), options may come before or after the mount point, -o may be given
 * several times and its value attached (-oshadow=...), and `--` ends the options.
 *
 * Parsing never exits or prints: it returns a parsed command or throws UsageError.
 */
import { AUTO_PROFILE, profileByName, push } from '@famfs/fuse';
import type { CacheMode } from '../famfs/fs-options';
import { parseLogLevel } from '../diag/log-levels';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface DaemonOptions {
  mountpoint: string;
  shadow: string;
  daxdev?: string;
  /** What to serve: the device's log (default with a daxdev) or the shadow tree (without one). */
  serve: 'log' | 'shadow';
  /** Log: how often to look for new entries, in ms (0: only at start and `famfs logplay`). */
  followMs: number;
  fsname: string;
  timeout?: number;
  cache: CacheMode;
  allowOther: boolean;
  defaultPermissions: boolean;
  maxWrite: number;
  directIo: boolean;
  /** -o io_uring: serve through FUSE over io_uring where the kernel allows it. */
  ioUring: boolean;
  flock: boolean;
  /** -d or -o debug=N (N > 0). */
  debug: boolean;
  foreground: boolean;
  singleThread: boolean;
  /** A profile name, or "auto" (the default): probe for the push generation after INIT. */
  abi: string;
  /** Send interleaved files unrolled into simple extents on every kernel (push kernels need it anyway). */
  simpleFmaps: boolean;
  /** Replaces the push generation's DAXDEV_OPEN ioctl number (not public yet). */
  daxdevIoctl?: number;
  /** -o loglevel=: the starting log level (0..7); -d makes it 7, the default is 5 (notice). */
  logLevel?: number;
  /** -o logfile=PATH: log to this size-bounded file (else stderr; under systemd, the journal). */
  logFile?: string;
  /** -o logmax=BYTES: the log file's size bound. */
  logMax?: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: DaemonOptions };

export const USAGE = `usage: famfs_fused [-f] [-d] [-s] [--abi NAME] -o shadow=PATH[,daxdev=DEV][,...] MOUNTPOINT

Serves a famfs file system at MOUNTPOINT: the device's log (following it as it grows, and
writing the shadow tree <shadow>/root in the background), or the shadow tree itself. Runs in
the foreground (famfs mount starts it detached); SIGTERM or SIGINT unmounts and exits 0.

options:
  -f, --foreground        accepted (always foreground)
  -d, --debug             debug logging to stderr
  -s                      accepted (the session is single-threaded)
  --abi NAME              famfs kernel ABI profile: auto (default: v10 unless the push
                          generation's ioctl answers), v10, rfc or push
  --simple-fmaps          send striped files as simple extents on every kernel (also -o simple_fmaps)
  -h, --help              this text
  -V, --version           the version
  -o shadow=PATH          the shadow path (required; also source=PATH)
  -o daxdev=DEV           the famfs device (needed for the log, GET_DAXDEV and the stock data path)
  -o serve=log|shadow     serve the device's log (default with a daxdev) or the shadow tree
  -o follow=MS            read the log again every MS ms and show new files at once
                          (default 100; 0: only at start and at famfs logplay)
  -o fsname=NAME          mount source shown in /proc/mounts (default: the daxdev)
  -o timeout=SECONDS      entry/attr cache timeout (default by cache mode: 0 / 1.0 / 86400)
  -o cache=never|auto|always  (default auto)
  -o allow_other, -o default_permissions
  -o max_write=N          largest WRITE in bytes (4096..16777216, default 1048576)
  -o direct_io|no_direct_io   stock data path with FOPEN_DIRECT_IO (default direct_io)
  -o io_uring|no_io_uring     serve through FUSE over io_uring (kernel 6.14+ with the fuse
                          module's enable_uring=Y; elsewhere /dev/fuse, said in the log)
  -o daxdev_ioctl=N       the push generation's DAXDEV_OPEN ioctl number (not public yet;
                          default ${hex(push.daxdevPush!.ioctl)})
  -o flock|no_flock, readdirplus|no_readdirplus, pass_yaml, debug=N  (C famfs_fused compatibility)
  -o debug                the same as -d
  -o loglevel=LEVEL       starting log level, 0..7 or a name: emerg, alert, crit, err,
                          warning, notice (default), info, debug (-d: debug)
  -o logfile=PATH         log to PATH, kept under logmax bytes with one old file (PATH.1);
                          default stderr (under systemd, the journal, with <N> prefixes)
  -o logmax=BYTES         the log file's size bound (default 8388608, at least 4096)
  -o auto_unmount         accepted: the daemon always unmounts when it exits
  -o clone_fd, max_threads=N, max_idle_threads=N
                          libfuse thread tuning, accepted: one session worker serves every request
`;

/** An ioctl number, decimal or 0x-hex, as a u32. */
function parseIoctl(name: string, value: string): number {
  const v = value.trim();
  const n = /^0x[0-9a-f]{1,8}$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n > 0xffff_ffff) throw new UsageError(`${name}=${value}: not a 32-bit ioctl number`);
  return n;
}

/** A usage error as famfs_fused prints it: the problem and where help is, in two lines. */
export function usageErrorText(e: Error): string {
  return `famfs_fused: ${e.message}\nTry 'famfs_fused --help' for more information.\n`;
}

function parseNumber(name: string, value: string, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const v = value.trim();
  const n = opts.int
    ? /^\d+$/.test(v)
      ? Number(v)
      : NaN
    : /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)
      ? Number(v)
      : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`-o ${name}=${value}: not a ${opts.int ? 'whole ' : ''}number`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`-o ${name}=${value}: must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`-o ${name}=${value}: must be at most ${opts.max}`);
  return n;
}

export function parseArgs(argv: readonly string[]): ParsedCommand {
  const positional: string[] = [];
  const oList: string[] = [];
  let foreground = false;
  let debug = false;
  let singleThread = false;
  let abi = AUTO_PROFILE;
  let simpleFmaps = false;
  let daxdevIoctl: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (what: string): string => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs ${what}`);
      return argv[++i];
    };
    if (a === '-h' || a === '--help') return { kind: 'help' };
    if (a === '-V' || a === '--version') return { kind: 'version' };
    if (a === '-f' || a === '--foreground') foreground = true;
    else if (a === '-d' || a === '--debug') {
      debug = true;
      foreground = true;
    } else if (a === '-s') singleThread = true;
    else if (a === '--abi') abi = next('a profile name');
    else if (a.startsWith('--abi=')) abi = a.slice('--abi='.length);
    else if (a === '--simple-fmaps') simpleFmaps = true;
    else if (a === '--daxdev-ioctl') daxdevIoctl = parseIoctl(a, next('an ioctl number'));
    else if (a === '-o') oList.push(next('options'));
    else if (a.startsWith('-o')) oList.push(a.slice(2));
    else if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  try {
    if (abi !== AUTO_PROFILE) profileByName(abi);
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\)$/, '')}, or ${AUTO_PROFILE})`);
  }
  if (positional.length === 0) throw new UsageError('no mount point given');
  if (positional.length > 1) throw new UsageError(`one mount point expected, got: ${positional.join(' ')}`);

  let shadow: string | undefined;
  let daxdev: string | undefined;
  let fsname: string | undefined;
  let serve: 'log' | 'shadow' | undefined;
  let followMs = 100;
  let timeout: number | undefined;
  let cache: CacheMode = 'auto';
  let allowOther = false;
  let defaultPermissions = false;
  let maxWrite = 1 << 20;
  let directIo = true;
  let ioUring = false;
  let flock = true;
  let logLevel: number | undefined;
  let logFile: string | undefined;
  let logMax: number | undefined;
  for (const group of oList) {
    for (const raw of group.split(',')) {
      const opt = raw.trim();
      if (opt === '') continue;
      const eq = opt.indexOf('=');
      const key = eq < 0 ? opt : opt.slice(0, eq);
      const value = eq < 0 ? undefined : opt.slice(eq + 1);
      const need = (): string => {
        if (value === undefined || value === '') throw new UsageError(`-o ${key} needs a value (${key}=...)`);
        return value;
      };
      const flag = (): void => {
        if (value !== undefined) throw new UsageError(`-o ${key} takes no value`);
      };
      switch (key) {
        case 'shadow':
        case 'source':
          shadow = need();
          break;
        case 'daxdev':
          daxdev = need();
          break;
        case 'fsname':
          fsname = need();
          break;
        case 'serve': {
          const v = need();
          if (v !== 'log' && v !== 'shadow') throw new UsageError(`-o serve=${v}: must be log or shadow`);
          serve = v;
          break;
        }
        case 'follow':
          followMs = parseNumber(key, need(), { int: true, min: 0, max: 3_600_000 });
          break;
        case 'timeout':
          timeout = parseNumber(key, need(), { min: 0, max: 1e9 });
          break;
        case 'cache': {
          const v = need();
          if (v !== 'never' && v !== 'auto' && v !== 'always')
            throw new UsageError(`-o cache=${v}: must be never, auto or always`);
          cache = v;
          break;
        }
        case 'allow_other':
          flag();
          allowOther = true;
          break;
        case 'default_permissions':
          flag();
          defaultPermissions = true;
          break;
        case 'max_write':
          maxWrite = parseNumber(key, need(), { int: true, min: 4096, max: 16 << 20 });
          break;
        case 'direct_io':
          flag();
          directIo = true;
          break;
        case 'no_direct_io':
          flag();
          directIo = false;
          break;
        case 'io_uring':
          flag();
          ioUring = true;
          break;
        case 'no_io_uring':
          flag();
          ioUring = false;
          break;
        case 'flock':
          flag();
          flock = true;
          break;
        case 'no_flock':
          flag();
          flock = false;
          break;
        case 'simple_fmaps':
          flag();
          simpleFmaps = true;
          break;
        case 'daxdev_ioctl':
          daxdevIoctl = parseIoctl(`-o ${key}`, need());
          break;
        case 'readdirplus':
        case 'no_readdirplus':
        case 'pass_yaml':
          flag();
          break;
        case 'debug':
          // libfuse's flag form (-o debug) and the C famfs_fused's level (-o debug=N).
          if (value === undefined || parseNumber(key, need(), { int: true, min: 0 }) > 0) debug = true;
          break;
        case 'loglevel': {
          const v = need();
          logLevel = parseLogLevel(v);
          if (logLevel === undefined)
            throw new UsageError(`-o loglevel=${v}: not 0..7 or a level name (err, notice, debug, ...)`);
          break;
        }
        case 'logfile':
          logFile = need();
          break;
        case 'logmax':
          logMax = parseNumber(key, need(), { int: true, min: 4096, max: 2 ** 40 });
          break;
        case 'auto_unmount':
        case 'clone_fd':
          flag();
          break;
        case 'max_threads':
        case 'max_idle_threads':
          parseNumber(key, need(), { int: true, min: 1 });
          break;
        default:
          throw new UsageError(`unknown -o option "${key}"`);
      }
    }
  }
  if (!shadow) throw new UsageError('-o shadow=PATH is required');
  if (serve === 'log' && !daxdev) throw new UsageError('-o serve=log needs -o daxdev=DEV');
  if (fsname !== undefined && /[\s,]/.test(fsname)) throw new UsageError(`-o fsname=${fsname}: no spaces or commas`);
  return {
    kind: 'run',
    options: {
      mountpoint: positional[0],
      shadow,
      daxdev,
      serve: serve ?? (daxdev ? 'log' : 'shadow'),
      followMs,
      fsname: fsname ?? daxdev ?? 'famfs',
      timeout,
      cache,
      allowOther,
      defaultPermissions,
      maxWrite,
      directIo,
      ioUring,
      flock,
      debug,
      foreground,
      singleThread,
      abi,
      simpleFmaps,
      daxdevIoctl,
      logLevel,
      logFile,
      logMax,
    },
  };
}
