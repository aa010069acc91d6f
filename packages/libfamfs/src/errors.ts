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
  | 'EIO'; // the device could not be read or written

/** Maps library codes to the errno a CLI or daemon reports. */
export const ERRNO_OF: Record<FamfsErrorCode, number> = {
  EBADSUPER: 22,
  EBADLOG: 22,
  EBADENTRY: 22,
  EBADYAML: 22,
  ENOTMASTER: 1,
  ELOGFULL: 12,
  ENOSPC: 28,
  EEXIST: 17,
  ENOENT: 2,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EBUSY: 16,
  ESYMLINK: 40,
  EFBIG: 27,
  EROFS: 30,
  EIO: 5,
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
