import { EntryType, ExtentType, MAX_PATHLEN, MAX_SIMPLE_EXTENTS } from '../format/constants';
import { FmapGeometry, FMAP_ARM_OFFSET, LogFmapLayout, SimpleExtentLayout } from '../format/fmap';
import { BODY_OFFSET, FILE_FMAP_OFFSET, FileMetaLayout, LogEntryLayout, MkdirLayout } from '../format/log-entry';
import { FNV_OFFSET, FNV_PRIME } from './path-index';

/**
 * The quick check of the common log entry, for passes over a whole log (fsck): a FILE with a
 * simple map or a MKDIR, with a plain ASCII path, read straight from the slot's bytes with no
 * allocation. It only ever says yes for an entry that readLogEntry and fmapProblem accept (with
 * the same values); for anything else it says "ask the full check" (QUICK_NO), which then gives
 * the entry's typed error or its decoded value. Offsets come from the format's layouts, the one
 * source of truth; tests compare the two checks on random and damaged entries.
 */
export const QUICK_NO = 0;
export const QUICK_FILE = 1;
export const QUICK_MKDIR = 2;

const SEQ = LogEntryLayout.offsetOf('seqnum') / 4;
const TYPE = LogEntryLayout.offsetOf('type') / 4;
const CRC = LogEntryLayout.offsetOf('crc') / 4;
const FILE_SIZE = (BODY_OFFSET + FileMetaLayout.offsetOf('size')) / 4;
const FILE_PATH = BODY_OFFSET + FileMetaLayout.offsetOf('path');
const MKDIR_PATH = BODY_OFFSET + MkdirLayout.offsetOf('path');
const FMAP = BODY_OFFSET + FILE_FMAP_OFFSET;
const FMAP_TYPE = (FMAP + LogFmapLayout.offsetOf('extType')) / 4;
const FMAP_COUNT = (FMAP + LogFmapLayout.offsetOf('count')) / 4;
const EXTENTS = (FMAP + FMAP_ARM_OFFSET) / 4;
const EXT_WORDS = SimpleExtentLayout.size / 4;
const EXT_DEV = SimpleExtentLayout.offsetOf('devIndex') / 4;
const EXT_OFF = SimpleExtentLayout.offsetOf('offset') / 4;
const EXT_LEN = SimpleExtentLayout.offsetOf('len') / 4;
const TWO32 = 0x1_0000_0000;
/** A u64's high word below this keeps the value a safe integer. */
const SAFE_HI = 0x20_0000;
const SLASH = 0x2f;
const DOT = 0x2e;

/** What the quick check found in a slot it accepted; reused from entry to entry. */
export interface QuickEntry {
  /** The path's bytes are bytes[pathStart, pathEnd) of the slot's buffer. */
  pathStart: number;
  pathEnd: number;
  /** Offset of each '/' + 1 is where a component starts; the last '/' (or -1) splits off the parent. */
  lastSlash: number;
  /** pathHash of the path, and of its parent (the bytes before lastSlash; unset without a '/'). */
  hash: number;
  parentHash: number;
  size: number;
  extents: number;
  /** offset, len of each extent, in allocation units. */
  readonly ext: Int32Array;
}

/**
 * The device's geometry as the quick check uses it: in allocation units (a power of two), so
 * that an extent is checked with small-integer arithmetic only. Every field is a small integer:
 * a field holding a double is boxed at each read and a byte offset past 2 GiB is boxed at each
 * sum, a heap allocation each time, in code the JIT has not optimized yet (a pass's first windows).
 */
export interface QuickGeometry {
  /** log2 of the allocation unit; -1 when the unit is not a power of two from 4 KiB to 1 GiB (nothing is then quick). */
  shift: number;
  /** The unit - 1: the low bits a whole number of units has clear. */
  lowMask: number;
  /** 2^(32 - shift): what a high word counts in units. */
  hiScale: number;
  /** Unit numbers stay under 2^31 when an offset's high word is below this. */
  hiLimit: number;
  /** The first unit file data may use (the data start, rounded up). */
  firstUnit: number;
  /** Whole units on the device (its size, rounded down, at most 2^31 - 1): an extent ends at or before it. */
  endUnit: number;
  /** The most units whose bytes are a safe integer (a map's capacity must be one), at most 2^31 - 1. */
  maxSafeUnits: number;
}

const MAX_UNITS = 0x7fff_ffff;

export function quickGeometry(g: FmapGeometry): QuickGeometry {
  const shift = Math.log2(g.allocUnit);
  if (!Number.isInteger(shift) || shift < 12 || shift > 30) {
    return { shift: -1, lowMask: 0, hiScale: 0, hiLimit: 0, firstUnit: 0, endUnit: 0, maxSafeUnits: 0 };
  }
  return {
    shift,
    lowMask: (1 << shift) - 1,
    hiScale: 1 << (32 - shift),
    // A unit number is hi * 2^(32 - shift) + (lo >>> shift): under 2^31 when hi < 2^(shift - 1).
    // Larger offsets (past 8 TiB with 4 KiB units, 4 PiB with 2 MiB) go to the full check.
    hiLimit: 1 << (shift - 1),
    // Clamped where they would pass 2^31 - 1: no unit number the check accepts is that large.
    firstUnit: Math.min(Math.ceil(g.dataStart / g.allocUnit), MAX_UNITS) | 0,
    endUnit: Math.min(Math.floor(g.devSize / g.allocUnit), MAX_UNITS) | 0,
    maxSafeUnits: Math.min(Math.floor(Number.MAX_SAFE_INTEGER / g.allocUnit), MAX_UNITS) | 0,
  };
}

