import { BackingMap, FamfsFmapHeader, FamfsSimpleExt, FUSE_DEV_IOC_MAGIC, ioctlWrite } from '../abi';
import type { AbiProfile } from './types';

/**
 * DAXDEV_OPEN's ioctl number (nr) as famfs-ts assumes it. The number lives only in the famfs
 * libfuse fork's fuse_kernel.h, which is not public. /dev/fuse's existing ioctls take nr 0
 * (CLONE), 1 (BACKING_OPEN, whose fuse_backing_map argument DAXDEV_OPEN reuses), 2 (BACKING_CLOSE)
 * and 3 (SYNC_INIT, in 6.18+ kernels): the next free one, with BACKING_OPEN's _IOW shape, is
 * _IOW(229, 4, 16 bytes) = 0x4010E504. famfs_fused's `-o daxdev_ioctl=N` overrides it.
 */
export const DAXDEV_OPEN_NR = 4;
/** The reply buffer the kernel never exceeds (FMAP_BUFSIZE_MAX). */
const FMAP_BUFSIZE_MAX = 16 * 1024 * 1024;

/**
 * The push generation (2026, after V10; the famfs kernel's famfs_daxdev_open() and fuse_get_fmap()
 * with its retry): the daemon pushes each daxdev with an ioctl on /dev/fuse instead of answering
 * GET_DAXDEV, fmaps are simple-only (striped files are unrolled into chunk-sized simple extents),
 * and GET_FMAP carries the kernel's buffer size; an fmap that does not fit is answered with its
 * header alone, fmap_size (reserved0 in V10) set, and the kernel retries once with that size.
 *
 * Assumed, not known (c-famfs-interop §4.6): GET_FMAP stays opcode 54, GET_DAXDEV 55 and
 * FUSE_DAX_FMAP INIT bit 43 as in V10 (nothing the generation's code shows moves them, and no new
 * INIT bit is planned: the ioctl probe tells the generations apart), and the ioctl number above.
 */
export const push: AbiProfile = {
  name: 'push',
  description: 'famfs push generation (after V10): daxdev push ioctl, simple-only fmaps, GET_FMAP sized by the kernel',
  getFmapOpcode: 54,
  getDaxdevOpcode: 55,
  initFlagBit: 43,
  // No cap of its own in the kernel: the 16 MiB buffer bounds it (about 699,049 extents).
  maxExtents: Math.floor((FMAP_BUFSIZE_MAX - FamfsFmapHeader.size) / FamfsSimpleExt.size),
  maxStrips: 0,
  maxFmapBytes: FMAP_BUFSIZE_MAX,
  daxdevIndexIn: 'nodeid',
  acceptsInterleave: false,
  fmapSizing: { firstBuffer: 4096, sizeFieldOffset: FamfsFmapHeader.offsetOf('reserved0'), retries: 1 },
  daxdevPush: {
    ioctl: ioctlWrite(FUSE_DEV_IOC_MAGIC, DAXDEV_OPEN_NR, BackingMap.size),
    probePresent: ['EBADF', 'EOPNOTSUPP'],
  },
};
