import { FamfsError } from '../errors';
import { GiB, isPowerOfTwo, MAX_STRIPS } from '../format/constants';
import { Extent, InterleavedFmap } from '../format/fmap';
import { AllocationMap } from './allocation-map';

/** Most buckets the C famfs allows. */
export const MAX_NBUCKETS = 64;
/** Default interleave chunk: one allocation unit. */
export const DEFAULT_CHUNK_SIZE = 2 * 1024 * 1024;

export interface InterleaveParams {
  /** Equal regions of the device; each strip comes from a different one. */
  nbuckets: number;
  /** Strips per file (<= nbuckets, <= 16). */
  nstrips: number;
  /** Bytes per chunk: a power of 2 and a multiple of the allocation unit. */
  chunkSize: number;
}

/** All zero means "contiguous", as in the C famfs. */
export function isInterleaved(p: InterleaveParams | undefined): p is InterleaveParams {
  return p !== undefined && (p.nbuckets !== 0 || p.nstrips !== 0 || p.chunkSize !== 0);
}

/**
 * The C famfs' interleave rules: chunk a non-zero power of 2 and a multiple of the allocation
 * unit; 1 <= nstrips <= min(nbuckets, 16); 1 <= nbuckets <= 64; buckets of at least 1 GiB.
 * Returns the first problem found, or undefined.
 */
export function interleaveProblem(p: InterleaveParams, devSize: number, allocUnit: number): string | undefined {
  if (!isInterleaved(p)) return undefined;
  if (!p.chunkSize || !isPowerOfTwo(p.chunkSize) || p.chunkSize % allocUnit !== 0) {
    return `chunk size ${p.chunkSize} must be a non-zero power of 2 and a multiple of ${allocUnit}`;
  }
  if (!Number.isInteger(p.nbuckets) || p.nbuckets < 1 || p.nbuckets > MAX_NBUCKETS)
    return `nbuckets ${p.nbuckets} must be between 1 and ${MAX_NBUCKETS}`;
  if (!Number.isInteger(p.nstrips) || p.nstrips < 1 || p.nstrips > MAX_STRIPS)
    return `nstrips ${p.nstrips} must be between 1 and ${MAX_STRIPS}`;
  if (p.nstrips > p.nbuckets) return `nstrips ${p.nstrips} is more than nbuckets ${p.nbuckets}`;
  if (devSize / p.nbuckets < GiB)
    return `${p.nbuckets} buckets of a ${devSize}-byte device are smaller than 1 GiB each`;
  return undefined;
}

export function checkInterleave(p: InterleaveParams, devSize: number, allocUnit: number): void {
  const why = interleaveProblem(p, devSize, allocUnit);
  if (why) throw new FamfsError('EINVAL', `invalid interleave parameters: ${why}`, { ...p });
}

/** Fisher-Yates over 0..n-1 with the given source of [0, 1) randoms. */
function shuffled(n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Allocates an interleaved file: the device is cut into nbuckets equal buckets (the tail is not
 * used), the buckets are visited in random order, and a strip of ceil(size / stripe) chunks is
 * taken first-fit inside each until nstrips strips are found. Returns undefined when the file is
 * smaller than one chunk (the caller allocates it contiguously, as the C famfs does); throws
 * ENOSPC, with nothing claimed, when too few buckets have room.
 */
export function allocateInterleaved(
  map: AllocationMap,
  size: number,
  p: InterleaveParams,
  owner: number,
  device: string,
  random: () => number = Math.random,
): InterleavedFmap | undefined {
  if (size < p.chunkSize) return undefined;
  const au = map.unitSize;
  const chunkUnits = p.chunkSize / au;
  const bucketUnits = Math.floor(map.units / p.nbuckets);
  const stripes = Math.ceil(Math.ceil(size / au) / (p.nstrips * chunkUnits));
  const stripUnits = stripes * chunkUnits;
  const strips: Extent[] = [];
  for (const b of shuffled(p.nbuckets, random)) {
    if (strips.length === p.nstrips) break;
    const start = b * bucketUnits;
    const end = start + bucketUnits;
    for (let u = start; u + stripUnits <= end;) {
      const run = map.freeRun(u, u + stripUnits);
      if (run === stripUnits) {
        strips.push({ devIndex: 0, offset: u * au, len: stripUnits * au });
        break;
      }
      u += run + 1;
    }
  }
  if (strips.length < p.nstrips) {
    throw new FamfsError(
      'ENOSPC',
      `${device}: only ${strips.length} of ${p.nbuckets} buckets have ${stripUnits * au} contiguous free bytes for a strip; ${p.nstrips} strips are needed`,
      { device, size },
    );
  }
  for (const s of strips) map.claim(s.offset, s.len, owner);
  return { kind: 'interleaved', nstrips: p.nstrips, chunkSize: p.chunkSize, strips };
}

/** A seeded source of [0, 1) randoms (mulberry32), so tests can fix the bucket order. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
