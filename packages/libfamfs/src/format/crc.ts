import { crc32 } from 'zlib';

/** zlib CRC-32 (IEEE 802.3) of buf[start, end), as famfs computes its checksums. */
export function crc32Of(buf: Buffer, start: number, end: number): number {
  return crc32(buf.subarray(start, end));
}
