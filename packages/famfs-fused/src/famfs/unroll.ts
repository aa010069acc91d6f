/**
 * The unroll rule of the simple-only kernels (c-famfs-interop §4.3): an interleaved extent with
 * nstrips strips and chunk size C becomes ceil(file_size / C) simple extents, chunk c on strip
 * s = c mod nstrips at strip offset floor(c / nstrips) * C, every extent C bytes long but the
 * last. The on-media log is unchanged: this is only how the fmap travels to the kernel.
 *
 * The last extent: the reference rule gives it file_size - c * C bytes, which is not a multiple of
 * 2 MiB when the file size is not, and the kernel would then refuse the whole fmap. We round it
 * up to the next 2 MiB (never past C, which is itself a multiple of 2 MiB): the strip owns the
 * whole chunk, so the rounded length stays inside the file's allocation, i_size still clips every
 * access at file_size, and the list keeps the kernel's uniform shape (a power-of-2 C for all but
 * a last extent no longer than C), so the O(1) lookup still applies. A full last chunk would work
 * as well; the shorter one is what the reference rule and the kernel's formula describe.
 */
import type { Extent } from '@famfs/libfamfs/format';

/** The kernel's alignment for every extent offset and length (PMD_SIZE). */
export const PMD_SIZE = 2 * 1024 * 1024;

/** An interleaved fmap's geometry (libfamfs InterleavedFmap). */
export interface Interleave {
  readonly nstrips: number;
  readonly chunkSize: number;
  readonly strips: readonly Extent[];
}

/** How many simple extents the unrolled fmap of a `size`-byte file has (at least 1: the kernel wants nextents >= 1). */
export function unrolledCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** Extent `c` of the unrolled fmap (the caller checked the geometry: chunkSize > 0, nstrips strips). */
export function unrolledExtent(f: Interleave, size: number, c: number): Extent {
  const chunk = f.chunkSize;
  const strip = f.strips[c % f.nstrips];
  const left = size - c * chunk;
  const len = Math.min(chunk, Math.max(PMD_SIZE, Math.ceil(left / PMD_SIZE) * PMD_SIZE));
  return { devIndex: strip.devIndex, offset: strip.offset + Math.floor(c / f.nstrips) * chunk, len };
}
