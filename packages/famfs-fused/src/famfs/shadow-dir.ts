/**
 * Directory listings: the children of a shadow directory (a snapshot, sorted by name), and the
 * open directory handles READDIR reads through. Each handle keeps the listing it was opened with,
 * so a READDIR sequence sees one consistent list and offsets are positions in it; reading from
 * offset 0 again (rewinddir) takes a new one. Only directories and regular files are listed from
 * a shadow tree; a name that is not valid UTF-8 cannot be a famfs name and is left out with one
 * log line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Errno, FuseErrno } from '@famfs/fuse';
import type { InodeKind } from './inodes';
import type { DirListing, NsEntry } from './namespace';

/** The children of the shadow directory `abs`, by name (byte order of the UTF-8); no '.' or '..'. */
export function listShadowDir(
  abs: string,
  logOnce: (key: string, message: string) => void,
  relName: string,
): NsEntry[] {
  let names: Buffer[];
  try {
    names = fs.readdirSync(abs, { encoding: 'buffer' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FuseErrno(code === 'ENOENT' ? Errno.ENOENT : code === 'ENOTDIR' ? Errno.ENOTDIR : Errno.EIO);
  }
  const out: NsEntry[] = [];
  const sorted = names.map((b) => ({ b, s: b.toString('utf8') })).sort((x, y) => (x.s < y.s ? -1 : x.s > y.s ? 1 : 0));
  for (const { b, s } of sorted) {
    if (!Buffer.from(s, 'utf8').equals(b)) {
      logOnce(
        `utf8:${relName}/${s}`,
        `shadow entry ${JSON.stringify(s)} in ${relName || '/'} is not valid UTF-8; not listed`,
      );
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

/** Open directory handles: fh -> the directory's nodeid and its listing. */
export class DirHandles {
  private readonly handles = new Map<number, { nodeid: number; listing: DirListing }>();

  open(fh: number, nodeid: number, listing: DirListing): void {
    this.handles.set(fh, { nodeid, listing });
  }

  /**
   * The listing READDIR(PLUS) at `offset` reads from: the handle's, taken again at offset 0.
   * A READDIR without a known handle (fh 0: no OPENDIR was sent) reads a fresh one.
   */
  listing(fh: number, nodeid: number, offset: number, take: () => DirListing): DirListing {
    let h = this.handles.get(fh);
    if (!h || h.nodeid !== nodeid) {
      h = { nodeid, listing: take() };
      if (fh !== 0) this.handles.set(fh, h);
    } else if (offset === 0) {
      h.listing = take();
    }
    return h.listing;
  }

  release(fh: number): void {
    this.handles.delete(fh);
  }
}
