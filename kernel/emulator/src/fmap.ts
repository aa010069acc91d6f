/**
 * The kernel's side of a GET_FMAP reply: parsing and validating the blob the way
 * famfs_fuse_meta_alloc() does (ABI note §1.10), in the same order and with the same errno, and
 * resolving a file offset to a device offset the way famfs_fileofs_to_daxofs() and
 * famfs_interleave_fileofs_to_daxofs() do (§2.2, §2.3).
 *
 * Every 64-bit quantity is a bigint here: the blob is untrusted and the kernel's arithmetic is on
 * u64/s64, so wrap-around is reproduced rather than lost to double rounding.
 */
import { Errno, FamfsExtType, FamfsFmapHeader, FamfsIext, FamfsSimpleExt } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { KernelOops } from './errors';

/** PMD_SIZE on x86_64 (and arm64 with 4 KiB pages): every extent, strip and chunk is a multiple. */
export const PMD_SIZE = 2 * 1024 * 1024;
const PMD = BigInt(PMD_SIZE);
/** Slots in the kernel's per-connection daxdev table (MAX_DAXDEVS in famfs_kfmap.h). */
export const MAX_DAXDEVS = 24;

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const S64 = (v: bigint): bigint => BigInt.asIntN(64, v);

export interface KSimpleExt {
  devIndex: number;
  offset: bigint;
  len: bigint;
}

export interface KInterleavedExt {
  nstrips: number;
  chunkSize: bigint;
  nbytes: bigint;
  strips: KSimpleExt[];
}

interface KFmapBase {
  /** fuse_famfs_fmap_header.file_type (stored, not enforced by the kernel). */
  fileType: number;
  fmapVersion: number;
  /** Becomes i_size. */
  fileSize: bigint;
  /** Device indices referenced (the kernel's dev_bitmap), ascending. */
  devices: number[];
  /** Bytes of reply the declared structures used; the rest of the reply was ignored. */
  usedBytes: number;
  replyBytes: number;
}
export interface KSimpleFmap extends KFmapBase {
  extType: 'simple';
  extents: KSimpleExt[];
  /**
   * The simple-only kernel's uniform fast path: log2 of the extent size when there are several
   * extents, the first a power of two, every middle one the same and the last no larger; then a
   * file offset finds its extent by a shift. 0: the list is walked (and always so in V10).
   */
  extShift: number;
}
export interface KInterleavedFmap extends KFmapBase {
  extType: 'interleave';
  iexts: KInterleavedExt[];
}
/** The in-kernel fmap (struct famfs_file_meta) after a successful parse. */
export type KernelFmap = KSimpleFmap | KInterleavedFmap;

/** Which §1.10 rule refused a blob. */
export type FmapRule =
  | 'short-header'
  | 'nextents-range'
  | 'simple-past-end'
  | 'iext-past-end'
  | 'chunk-alignment'
  | 'nbytes-zero'
  | 'strips-past-end'
  | 'nstrips-range'
  | 'devindex'
  | 'extent-alignment'
  | 'interleave-short'
  | 'ext-type'
  | 'total-short';

/** A blob the kernel would refuse: open(2) fails with `errno`. */
export class FmapRejected extends Error {
  constructor(
    readonly rule: FmapRule,
    readonly errno: number,
    message: string,
    /** Every per-extent problem counted into the kernel's `errs` (reported once, as one EINVAL). */
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = 'FmapRejected';
  }
}

export interface FmapLimits {
  /** FUSE_FAMFS_MAX_EXTENTS of the ABI profile. */
  maxExtents: number;
  /** FUSE_FAMFS_MAX_STRIPS of the ABI profile. */
  maxStrips: number;
  /**
   * Accept device indices other than 0 (below MAX_DAXDEVS). The V10 kernel does not: any
   * dev_index != 0 counts as an alignment error (EINVAL). Default false.
   */
  multiDevice?: boolean;
  /** Interleaved extents are accepted (default true); the simple-only kernel refuses them (EINVAL). */
  acceptsInterleave?: boolean;
  /** Detect the uniform extent size (KSimpleFmap.extShift), as the simple-only kernel does. Default false. */
  uniformShift?: boolean;
}

