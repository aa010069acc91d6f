/**
 * Directory listings of the shadow tree: a snapshot per opendir handle (so a READDIR sequence sees
 * one consistent list and offsets are indexes into it), refreshed when the kernel reads from
 * offset 0 again (rewinddir). Only directories and regular files are listed; a name that is not
 * valid UTF-8 cannot be a famfs name and is left out with one log line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Errno, FuseErrno } from '@famfs/fuse';
import type { InodeKind } from './inodes';

export interface DirSnapshotEntry {
  name: string;
  kind: InodeKind;
  ino: number;
}

/** The entries of the shadow directory `abs`, '.' and '..' first, then by name (byte order of the UTF-8). */
export function snapshotDir(
  abs: string,
  dots: { selfIno: number; parentIno: number },
  logOnce: (key: string, message: string) => void,
  relName: string,
): DirSnapshotEntry[] {
  let names: Buffer[];
  try {
    names = fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FuseErrno(code === 'ENOENT' ? Errno.ENOENT : code === 'ENOTDIR' ? Errno.ENOTDIR : Errno.EIO);
  }
  const out: DirSnapshotEntry[] = [
    { name: '.', kind: 'dir', ino: dots.selfIno },
    { name: '..', kind: 'dir', ino: dots.parentIno },
  ];
  const sorted = names.map((b) => ({ b, s: b.toString('utf8') })).sort((x, y) => (x.s < y.s ? -1 : x.s > y.s ? 1 : 0));
  for (const { b, s } of sorted) {
    if (!Buffer.from(s, 'utf8').equals(b)) {
      logOnce(`utf8:${relName}/${s}`, `shadow entry ${JSON.stringify(s)} in ${relName || '/'} is not valid UTF-8; not listed`);
      continue;
    }
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(path.join(abs, s), { bigint: true });
    } catch {
      continue;
    }
    const kind: InodeKind | null = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
    if (!kind) continue;
    out.push({ name: s, kind, ino: Number(st.ino) });
  }
  return out;
}

/** Open directory handles: fh -> the directory's nodeid and its snapshot. */
export class DirHandles {
  private readonly handles = new Map<number, { nodeid: number; entries: DirSnapshotEntry[] }>();

  open(fh: number, nodeid: number, entries: DirSnapshotEntry[]): void {
    this.handles.set(fh, { nodeid, entries });
  }

  /**
   * The listing READDIR(PLUS) at `offset` reads from: the handle's snapshot, retaken at offset 0.
   * A READDIR without a known handle (fh 0: no OPENDIR was sent) lists a fresh snapshot.
   */
  listing(fh: number, nodeid: number, offset: number, take: () => DirSnapshotEntry[]): DirSnapshotEntry[] {
    let h = this.handles.get(fh);
    if (!h || h.nodeid !== nodeid) {
      h = { nodeid, entries: take() };
      if (fh !== 0) this.handles.set(fh, h);
    } else if (offset === 0) {
      h.entries = take();
    }
    return h.entries;
  }

  release(fh: number): void {
    this.handles.delete(fh);
  }
}
