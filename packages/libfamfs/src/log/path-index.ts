import { TreeView } from './replay';

const EMPTY = 0;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SLASH = 0x2f;

/** FNV-1a of buf[start, end): the hash the index keys paths by (`from`: the hash of the bytes before start). */
export function pathHash(buf: Uint8Array, start: number, end: number, from = FNV_OFFSET): number {
  let h = from;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
  return h >>> 0;
}

/**
 * The tree a log's entries make, keyed by the path's bytes (UTF-8, as in the log): each path is a
 * file or a directory with the slot that placed it. A fsck of a full log places half a million
 * entries, so the index holds no JS string or Map entry per path: keys live in one byte arena,
 * slots and kinds in typed arrays, found through an open-addressing table of FNV-1a hashes.
 * It answers placementOf's questions (TreeView) for the paths that need the whole rule.
 */
export class PathIndex implements TreeView {
  private table: Int32Array;
  private mask: number;
  private hashes: Uint32Array;
  private keyStart: Int32Array;
  private keyLen: Uint8Array;
  /** slot << 1 | 1 for a directory, slot << 1 for a file. */
  private values: Float64Array;
  private arena: Uint8Array;
  private arenaUsed = 0;
  private count = 0;
  private readonly scratch = Buffer.alloc(4 * 80);

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.table = new Int32Array(cap);
    this.mask = cap - 1;
    const n = Math.max(16, expected);
    this.hashes = new Uint32Array(n);
    this.keyStart = new Int32Array(n);
    this.keyLen = new Uint8Array(n);
    this.values = new Float64Array(n);
    this.arena = new Uint8Array(n * 16);
  }

  get size(): number {
    return this.count;
  }

  /** The value of the path buf[start, end) with hash h: -1 when absent, else slot * 2 + (1 for a directory). */
  find(buf: Uint8Array, start: number, end: number, h: number): number {
    const len = end - start;
    for (let t = h & this.mask; ; t = (t + 1) & this.mask) {
      const e = this.table[t];
      if (e === EMPTY) return -1;
      const k = e - 1;
      if (this.hashes[k] !== h || this.keyLen[k] !== len) continue;
      const ks = this.keyStart[k];
      let same = true;
      for (let i = 0; i < len; i++) {
        if (this.arena[ks + i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.values[k];
    }
  }

  /** Adds the path buf[start, end) (hash h, not present) as a file or directory placed by `slot`. */
  add(buf: Uint8Array, start: number, end: number, h: number, slot: number, dir: boolean): void {
    if ((this.count + 1) * 2 > this.table.length) this.rehash();
    if (this.count === this.hashes.length) this.growEntries();
    const len = end - start;
    while (this.arenaUsed + len > this.arena.length) {
      const a = new Uint8Array(this.arena.length * 2);
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    const arena = this.arena;
    for (let i = 0, o = this.arenaUsed; i < len; i++) arena[o + i] = buf[start + i];
    const k = this.count++;
    this.hashes[k] = h;
    this.keyStart[k] = this.arenaUsed;
    this.keyLen[k] = len;
    this.values[k] = slot * 2 + (dir ? 1 : 0);
    this.arenaUsed += len;
    let t = h & this.mask;
    while (this.table[t] !== EMPTY) t = (t + 1) & this.mask;
    this.table[t] = k + 1;
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
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let k = 0; k < this.count; k++) {
      let t = this.hashes[k] & mask;
      while (table[t] !== EMPTY) t = (t + 1) & mask;
      table[t] = k + 1;
    }
    this.table = table;
    this.mask = mask;
  }

  private growEntries(): void {
    const n = this.hashes.length * 2;
    const grow = <T extends Uint32Array | Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes, (m) => new Uint32Array(m));
    this.keyStart = grow(this.keyStart, (m) => new Int32Array(m));
    this.keyLen = grow(this.keyLen, (m) => new Uint8Array(m));
    this.values = grow(this.values, (m) => new Float64Array(m));
  }
}

/** Offset of the last '/' in buf[start, end), or -1. */
export function lastSlash(buf: Uint8Array, start: number, end: number): number {
  for (let i = end - 1; i >= start; i--) if (buf[i] === SLASH) return i;
  return -1;
}
