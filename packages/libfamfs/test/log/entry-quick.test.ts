/**
 * The quick check (fsck's pass) against the full one (replay's): it may only accept an entry the
 * full check accepts, with the same values, on random entries, damaged entries and odd paths.
 */
import fc from 'fast-check';
import { ALLOC_UNIT, LOG_ENTRY_CRC_SPAN, LOG_ENTRY_SIZE } from '../../src/format/constants';
import { encodeLogEntry, fileEntry, LogEntry } from '../../src/format/log-entry';
import { crc32Of } from '../../src/format/crc';
import { FmapGeometry } from '../../src/format/fmap';
import { newQuickEntry, QUICK_FILE, QUICK_MKDIR, QUICK_NO, quickEntry, quickGeometry } from '../../src/log/entry-quick';
import { lastSlash, pathHash } from '../../src/log/path-index';
import { checkedLogEntry } from '../../src/log/replay';

/**
 * Devices the checks are compared on: small, and far enough past 2^32 bytes that every extent
 * has a high word, with each allocation unit famfs knows. Units are numbered from `base`.
 */
const DEVICES = [
  { name: '2 MiB units, a small device', unit: ALLOC_UNIT, base: 0 },
  { name: '2 MiB units, past 2^51 bytes', unit: ALLOC_UNIT, base: 2 ** 30 },
  { name: '4 KiB units, past 2^42 bytes', unit: 4096, base: 2 ** 30 },
];
const pathArb = fc.oneof(
  fc.constantFrom('a', 'a/b', 'd0/f1', '.meta', '.meta/x', 'a/./b', 'a/../b', '/abs', 'a//b', 'é/ü', '..', 'x.'),
  fc.stringMatching(/^[a-z./]{1,12}$/),
);
const entryArb = (unit: number, base: number): fc.Arbitrary<LogEntry> =>
  fc.oneof(
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
        extra: fc.integer({ min: -unit, max: 10 }),
      })
      .map(({ path, exts, extra }) => {
        const extents = exts.map((e) => ({ devIndex: 0, offset: (base + e.unit) * unit, len: e.units * unit }));
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

test.each(DEVICES)(
  'the quick check accepts only what the full check accepts, with the same values ($name)',
  ({ unit, base }) => {
    const G: FmapGeometry = { devSize: (base + 64) * unit, dataStart: (base + 4) * unit, allocUnit: unit };
    const quick = quickGeometry(G);
    const buf = Buffer.alloc(48 + 2 * LOG_ENTRY_SIZE);
    const at = 48 + LOG_ENTRY_SIZE;
    const i32 = new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
    const q = newQuickEntry();
    let accepted = 0;
    fc.assert(
      fc.property(
        entryArb(unit, base),
        fc.array(fc.record({ pos: fc.nat(LOG_ENTRY_SIZE - 1), byte: fc.nat(255) }), { maxLength: 2 }),
        fc.boolean(),
        (entry, damage, fixCrc) => {
          if (!encodeLoose(entry, buf, at)) return;
          for (const d of damage) buf[at + d.pos] = d.byte;
          if (fixCrc) buf.writeUInt32LE(crc32Of(buf, at, at + LOG_ENTRY_CRC_SPAN), at + LOG_ENTRY_CRC_SPAN);
          const crc = crc32Of(buf, at, at + LOG_ENTRY_CRC_SPAN);
          const kind = quickEntry(buf, i32, at, 7, crc | 0, quick, q);
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
            // Extents in allocation units.
            expect(Array.from(q.ext.subarray(0, 2 * q.extents))).toEqual(
              full.fmap.extents.flatMap((e) => [e.offset / unit, e.len / unit]),
            );
          }
          expect(kind === QUICK_FILE || kind === QUICK_MKDIR).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(100);
  },
);

test('a device whose unit numbers would pass 2^31 leaves its extents to the full check', () => {
  const unit = 4096;
  const G: FmapGeometry = { devSize: 2 ** 45, dataStart: 8 * unit, allocUnit: unit };
  const buf = Buffer.alloc(LOG_ENTRY_SIZE);
  const i32 = new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  const q = newQuickEntry();
  const at = (offset: number) => {
    const e = fileEntry('f', unit, 0o644, 0, 0, { kind: 'simple', extents: [{ devIndex: 0, offset, len: unit }] });
    encodeLogEntry(e, 0, buf, 0);
    const crc = crc32Of(buf, 0, LOG_ENTRY_CRC_SPAN);
    const kind = quickEntry(buf, i32, 0, 0, crc | 0, quickGeometry(G), q);
    expect(checkedLogEntry(buf, 0, 0, G, crc).type).toBe('file'); // valid all the same
    return kind;
  };
  expect(at(2 ** 42)).toBe(QUICK_FILE);
  expect(q.ext[0]).toBe(2 ** 30);
  expect(at(2 ** 43)).toBe(QUICK_NO); // unit 2^31
});
