import { FamfsError } from '../errors';
import { bytes, cstring, defineLayout, LayoutValue, u32, u64 } from '@famfs/struct';
import {
  DEVNAME_LEN,
  isPowerOfTwo,
  LOG_OFFSET,
  MIN_LOG_LEN,
  READABLE_VERSIONS,
  SUPER_MAGIC,
  VALID_ALLOC_UNITS,
} from './constants';
import { crc32Of } from './crc';

/** struct famfs_superblock (200 bytes); ts_daxdev (struct famfs_daxdev) is inlined at 112. */
export const SuperblockLayout = defineLayout('famfs_superblock', 200, {
  magic: u64(0),
  version: u64(8),
  logOffset: u64(16),
  logLen: u64(24),
  allocUnit: u64(32),
  omfMajor: u32(40),
  omfMinor: u32(44),
  uuid: bytes(48, 16),
  devUuid: bytes(64, 16),
  systemUuid: bytes(80, 16),
  crc: u64(96),
  flags: u32(104),
  daxdevSize: u64(112),
  daxdevUuid: bytes(120, 16),
  daxdevName: cstring(136, DEVNAME_LEN, false),
});

export type Superblock = LayoutValue<typeof SuperblockLayout>;

/** The CRC covers bytes [0, 96): magic through system UUID. */
export const SUPERBLOCK_CRC_SPAN = 96;

export function superblockCrc(buf: Buffer, at = 0): number {
  return crc32Of(buf, at, at + SUPERBLOCK_CRC_SPAN);
}

/** Encodes a superblock, computing its CRC (the `crc` given is ignored). */
export function encodeSuperblock(sb: Superblock): Buffer {
  const buf = SuperblockLayout.encode({ ...sb, crc: 0 });
  SuperblockLayout.set(buf, 'crc', superblockCrc(buf));
  return buf;
}

/** Why a superblock was refused; 'version' means it may be a famfs of another version. */
export type SuperblockFault =
  'magic' | 'version' | 'crc' | 'alloc_unit' | 'log_offset' | 'log_len' | 'dev_size' | 'dev_name';

export interface SuperblockCheck {
  ok: boolean;
  fault?: SuperblockFault;
  reason?: string;
  sb: Superblock;
}

/**
 * Checks a superblock in the C famfs' order (magic, version, CRC, alloc unit), then the geometry
 * that famfs-ts relies on: log at 2 MiB, a power-of-two log of at least 8 MiB, and a device large
 * enough to hold superblock and log. `deviceSize` (when known) must cover dd_size.
 */
export function checkSuperblock(buf: Buffer, deviceSize?: number): SuperblockCheck {
  const { sb, nameProblem } = decodeSuperblock(buf);
  const bad = (fault: SuperblockFault, reason: string): SuperblockCheck => ({ ok: false, fault, reason, sb });
  if (sb.magic !== SUPER_MAGIC)
    return bad('magic', `bad magic 0x${sb.magic.toString(16)} (want 0x${SUPER_MAGIC.toString(16)})`);
  if (!READABLE_VERSIONS.includes(sb.version)) return bad('version', `unsupported version ${sb.version}`);
  const crc = superblockCrc(buf);
  if (sb.crc !== crc)
    return bad('crc', `CRC mismatch: stored 0x${sb.crc.toString(16)}, computed 0x${crc.toString(16)}`);
  if (!VALID_ALLOC_UNITS.includes(sb.allocUnit))
    return bad('alloc_unit', `invalid alloc_unit 0x${sb.allocUnit.toString(16)}`);
  if (sb.logOffset !== LOG_OFFSET)
    return bad('log_offset', `log offset 0x${sb.logOffset.toString(16)} is not 0x200000`);
  if (!isPowerOfTwo(sb.logLen) || sb.logLen < MIN_LOG_LEN)
    return bad('log_len', `log length ${sb.logLen} is not a power of 2 >= 8 MiB`);
  if (sb.daxdevSize < LOG_OFFSET + sb.logLen) {
    return bad('dev_size', `device size ${sb.daxdevSize} cannot hold the superblock and a ${sb.logLen}-byte log`);
  }
  if (deviceSize !== undefined && sb.daxdevSize > deviceSize) {
    return bad('dev_size', `superblock says the device has ${sb.daxdevSize} bytes, but it has only ${deviceSize}`);
  }
  if (nameProblem) return bad('dev_name', nameProblem);
  return { ok: true, sb };
}

/**
 * The superblock's fields. The device name is outside the CRC and only shown, but it is a path,
 * and famfs paths are UTF-8 or refused, never replaced: a name that is not UTF-8 is decoded as ''
 * and reported, after the checks that say whether this is a famfs at all (mkfs relies on them).
 */
function decodeSuperblock(buf: Buffer): { sb: Superblock; nameProblem?: string } {
  try {
    return { sb: SuperblockLayout.decode(buf, 0) };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const copy = Buffer.from(buf.subarray(0, SuperblockLayout.size));
    const at = SuperblockLayout.offsetOf('daxdevName');
    copy.fill(0, at, at + DEVNAME_LEN);
    return { sb: SuperblockLayout.decode(copy, 0), nameProblem: 'the device name is not valid UTF-8' };
  }
}

/** Like checkSuperblock, but throws EBADSUPER naming `devName`. */
export function parseSuperblock(buf: Buffer, devName: string, deviceSize?: number): Superblock {
  const c = checkSuperblock(buf, deviceSize);
  if (!c.ok)
    throw new FamfsError('EBADSUPER', `${devName}: no valid famfs superblock: ${c.reason}`, {
      device: devName,
      fault: c.fault,
    });
  return c.sb;
}
