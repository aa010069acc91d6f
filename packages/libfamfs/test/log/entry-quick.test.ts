/**
 * The quick check (fsck's pass) against the full one (replay's): it may only accept an entry the
 * full check accepts, with the same values, on random entries, damaged entries and odd paths.
 */
import fc from 'fast-check';
import { ALLOC_UNIT, LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE } from '../../src/format/constants';
import { encodeLogEntry, fileEntry, LogEntry } from '../../src/format/log-entry';
import { crc32Of } from '../../src/format/crc';
import { FmapGeometry } from '../../src/format/fmap';
import { newQuickEntry, QUICK_FILE, QUICK_MKDIR, QUICK_NO, quickEntry } from '../../src/log/entry-quick';
import { lastSlash, pathHash } from '../../src/log/path-index';
import { checkedLogEntry } from '../../src/log/replay';

const G: FmapGeometry = { devSize: 64 * ALLOC_UNIT, dataStart: 4 * ALLOC_UNIT, allocUnit: ALLOC_UNIT };
const pathArb = fc.oneof(
  fc.constantFrom('a', 'a/b', 'd0/f1', '.meta', '.meta/x', 'a/./b', 'a/../b', '/abs', 'a//b', 'é/ü', '..', 'x.'),
  fc.stringMatching(/^[a-z./]{1,12}$/),
);
const entryArb: fc.Arbitrary<LogEntry> = fc.oneof(
  fc
    .record({ path: pathArb, mode: fc.nat(0o777), uid: fc.nat(100), gid: fc.nat(100) })
    .map((m): LogEntry => ({ type: 'mkdir', ...m })),
  fc
    .record({
      path: pathArb,
      exts: fc.array(fc.record({ unit: fc.nat(70), units: fc.integer({ min: 0, max: 3 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
      extra: fc.integer({ min: -ALLOC_UNIT, max: 10 }),
    })
    .map(({ path, exts, extra }) => {
      const extents = exts.map((e) => ({ devIndex: 0, offset: e.unit * ALLOC_UNIT, len: e.units * ALLOC_UNIT }));
      const cap = extents.reduce((s, e) => s + e.len, 0);
      return fileEntry(path, Math.max(0, cap + extra), 0o644, 0, 0, { kind: 'simple', extents });
    }),
);

function encodeLoose(e: LogEntry, buf: Buffer, at: number): boolean {
  try {
    encodeLogEntry(e, 7, buf, at);
    return true;
  } catch {
    return false;
  }
}

test('the quick check accepts only what the full check accepts, with the same values', () => {
  const buf = Buffer.alloc(48 + 2 * LOG_ENTRY_SIZE);
  const at = 48 + LOG_ENTRY_SIZE;
  const u32 = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  const q = newQuickEntry();
  let accepted = 0;
  fc.assert(
    fc.property(
      entryArb,
      fc.array(fc.record({ pos: fc.nat(LOG_ENTRY_SIZE - 1), byte: fc.nat(255) }), { maxLength: 2 }),
      fc.boolean(),
      (entry, damage, fixCrc) => {
        if (!encodeLoose(entry, buf, at)) return;
        for (const d of damage) buf[at + d.pos] = d.byte;
        if (fixCrc) buf.writeUInt32LE(crc32Of(buf, at, at + LOG_ENTRY_CRC_SPAN), at + LOG_ENTRY_CRC_SPAN);
        const crc = crc32Of(buf, at, at + LOG_ENTRY_CRC_SPAN);
        const kind = quickEntry(buf, u32, at, 7, crc, G, q);
        if (kind === QUICK_NO) return;
        accepted++;
        const full = checkedLogEntry(buf, at, 7, G, crc); // must not throw
        expect(full.type).toBe(kind === QUICK_FILE ? 'file' : 'mkdir');
        if (full.type === 'add_daxdev') return;
        expect(buf.toString('utf8', q.pathStart, q.pathEnd)).toBe(full.path);
        // The hashes the path index is keyed by, of the path and of its parent.
        expect(q.hash).toBe(pathHash(buf, q.pathStart, q.pathEnd));
        expect(q.lastSlash).toBe(lastSlash(buf, q.pathStart, q.pathEnd));
        if (q.lastSlash >= 0) expect(q.parentHash).toBe(pathHash(buf, q.pathStart, q.lastSlash));
        if (full.type === 'file' && full.fmap.kind === 'simple') {
          expect(q.size).toBe(full.size);
          expect(Array.from(q.ext.subarray(0, 2 * q.extents))).toEqual(
            full.fmap.extents.flatMap((e) => [e.offset, e.len]),
          );
        }
        expect(kind === QUICK_FILE || kind === QUICK_MKDIR).toBe(true);
      },
    ),
    { numRuns: 5000 },
  );
  expect(accepted).toBeGreaterThan(100);
});
