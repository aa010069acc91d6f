import * as native from '@famfs/native';
import { FamfsError } from '../errors';
import { LOGPLAY_XATTR, LogplayReply } from './contract';

/**
 * Asks the famfs-ts daemon serving the mount at `mountpoint` to read its device's log up to the
 * end now, and returns its answer. Undefined when the daemon serves a shadow tree (a C
 * famfs_fused, or famfs_fused -o source=shadow): it cannot read the log, its shadow tree is what
 * a logplay must bring up to date.
 */
export function logplayMount(mountpoint: string): LogplayReply | undefined {
  let value: Buffer | null;
  try {
    value = native.getxattr(mountpoint, LOGPLAY_XATTR);
  } catch (e) {
    const code = (e as { code?: string }).code;
    // ENOTSUP / EOPNOTSUPP: no xattrs at all (the C daemon); anything else is a broken mount.
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return undefined;
    throw new FamfsError(
      'EIO',
      `${mountpoint}: the daemon did not answer: ${(e as Error).message}`,
      { path: mountpoint },
      e,
    );
  }
  if (value === null) return undefined;
  try {
    return JSON.parse(value.toString('utf8')) as LogplayReply;
  } catch (e) {
    throw new FamfsError('EIO', `${mountpoint}: the daemon's logplay answer is not JSON`, { path: mountpoint }, e);
  }
}
