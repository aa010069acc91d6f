/**
 * An ABI profile pins the parts of the famfs kernel interface that moved between revisions of the
 * unmerged series: the two opcodes, the INIT capability bit, the limits the kernel enforces, how
 * GET_FMAP replies are sized, which extent types the kernel takes and how it learns its daxdevs.
 * Everything that differs between revisions is data here, so the decoder, the session and the
 * emulator read the profile instead of asking which revision it is.
 * Adding a revision means adding one file in this folder and listing it in ./index.ts.
 */
export interface AbiProfile {
  /** Short name used on the command line and in logs ("v10", "rfc", "push"). */
  readonly name: string;
  /** One line saying which kernel series this matches. */
  readonly description: string;
  /** Opcode of FUSE_GET_FMAP. */
  readonly getFmapOpcode: number;
  /** Opcode of FUSE_GET_DAXDEV (answered when it comes, even where the kernel learns devices by push). */
  readonly getDaxdevOpcode: number;
  /** Bit number of FUSE_DAX_FMAP in the 64-bit INIT flag space (bits >= 32 travel in flags2). */
  readonly initFlagBit: number;
  /** FUSE_FAMFS_MAX_EXTENTS: most simple (or interleaved) extents in one fmap. */
  readonly maxExtents: number;
  /** FUSE_FAMFS_MAX_STRIPS: most strips in one interleaved extent (0 where interleave is refused). */
  readonly maxStrips: number;
  /** Largest GET_FMAP reply payload the kernel accepts: its one buffer, or its largest after a retry. */
  readonly maxFmapBytes: number;
  /** Where GET_DAXDEV carries the device index: the header's nodeid, or a fuse_get_daxdev_in body. */
  readonly daxdevIndexIn: 'nodeid' | 'body';
  /** The kernel takes interleaved extents; when false every fmap must be simple (interleave unrolled). */
  readonly acceptsInterleave: boolean;
  /** How the kernel sizes GET_FMAP replies; null: no in-argument, one buffer of maxFmapBytes. */
  readonly fmapSizing: FmapSizing | null;
  /** The ioctl the daemon pushes daxdevs with; null: the kernel pulls them with GET_DAXDEV. */
  readonly daxdevPush: DaxdevPush | null;
}

/**
 * GET_FMAP reply sizing: the request carries fuse_getxattr_in whose size is the kernel's buffer;
 * an fmap that does not fit is answered with its header alone, fmap_size filled in, and the
 * kernel asks again with a buffer of exactly that size.
 */
export interface FmapSizing {
  /** The kernel's first buffer (PAGE_SIZE). */
  readonly firstBuffer: number;
  /** Byte offset of the u32 fmap_size in fuse_famfs_fmap_header (reserved0 in V10). */
  readonly sizeFieldOffset: number;
  /** How many times the kernel asks again after a header-only reply (a further one is EINVAL). */
  readonly retries: number;
}

/** The daemon registers each daxdev with an ioctl on /dev/fuse (argument: fuse_backing_map). */
export interface DaxdevPush {
  /** The ioctl request number (not public yet: a documented default, overridable). */
  readonly ioctl: number;
  /**
   * errno names a kernel that has the ioctl answers to the probe (fd -1, index 0): EBADF once
   * famfs is negotiated, EOPNOTSUPP before. Any other answer (ENOTTY: no such ioctl; EINVAL or
   * EPERM: the number belongs to something else) means this generation is not there.
   */
  readonly probePresent: readonly string[];
}
