/**
 * An ABI profile pins the parts of the famfs kernel interface that moved between revisions of the
 * unmerged series: the two opcodes, the INIT capability bit and the limits the kernel enforces.
 * Adding a revision means adding one file in this folder and listing it in ./index.ts.
 */
export interface AbiProfile {
  /** Short name used on the command line and in logs ("v10", "rfc"). */
  readonly name: string;
  /** One line saying which kernel series this matches. */
  readonly description: string;
  /** Opcode of FUSE_GET_FMAP. */
  readonly getFmapOpcode: number;
  /** Opcode of FUSE_GET_DAXDEV. */
  readonly getDaxdevOpcode: number;
  /** Bit number of FUSE_DAX_FMAP in the 64-bit INIT flag space (bits >= 32 travel in flags2). */
  readonly initFlagBit: number;
  /** FUSE_FAMFS_MAX_EXTENTS: most simple (or interleaved) extents in one fmap. */
  readonly maxExtents: number;
  /** FUSE_FAMFS_MAX_STRIPS: most strips in one interleaved extent. */
  readonly maxStrips: number;
  /** Largest GET_FMAP reply payload the kernel accepts (its receive buffer, one page). */
  readonly maxFmapBytes: number;
  /** Where GET_DAXDEV carries the device index: the header's nodeid, or a fuse_get_daxdev_in body. */
  readonly daxdevIndexIn: 'nodeid' | 'body';
}
