import { prngCompare, prngFill } from '@famfs/native';
import { FileEntry } from './format/log-entry';

/**
 * The C famfs test-data stream, byte for byte: the seed is truncated to 32 bits, splitmix64 turns
 * it into the two words of xoroshiro128+ (the original 55/14/36 variant), and each output
 * contributes its low 32 bits as one little-endian word. `famfs creat -r` fills files with it and
 * `famfs verify` checks them, so files made by either implementation verify with the other.
 *
 * Seeding happens here; the byte loops run in the native addon (a JS loop on 32-bit halves
 * reaches about 0.4 GB/s, a tenth of what filling memory allows).
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
  /** s0 high, s0 low, s1 high, s1 low: the generator state, advanced by every call. */
  private readonly state = new Int32Array(4);

  constructor(seed: number | bigint) {
    const st = { x: BigInt.asUintN(32, BigInt(seed)) };
    const s0 = splitmix64(st);
    const s1 = splitmix64(st);
    this.state.set([s0 >> 32n, s0, s1 >> 32n, s1].map((h) => Number(BigInt.asIntN(32, h))));
  }

  /** Fills `buf` with the next buf.length bytes of the stream. */
  fill(buf: Uint8Array): void {
    prngFill(this.state, buf);
  }

  /**
   * Compares `buf` with the next buf.length bytes of the stream; returns the offset in `buf` of
   * the first byte that differs, or -1 when all match.
   */
  compare(buf: Uint8Array): number {
    return prngCompare(this.state, buf);
  }
}

/** Bytes handled per step when filling or verifying a file (bounded memory, large I/O). */
const STEP = 16 * 1024 * 1024;

/** Something that reads and writes file bytes: a DataPath. */
interface FileBytes {
  read(entry: FileEntry, offset: number, size: number): Buffer[];
  writeInPlace(entry: FileEntry, offset: number, size: number, fill: (view: Buffer) => void): number;
}

/** Fills a famfs file with the test-data stream of `seed` (what `famfs creat -r` writes), in place. */
export function randomizeFile(data: FileBytes, entry: FileEntry, seed: number | bigint): void {
  const prng = new FamfsPrng(seed);
  for (let off = 0; off < entry.size; off += STEP)
    data.writeInPlace(entry, off, Math.min(STEP, entry.size - off), (view) => prng.fill(view));
}

/**
 * Compares a famfs file with the stream of `seed` (what `famfs verify` checks); returns the file
 * offset of the first byte that differs, or -1 when the whole file matches.
 */
export function verifyFile(data: FileBytes, entry: FileEntry, seed: number | bigint): number {
  const prng = new FamfsPrng(seed);
  for (let off = 0; off < entry.size;) {
    for (const view of data.read(entry, off, Math.min(STEP, entry.size - off))) {
      const bad = prng.compare(view);
      if (bad >= 0) return off + bad;
      off += view.length;
    }
  }
  return -1;
}
