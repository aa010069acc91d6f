import type { AbiProfile } from './types';

/**
 * The 2025 RFC (kernel 6.14 base, libfuse branch famfs-6.14): opcodes 53/54, INIT bit 42.
 * Opcode 53 has since been taken upstream by COPY_FILE_RANGE_64 and bit 42 by REQUEST_TIMEOUT;
 * under this profile the famfs meanings win.
 */
export const rfc: AbiProfile = {
  name: 'rfc',
  description: 'famfs RFC v1/v2 (2025, 6.14 base): GET_FMAP 53, GET_DAXDEV 54, FUSE_DAX_FMAP bit 42',
  getFmapOpcode: 53,
  getDaxdevOpcode: 54,
  initFlagBit: 42,
  maxExtents: 2,
  maxStrips: 16,
  maxFmapBytes: 4096,
  daxdevIndexIn: 'nodeid',
  acceptsInterleave: true,
  fmapSizing: null,
  daxdevPush: null,
};
