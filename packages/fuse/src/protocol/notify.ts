/**
 * Notification encoders: the messages a daemon writes to /dev/fuse without being asked. Each is
 * one fuse_out_header with unique 0 and the notify code (positive) in `error`, followed by the
 * notification's struct. The kernel reads such a write as a notification, not a reply.
 *
 * The kernel's rules these keep: the header's len is the whole message; INVAL_ENTRY's name is
 * 1..FUSE_NAME_MAX bytes with no NUL or '/', followed by a NUL that namelen does not count.
 *
 * Writing one can block in the kernel: INVAL_ENTRY takes the parent directory's inode lock, which
 * a LOOKUP in that directory holds while it waits for the daemon's answer. So a single-threaded
 * daemon must not write INVAL_ENTRY from the thread that answers requests (see Notifier in
 * filesystem.ts: the session worker hands notifications to the thread that started it).
 */
import {
  FUSE_EXPIRE_ONLY,
  FUSE_NAME_MAX,
  NotifyCode,
  NotifyInvalEntryOut,
  NotifyInvalInodeOut,
  OutHeader,
} from './abi';
import type { Iovec } from './reply';

const OUT = OutHeader.size;

/** An s64 as the u64big the layout holds (two's complement). */
function s64(v: number, what: string): bigint {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what}: ${v} is not a safe integer`);
  return BigInt.asUintN(64, BigInt(v));
}

function header(b: Buffer, code: number): void {
  OutHeader.encodeInto({ len: b.length, error: code, unique: 0n }, b, 0);
}

/**
 * Every notification a session sends, and the only way to make one. Each call returns a fresh
 * buffer (notifications are rare, and may be handed to another thread to write).
 */
export class NotifyWriter {
  /**
   * FUSE_NOTIFY_INVAL_INODE: drop the cached attributes of `nodeid` and, when off >= 0, its cached
   * pages from `off` for `len` bytes (len <= 0: to the end). off < 0 drops the attributes only.
   */
  invalInode(nodeid: number, off = 0, len = 0): Iovec {
    const b = Buffer.alloc(OUT + NotifyInvalInodeOut.size);
    header(b, NotifyCode.INVAL_INODE);
    NotifyInvalInodeOut.encodeInto({ ino: nodeid, off: s64(off, 'off'), len: s64(len, 'len') }, b, OUT);
    return [b];
  }

  /** FUSE_NOTIFY_INVAL_ENTRY: drop the dentry `name` of directory `parent` (expireOnly: just let it time out now). */
  invalEntry(parent: number, name: string, expireOnly = false): Iovec {
    const bytes = Buffer.from(name, 'utf8');
    if (bytes.length === 0 || bytes.length > FUSE_NAME_MAX) throw new RangeError(`name of ${bytes.length} bytes`);
    if (bytes.includes(0) || bytes.includes(0x2f))
      throw new RangeError(`name ${JSON.stringify(name)} holds a NUL or '/'`);
    const b = Buffer.alloc(OUT + NotifyInvalEntryOut.size + bytes.length + 1);
    header(b, NotifyCode.INVAL_ENTRY);
    NotifyInvalEntryOut.encodeInto({ parent, namelen: bytes.length, flags: expireOnly ? FUSE_EXPIRE_ONLY : 0 }, b, OUT);
    bytes.copy(b, OUT + NotifyInvalEntryOut.size);
    return [b];
  }
}
