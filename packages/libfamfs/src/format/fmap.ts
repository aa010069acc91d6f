import { FamfsError } from '../errors';
import { defineLayout, LayoutValue, u32, u64 } from '@famfs/struct';
import { ExtentType, isPowerOfTwo, MAX_INTERLEAVED_EXTENTS, MAX_SIMPLE_EXTENTS, MAX_STRIPS } from './constants';

/** struct famfs_simple_extent (24 bytes). */
export const SimpleExtentLayout = defineLayout('famfs_simple_extent', 24, {
  devIndex: u64(0),
  offset: u64(8),
  len: u64(16),
});
export type Extent = LayoutValue<typeof SimpleExtentLayout>;

/** struct famfs_log_fmap (416 bytes): a type, a count, then one of two arms at ARM_OFFSET. */
export const LogFmapLayout = defineLayout('famfs_log_fmap', 416, {
  extType: u32(0),
  /** fmap_nextents for simple maps, fmap_niext for interleaved ones (they alias). */
  count: u32(8),
});
export const FMAP_ARM_OFFSET = 16;

/** Head of struct famfs_interleaved_ext (400 bytes); its strips follow at STRIPS_OFFSET. */
export const InterleavedExtLayout = defineLayout('famfs_interleaved_ext', 400, {
  nstrips: u64(0),
  chunkSize: u64(8),
});
export const STRIPS_OFFSET = 16;

export interface SimpleFmap {
  kind: 'simple';
  extents: Extent[];
}
export interface InterleavedFmap {
  kind: 'interleaved';
  nstrips: number;
  chunkSize: number;
  strips: Extent[];
}
export type Fmap = SimpleFmap | InterleavedFmap;

const bad = (why: string): never => {
  throw new FamfsError('EBADENTRY', why);
};

/** Decodes the fmap at `at`, checking only its structure (counts and types); throws EBADENTRY. */
export function decodeFmap(buf: Buffer, at: number): Fmap {
  const head = LogFmapLayout.decode(buf, at);
  const arm = at + FMAP_ARM_OFFSET;
  if (head.extType === ExtentType.Simple) {
    if (head.count < 1 || head.count > MAX_SIMPLE_EXTENTS)
      bad(`simple fmap has ${head.count} extents (1..${MAX_SIMPLE_EXTENTS})`);
    return { kind: 'simple', extents: SimpleExtentLayout.decodeArray(buf, arm, head.count) };
  }
  if (head.extType === ExtentType.Interleave) {
    if (head.count !== MAX_INTERLEAVED_EXTENTS)
      bad(`interleaved fmap has ${head.count} interleaved extents (must be 1)`);
    const ie = InterleavedExtLayout.decode(buf, arm);
    if (ie.nstrips < 1 || ie.nstrips > MAX_STRIPS)
      bad(`interleaved extent has ${ie.nstrips} strips (1..${MAX_STRIPS})`);
    return {
      kind: 'interleaved',
      nstrips: ie.nstrips,
      chunkSize: ie.chunkSize,
      strips: SimpleExtentLayout.decodeArray(buf, arm + STRIPS_OFFSET, ie.nstrips),
    };
  }
  return bad(`unknown extent type ${head.extType}`);
}

/** Encodes an fmap into the 416 bytes at `at` (which the caller has zeroed). */
export function encodeFmap(fmap: Fmap, buf: Buffer, at: number): void {
  const arm = at + FMAP_ARM_OFFSET;
  if (fmap.kind === 'simple') {
    if (fmap.extents.length < 1 || fmap.extents.length > MAX_SIMPLE_EXTENTS)
      throw new RangeError(`simple fmap needs 1..${MAX_SIMPLE_EXTENTS} extents`);
    LogFmapLayout.encodeInto({ extType: ExtentType.Simple, count: fmap.extents.length }, buf, at);
    fmap.extents.forEach((e, i) => SimpleExtentLayout.encodeInto(e, buf, arm + i * SimpleExtentLayout.size));
  } else {
    if (fmap.strips.length !== fmap.nstrips || fmap.nstrips < 1 || fmap.nstrips > MAX_STRIPS) {
      throw new RangeError(`interleaved fmap needs 1..${MAX_STRIPS} strips matching nstrips`);
    }
    LogFmapLayout.encodeInto({ extType: ExtentType.Interleave, count: 1 }, buf, at);
    InterleavedExtLayout.encodeInto({ nstrips: fmap.nstrips, chunkSize: fmap.chunkSize }, buf, arm);
    fmap.strips.forEach((e, i) =>
      SimpleExtentLayout.encodeInto(e, buf, arm + STRIPS_OFFSET + i * SimpleExtentLayout.size),
    );
  }
}

/** Every device extent an fmap occupies. */
export function fmapExtents(fmap: Fmap): Extent[] {
  return fmap.kind === 'simple' ? fmap.extents : fmap.strips;
}

/** Bytes of device the fmap occupies: all its extents or strips (what st_blocks reports). */
export function allocatedBytes(fmap: Fmap): number {
  return fmapExtents(fmap).reduce((s, e) => s + e.len, 0);
}

