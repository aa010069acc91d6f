/**
 * READDIR, the kernel's half: paging through a directory by cookie and reading each reply the
 * way fuse_parse_dirfile() does. Shared by FamfsKernelEmulator.readdir() (strict: what the
 * kernel refuses is an error) and the fuzzer's baseline (lenient: a broken daemon must still
 * give a listing to compare before and after the run).
 */
import { Dirent, direntSize, FUSE_NAME_MAX } from '@famfs/fuse';
import { PAGE_SIZE } from './init';

/** One record of a READDIR reply. */
export interface DirRecord {
  name: string;
  ino: number;
  type: number;
  /** The cookie of the next record. */
  off: number;
}

export interface DirPaging {
  /** READDIR at a cookie for `size` bytes: the reply payload, or null when there is none. */
  read(offset: number, size: number): Buffer | null;
  /**
   * true: a record fuse_parse_dirfile() refuses (namelen 0 or above FUSE_NAME_MAX, a '/' in the
   * name) or a cookie that does not advance ends the listing with a problem (the kernel's EIO).
   * false: the listing stops quietly at a record it cannot read or a page that does not move.
   */
  strict: boolean;
  maxRounds: number;
  /** Ask for no page once this many names are listed. */
  maxNames?: number;
}

/** The records of one READDIR reply up to the first it cannot read (a trailing partial record is ignored). */
export function direntsOf(page: Buffer, strict: boolean): { records: DirRecord[]; problem?: string } {
  const records: DirRecord[] = [];
  for (let at = 0; at + Dirent.size <= page.length;) {
    const d = Dirent.decode(page, at);
    if (d.namelen < 1 || (strict && d.namelen > FUSE_NAME_MAX)) {
      return strict ? { records, problem: `READDIR record with namelen ${d.namelen}` } : { records };
    }
    const rec = direntSize(d.namelen);
    if (at + rec > page.length) break;
    const name = page.subarray(at + Dirent.size, at + Dirent.size + d.namelen);
    if (strict && name.includes(0x2f)) return { records, problem: `READDIR name contains '/'` };
    records.push({ name: name.toString('utf8'), ino: d.ino, type: d.type, off: d.off });
    at += rec;
  }
  return { records };
}

/** The names of a directory, "." and ".." left out, one page (PAGE_SIZE) per READDIR until an empty one. */
export function pageDirectory(p: DirPaging): { entries: DirRecord[]; problem?: string } {
  const entries: DirRecord[] = [];
  let offset = 0;
  for (let round = 0; round < p.maxRounds && entries.length < (p.maxNames ?? Infinity); round++) {
    const page = p.read(offset, PAGE_SIZE);
    if (!page || page.length === 0) break;
    const { records, problem } = direntsOf(page, p.strict);
    let moved = false;
    for (const r of records) {
      if (r.off !== offset) moved = true;
      else if (p.strict) return { entries, problem: `READDIR cookie does not advance (${r.off})` };
      offset = r.off;
      if (r.name !== '.' && r.name !== '..') entries.push(r);
    }
    if (problem) return { entries, problem };
    if (!moved) break;
  }
  return { entries };
}
