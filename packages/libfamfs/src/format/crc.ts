import { crc32Records } from '@famfs/native';

/**
 * CRC-32 (IEEE 802.3, zlib's) of buf[start, end), as famfs computes its checksums. Through the
 * addon's zlib rather than node:zlib, whose module (and its streams) would be loaded by every
 * famfs process only for this.
 */
export function crc32Of(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  return crc32Records(buf, start, Math.max(n, 1), n, 1)[0];
}
