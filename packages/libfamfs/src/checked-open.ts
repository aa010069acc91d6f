/**
 * Opening paths that a user, another host or another process named: devices, shadow files, mount
 * records, daemon files. Every such open goes through openChecked, which never blocks (a FIFO with
 * no writer would hang a plain open(2) forever) and says what the path is before anything reads
 * or writes it: O_NONBLOCK on the open, then fstat of the descriptor (so a path swapped between a
 * stat and the open is judged by what was really opened).
 */
import * as fs from 'fs';
import { FamfsError, FamfsErrorCode } from './errors';

export type FileKind = 'file' | 'dir' | 'block' | 'chardev' | 'fifo' | 'socket' | 'symlink' | 'other';

/** What stat(2) or readdir(3) says a path is (fs.Stats, fs.BigIntStats and fs.Dirent all answer these). */
export type KindQuestions = Pick<
  fs.Stats,
  'isFile' | 'isDirectory' | 'isBlockDevice' | 'isCharacterDevice' | 'isFIFO' | 'isSocket' | 'isSymbolicLink'
>;

export function fileKindOf(st: KindQuestions): FileKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isBlockDevice()) return 'block';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** The kind an st_mode (from stat(2), or a native call that gives only the number) names. */
export function fileKindOfMode(mode: number): FileKind {
  switch (mode & fs.constants.S_IFMT) {
    case fs.constants.S_IFREG:
      return 'file';
    case fs.constants.S_IFDIR:
      return 'dir';
    case fs.constants.S_IFBLK:
      return 'block';
    case fs.constants.S_IFCHR:
      return 'chardev';
    case fs.constants.S_IFIFO:
      return 'fifo';
    case fs.constants.S_IFSOCK:
      return 'socket';
    case fs.constants.S_IFLNK:
      return 'symlink';
    default:
      return 'other';
  }
}

const KIND_NAMES: Record<FileKind, string> = {
  file: 'a regular file',
  dir: 'a directory',
  block: 'a block device',
  chardev: 'a character device',
  fifo: 'a FIFO',
  socket: 'a socket',
  symlink: 'a symlink',
  other: 'not a regular file',
};

/** 'a FIFO', 'a directory'... for messages. */
export function kindName(kind: FileKind): string {
  return KIND_NAMES[kind];
}

export interface CheckedOpenOptions {
  /** Access and creation flags (O_RDONLY, O_RDWR, O_WRONLY|O_CREAT|O_APPEND...); O_NONBLOCK is added. */
  flags?: number;
  /** Mode of a file created by O_CREAT. */
  mode?: number;
  /** The kinds of file accepted; anything else is refused before any read or write. */
  accept: readonly FileKind[];
  /** What the path is for, in messages: 'device', 'shadow file'... */
  what: string;
  /** Refuse a symlink as the last component (O_NOFOLLOW). */
  noFollow?: boolean;
  /** What the accepted kinds are, in messages (default: the kind names joined). */
  expected?: string;
  /**
   * What the caller has just seen the path to be (readdir's d_type, a stat of its own): when it is
   * an accepted kind, the stat before the open is skipped (the fstat of what was opened still
   * decides). A walk over many files saves a system call per file.
   */
  kindSeen?: FileKind;
}

export interface CheckedOpen {
  fd: number;
  stat: fs.Stats;
  kind: FileKind;
}

const WRITE_ACCESS = fs.constants.O_WRONLY | fs.constants.O_RDWR;

/** The library code for an errno of open(2) on a named path. */
function openErrorCode(code: string | undefined): FamfsErrorCode {
  switch (code) {
    case 'ENOENT':
      return 'ENOENT';
    case 'ENOTDIR':
      return 'ENOTDIR';
    case 'EISDIR':
      return 'EISDIR';
    case 'EACCES':
    case 'EPERM':
      return 'EACCES';
    case 'EROFS':
      return 'EROFS';
    case 'ELOOP':
      return 'ESYMLINK';
    case 'ETXTBSY':
    case 'EBUSY':
      return 'EBUSY';
    case 'ENXIO': // a socket, or a FIFO opened for writing with no reader
      return 'EINVAL';
    default:
      return 'EIO';
  }
}

/**
 * Opens `path` without blocking and returns the descriptor with its fstat, or throws a FamfsError
 * with a one-line message: ENOENT (missing), EINVAL (a kind not accepted: a FIFO, a socket, a
 * directory where a file is wanted...), EACCES, EROFS, ESYMLINK (with noFollow), EIO.
 */
export function openChecked(path: string, opts: CheckedOpenOptions): CheckedOpen {
  const flags = opts.flags ?? fs.constants.O_RDONLY;
  const writing = (flags & WRITE_ACCESS) !== 0;
  const refuse = (kind: FileKind): never => {
    const expected = opts.expected ?? opts.accept.map(kindName).join(' or ');
    throw new FamfsError('EINVAL', `${opts.what} ${path} is ${kindName(kind)}, not ${expected}`, { path, kind });
  };
  // A socket cannot be opened at all (ENXIO) and a directory not for writing (EISDIR): say what
  // they are rather than how open(2) failed. A stat cannot block.
  const seen = opts.kindSeen !== undefined && opts.accept.includes(opts.kindSeen);
  const pre = seen ? undefined : statOrUndefined(path, opts.noFollow);
  if (pre && !opts.accept.includes(fileKindOf(pre))) refuse(fileKindOf(pre));
  let fd: number;
  try {
    fd = fs.openSync(path, flags | fs.constants.O_NONBLOCK | (opts.noFollow ? fs.constants.O_NOFOLLOW : 0), opts.mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const how =
      code === 'ENOENT'
        ? 'does not exist'
        : `cannot be opened${writing ? ' for writing' : ''}: ${(e as Error).message}`;
    throw new FamfsError(openErrorCode(code), `${opts.what} ${path} ${how}`, { path }, e);
  }
  try {
    const stat = fs.fstatSync(fd);
    const kind = fileKindOf(stat);
    if (!opts.accept.includes(kind)) refuse(kind);
    return { fd, stat, kind };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function statOrUndefined(path: string, noFollow?: boolean): fs.Stats | undefined {
  try {
    return noFollow ? fs.lstatSync(path) : fs.statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The bytes of a small regular file (a record, a pid or status file, a config), read through
 * openChecked (no symlink, no FIFO); EINVAL when it holds more than `max` bytes.
 */
export function readSmallFile(path: string, max: number, what = 'file'): Buffer {
  const { fd } = openChecked(path, { accept: ['file'], what, noFollow: true });
  try {
    const bytes = readUpTo(fd, max);
    if (bytes.length > max) throw new FamfsError('EINVAL', `${what} ${path} is larger than ${max} bytes`, { path });
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads from `fd` until end of file or `max` + 1 bytes, whichever comes first: a result longer
 * than `max` says the file is too large (it may be growing), without reading all of it.
 */
export function readUpTo(fd: number, max: number): Buffer {
  const buf = Buffer.alloc(max + 1);
  let n = 0;
  while (n < buf.length) {
    const got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

/** Writes a small regular file (a pid file) through openChecked: created or truncated, never a FIFO or a symlink. */
export function writeSmallFile(path: string, data: string | Buffer, mode = 0o644, what = 'file'): void {
  const { fd } = openChecked(path, {
    flags: fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC,
    mode,
    accept: ['file'],
    what,
    noFollow: true,
  });
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  } finally {
    fs.closeSync(fd);
  }
}
