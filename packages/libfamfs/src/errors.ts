import * as os from 'os';

/**
 * Typed errors of libfamfs. Every failure the library reports is a FamfsError with a stable
 * `code`; the message is one line that names the object (device, path, entry) and what is wrong.
 */
export type FamfsErrorCode =
  | 'EBADSUPER' // superblock missing, corrupt or of an unsupported version
  | 'EBADLOG' // log header corrupt or inconsistent with the superblock
  | 'EBADENTRY' // one log entry is invalid (seqnum, CRC, type, path, extents)
  | 'EBADYAML' // a shadow YAML file is malformed
  | 'ENOTMASTER' // a log-changing operation on a host that is not the master
  | 'ELOGFULL' // no free slot left in the log
  | 'ENOSPC' // no free space left on the device
  | 'EEXIST' // the path exists already
  | 'ENOENT' // a path, parent or device does not exist
  | 'ENOTDIR' // a path component is not a directory
  | 'EISDIR' // a directory where a file was expected
  | 'EINVAL' // an argument is out of range or malformed
  | 'EBUSY' // the device is mounted or in use
  | 'ESYMLINK' // a symlink where famfs never places one (shadow tree, mount path)
  | 'EFBIG' // a write past the end of a file (famfs files never grow)
  | 'EROFS' // a write through a read-only device
  | 'EACCES' // a path that this process may not open as asked (permissions, an immutable file)
  | 'EIO' // the device could not be read or written
  | 'EDAXMODE'; // a dax device is in a mode the operation cannot use (system-ram, no driver, ...)

const E = os.constants.errno;

/**
 * Maps library codes to the errno a CLI or daemon reports (the system's numbers, by name). Codes
 * with no errno of their own take the nearest: a bad superblock, log, entry or YAML is EINVAL,
 * a full log ENOMEM, a symlink where none belongs ELOOP (what O_NOFOLLOW gives), a dax device in
 * the wrong mode EPERM (as C famfs).
 */
export const ERRNO_OF: Record<FamfsErrorCode, number> = {
  EBADSUPER: E.EINVAL,
  EBADLOG: E.EINVAL,
  EBADENTRY: E.EINVAL,
  EBADYAML: E.EINVAL,
  ENOTMASTER: E.EPERM,
  ELOGFULL: E.ENOMEM,
  ENOSPC: E.ENOSPC,
  EEXIST: E.EEXIST,
  ENOENT: E.ENOENT,
  ENOTDIR: E.ENOTDIR,
  EISDIR: E.EISDIR,
  EINVAL: E.EINVAL,
  EBUSY: E.EBUSY,
  ESYMLINK: E.ELOOP,
  EFBIG: E.EFBIG,
  EROFS: E.EROFS,
  EACCES: E.EACCES,
  EIO: E.EIO,
  // C famfs answers a device in the wrong mode with -EPERM (exit 1), telling the user what to run.
  EDAXMODE: E.EPERM,
};

export class FamfsError extends Error {
  readonly code: FamfsErrorCode;
  /** Extra facts for programs: the device path, entry index, offending value... */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: FamfsErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FamfsError';
    this.code = code;
    this.details = details;
  }

  get errno(): number {
    return ERRNO_OF[this.code];
  }
}

export function isFamfsError(e: unknown, code?: FamfsErrorCode): e is FamfsError {
  return e instanceof FamfsError && (code === undefined || e.code === code);
}
