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
  /** offset, len of each extent. */
  readonly ext: Float64Array;
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
    ext: new Float64Array(2 * MAX_SIMPLE_EXTENTS),
  };
}

/**
 * Checks the slot at byte `at` of `bytes` (u32 its 4-byte-aligned view of the same memory) as
 * slot `index` whose computed CRC is `crc` (unsigned or, as a pass over a whole log gives it to
 * keep the number unboxed, `| 0`). Returns QUICK_FILE or QUICK_MKDIR with `out` filled, or
 * QUICK_NO when the full check must decide.
 */
export function quickEntry(
  bytes: Uint8Array,
  u32: Uint32Array,
  at: number,
  index: number,
  crc: number,
  g: FmapGeometry,
  out: QuickEntry,
): number {
  const w = at >> 2;
  if (u32[w + SEQ] !== index || u32[w + SEQ + 1] !== 0) return QUICK_NO;
  if ((u32[w + CRC] | 0) !== (crc | 0) || u32[w + CRC + 1] !== 0) return QUICK_NO;
  const type = u32[w + TYPE];
  if (type === EntryType.Mkdir) return quickPath(bytes, at + MKDIR_PATH, out) ? QUICK_MKDIR : QUICK_NO;
  if (type !== EntryType.File || !quickPath(bytes, at + FILE_PATH, out)) return QUICK_NO;
  if (u32[w + FMAP_TYPE] !== ExtentType.Simple) return QUICK_NO;
  const n = u32[w + FMAP_COUNT];
  if (n < 1 || n > MAX_SIMPLE_EXTENTS) return QUICK_NO;
  let cap = 0;
  for (let i = 0; i < n; i++) {
    const e = w + EXTENTS + i * EXT_WORDS;
    if (u32[e + EXT_DEV] !== 0 || u32[e + EXT_DEV + 1] !== 0) return QUICK_NO;
    if (u32[e + EXT_OFF + 1] >= SAFE_HI || u32[e + EXT_LEN + 1] >= SAFE_HI) return QUICK_NO;
    const off = u32[e + EXT_OFF] + u32[e + EXT_OFF + 1] * TWO32;
    const len = u32[e + EXT_LEN] + u32[e + EXT_LEN + 1] * TWO32;
    if (len === 0 || off % g.allocUnit !== 0 || len % g.allocUnit !== 0) return QUICK_NO;
    if (off < g.dataStart || off + len > g.devSize) return QUICK_NO;
    out.ext[2 * i] = off;
    out.ext[2 * i + 1] = len;
    cap += len;
  }
  if (u32[w + FILE_SIZE + 1] >= SAFE_HI) return QUICK_NO;
  const size = u32[w + FILE_SIZE] + u32[w + FILE_SIZE + 1] * TWO32;
  if (size > cap || !Number.isSafeInteger(cap)) return QUICK_NO;
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
