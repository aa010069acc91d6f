import type { AbiProfile } from './types';

/** The 2026 series (V3 to V10, libfuse PR #1414): the default. */
export const v10: AbiProfile = {
  name: 'v10',
  description: 'famfs "port into fuse" V3..V10 (2026): GET_FMAP 54, GET_DAXDEV 55, FUSE_DAX_FMAP bit 43',
  getFmapOpcode: 54,
  getDaxdevOpcode: 55,
  initFlagBit: 43,
  maxExtents: 32,
  maxStrips: 32,
  maxFmapBytes: 4096,
  daxdevIndexIn: 'nodeid',
  acceptsInterleave: true,
  fmapSizing: null,
  daxdevPush: null,
};
