import { FileEntry } from './format/log-entry';

/**
 * The C famfs test-data stream, byte for byte: the seed is truncated to 32 bits, splitmix64 turns
 * it into the two words of xoroshiro128+ (the original 55/14/36 variant), and each output
 * contributes its low 32 bits as one little-endian word. `famfs creat -r` fills files with it and
 * `famfs verify` checks them, so files made by either implementation verify with the other.
 *
 * The generator runs on 32-bit halves: the low half of s0 + s1 needs no carry, and rotations and
 * shifts of the 64-bit state are done on (hi, lo) pairs, so no BigInt appears in the byte loop.
 */
const M64 = (1n << 64n) - 1n;

function splitmix64(state: { x: bigint }): bigint {
  state.x = (state.x + 0x9e3779b97f4a7c15n) & M64;
  let z = state.x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

export class FamfsPrng {
  private s0h: number;
  private s0l: number;
  private s1h: number;
  private s1l: number;

  constructor(seed: number | bigint) {
    const st = { x: BigInt.asUintN(32, BigInt(seed)) };
    const a = splitmix64(st);
    const b = splitmix64(st);
    this.s0h = Number(BigInt.asIntN(32, a >> 32n));
    this.s0l = Number(BigInt.asIntN(32, a));
    this.s1h = Number(BigInt.asIntN(32, b >> 32n));
    this.s1l = Number(BigInt.asIntN(32, b));
  }

  /** The next 32-bit word of the stream. */
  next(): number {
    const w = new Uint32Array(1);
    this.generate(w, 0, 1);
    return w[0];
  }

  /**
   * Writes the next `count` words of the stream into out[at...]. The state lives in locals for
   * the loop: object fields holding values above 2^31 would box a number on every store.
   */
  private generate(out: Uint32Array, at: number, count: number): void {
    // All four halves stay int32 (| 0) so the loop runs on machine integers, never doubles.
    let s0h = this.s0h | 0;
    let s0l = this.s0l | 0;
    let s1h = this.s1h | 0;
    let s1l = this.s1l | 0;
    for (let i = 0; i < count; i++) {
      out[at + i] = (s0l + s1l) | 0; // the low half of s0 + s1 needs no carry
      const th = s1h ^ s0h; // s1 ^= s0
      const tl = s1l ^ s0l;
      const rh = (s0l << 23) | (s0h >>> 9); // rotl(s0, 55) == rotr(s0, 9)
      const rl = (s0h << 23) | (s0l >>> 9);
      s0h = rh ^ th ^ ((th << 14) | (tl >>> 18)); // ^ s1 ^ (s1 << 14)
      s0l = rl ^ tl ^ (tl << 14);
      s1h = (tl << 4) | (th >>> 28); // rotl(s1, 36): swap halves, rotate left 4
      s1l = (th << 4) | (tl >>> 28);
    }
    this.s0h = s0h;
    this.s0l = s0l;
    this.s1h = s1h;
    this.s1l = s1l;
  }

  /** Fills `buf` with the next buf.length bytes of the stream. */
  fill(buf: Buffer): void {
    const words = buf.length >>> 2;
    if ((buf.byteOffset & 3) === 0) {
      this.generate(new Uint32Array(buf.buffer, buf.byteOffset, words), 0, words);
    } else {
      const tmp = new Uint32Array(Math.min(words, 65536));
      for (let done = 0; done < words; done += tmp.length) {
        const n = Math.min(tmp.length, words - done);
        this.generate(tmp, 0, n);
        Buffer.from(tmp.buffer, 0, n * 4).copy(buf, done * 4);
      }
    }
    const tail = buf.length & 3;
    if (tail) {
      const w = this.next();
      for (let i = 0; i < tail; i++) buf[words * 4 + i] = (w >>> (8 * i)) & 0xff;
    }
  }

  /**
   * Compares `buf` with the next buf.length bytes of the stream; returns the offset in `buf` of
   * the first byte that differs, or -1 when all match. Works a block at a time: generate, then
   * compare with Buffer.compare (memcmp).
   */
  compare(buf: Buffer): number {
    const block = new Uint32Array(65536);
    const blockBytes = Buffer.from(block.buffer);
    const words = buf.length >>> 2;
    for (let done = 0; done < words; done += block.length) {
      const n = Math.min(block.length, words - done);
      this.generate(block, 0, n);
      const got = buf.subarray(done * 4, (done + n) * 4);
      const want = blockBytes.subarray(0, n * 4);
      if (!got.equals(want)) {
        for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return done * 4 + i;
      }
    }
    const tail = buf.length & 3;
    if (tail) {
      const w = this.next();
      for (let b = 0; b < tail; b++) if (buf[words * 4 + b] !== ((w >>> (8 * b)) & 0xff)) return words * 4 + b;
    }
    return -1;
  }
}

/** Bytes handled per step when filling or verifying a file (bounded memory, large I/O). */
const STEP = 16 * 1024 * 1024;

/** Something that reads and writes file bytes: a DataPath. */
interface FileBytes {
  read(entry: FileEntry, offset: number, size: number): Buffer[];
  write(entry: FileEntry, offset: number, data: Buffer): number;
}

/** Fills a famfs file with the test-data stream of `seed` (what `famfs creat -r` writes). */
export function randomizeFile(data: FileBytes, entry: FileEntry, seed: number | bigint): void {
  const prng = new FamfsPrng(seed);
  const buf = Buffer.allocUnsafe(Math.min(STEP, entry.size));
  for (let off = 0; off < entry.size; off += buf.length) {
    const piece = buf.subarray(0, Math.min(buf.length, entry.size - off));
    prng.fill(piece);
    data.write(entry, off, piece);
  }
}

/**
 * Compares a famfs file with the stream of `seed` (what `famfs verify` checks); returns the file
 * offset of the first byte that differs, or -1 when the whole file matches.
 */
export function verifyFile(data: FileBytes, entry: FileEntry, seed: number | bigint): number {
  const prng = new FamfsPrng(seed);
  for (let off = 0; off < entry.size; ) {
    for (const view of data.read(entry, off, Math.min(STEP, entry.size - off))) {
      const bad = prng.compare(view);
      if (bad >= 0) return off + bad;
      off += view.length;
    }
  }
  return -1;
}
