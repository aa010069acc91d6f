/**
 * Options of the C famfs that choose how it reaches a device or its log (a dummy mount, v1 or
 * FUSE, mmap or read). famfs-ts maps the device itself on every path, so these options are
 * accepted and change nothing, and each help line says so. One place, so that every command words
 * them the same way.
 */
import { OptionSpec } from './args/option-spec';
import { UsageError } from './io';
import { optCount } from './options';

export const SET_DAXMODE: OptionSpec = {
  flags: '-M, --set-daxmode',
  help: 'C famfs: put a devdax device in famfs mode where the kernel needs it (accepted)',
};

export const LOAD_MODULE: OptionSpec = {
  flags: '-L, --load-module',
  help: 'v1 kernel module only (modprobe famfs): accepted, nothing to load here',
};

export const NOFUSE_DUMMY: OptionSpec = {
  flags: '-F, --nofuse',
  help: 'C famfs: use a v1 dummy mount to reach the device; famfs-ts maps it directly (accepted)',
};

export const FUSE_DUMMY: OptionSpec = {
  flags: '--fuse',
  help: 'C famfs: use a FUSE dummy mount to reach the device; famfs-ts maps it directly (accepted)',
};

export const NODAX: OptionSpec = {
  flags: '-D, --nodax',
  help: 'C famfs: reach the device through a dummy mount; famfs-ts maps it directly (accepted)',
};

export const READ_METHOD: OptionSpec[] = [
  { flags: '-m, --mmap', help: 'Read the log through mmap (the default, and what famfs-ts always does)' },
  { flags: '-r, --read', help: 'C famfs: read the log with read(); famfs-ts maps it always (accepted)' },
];

/** -m and -r exclude each other, as in the C famfs (exit 1). */
export function checkReadMethod(o: Record<string, unknown>): void {
  if (optCount(o.mmap) > 0 && optCount(o.read) > 0) throw new UsageError('--mmap and --read exclude each other');
}
