import { crc32 } from '@famfs/native';

/**
 * CRC-32 (IEEE 802.3, zlib's) of buf[start, end), as famfs computes its checksums. Through the
 * addon's zlib rather than node:zlib, whose module (and its streams) would be loaded by every
 * famfs process only for this.
 */
export function crc32Of(buf: Buffer, start: number, end: number): number {
  return crc32(buf, start, end - start);
}
