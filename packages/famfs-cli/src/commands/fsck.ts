import * as fs from 'fs';
import { isFamfsError } from '@famfs/libfamfs/common';
import { fsckDevice } from '@famfs/libfamfs/log';
import { FamfsMount, findFamfsMount, isFuseMount } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf, exitVal } from '../errors';
import { formatFsck } from '../fsck-text';
import { optCount, optInt } from '../options';
import { checkReadMethod, FUSE_DUMMY, LOAD_MODULE, NODAX, NOFUSE_DUMMY } from '../compat-options';
import { READ_METHOD, SET_DAXMODE } from '../compat-options';

/**
 * `famfs fsck`: exit code = number of allocation collisions (capped at 127); 1 when the
 * superblock or log header is invalid; 16 (EBUSY) for a mounted device (unless -f); 22 for a path
 * that is neither a device nor in a mounted famfs.
 *
 * The argument is a device (checked only when it is not mounted), or any path inside a mounted
 * famfs: that file system is then checked through the mount's .meta files (never its device), and
 * the report is preceded by the mount's header (mount point, type, backing device, shadow path). A
 * dax device in fsdev_dax mode is switched to device_dax for the check and back.
 */
export const fsckCommand: CommandSpec = {
  name: 'fsck',
  args: 'DEVICE|PATH',
  summary: 'Check a famfs file system: superblock, log entries, allocation collisions and capacity',
  helpShort: false,
  options: [
    { flags: '-h, --human', help: 'Print sizes in G units (note: -h is not help here; use --help or -?)' },
    { flags: '-v, --verbose', help: 'Add structure sizes and log geometry' },
    { flags: '-B, --nbuckets=N', help: 'Add usage statistics for N equal buckets of the device' },
    { flags: '-f, --force', help: 'Check a device even while it is mounted (read-only; the master may be appending)' },
    { flags: '--json', help: 'Print the report as one JSON object' },
    ...READ_METHOD,
    SET_DAXMODE,
    LOAD_MODULE,
    NOFUSE_DUMMY,
    FUSE_DUMMY,
    NODAX,
  ],
  examples: [
    'famfs fsck /dev/dax0.0',
    'famfs fsck -h -B 8 ./famfs.img',
    'famfs fsck /mnt/famfs',
    'famfs fsck --json ./famfs.img',
  ],
  run(args, o, io) {
    const target = args[0];
    const nbuckets = optInt(o.nbuckets, '--nbuckets', 0, 1 << 20) || undefined;
    checkReadMethod(o);
    try {
      const mount = mountedPath(target);
      // A mounted file system is read through its .meta files, never from its device.
      const report = mount
        ? fsckDevice(mount.device, { nbuckets, mountpoint: mount.mountpoint })
        : fsckDevice(target, { nbuckets, allowMounted: optCount(o.force) > 0 });
      if (o.json) {
        const json = mount
          ? {
              mount: {
                mountpoint: mount.mountpoint,
                type: mount.mount.fstype,
                device: mount.device,
                shadow: mount.shadow,
              },
              ...report,
            }
          : report;
        io.out(JSON.stringify(json, (_k, v) => (v === Infinity ? null : v), 2) + '\n');
      } else {
        io.out((mount ? mountHeader(mount) : '') + formatFsck(report, { human: !!o.human, verbose: !!o.verbose }));
      }
      return exitVal(report.collisionCount);
    } catch (e) {
      io.err(`famfs fsck: ${describeError(e)}\n`);
      if (isFamfsError(e, 'EBADSUPER') || isFamfsError(e, 'EBADLOG')) return 1;
      return exitCodeOf(e);
    }
  },
};

/**
 * The mounted famfs `p` is in, when `p` names a path inside one (a file, a directory, the mount
 * point). A device (character, block, or an image file outside any famfs) gives undefined.
 */
function mountedPath(p: string): FamfsMount | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return undefined;
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) return undefined;
  const mount = findFamfsMount(p);
  if (!mount) return undefined;
  // An image file that is itself a mounted device is checked as a device (and refused as mounted).
  try {
    if (fs.realpathSync(p) === fs.realpathSync(mount.device)) return undefined;
  } catch {
    // the device path does not resolve: p is not it
  }
  return mount;
}

/** The header the C famfs prints before the report of a mounted file system. */
function mountHeader(m: FamfsMount): string {
  return (
    [
      `famfs_fsck: mount point:    ${m.mountpoint}`,
      `famfs_fsck: mount type:     ${isFuseMount(m.mount) ? 'fuse' : m.mount.fstype}`,
      `famfs_fsck: backing device: ${m.device}`,
      `famfs_fsck: shadow path:    ${m.shadow}`,
      '',
    ].join('\n') + '\n'
  );
}
