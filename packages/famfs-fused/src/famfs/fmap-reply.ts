/**
 * The GET_FMAP blob a famfs-enabled kernel asks for: fuse_famfs_fmap_header followed by simple
 * extents, or by one interleaved extent and its strips (fuse-famfs-abi §1.5-§1.6). The GET_DAXDEV
 * reply is plain protocol (ReplyWriter.daxdev in @famfs/fuse).
 *
 * The encoder refuses what the kernel would refuse (§1.10), so a bad shadow file fails the open
 * here with EINVAL and a message naming the problem, rather than as an opaque EINVAL or EIO from
 * the kernel: extent and strip counts beyond the profile, device index other than 0, offsets,
 * lengths and chunk sizes that are not multiples of PMD_SIZE (2 MiB), a chunk size that does not
 * fit u32, extents that hold less than the file size, and a blob larger than the kernel's buffer.
 * For interleaved files it also refuses an fmap whose chunks would run past a strip (the kernel
 * does not check that; a mapping could reach other memory on the device).
 */
import { interleavedCapacity } from '@famfs/libfamfs/format';
import type { Extent, FileEntry } from '@famfs/libfamfs/format';
import { Errno, FuseErrno } from '@famfs/fuse';
import {
  FAMFS_FMAP_VERSION,
  FamfsExtType,
  FamfsFileType,
  FamfsFmapHeader,
  FamfsIext,
  FamfsSimpleExt,
} from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';

/** The kernel's mapping granule (PMD_SIZE on x86_64 and 4K-page arm64). */
export const FAMFS_PMD_SIZE = 2 * 1024 * 1024;
const U32_MAX = 0xffffffff;

/** An fmap the kernel would reject, or a name that cannot be sent: answered as EINVAL. */
export class FmapReplyError extends FuseErrno {
  constructor(message: string) {
    super(Errno.EINVAL, message);
    this.name = 'FmapReplyError';
  }
}

const hex = (n: number) => `0x${n.toString(16)}`;

function checkExtent(e: Extent, what: string, path: string): void {
  const fail = (why: string): never => {
    throw new FmapReplyError(`${path}: ${what} ${why}`);
  };
  if (e.devIndex !== 0) fail(`is on device index ${e.devIndex} (the kernel accepts only 0)`);
  if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.len) || e.offset < 0 || e.len <= 0) {
    fail(`has offset ${e.offset} length ${e.len}`);
  }
  if (e.offset % FAMFS_PMD_SIZE !== 0 || e.len % FAMFS_PMD_SIZE !== 0) {
    fail(`(offset ${hex(e.offset)}, length ${hex(e.len)}) is not a multiple of 2 MiB`);
  }
}

/** Size of the GET_FMAP payload for this entry (without checking it). */
export function fmapReplySize(entry: FileEntry): number {
  const f = entry.fmap;
  if (f.kind === 'simple') return FamfsFmapHeader.size + f.extents.length * FamfsSimpleExt.size;
  return FamfsFmapHeader.size + FamfsIext.size + f.strips.length * FamfsSimpleExt.size;
}

/**
 * The GET_FMAP reply payload for a file (without the fuse_out_header): file_type REG, version 1.
 * Throws FmapReplyError (a FuseErrno EINVAL) for anything the kernel would refuse.
 */
export function encodeFmapReply(entry: FileEntry, profile: AbiProfile): Buffer {
  const path = entry.path || '<file>';
  const size = entry.size;
  if (!Number.isSafeInteger(size) || size < 0) throw new FmapReplyError(`${path}: file size ${size}`);
  const total = fmapReplySize(entry);
  if (total > profile.maxFmapBytes) {
    throw new FmapReplyError(`${path}: fmap of ${total} bytes exceeds the kernel's ${profile.maxFmapBytes}-byte buffer (${profile.name})`);
  }
  const f = entry.fmap;
  if (f.kind === 'simple') {
    const n = f.extents.length;
    if (n < 1 || n > profile.maxExtents) throw new FmapReplyError(`${path}: ${n} extents (the kernel accepts 1..${profile.maxExtents}, ${profile.name})`);
    f.extents.forEach((e, i) => checkExtent(e, `extent ${i}`, path));
    const cap = f.extents.reduce((s, e) => s + e.len, 0);
    if (cap < size) throw new FmapReplyError(`${path}: extents hold ${cap} bytes, less than the file size ${size}`);
    const out = Buffer.alloc(total);
    FamfsFmapHeader.encodeInto(
      { fileType: FamfsFileType.REG, reserved: 0, fmapVersion: FAMFS_FMAP_VERSION, extType: FamfsExtType.SIMPLE, nextents: n, reserved0: 0, fileSize: size, reserved1: 0 },
      out,
      0,
    );
    f.extents.forEach((e, i) =>
      FamfsSimpleExt.encodeInto({ seDevindex: e.devIndex, reserved: 0, seOffset: e.offset, seLen: e.len }, out, FamfsFmapHeader.size + i * FamfsSimpleExt.size),
    );
    return out;
  }

  const ns = f.strips.length;
  if (f.nstrips !== ns) throw new FmapReplyError(`${path}: nstrips ${f.nstrips} but ${ns} strips listed`);
  if (ns < 1 || ns > profile.maxStrips) throw new FmapReplyError(`${path}: ${ns} strips (the kernel accepts 1..${profile.maxStrips}, ${profile.name})`);
  const chunk = f.chunkSize;
  if (!Number.isSafeInteger(chunk) || chunk <= 0 || chunk > U32_MAX) throw new FmapReplyError(`${path}: chunk size ${chunk} does not fit the u32 ie_chunk_size`);
  if (chunk % FAMFS_PMD_SIZE !== 0) throw new FmapReplyError(`${path}: chunk size ${hex(chunk)} is not a multiple of 2 MiB`);
  if (size === 0) throw new FmapReplyError(`${path}: an interleaved extent cannot cover 0 bytes (ie_nbytes 0)`);
  f.strips.forEach((e, i) => checkExtent(e, `strip ${i}`, path));
  const cap = interleavedCapacity(ns, chunk, f.strips);
  if (cap < size) throw new FmapReplyError(`${path}: ${ns} strips of chunk ${hex(chunk)} hold ${cap} bytes, less than the file size ${size}`);
  const out = Buffer.alloc(total);
  FamfsFmapHeader.encodeInto(
    { fileType: FamfsFileType.REG, reserved: 0, fmapVersion: FAMFS_FMAP_VERSION, extType: FamfsExtType.INTERLEAVE, nextents: 1, reserved0: 0, fileSize: size, reserved1: 0 },
    out,
    0,
  );
  FamfsIext.encodeInto({ ieNstrips: ns, ieChunkSize: chunk, ieNbytes: size, reserved: 0 }, out, FamfsFmapHeader.size);
  const base = FamfsFmapHeader.size + FamfsIext.size;
  f.strips.forEach((e, i) => FamfsSimpleExt.encodeInto({ seDevindex: e.devIndex, reserved: 0, seOffset: e.offset, seLen: e.len }, out, base + i * FamfsSimpleExt.size));
  return out;
}
