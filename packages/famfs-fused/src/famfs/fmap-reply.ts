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
 *
 * Simple-only form (kernels that refuse interleave, or the daemon's --simple-fmaps): interleaved
 * files go out unrolled into chunk-sized simple extents (unroll.ts), after the same checks of the
 * interleave they come from. An fmap larger than the kernel ever accepts is EFBIG ("file too large
 * for simple-fmap at this chunk size" when it is an unrolled one), everything else EINVAL.
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
import { PMD_SIZE, unrolledCount, unrolledExtent } from './unroll';
import type { Interleave } from './unroll';

/** The kernel's mapping granule (PMD_SIZE on x86_64 and 4K-page arm64). */
export const FAMFS_PMD_SIZE = PMD_SIZE;
const U32_MAX = 0xffffffff;

/** An fmap the kernel would reject, or a name that cannot be sent: EINVAL (EFBIG when it is too large). */
export class FmapReplyError extends FuseErrno {
  constructor(message: string, errno: number = Errno.EINVAL) {
    super(errno, message);
    this.name = 'FmapReplyError';
  }
}

/** How the fmap goes out: as logged, or simple-only (interleaved files unrolled). */
export interface FmapForm {
  /** Unroll interleaved files even where the profile takes interleave (famfs_fused --simple-fmaps). */
  simpleFmaps?: boolean;
}

/** Whether interleaved files go out unrolled: the profile refuses interleave, or the daemon asks for it. */
export function unrolls(profile: AbiProfile, form: FmapForm = {}): boolean {
  return !profile.acceptsInterleave || form.simpleFmaps === true;
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

/** Size of the GET_FMAP payload for this entry (without checking it); `unrolled`: in simple-only form. */
export function fmapReplySize(entry: FileEntry, unrolled = false): number {
  const f = entry.fmap;
  if (f.kind === 'simple') return FamfsFmapHeader.size + f.extents.length * FamfsSimpleExt.size;
  if (unrolled) return FamfsFmapHeader.size + unrolledCount(entry.size, f.chunkSize) * FamfsSimpleExt.size;
  return FamfsFmapHeader.size + FamfsIext.size + f.strips.length * FamfsSimpleExt.size;
}

/** The fmap header of a blob of `nextents` extents of one type. */
function header(out: Buffer, extType: number, nextents: number, fileSize: number): void {
  const value = { fileType: FamfsFileType.REG, reserved: 0, fmapVersion: FAMFS_FMAP_VERSION, extType, nextents };
  FamfsFmapHeader.encodeInto({ ...value, reserved0: 0, fileSize, reserved1: 0 }, out, 0);
}

/** Writes simple extent `i` of a blob. */
function putExtent(out: Buffer, base: number, i: number, e: Extent): void {
  const value = { seDevindex: e.devIndex, reserved: 0, seOffset: e.offset, seLen: e.len };
  FamfsSimpleExt.encodeInto(value, out, base + i * FamfsSimpleExt.size);
}

/**
 * Refuses an interleave the kernel would refuse or that would map past its strips: strip count,
 * chunk size (0 never goes out: V10 would accept it and divide by it), 0 bytes, strips, capacity.
 * The strip limit and the u32 chunk field apply only when it travels as interleave (`wire`).
 */
function checkInterleave(f: Interleave, size: number, path: string, profile: AbiProfile, wire: boolean): void {
  const ns = f.strips.length;
  if (f.nstrips !== ns) throw new FmapReplyError(`${path}: nstrips ${f.nstrips} but ${ns} strips listed`);
  if (ns < 1 || (wire && ns > profile.maxStrips)) {
    throw new FmapReplyError(`${path}: ${ns} strips (the kernel accepts 1..${profile.maxStrips}, ${profile.name})`);
  }
  const chunk = f.chunkSize;
  if (!Number.isSafeInteger(chunk) || chunk <= 0) throw new FmapReplyError(`${path}: chunk size ${chunk}`);
  if (wire && chunk > U32_MAX) {
    throw new FmapReplyError(`${path}: chunk size ${chunk} does not fit the u32 ie_chunk_size`);
  }
  if (chunk % FAMFS_PMD_SIZE !== 0) {
    throw new FmapReplyError(`${path}: chunk size ${hex(chunk)} is not a multiple of 2 MiB`);
  }
  if (size === 0) throw new FmapReplyError(`${path}: an interleaved extent cannot cover 0 bytes (ie_nbytes 0)`);
  f.strips.forEach((e, i) => checkExtent(e, `strip ${i}`, path));
  const cap = interleavedCapacity(ns, chunk, f.strips);
  if (cap < size) {
    throw new FmapReplyError(
      `${path}: ${ns} strips of chunk ${hex(chunk)} hold ${cap} bytes, less than the file size ${size}`,
    );
  }
}

/** The simple-only form of an interleaved file: its chunks as simple extents (unroll.ts). */
function encodeUnrolled(entry: FileEntry, f: Interleave, profile: AbiProfile): Buffer {
  const path = entry.path || '<file>';
  const size = entry.size;
  // A 0-byte file has no chunk to check the interleave by; its one extent is the first chunk.
  checkInterleave(f, Math.max(size, 1), path, profile, false);
  const n = unrolledCount(size, f.chunkSize);
  const total = fmapReplySize(entry, true);
  if (total > profile.maxFmapBytes) {
    throw new FmapReplyError(
      `${path}: file too large for simple-fmap at this chunk size: ${n} extents of ${hex(f.chunkSize)} make ` +
        `an fmap of ${total} bytes, more than the kernel's ${profile.maxFmapBytes}-byte buffer (${profile.name})`,
      Errno.EFBIG,
    );
  }
  if (n > profile.maxExtents) {
    throw new FmapReplyError(
      `${path}: unrolled into ${n} extents (the kernel accepts 1..${profile.maxExtents}, ${profile.name})`,
    );
  }
  const out = Buffer.alloc(total);
  header(out, FamfsExtType.SIMPLE, n, size);
  for (let c = 0; c < n; c++) putExtent(out, FamfsFmapHeader.size, c, unrolledExtent(f, size, c));
  return out;
}

/**
 * The GET_FMAP reply payload for a file (without the fuse_out_header): file_type REG, version 1,
 * simple-only where the profile or `form` asks for it. Throws FmapReplyError (a FuseErrno EINVAL,
 * EFBIG when larger than the kernel accepts) for anything the kernel would refuse.
 */
export function encodeFmapReply(entry: FileEntry, profile: AbiProfile, form: FmapForm = {}): Buffer {
  const path = entry.path || '<file>';
  const size = entry.size;
  if (!Number.isSafeInteger(size) || size < 0) throw new FmapReplyError(`${path}: file size ${size}`);
  const f = entry.fmap;
  if (f.kind === 'interleaved' && unrolls(profile, form)) return encodeUnrolled(entry, f, profile);
  const total = fmapReplySize(entry);
  if (total > profile.maxFmapBytes) {
    const why = `fmap of ${total} bytes exceeds the kernel's ${profile.maxFmapBytes}-byte buffer (${profile.name})`;
    throw new FmapReplyError(`${path}: ${why}`, Errno.EFBIG);
  }
  if (f.kind === 'simple') {
    const n = f.extents.length;
    if (n < 1 || n > profile.maxExtents) {
      throw new FmapReplyError(`${path}: ${n} extents (the kernel accepts 1..${profile.maxExtents}, ${profile.name})`);
    }
    f.extents.forEach((e, i) => checkExtent(e, `extent ${i}`, path));
    const cap = f.extents.reduce((sum, e) => sum + e.len, 0);
    if (cap < size) throw new FmapReplyError(`${path}: extents hold ${cap} bytes, less than the file size ${size}`);
    const out = Buffer.alloc(total);
    header(out, FamfsExtType.SIMPLE, n, size);
    f.extents.forEach((e, i) => putExtent(out, FamfsFmapHeader.size, i, e));
    return out;
  }

  checkInterleave(f, size, path, profile, true);
  const out = Buffer.alloc(total);
  header(out, FamfsExtType.INTERLEAVE, 1, size);
  const ie = { ieNstrips: f.strips.length, ieChunkSize: f.chunkSize, ieNbytes: size, reserved: 0 };
  FamfsIext.encodeInto(ie, out, FamfsFmapHeader.size);
  f.strips.forEach((e, i) => putExtent(out, FamfsFmapHeader.size + FamfsIext.size, i, e));
  return out;
}