/**
 * Bytes of file data an interleaved fmap can hold without any chunk running past its strip:
 * whole chunks of the shortest strip, times the strips (fuse-famfs-abi §2.3). The famfs kernel
 * does not check this itself, so the GET_FMAP encoder refuses a map that holds less than its file.
 */
export function interleavedCapacity(nstrips: number, chunkSize: number, strips: readonly Extent[]): number {
  if (!(chunkSize > 0) || strips.length === 0) return 0;
  const shortest = Math.min(...strips.map((s) => s.len));
  return nstrips * (shortest - (shortest % chunkSize));
}

/** Bytes of file data the fmap can hold. */
export function fmapCapacity(fmap: Fmap): number {
  if (fmap.kind === 'simple') return allocatedBytes(fmap);
  return interleavedCapacity(fmap.nstrips, fmap.chunkSize, fmap.strips);
}

export interface FmapGeometry {
  /** Device size in bytes (dd_size). */
  devSize: number;
  /** First byte after the superblock and log; file data may not start before it. */
  dataStart: number;
  allocUnit: number;
}

/**
 * What is known of the device an fmap is checked against: the whole geometry for a log entry
 * (from the superblock), only the device size for a shadow file that the daemon serves without
 * reading the superblock, nothing when there is no device at all.
 */
export type FmapBounds = Partial<FmapGeometry>;

/**
 * Why an fmap cannot describe a file of `size` bytes, or undefined when it can. The one rule,
 * for the log (replay, fsck), the mounts (inspect) and the daemon (shadow files it serves):
 * - always: at least one extent, every extent on device 0, non-empty, a byte range that a
 *   JavaScript number holds exactly; an interleaved map lists nstrips strips and has a positive
 *   chunk; its capacity is at least the size, a non-negative integer;
 * - with `allocUnit`: extents AU-aligned, interleave chunks a power of 2 multiple of the AU;
 * - with `dataStart`: extents clear of the superblock and log;
 * - with `devSize`: extents inside the device.
 */
export function fmapProblem(fmap: Fmap, size: number, g: FmapBounds = {}): string | undefined {
  const exts = fmapExtents(fmap);
  if (exts.length === 0) return 'no extents';
  for (let i = 0; i < exts.length; i++) {
    const p = extentProblem(exts[i], fmap.kind === 'simple' ? 'extent' : 'strip', i, g);
    if (p) return p;
  }
  if (fmap.kind === 'interleaved') {
    const c = fmap.chunkSize;
    if (fmap.nstrips !== fmap.strips.length) return `interleave of ${fmap.nstrips} strips lists ${fmap.strips.length}`;
    if (g.allocUnit !== undefined) {
      if (!isPowerOfTwo(c) || c % g.allocUnit !== 0)
        return `interleave chunk size ${c} is not a power of 2 multiple of the allocation unit`;
    } else if (!Number.isSafeInteger(c) || c <= 0) {
      return `interleave chunk size ${c} is not a positive integer`;
    }
  }
  const cap = fmapCapacity(fmap);
  if (size > cap) return `file size ${size} exceeds the ${cap} bytes its extents hold`;
  if (!Number.isSafeInteger(size) || size < 0) return `file size ${size} is not a byte count`;
  return undefined;
}

/** Why one extent is unusable; the words are only made for a problem (replay checks every extent of a log). */
function extentProblem(e: Extent, kind: string, i: number, g: FmapBounds): string | undefined {
  const bad =
    e.devIndex !== 0 ||
    e.len === 0 ||
    (g.allocUnit !== undefined && (e.offset % g.allocUnit !== 0 || e.len % g.allocUnit !== 0)) ||
    (g.dataStart !== undefined && e.offset < g.dataStart) ||
    (g.devSize !== undefined && e.offset + e.len > g.devSize) ||
    !Number.isSafeInteger(e.offset) ||
    !Number.isSafeInteger(e.len) ||
    e.offset < 0 ||
    e.len < 0;
  return bad ? describeExtentProblem(e, `${kind} ${i}`, g) : undefined;
}

function describeExtentProblem(e: Extent, name: string, g: FmapBounds): string | undefined {
  const at = `0x${e.offset.toString(16)}`;
  const len = `0x${e.len.toString(16)}`;
  if (e.devIndex !== 0) return `${name} is on device index ${e.devIndex} (only 0 is supported)`;
  if (e.len === 0) return `${name} has length 0`;
  if (g.allocUnit !== undefined && (e.offset % g.allocUnit !== 0 || e.len % g.allocUnit !== 0)) {
    return `${name} (offset ${at}, length ${len}) is not aligned to the allocation unit`;
  }
  if (g.dataStart !== undefined && e.offset < g.dataStart) return `${name} at ${at} overlaps the superblock or log`;
  if (g.devSize !== undefined && e.offset + e.len > g.devSize)
    return `${name} (${at} + ${len}) runs past the device end 0x${g.devSize.toString(16)}`;
  // Checked last: with a geometry, a huge value has already been refused above as what it means.
  if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.len) || e.offset < 0 || e.len < 0) {
    return `${name} (offset ${e.offset}, length ${e.len}) is not a byte range`;
  }
  return undefined;
}
