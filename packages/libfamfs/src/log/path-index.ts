import { prefault } from '@famfs/native';
import { zeroedArray } from '../large-arrays';
import { TreeView } from './replay';

const EMPTY = 0;
/** FNV-1a's 32-bit offset basis and prime (pathHash). */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
const SLASH = 0x2f;

/**
 * FNV-1a of buf[start, end) as a signed 32-bit integer: the hash the index keys paths by (`from`:
 * the hash of the bytes before start). Signed, so that passing it around never boxes a number.
 */
export function pathHash(buf: Uint8Array, start: number, end: number, from = FNV_OFFSET): number {
  let h = from | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
  return h;
}

/**
 * The tree a log's entries make, keyed by the path's bytes (UTF-8, as in the log): each path is a
 * file or a directory with the slot that placed it. A fsck of a full log places half a million
 * entries, so the index holds no JS string or Map entry per path: keys live in one byte arena,
 * slots and kinds in typed arrays, found through an open-addressing table of FNV-1a hashes.
 * It answers placementOf's questions (TreeView) for the paths that need the whole rule.
 */
export class PathIndex implements TreeView {
  /** Open addressing, two words a slot: the key's hash, then its number + 1 (0: empty). */
  private table: Int32Array;
  private mask: number;
  private keyStart: Int32Array;
  private keyLen: Uint8Array;
  /** slot << 1 | 1 for a directory, slot << 1 for a file. */
  private values: Int32Array;
  private arena: Uint8Array;
  private arenaUsed = 0;
  private count = 0;
  private readonly scratch = Buffer.alloc(4 * 80);

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.table = zeroedArray(Int32Array, 2 * cap);
    this.mask = cap - 1;
    const n = Math.max(16, expected);
    // These fill in key order as paths are added; large ones are on huge pages (large-arrays.ts),
    // so filling them takes one page fault per 2 MiB, with nothing to prepare in the loop.
    this.keyStart = zeroedArray(Int32Array, n);
    this.keyLen = zeroedArray(Uint8Array, n);
    this.values = zeroedArray(Int32Array, n);
    this.arena = zeroedArray(Uint8Array, n * 16);
    // The table is touched all over from the first paths on: its pages are faulted in at once.
    prefault(this.table);
  }

  get size(): number {
    return this.count;
  }

  /** The value of the path buf[start, end) with hash h: -1 when absent, else slot * 2 + (1 for a directory). */
  find(buf: Uint8Array, start: number, end: number, h: number): number {
    const e = this.table[2 * this.probe(buf, start, end, h) + 1];
    return e === EMPTY ? -1 : this.values[e - 1];
  }

  /**
   * The value of the path buf[start, end) with hash h when it is present; when it is not, adds it
   * as a file or directory placed by `slot` and returns -1. One probe for both.
   */
  findOrAdd(buf: Uint8Array, start: number, end: number, h: number, slot: number, dir: boolean): number {
    const t = this.probe(buf, start, end, h);
    const e = this.table[2 * t + 1];
    if (e !== EMPTY) return this.values[e - 1];
    this.insert(t, buf, start, end, h, slot, dir);
    return -1;
  }

  /** Adds the path buf[start, end) (hash h, not present) as a file or directory placed by `slot`. */
  add(buf: Uint8Array, start: number, end: number, h: number, slot: number, dir: boolean): void {
    this.insert(this.probe(buf, start, end, h), buf, start, end, h, slot, dir);
  }

  /** The table slot holding the path, or the empty one where it would go. */
  private probe(buf: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start;
    const table = this.table;
    const hash = h | 0;
    for (let t = h & this.mask; ; t = (t + 1) & this.mask) {
      const e = table[2 * t + 1];
      if (e === EMPTY) return t;
      if (table[2 * t] !== hash || this.keyLen[e - 1] !== len) continue;
      const ks = this.keyStart[e - 1];
      const arena = this.arena;
      let i = 0;
      while (i < len && arena[ks + i] === buf[start + i]) i++;
      if (i === len) return t;
    }
  }

  private insert(t: number, buf: Uint8Array, start: number, end: number, h: number, slot: number, dir: boolean): void {
    if ((this.count + 1) * 2 > this.mask + 1) {
      this.rehash();
      t = this.probe(buf, start, end, h);
    }
    if (this.count === this.values.length) this.growEntries();
    const len = end - start;
    while (this.arenaUsed + len > this.arena.length) {
      const a = zeroedArray(Uint8Array, this.arena.length * 2);
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    const arena = this.arena;
    for (let i = 0, o = this.arenaUsed; i < len; i++) arena[o + i] = buf[start + i];
    const k = this.count++;
    this.keyStart[k] = this.arenaUsed;
    this.keyLen[k] = len;
    this.values[k] = slot * 2 + (dir ? 1 : 0);
    this.arenaUsed += len;
    this.table[2 * t] = h | 0;
    this.table[2 * t + 1] = k + 1;
  }

  /** find() for a path given as a string (the rare entries that take the whole placement rule). */
  findPath(path: string): number {
    const end = this.scratch.write(path, 0, 'utf8');
    return this.find(this.scratch, 0, end, pathHash(this.scratch, 0, end));
  }

  addPath(path: string, slot: number, dir: boolean): void {
    const end = this.scratch.write(path, 0, 'utf8');
    this.add(this.scratch, 0, end, pathHash(this.scratch, 0, end), slot, dir);
  }

  fileIndex(path: string): number | undefined {
    const v = this.findPath(path);
    return v >= 0 && v % 2 === 0 ? v / 2 : undefined;
  }

  hasDir(path: string): boolean {
    return this.findPath(path) % 2 === 1;
  }

  private rehash(): void {
    const old = this.table;
    const table = zeroedArray(Int32Array, old.length * 2);
    prefault(table);
    const mask = table.length / 2 - 1;
    for (let u = 0; u < old.length; u += 2) {
      if (old[u + 1] === EMPTY) continue;
      let t = old[u] & mask;
      while (table[2 * t + 1] !== EMPTY) t = (t + 1) & mask;
      table[2 * t] = old[u];
      table[2 * t + 1] = old[u + 1];
    }
    this.table = table;
    this.mask = mask;
  }

  private growEntries(): void {
    const n = this.values.length * 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.keyStart = grow(this.keyStart, (m) => zeroedArray(Int32Array, m));
    this.keyLen = grow(this.keyLen, (m) => zeroedArray(Uint8Array, m));
    this.values = grow(this.values, (m) => zeroedArray(Int32Array, m));
  }
}

/** Offset of the last '/' in buf[start, end), or -1. */
export function lastSlash(buf: Uint8Array, start: number, end: number): number {
  for (let i = end - 1; i >= start; i--) if (buf[i] === SLASH) return i;
  return -1;
}
