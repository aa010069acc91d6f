/**
 * Attributes of what the famfs daemon serves. From a shadow tree: directories pass their shadow
 * stat through, famfs files take identity and times from their shadow file and mode, owner, size
 * and blocks from the YAML. From the log: mode, owner and size from the entry, the inode number
 * from the slot, times from when the mount read the entry. Also permission checks for callers
 * other than root; and SETATTR, which famfs keeps in memory only (a file's size never changes;
 * see inodes.ts for the overrides' lifetime).
 */
import type * as fs from 'fs';
import { allocatedBytes } from '@famfs/libfamfs/format';
import type { FileEntry } from '@famfs/libfamfs/format';
import {
  Errno,
  FATTR_ATIME,
  FATTR_ATIME_NOW,
  FATTR_CTIME,
  FATTR_GID,
  FATTR_MODE,
  FATTR_MTIME,
  FATTR_MTIME_NOW,
  FATTR_SIZE,
  FATTR_UID,
  FuseErrno,
  makeAttr,
  S_IFDIR,
  S_IFREG,
} from '@famfs/fuse';
import type { AttrValue, SetattrRequest } from '@famfs/fuse';
import type { AttrOverrides, Inode } from './inodes';

/** Access mask bits as in access(2): R_OK, W_OK, X_OK. */
export const R_OK = 4;
export const W_OK = 2;
export const X_OK = 1;

function splitNs(ns: bigint): [number, number] {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

function nowPair(): [number, number] {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
}

/** Attributes of a shadow directory from its stat. */
export function dirAttr(st: fs.BigIntStats): AttrValue {
  const [atime, atimensec] = splitNs(st.atimeNs);
  const [mtime, mtimensec] = splitNs(st.mtimeNs);
  const [ctime, ctimensec] = splitNs(st.ctimeNs);
  return makeAttr({
    ino: Number(st.ino),
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    blocks: Number(st.blocks),
    atime,
    atimensec,
    mtime,
    mtimensec,
    ctime,
    ctimensec,
    blksize: 4096,
  });
}

/** Attributes of a famfs file: identity and times from the shadow file, the rest from its YAML. */
export function fileAttr(st: fs.BigIntStats, e: FileEntry): AttrValue {
  const a = dirAttr(st);
  a.mode = S_IFREG | (e.mode & 0o7777);
  a.uid = e.uid;
  a.gid = e.gid;
  a.size = e.size;
  a.blocks = Math.ceil(allocatedBytes(e.fmap) / 512);
  return a;
}

/** Seconds and nanoseconds of a time in ms since the epoch, for every time field. */
function timesOf(ms: number) {
  const sec = Math.floor(ms / 1000);
  const nsec = Math.round((ms - sec * 1000) * 1e6);
  return { atime: sec, atimensec: nsec, mtime: sec, mtimensec: nsec, ctime: sec, ctimensec: nsec };
}

/** A directory of the log: owner and mode from its MKDIR entry, times from when it last changed. */
export function logDirAttr(ino: number, d: { mode: number; uid: number; gid: number; subdirs: number }, ms: number): AttrValue {
  const mode = S_IFDIR | (d.mode & 0o7777);
  return makeAttr({ ino, mode, nlink: 2 + d.subdirs, uid: d.uid, gid: d.gid, size: 4096, blocks: 8, blksize: 4096, ...timesOf(ms) });
}

/** A file of the log: everything from its FILE entry, times from when the mount read it. */
export function logFileAttr(ino: number, e: FileEntry, ms: number): AttrValue {
  const blocks = Math.ceil(allocatedBytes(e.fmap) / 512);
  const mode = S_IFREG | (e.mode & 0o7777);
  return makeAttr({ ino, mode, nlink: 1, uid: e.uid, gid: e.gid, size: e.size, blocks, blksize: 4096, ...timesOf(ms) });
}

/** Permission check for callers other than root (the mount may lack default_permissions). */
export function permits(a: AttrValue, uid: number, gid: number, mask: number): boolean {
  if (uid === 0) {
    if (!(mask & X_OK)) return true;
    return (a.mode & S_IFDIR) === S_IFDIR || (a.mode & 0o111) !== 0;
  }
  const bits = uid === a.uid ? (a.mode >> 6) & 7 : gid === a.gid ? (a.mode >> 3) & 7 : a.mode & 7;
  return (bits & mask) === mask;
}

/**
 * The overrides a SETATTR leaves on inode `n` whose reported attributes are `cur`, with the
 * checks chmod/chown/utimes make: only the owner or root changes mode, only root the owner, the
 * owner or root the group; times need ownership, or write access for "now". A size change is
 * EINVAL (famfs files never change size). Returns a new object; `n.overrides` is not touched.
 */
export function setattrOverrides(n: Inode, cur: AttrValue, req: SetattrRequest): AttrOverrides {
  const a = req.attr;
  const v = a.valid;
  const uid = req.header.uid;
  if (v & FATTR_SIZE) {
    if (n.kind !== 'file') throw new FuseErrno(Errno.EISDIR);
    if (a.size !== n.entry!.size) throw new FuseErrno(Errno.EINVAL, 'famfs files cannot change size');
  }
  const o = { ...n.overrides };
  let changed = false;
  if (v & FATTR_MODE) {
    if (uid !== 0 && uid !== cur.uid) throw new FuseErrno(Errno.EPERM);
    o.mode = a.mode & 0o7777;
    changed = true;
  }
  if (v & FATTR_UID && a.uid !== cur.uid) {
    if (uid !== 0) throw new FuseErrno(Errno.EPERM);
    o.uid = a.uid;
    changed = true;
  }
  if (v & FATTR_GID && a.gid !== cur.gid) {
    if (uid !== 0 && uid !== cur.uid) throw new FuseErrno(Errno.EPERM);
    o.gid = a.gid;
    changed = true;
  }
  const timesNow = (v & (FATTR_ATIME_NOW | FATTR_MTIME_NOW)) !== 0;
  if (v & (FATTR_ATIME | FATTR_MTIME)) {
    const ok = uid === 0 || uid === cur.uid || (timesNow && permits(cur, uid, req.header.gid, W_OK));
    if (!ok) throw new FuseErrno(Errno.EPERM);
  }
  if (v & FATTR_ATIME) {
    o.atime = v & FATTR_ATIME_NOW ? nowPair() : [a.atime, a.atimensec];
    changed = true;
  }
  if (v & FATTR_MTIME) {
    o.mtime = v & FATTR_MTIME_NOW ? nowPair() : [a.mtime, a.mtimensec];
    changed = true;
  }
  if (v & FATTR_CTIME) o.ctime = [a.ctime, a.ctimensec];
  else if (changed) o.ctime = nowPair();
  return o;
}
