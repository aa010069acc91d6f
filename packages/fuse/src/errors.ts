import { constants } from 'os';

/** errno values by name (Linux), re-exported for file systems: `throw new FuseErrno(Errno.ENOENT)`. */
export const Errno = constants.errno;

/**
 * An error a file system method throws (or returns) to answer a request with -errno.
 * Anything else a method throws is answered with EIO and logged.
 */
export class FuseErrno extends Error {
  readonly errno: number;
  constructor(errno: number, message?: string) {
    if (!Number.isInteger(errno) || errno < 1 || errno > 511) {
      throw new RangeError(`FuseErrno: ${errno} is not an errno in [1, 511]`);
    }
    super(message ?? `errno ${errnoName(errno)}`);
    this.name = 'FuseErrno';
    this.errno = errno;
  }
}

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v as number, k]));
/** "ENOENT" for 2; "errno N" for values without a name. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
