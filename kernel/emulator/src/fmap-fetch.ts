/**
 * fuse_get_fmap(): how a famfs kernel gets a file's fmap. Without sizing (RFC, V10) one GET_FMAP
 * into the profile's one fixed buffer. With sizing (the push generation) the kernel's buffer
 * loop: PAGE_SIZE first; a reply whose fmap_size says it did not fit gets one retry with exactly
 * that size; more than the profile's maximum is EFBIG, too big again EINVAL ("server bug"), a
 * reply shorter than the fmap header EIO.
 */
import { Errno, FamfsFmapHeader } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { KernelErrno } from './errors';

/**
 * Runs the loop. `ask(size)` sends one GET_FMAP with a reply buffer of `size` bytes and returns
 * the payload; every buffer size used is appended to `buffers` (tests read the retries there).
 */
export function fetchFmapBlob(profile: AbiProfile, buffers: number[], ask: (size: number) => Buffer): Buffer {
  const sizing = profile.fmapSizing;
  if (!sizing) {
    buffers.push(profile.maxFmapBytes);
    return ask(profile.maxFmapBytes);
  }
  let size = sizing.firstBuffer;
  for (let attempt = 0; ; attempt++) {
    buffers.push(size);
    const p = ask(size);
    if (p.length < FamfsFmapHeader.size) throw new KernelErrno(Errno.EIO, `short GET_FMAP reply of ${p.length} bytes`);
    const required = p.readUInt32LE(sizing.sizeFieldOffset);
    if (required <= size) return p;
    if (required > profile.maxFmapBytes) {
      throw new KernelErrno(Errno.EFBIG, `fmap_size ${required} exceeds ${profile.maxFmapBytes}`);
    }
    if (attempt >= sizing.retries) {
      throw new KernelErrno(Errno.EINVAL, `fmap grew ${size} -> ${required} across GET_FMAP retries (server bug)`);
    }
    size = required;
  }
}