export function newQuickEntry(): QuickEntry {
  return {
    pathStart: 0,
    pathEnd: 0,
    lastSlash: -1,
    hash: 0,
    parentHash: 0,
    size: 0,
    extents: 0,
    ext: new Int32Array(2 * MAX_SIMPLE_EXTENTS),
  };
}

/**
 * Checks the slot at byte `at` of `bytes` (i32 its 4-byte-aligned view of the same memory, signed)
 * as slot `index` whose computed CRC is `crc` (as an int32: the CRC's bits, signed). Returns
 * QUICK_FILE or QUICK_MKDIR with `out` filled, or QUICK_NO when the full check must decide.
 */
export function quickEntry(
  bytes: Uint8Array,
  i32: Int32Array,
  at: number,
  index: number,
  crc: number,
  g: QuickGeometry,
  out: QuickEntry,
): number {
  const w = at >> 2;
  if (i32[w + SEQ] !== index || i32[w + SEQ + 1] !== 0) return QUICK_NO;
  if (i32[w + CRC] !== crc || i32[w + CRC + 1] !== 0) return QUICK_NO;
  const type = i32[w + TYPE];
  if (type === EntryType.Mkdir) return quickPath(bytes, at + MKDIR_PATH, out) ? QUICK_MKDIR : QUICK_NO;
  if (type !== EntryType.File || !quickPath(bytes, at + FILE_PATH, out)) return QUICK_NO;
  if (i32[w + FMAP_TYPE] !== ExtentType.Simple) return QUICK_NO;
  const n = i32[w + FMAP_COUNT];
  if (n < 1 || n > MAX_SIMPLE_EXTENTS || g.shift < 0) return QUICK_NO;
  const { shift, lowMask, hiScale } = g;
  let capUnits = 0;
  for (let i = 0; i < n; i++) {
    const e = w + EXTENTS + i * EXT_WORDS;
    if (i32[e + EXT_DEV] !== 0 || i32[e + EXT_DEV + 1] !== 0) return QUICK_NO;
    // Whole units only, with unit numbers below 2^31 (a device under 2^(31 + shift) bytes).
    const offLo = i32[e + EXT_OFF];
    const offHi = i32[e + EXT_OFF + 1];
    const lenLo = i32[e + EXT_LEN];
    const lenHi = i32[e + EXT_LEN + 1];
    if ((offLo & lowMask) !== 0 || (lenLo & lowMask) !== 0) return QUICK_NO;
    if (offHi < 0 || offHi >= g.hiLimit || lenHi < 0 || lenHi >= g.hiLimit) return QUICK_NO;
    const off = offHi * hiScale + (offLo >>> shift);
    const len = lenHi * hiScale + (lenLo >>> shift);
    if (len === 0 || off < g.firstUnit || len > g.endUnit - off) return QUICK_NO;
    out.ext[2 * i] = off;
    out.ext[2 * i + 1] = len;
    capUnits += len;
  }
  if (capUnits > g.maxSafeUnits) return QUICK_NO;
  const sizeLo = i32[w + FILE_SIZE];
  const sizeHi = i32[w + FILE_SIZE + 1];
  if (sizeHi < 0 || sizeHi >= SAFE_HI) return QUICK_NO;
  const size = sizeHi === 0 && sizeLo >= 0 ? sizeLo : (sizeLo >>> 0) + sizeHi * TWO32;
  // size <= capacity, in units: the units the size needs, rounded up, against those the extents hold.
  const sizeUnits = sizeHi * hiScale + (sizeLo >>> shift) + ((sizeLo & lowMask) !== 0 ? 1 : 0);
  if (sizeUnits > capUnits) return QUICK_NO;
  out.size = size;
  out.extents = n;
  return QUICK_FILE;
}

/**
 * A relpath field of printable-or-control ASCII (1..0x7f) that relpathProblem accepts: NUL-ended
 * within MAX_PATHLEN bytes, not empty, not absolute, no empty, '.' or '..' component. Any other
 * byte (UTF-8 beyond ASCII) leaves the decision to the full check. The path's hashes for the
 * path index are computed in the same loop.
 */
function quickPath(b: Uint8Array, start: number, out: QuickEntry): boolean {
  const limit = start + MAX_PATHLEN;
  let comp = start;
  let slash = -1;
  let h = FNV_OFFSET | 0;
  let parentHash = 0;
  let i = start;
  for (; i < limit; i++) {
    const c = b[i];
    if (c === 0) break;
    if (c > 0x7f) return false;
    if (c === SLASH) {
      if (!goodComponent(b, comp, i)) return false;
      slash = i;
      comp = i + 1;
      parentHash = h;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  if (i === limit || !goodComponent(b, comp, i)) return false;
  out.pathStart = start;
  out.pathEnd = i;
  out.lastSlash = slash;
  out.hash = h;
  out.parentHash = parentHash;
  return true;
}

function goodComponent(b: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  if (len === 0) return false;
  return !(len <= 2 && b[s] === DOT && (len === 1 || b[s + 1] === DOT));
}
