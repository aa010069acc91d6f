/**
 * `famfs mount -o OPT[,OPT...]` and the options of an fstab line or `mount -t famfs -o ...`
 * (through mount.famfs): each famfs option is the same setting as one of mount's own options
 * (`shadow=DIR` is `-S DIR`, `nouseraccess` is `-u`, ...), and the generic mount(8) options that
 * mean nothing to a FUSE famfs (defaults, auto, nofail, _netdev, x-*, ...) are accepted and
 * ignored. Anything else is refused with its name; mount.famfs -s (sloppy) drops it first.
 */
import { UsageError } from '../io';

/** famfs options: the option key of famfs mount's table each one sets, and whether it takes a value. */
const FAMFS_O: Record<string, { key: string; value: boolean }> = {
  shadow: { key: 'shadow', value: true },
  timeout: { key: 'timeout', value: true },
  cache: { key: 'cache', value: true },
  follow: { key: 'follow', value: true },
  abi: { key: 'abi', value: true },
  loglevel: { key: 'loglevel', value: true },
  debug: { key: 'debug', value: false },
  io_uring: { key: 'ioUring', value: false },
  nouseraccess: { key: 'nouseraccess', value: false },
  nodefaultperm: { key: 'nodefaultperm', value: false },
  set_daxmode: { key: 'setDaxmode', value: false },
};

/** What mount does anyway (allow_other and default_permissions are its defaults). */
const DEFAULTS = new Set(['allow_other', 'default_permissions', 'rw']);

/** mount(8)'s generic options, which fstab lines and systemd carry and a famfs mount ignores. */
const GENERIC = new Set([
  'defaults',
  'auto',
  'noauto',
  'nofail',
  '_netdev',
  'user',
  'nouser',
  'users',
  'owner',
  'group',
  'dev',
  'nodev',
  'suid',
  'nosuid',
  'exec',
  'noexec',
  'async',
  'sync',
  'atime',
  'noatime',
  'relatime',
  'norelatime',
  'strictatime',
  'nostrictatime',
  'diratime',
  'nodiratime',
  'lazytime',
  'nolazytime',
  'loud',
  'silent',
]);

/** The famfs -o option names, for help and messages. */
export const MOUNT_O_NAMES = Object.keys(FAMFS_O);

/**
 * Applies the -o lists to `o` (famfs mount's parsed options, by key), as if the matching options
 * had been typed. A famfs setting given both ways, or twice, is a usage error.
 */
export function applyMountO(lists: string[], o: Record<string, unknown>): void {
  for (const list of lists) {
    for (const raw of list.split(',')) {
      const opt = raw.trim();
      if (opt === '') continue;
      const eq = opt.indexOf('=');
      const name = eq < 0 ? opt : opt.slice(0, eq);
      const value = eq < 0 ? undefined : opt.slice(eq + 1);
      const known = FAMFS_O[name];
      if (!known) {
        if (DEFAULTS.has(name) || GENERIC.has(name) || name.startsWith('x-') || name === 'comment') continue;
        if (name === 'ro') throw new UsageError('-o ro: a famfs mount is read-write (files are written in place)');
        throw new UsageError(`unknown -o option '${name}' (famfs options: ${MOUNT_O_NAMES.join(', ')})`);
      }
      if (known.value) {
        if (value === undefined || value === '') throw new UsageError(`-o ${name} needs a value (${name}=...)`);
        if (o[known.key] !== undefined) throw new UsageError(`-o ${name}: ${name} is given more than once`);
        o[known.key] = value;
      } else {
        if (value !== undefined) throw new UsageError(`-o ${name} takes no value`);
        o[known.key] = (typeof o[known.key] === 'number' ? (o[known.key] as number) : 0) + 1;
      }
    }
  }
}

/** mount -s (sloppy): the options of `list` that are not famfs or generic ones dropped. */
export function dropUnknownMountO(list: string): string {
  return list
    .split(',')
    .filter((raw) => {
      const name = raw.trim().split('=')[0];
      return name in FAMFS_O || DEFAULTS.has(name) || GENERIC.has(name) || name.startsWith('x-') || name === 'comment';
    })
    .join(',');
}