/**
 * The parser of the kernel a profile describes. The simple-only kernel (the push generation,
 * acceptsInterleave false) is also the one with the uniform fast path: both came in one revision.
 */
export function fmapLimits(profile: AbiProfile, multiDevice = false): FmapLimits {
  const simpleOnly = !profile.acceptsInterleave;
  const { maxExtents, maxStrips } = profile;
  return { maxExtents, maxStrips, multiDevice, acceptsInterleave: !simpleOnly, uniformShift: simpleOnly };
}

/** famfs_fuse_meta_alloc()'s uniform check: log2(size) of a uniform list, else 0. */
function uniformShift(extents: readonly KSimpleExt[]): number {
  if (extents.length < 2) return 0;
  const size = extents[0].len;
  if (size === 0n || (size & (size - 1n)) !== 0n) return 0;
  for (let i = 1; i < extents.length - 1; i++) if (extents[i].len !== size) return 0;
  if (extents[extents.length - 1].len > size) return 0;
  return size.toString(2).length - 1;
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/**
 * Parses and validates one GET_FMAP reply payload (without the out header). Throws FmapRejected.
 * The order of checks is the kernel's, so a blob with several faults fails with the errno the
 * kernel would give.
 */
export function parseFmap(blob: Buffer, limits: FmapLimits): KernelFmap {
  let next = FamfsFmapHeader.size;
  if (next > blob.length) {
    const why = `GET_FMAP reply of ${blob.length} bytes is shorter than the ${FamfsFmapHeader.size}-byte fmap header`;
    throw new FmapRejected('short-header', Errno.EINVAL, why);
  }
  const h = FamfsFmapHeader.decode(blob, 0);
  const fileSize = blob.readBigUInt64LE(FamfsFmapHeader.offsetOf('fileSize'));
  if (h.nextents < 1 || h.nextents > limits.maxExtents) {
    throw new FmapRejected('nextents-range', Errno.ERANGE, `nextents ${h.nextents} outside 1..${limits.maxExtents}`);
  }
  const problems: string[] = [];
  const devices = new Set<number>();
  let extentTotal = 0n;
  const readExt = (at: number, what: string): KSimpleExt => {
    const e: KSimpleExt = {
      devIndex: FamfsSimpleExt.get(blob, 'seDevindex', at),
      offset: blob.readBigUInt64LE(at + FamfsSimpleExt.offsetOf('seOffset')),
      len: blob.readBigUInt64LE(at + FamfsSimpleExt.offsetOf('seLen')),
    };
    devices.add(e.devIndex);
    // famfs_check_ext_alignment(): each fault counts once into errs.
    const devOk = limits.multiDevice ? e.devIndex < MAX_DAXDEVS : e.devIndex === 0;
    if (!devOk) {
      const rule = limits.multiDevice ? `must be < ${MAX_DAXDEVS}` : 'only 0 is accepted';
      problems.push(`${what}: device index ${e.devIndex} (${rule})`);
    }
    if (e.offset % PMD !== 0n) problems.push(`${what}: offset ${hex(e.offset)} not a multiple of 2 MiB`);
    if (e.len % PMD !== 0n) problems.push(`${what}: length ${hex(e.len)} not a multiple of 2 MiB`);
    extentTotal = U64(extentTotal + e.len);
    return e;
  };
  const base = { fileType: h.fileType, fmapVersion: h.fmapVersion, fileSize, replyBytes: blob.length };
  const finish = <T extends KernelFmap>(fmap: Omit<T, 'devices' | 'usedBytes'>): T => {
    if (problems.length > 0) {
      const rule: FmapRule = problems.some((p) => /strips \(/.test(p))
        ? 'nstrips-range'
        : problems.some((p) => /device index/.test(p))
          ? 'devindex'
          : 'extent-alignment';
      const why = `${problems.length} extent error(s): ${problems.join('; ')}`;
      throw new FmapRejected(rule, Errno.EINVAL, why, problems);
    }
    if (extentTotal < fileSize) {
      const why = `file size ${fileSize} is larger than the ${extentTotal} bytes of its extents`;
      throw new FmapRejected('total-short', Errno.EINVAL, why);
    }
    return { ...fmap, devices: [...devices].sort((a, b) => a - b), usedBytes: next } as T;
  };

  if (h.extType === FamfsExtType.SIMPLE) {
    const at = next;
    next += h.nextents * FamfsSimpleExt.size;
    if (next > blob.length) {
      const why = `${h.nextents} simple extents need ${next} bytes, the reply has ${blob.length}`;
      throw new FmapRejected('simple-past-end', Errno.EINVAL, why);
    }
    const extents: KSimpleExt[] = [];
    for (let i = 0; i < h.nextents; i++) extents.push(readExt(at + i * FamfsSimpleExt.size, `extent ${i}`));
    const extShift = limits.uniformShift ? uniformShift(extents) : 0;
    return finish<KSimpleFmap>({ ...base, extType: 'simple', extents, extShift });
  }

  if (h.extType === FamfsExtType.INTERLEAVE && limits.acceptsInterleave !== false) {
    let remainder = S64(fileSize);
    const iexts: KInterleavedExt[] = [];
    for (let i = 0; i < h.nextents; i++) {
      const at = next;
      next += FamfsIext.size;
      if (next > blob.length) {
        const why = `interleaved extent ${i} header runs past the ${blob.length}-byte reply`;
        throw new FmapRejected('iext-past-end', Errno.EINVAL, why);
      }
      const ie = FamfsIext.decode(blob, at);
      const nbytes = blob.readBigUInt64LE(at + FamfsIext.offsetOf('ieNbytes'));
      const chunkSize = BigInt(ie.ieChunkSize);
      if (chunkSize % PMD !== 0n) {
        const why = `interleaved extent ${i}: chunk size ${ie.ieChunkSize} not a multiple of 2 MiB`;
        throw new FmapRejected('chunk-alignment', Errno.EINVAL, why);
      }
      if (nbytes === 0n) {
        throw new FmapRejected('nbytes-zero', Errno.EINVAL, `interleaved extent ${i}: ie_nbytes is 0`);
      }
      const stripsAt = next;
      // next_offset is a size_t; nstrips is a u32, so this cannot wrap in practice.
      next += ie.ieNstrips * FamfsSimpleExt.size;
      if (next > blob.length) {
        const why = `interleaved extent ${i}: ${ie.ieNstrips} strips run past the ${blob.length}-byte reply`;
        throw new FmapRejected('strips-past-end', Errno.EINVAL, why);
      }
      if (ie.ieNstrips < 1 || ie.ieNstrips > limits.maxStrips) {
        problems.push(`interleaved extent ${i}: ${ie.ieNstrips} strips (1..${limits.maxStrips})`);
      }
      const strips: KSimpleExt[] = [];
      for (let j = 0; j < ie.ieNstrips; j++) {
        const s = readExt(stripsAt + j * FamfsSimpleExt.size, `interleaved extent ${i} strip ${j}`);
        remainder = S64(remainder - s.len);
        strips.push(s);
      }
      iexts.push({ nstrips: ie.ieNstrips, chunkSize, nbytes, strips });
    }
    if (remainder > 0n) {
      const why = `strips hold ${remainder} bytes less than the file size ${fileSize}`;
      throw new FmapRejected('interleave-short', Errno.EINVAL, why);
    }
    return finish<KInterleavedFmap>({ ...base, extType: 'interleave', iexts });
  }

  const simpleOnly = limits.acceptsInterleave === false;
  const known = simpleOnly ? 'simple (0), the only type this kernel takes' : 'simple (0) nor interleave (1)';
  throw new FmapRejected('ext-type', Errno.EINVAL, `ext_type ${h.extType} is neither ${known}`);
}

/** One piece of a file range resolved to device memory. */
export interface DaxMapping {
  devIndex: number;
  /** Byte offset inside the device. */
  devOffset: bigint;
  /** Bytes valid from there (never more than asked). */
  length: bigint;
}

/**
 * Resolves `fileOffset` (asking for `len` bytes) to a device range, or null where the kernel
 * returns -EIO (offset past the extent list, a chunk size that is not a 2 MiB multiple). An
 * interleaved extent with chunk size 0 passes both of V10's checks (0 is a multiple of 2 MiB) and
 * the kernel then divides by it: that is thrown as KernelOops.
 */
export function fileOffsetToDax(fmap: KernelFmap, fileOffset: bigint, len: bigint): DaxMapping | null {
  let local = fileOffset;
  if (fmap.extType === 'simple') {
    if (fmap.extShift > 0) {
      // famfs_fileofs_to_daxofs()'s fast path: the extent index is a shift of the offset.
      const i = fileOffset >> BigInt(fmap.extShift);
      local = fileOffset & ((1n << BigInt(fmap.extShift)) - 1n);
      const e = i < BigInt(fmap.extents.length) ? fmap.extents[Number(i)] : undefined;
      if (!e || local >= e.len) return null;
      return { devIndex: e.devIndex, devOffset: e.offset + local, length: min(len, e.len - local) };
    }
    for (const e of fmap.extents) {
      if (local < e.len) return { devIndex: e.devIndex, devOffset: e.offset + local, length: min(len, e.len - local) };
      local -= e.len;
    }
    return null;
  }
  for (const ie of fmap.iexts) {
    const extSize = min(ie.nbytes, fmap.fileSize);
    // The kernel re-checks the chunk size at every iomap, for alignment only.
    if (ie.chunkSize % PMD !== 0n || ie.nstrips === 0) return null;
    if (local < extSize) {
      if (ie.chunkSize === 0n) {
        throw new KernelOops(
          `divide error in famfs_interleave_fileofs_to_daxofs(): file offset ${fileOffset} / ie_chunk_size 0`,
        );
      }
      const chunkNum = local / ie.chunkSize;
      const chunkOffset = local % ie.chunkSize;
      const chunkRemainder = ie.chunkSize - chunkOffset;
      const stripeNum = chunkNum / BigInt(ie.nstrips);
      const stripNum = Number(chunkNum % BigInt(ie.nstrips));
      const stripOffset = chunkOffset + stripeNum * ie.chunkSize;
      const s = ie.strips[stripNum];
      return { devIndex: s.devIndex, devOffset: s.offset + stripOffset, length: min(len, chunkRemainder) };
    }
    local -= extSize;
  }
  return null;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * Things the kernel accepts but a correct daemon should never send (§1.10 "Not validated"):
 * strips too short for the bytes the interleave maps onto them, overlapping extents, extents past
 * the device, odd file types and versions. Returned as sentences; empty when the fmap is clean.
 */
export function fmapLint(fmap: KernelFmap, deviceSize?: bigint): string[] {
  const out: string[] = [];
  if (fmap.fmapVersion !== 1) out.push(`fmap_version ${fmap.fmapVersion} (expected 1)`);
  if (fmap.fileType > 2) out.push(`file_type ${fmap.fileType} is not REG/SUPERBLOCK/LOG`);
  if (fmap.usedBytes !== fmap.replyBytes) {
    out.push(`${fmap.replyBytes - fmap.usedBytes} trailing bytes after the declared extents`);
  }
  const all = fmap.extType === 'simple' ? fmap.extents : fmap.iexts.flatMap((ie) => ie.strips);
  if (fmap.extType === 'interleave') {
    if (fmap.iexts.length > 1) {
      const n = fmap.iexts.length;
      out.push(`${n} interleaved extents: each maps min(nbytes, file_size) bytes, so only one is meaningful`);
    }
    fmap.iexts.forEach((ie, i) => {
      if (ie.chunkSize === 0n) {
        out.push(`interleaved extent ${i}: chunk size 0 (accepted; the first access divides by zero: a kernel oops)`);
      }
      if (ie.nbytes < fmap.fileSize && fmap.iexts.length === 1) {
        const sizes = `ie_nbytes ${ie.nbytes} < file size ${fmap.fileSize}`;
        out.push(`interleaved extent ${i}: ${sizes} (the tail is unreachable)`);
      }
      const shortest = ie.strips.reduce((m, s) => min(m, s.len), ie.strips[0]?.len ?? 0n);
      const mapped = min(ie.nbytes, fmap.fileSize);
      if (ie.chunkSize > 0n && ie.nstrips > 0) {
        const chunks = (mapped + ie.chunkSize - 1n) / ie.chunkSize;
        const perStrip = ((chunks + BigInt(ie.nstrips) - 1n) / BigInt(ie.nstrips)) * ie.chunkSize;
        if (perStrip > shortest) {
          out.push(
            `interleaved extent ${i}: ${mapped} bytes need ${perStrip} bytes per strip but the shortest strip is ` +
              `${shortest} (mappings would run past a strip)`,
          );
        }
      }
    });
  }
  const byOffset = (a: KSimpleExt, b: KSimpleExt): number => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);
  const sorted = [...all].filter((e) => e.len > 0n).sort(byOffset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1];
    if (p.devIndex === sorted[i].devIndex && p.offset + p.len > sorted[i].offset) {
      out.push(`extents at ${hex(p.offset)} and ${hex(sorted[i].offset)} overlap`);
    }
  }
  if (deviceSize !== undefined) {
    for (const e of all) {
      if (e.offset + e.len <= deviceSize) continue;
      out.push(`extent ${hex(e.offset)}+${hex(e.len)} runs past the device end ${hex(deviceSize)}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building blobs (for fake file systems in tests, and for the fuzzer)

export interface SimpleExtSpec {
  devIndex?: number;
  offset: number | bigint;
  len: number | bigint;
}
export interface FmapSpec {
  fileSize: number | bigint;
  fileType?: number;
  fmapVersion?: number;
  /** Overrides the ext_type written (default from the shape below). */
  extType?: number;
  /** Overrides the nextents written (default: the number of extents given). */
  nextents?: number;
  simple?: SimpleExtSpec[];
  interleaved?: { nstrips?: number; chunkSize: number; nbytes: number | bigint; strips: SimpleExtSpec[] }[];
}

/** Encodes a GET_FMAP payload (fmap header and extents, kernel layouts of §1.5). */
export function buildFmapBlob(spec: FmapSpec): Buffer {
  const parts: Buffer[] = [];
  const ext = (e: SimpleExtSpec): Buffer => {
    const b = Buffer.alloc(FamfsSimpleExt.size);
    FamfsSimpleExt.set(b, 'seDevindex', e.devIndex ?? 0);
    b.writeBigUInt64LE(BigInt(e.offset), FamfsSimpleExt.offsetOf('seOffset'));
    b.writeBigUInt64LE(BigInt(e.len), FamfsSimpleExt.offsetOf('seLen'));
    return b;
  };
  const inter = spec.interleaved !== undefined;
  const count = inter ? spec.interleaved!.length : (spec.simple ?? []).length;
  const h = Buffer.alloc(FamfsFmapHeader.size);
  FamfsFmapHeader.set(h, 'fileType', spec.fileType ?? 0);
  FamfsFmapHeader.set(h, 'fmapVersion', spec.fmapVersion ?? 1);
  FamfsFmapHeader.set(h, 'extType', spec.extType ?? (inter ? FamfsExtType.INTERLEAVE : FamfsExtType.SIMPLE));
  FamfsFmapHeader.set(h, 'nextents', spec.nextents ?? count);
  h.writeBigUInt64LE(BigInt(spec.fileSize), FamfsFmapHeader.offsetOf('fileSize'));
  parts.push(h);
  if (inter) {
    for (const ie of spec.interleaved!) {
      const b = Buffer.alloc(FamfsIext.size);
      FamfsIext.set(b, 'ieNstrips', ie.nstrips ?? ie.strips.length);
      FamfsIext.set(b, 'ieChunkSize', ie.chunkSize);
      b.writeBigUInt64LE(BigInt(ie.nbytes), FamfsIext.offsetOf('ieNbytes'));
      parts.push(b, ...ie.strips.map(ext));
    }
  } else {
    parts.push(...(spec.simple ?? []).map(ext));
  }
  return Buffer.concat(parts);
}
