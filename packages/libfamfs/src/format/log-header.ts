import { FamfsError } from '../errors';
import { defineLayout, LayoutValue, u64 } from '@famfs/struct';
import { LOG_HEADER_SIZE, LOG_MAGIC, logSlots } from './constants';
import { crc32Of } from './crc';

/** struct famfs_log header (48 bytes); entries follow at offset 48. */
export const LogHeaderLayout = defineLayout('famfs_log', LOG_HEADER_SIZE, {
  magic: u64(0),
  len: u64(8),
  lastIndex: u64(16),
  crc: u64(24),
  nextSeqnum: u64(32),
  nextIndex: u64(40),
});

export type LogHeader = LayoutValue<typeof LogHeaderLayout>;

/** The header CRC covers magic, len and last_index; the counters are not covered. */
export const LOG_HEADER_CRC_SPAN = 24;

export function logHeaderCrc(buf: Buffer, at = 0): number {
  return crc32Of(buf, at, at + LOG_HEADER_CRC_SPAN);
}

/** The header mkfs writes for an empty log of `logLen` bytes. */
export function newLogHeader(logLen: number): Buffer {
  const buf = LogHeaderLayout.encode({
    magic: LOG_MAGIC,
    len: logLen,
    lastIndex: logSlots(logLen) - 1,
    crc: 0,
    nextSeqnum: 0,
    nextIndex: 0,
  });
  LogHeaderLayout.set(buf, 'crc', logHeaderCrc(buf));
  return buf;
}

/**
 * Validates a log header against the superblock's log length: magic, CRC, length, last index,
 * and a next_index no further than one past the last slot. Throws EBADLOG.
 */
export function parseLogHeader(buf: Buffer, logLen: number, devName: string): LogHeader {
  const h = LogHeaderLayout.decode(buf, 0);
  const fail = (why: string): never => {
    throw new FamfsError('EBADLOG', `${devName}: invalid log header: ${why}`, { device: devName });
  };
  if (h.magic !== LOG_MAGIC) fail(`bad magic 0x${h.magic.toString(16)}`);
  const crc = logHeaderCrc(buf);
  if (h.crc !== crc) fail(`CRC mismatch: stored 0x${h.crc.toString(16)}, computed 0x${crc.toString(16)}`);
  if (h.len !== logLen) fail(`log length ${h.len} does not match the superblock's ${logLen}`);
  if (h.lastIndex !== logSlots(logLen) - 1)
    fail(`last_index ${h.lastIndex} is not ${logSlots(logLen) - 1} for a ${logLen}-byte log`);
  if (h.nextIndex > h.lastIndex + 1) fail(`next_index ${h.nextIndex} is beyond the last slot ${h.lastIndex}`);
  return h;
}
