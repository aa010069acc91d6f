/**
 * Hostile log contents. The log is written by other hosts: every case below is forged straight
 * into a device (with correct CRCs, so the checks behind the CRC are what refuses it), then the
 * device is replayed into a shadow tree (logplay) and checked (fsck). Each case must come back as
 * a clear, typed report naming the entry and what is wrong; nothing may be written outside the
 * shadow root; the device must not change; and the valid entries around it still replay.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from 'zlib';
import { Device, mapMeta } from '../../src/device/device';
import { FamfsError } from '../../src/errors';
import {
  LOG_ENTRY_CRC_SPAN,
  LOG_ENTRY_SIZE,
  LOG_HEADER_SIZE,
  LOG_OFFSET,
  logSlots,
  MiB,
} from '../../src/format/constants';
import { Extent, FMAP_ARM_OFFSET } from '../../src/format/fmap';
import { BODY_OFFSET, encodeLogEntry, FILE_FMAP_OFFSET, FileEntry, LogEntry } from '../../src/format/log-entry';
import { LogHeaderLayout, logHeaderCrc } from '../../src/format/log-header';
import { SuperblockLayout, superblockCrc } from '../../src/format/superblock';
import { fsckDevice } from '../../src/log/fsck';
import { mkfs } from '../../src/log/mkfs';
import { entryOffset, replayLog } from '../../src/log/replay';
import { logplayDevice } from '../../src/shadow/logplay';
import { GiB, MASTER, readBytes, sparseDevice, useTempDir, writeBytes } from '../support';

const tmp = useTempDir();
const DEV_SIZE = 8 * GiB;
const LOG_LEN = 8 * MiB;
const META_BYTES = LOG_OFFSET + LOG_LEN;
const DATA = LOG_OFFSET + LOG_LEN; // first byte files may use
const PATH_AT = { file: BODY_OFFSET + 24, mkdir: BODY_OFFSET + 12 };
const FMAP_AT = BODY_OFFSET + FILE_FMAP_OFFSET;

const ext = (offset: number, len: number, devIndex = 0): Extent => ({ devIndex, offset, len });
const simple = (p: string, size: number, extents: Extent[]): FileEntry => ({
  type: 'file',
  path: p,
  size,
  flags: 2,
  uid: 0,
  gid: 0,
  mode: 0o644,
  fmap: { kind: 'simple', extents },
});
const striped = (p: string, size: number, nstrips: number, chunkSize: number, strips: Extent[]): FileEntry => ({
  type: 'file',
  path: p,
  size,
  flags: 2,
  uid: 0,
  gid: 0,
  mode: 0o644,
  fmap: { kind: 'interleaved', nstrips, chunkSize, strips },
});
const mkdirE = (p: string): LogEntry => ({ type: 'mkdir', path: p, uid: 0, gid: 0, mode: 0o755 });
/** Free space for forged files: far from what the valid setup allocates. */
const free = (i: number) => DATA + 1024 * MiB + i * 64 * MiB;

// ---------------------------------------------------------------------------------------------
// Forging

/** Writes raw entry bytes into slot `index` with the right seqnum and CRC, and extends the log to it. */
function forge(dev: string, index: number, bytes: Buffer): void {
  const e = Buffer.from(bytes);
  e.writeUInt32LE(index, 0);
  e.writeUInt32LE(0, 4);
  e.writeUInt32LE(crc32(e.subarray(0, LOG_ENTRY_CRC_SPAN)), LOG_ENTRY_CRC_SPAN);
  e.writeUInt32LE(0, LOG_ENTRY_CRC_SPAN + 4);
  writeBytes(dev, LOG_OFFSET + entryOffset(index), e);
  const h = readBytes(dev, LOG_OFFSET, LOG_HEADER_SIZE);
  if (LogHeaderLayout.get(h, 'nextIndex') <= index) {
    LogHeaderLayout.set(h, 'nextIndex', index + 1);
    LogHeaderLayout.set(h, 'nextSeqnum', index + 1);
    writeBytes(dev, LOG_OFFSET, h);
  }
}

/** An entry encoded with encodeLogEntry, then patched raw (for what the encoder refuses to write). */
function raw(entry: LogEntry, patch?: (b: Buffer) => void): Buffer {
  const b = encodeLogEntry(entry, 0);
  patch?.(b);
  return b;
}
const withPath = (kind: 'file' | 'mkdir', bytes: Buffer) => (b: Buffer) => {
  b.fill(0, PATH_AT[kind], PATH_AT[kind] + 80);
  bytes.copy(b, PATH_AT[kind], 0, Math.min(80, bytes.length));
};

/** A device with a valid directory and file (entries 0 and 1); forged entries follow from index 2. */
function device(): string {
  const dev = sparseDevice(tmp(), DEV_SIZE);
  mkfs(dev, { systemUuid: MASTER });
  forge(dev, 0, raw(mkdirE('ok')));
  forge(dev, 1, raw(simple('ok/f', 1, [ext(DATA, 2 * MiB)])));
  return dev;
}

/** What must not change: the device's metadata bytes, its size and its mtime. */
function fingerprint(dev: string): string {
  const st = fs.statSync(dev);
  return `${st.size}:${st.mtimeMs}:${createHash('sha256')
    .update(readBytes(dev, 0, META_BYTES))
    .digest('hex')}`;
}

/** Every path under `dir` (relative), sorted. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of fs.readdirSync(d).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      const st = fs.lstatSync(path.join(d, n));
      if (st.isDirectory()) walk(path.join(d, n), r);
    }
  };
  walk(dir, '');
  return out;
}

interface Outcome {
  /** Reasons reported for the entry (bad entry, tree conflict or shadow problem). */
  reasons: string[];
  /** What the shadow root holds, besides .meta and the valid setup. */
  extra: string[];
  fsckReasons: string[];
}

/** Replays and checks the device; asserts the invariants shared by every case. */
function replayHostile(dev: string, index: number): Outcome {
  const before = fingerprint(dev);
  const outside = listing(tmp());
  const shadow = path.join(tmp(), 'shadow');
  fs.mkdirSync(shadow);
  const r = logplayDevice(dev, shadow);
  expect(fingerprint(dev)).toBe(before);
  // Only shadow/root and what is in it are new in the temp directory.
  const now = listing(tmp()).filter((p) => !p.startsWith('shadow/root/'));
  expect(now.sort()).toEqual([...outside, 'shadow', 'shadow/root'].sort());
  const inRoot = listing(path.join(shadow, 'root'));
  for (const p of ['.meta', '.meta/.log', '.meta/.superblock', 'ok', 'ok/f']) expect(inRoot).toContain(p);
  const reasons = [
    ...r.bad.filter((b) => b.index === index).map((b) => b.reason),
    ...r.problems.filter((p) => p.index === index).map((p) => p.reason),
  ];
  const f = fsckDevice(dev, { systemUuid: MASTER });
  expect(fingerprint(dev)).toBe(before);
  const fsckReasons = [
    ...f.badEntries.filter((b) => b.index === index).map((b) => b.reason),
    ...f.treeConflicts.filter((c) => c.index === index).map((c) => c.reason),
  ];
  return {
    reasons,
    extra: inRoot.filter((p) => !['.meta', '.meta/.log', '.meta/.superblock', 'ok', 'ok/f'].includes(p)),
    fsckReasons,
  };
}

/** The case is reported (by logplay and fsck) with a reason matching `why`, and adds nothing to the tree. */
function expectRefused(dev: string, index: number, why: RegExp, extra: string[] = []): void {
  const o = replayHostile(dev, index);
  expect(o.reasons).toHaveLength(1);
  expect(o.reasons[0]).toMatch(why);
  expect(o.reasons[0]).not.toContain('\n');
  expect(o.extra).toEqual(extra);
  expect(o.fsckReasons.length).toBe(1);
}

// ---------------------------------------------------------------------------------------------

describe('log entry paths', () => {
  const bad: Array<[string, Buffer, RegExp]> = [
    ['absolute', Buffer.from('/etc/evil'), /log entry 2: .*absolute/],
    ['absolute, root only', Buffer.from('/'), /absolute/],
    ['a leading ..', Buffer.from('../evil'), /'\.\.' component/],
    ['a .. in the middle', Buffer.from('ok/../../evil'), /'\.\.' component/],
    ['a trailing ..', Buffer.from('ok/..'), /'\.\.' component/],
    ['a . component', Buffer.from('ok/./g'), /'\.' component/],
    ['an empty component', Buffer.from('ok//g'), /empty component/],
    ['a trailing slash', Buffer.from('ok/'), /empty component/],
    ['a NUL first (empty path)', Buffer.from('\0ok/g'), /empty path/],
    ['invalid UTF-8', Buffer.from([0x6f, 0x6b, 0x2f, 0xff, 0xfe]), /UTF-8/],
    ['an overlong UTF-8 "/"', Buffer.from([0x61, 0xc0, 0xaf, 0x62]), /UTF-8/],
    ['a UTF-16 surrogate in UTF-8', Buffer.from([0x61, 0xed, 0xa0, 0x80]), /UTF-8/],
    ['80 bytes (no NUL in the field)', Buffer.alloc(80, 0x61), /not NUL-terminated within 80 bytes/],
  ];
  test.each(bad)('a file path with %s is a bad entry', (_what, bytes, why) => {
    const dev = device();
    forge(dev, 2, raw(simple('x', 1, [ext(free(0), 2 * MiB)]), withPath('file', bytes)));
    expectRefused(dev, 2, why);
  });

  test.each(bad)('a mkdir path with %s is a bad entry', (_what, bytes, why) => {
    const dev = device();
    forge(dev, 2, raw(mkdirE('x'), withPath('mkdir', bytes)));
    expectRefused(dev, 2, why);
  });

  test('a path of exactly 79 bytes is accepted and created', () => {
    const dev = device();
    const p79 = 'ok/' + 'n'.repeat(76);
    forge(dev, 2, raw(simple('x', 1, [ext(free(0), 2 * MiB)]), withPath('file', Buffer.from(p79))));
    const o = replayHostile(dev, 2);
    expect(o.reasons).toEqual([]);
    expect(o.extra).toEqual([p79]);
  });

  test('a path of 79 bytes of multi-byte UTF-8 is accepted; one byte more is refused', () => {
    const dev = device();
    const ok = 'é'.repeat(39) + 'x'; // 79 bytes
    expect(Buffer.byteLength(ok)).toBe(79);
    forge(dev, 2, raw(simple('x', 1, [ext(free(0), 2 * MiB)]), withPath('file', Buffer.from(ok))));
    forge(dev, 3, raw(simple('x', 1, [ext(free(1), 2 * MiB)]), withPath('file', Buffer.from('é'.repeat(40)))));
    const o = replayHostile(dev, 3);
    expect(o.reasons[0]).toMatch(/not NUL-terminated within 80 bytes/);
    expect(o.extra).toEqual([ok]);
  });

  test('bytes after the terminating NUL are ignored, as in C: the path ends at the NUL', () => {
    const dev = device();
    forge(
      dev,
      2,
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), withPath('file', Buffer.from('ok/g\0../../../etc/evil'))),
    );
    const o = replayHostile(dev, 2);
    expect(o.reasons).toEqual([]);
    expect(o.extra).toEqual(['ok/g']);
  });
});

describe('.meta names in the log', () => {
  test.each([
    ['a file named .meta', simple('.meta', 1, [ext(free(0), 2 * MiB)])],
    ['a file named .meta/.superblock', simple('.meta/.superblock', 2 * MiB, [ext(free(0), 2 * MiB)])],
    ['a file named .meta/.log (mapping other memory)', simple('.meta/.log', 2 * MiB, [ext(free(0), 2 * MiB)])],
    ['a mkdir of .meta', mkdirE('.meta')],
    ['a mkdir of .meta/.log', mkdirE('.meta/.log')],
  ])('%s is refused as reserved', (_what, e) => {
    const dev = device();
    forge(dev, 2, raw(e));
    expectRefused(dev, 2, /reserved for famfs metadata/);
    // The .meta files are still the ones famfs writes.
    const log = fs.readFileSync(path.join(tmp(), 'shadow/root/.meta/.log'), 'utf8');
    expect(log).toContain('offset: 0x200000');
  });

  test('.meta/.alloc.cfg is an ordinary file in .meta', () => {
    const dev = device();
    forge(dev, 2, raw(simple('.meta/.alloc.cfg', 10, [ext(free(0), 2 * MiB)])));
    const o = replayHostile(dev, 2);
    expect(o.reasons).toEqual([]);
    expect(o.extra).toEqual(['.meta/.alloc.cfg']);
  });
});

describe('where a path goes in the tree', () => {
  test('a file where a directory is expected (file, then a file under it)', () => {
    const dev = device();
    forge(dev, 2, raw(simple('plain', 1, [ext(free(0), 2 * MiB)])));
    forge(dev, 3, raw(simple('plain/child', 1, [ext(free(1), 2 * MiB)])));
    expectRefused(dev, 3, /parent 'plain' is a file/, ['plain']);
  });
  test('a directory under a file', () => {
    const dev = device();
    forge(dev, 2, raw(simple('plain', 1, [ext(free(0), 2 * MiB)])));
    forge(dev, 3, raw(mkdirE('plain/sub')));
    expectRefused(dev, 3, /parent 'plain' is a file/, ['plain']);
  });
  test('a file where a directory is (mkdir, then a file of the same name)', () => {
    const dev = device();
    forge(dev, 2, raw(simple('ok', 1, [ext(free(0), 2 * MiB)])));
    expectRefused(dev, 2, /a directory of that name exists/);
  });
  test('a directory where a file is (file, then mkdir of the same name)', () => {
    const dev = device();
    forge(dev, 2, raw(mkdirE('ok/f')));
    expectRefused(dev, 2, /a file of that name exists/);
  });
  test('a file in a directory never logged', () => {
    const dev = device();
    forge(dev, 2, raw(simple('nowhere/f', 1, [ext(free(0), 2 * MiB)])));
    expectRefused(dev, 2, /parent directory 'nowhere' does not exist/);
  });
  test('a duplicate path with different extents: the first entry wins', () => {
    const dev = device();
    forge(dev, 2, raw(simple('ok/f', 5 * MiB, [ext(free(0), 6 * MiB)])));
    expectRefused(dev, 2, /duplicate file path \(first logged at entry 1\)/);
    expect(fs.readFileSync(path.join(tmp(), 'shadow/root/ok/f'), 'utf8')).toContain(`offset: 0x${DATA.toString(16)}`);
  });
  test('two files sharing device memory are reported by fsck as a collision', () => {
    const dev = device();
    forge(dev, 2, raw(simple('other', 1, [ext(DATA, 2 * MiB)])));
    const o = replayHostile(dev, 2);
    expect(o.reasons).toEqual([]);
    const f = fsckDevice(dev, { systemUuid: MASTER });
    expect(f.collisionCount).toBeGreaterThan(0);
    expect(f.collisions[0]).toMatchObject({ first: 'ok/f (entry 1)', second: 'other (entry 2)' });
  });
});

describe('extents and sizes', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    [
      'an extent beyond the device end',
      raw(simple('x', 1, [ext(DEV_SIZE - 2 * MiB, 4 * MiB)])),
      /runs past the device end/,
    ],
    [
      'an extent starting past the device end',
      raw(simple('x', 1, [ext(DEV_SIZE, 2 * MiB)])),
      /runs past the device end/,
    ],
    [
      'an extent at 2^63 (past 2^53)',
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), (b) => b.writeBigUInt64LE(1n << 63n, FMAP_AT + FMAP_ARM_OFFSET + 8)),
      /past the device end|not aligned/,
    ],
    [
      'an extent whose end wraps around 2^64',
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), (b) =>
        b.writeBigUInt64LE((1n << 64n) - 2n * 1024n * 1024n, FMAP_AT + FMAP_ARM_OFFSET + 16),
      ),
      /past the device end/,
    ],
    ['an unaligned offset', raw(simple('x', 1, [ext(free(0) + 4096, 2 * MiB)])), /not aligned to the allocation unit/],
    ['an unaligned length', raw(simple('x', 1, [ext(free(0), 2 * MiB + 1)])), /not aligned to the allocation unit/],
    ['a zero-length extent', raw(simple('x', 0, [ext(free(0), 0)])), /length 0/],
    ['an extent over the superblock', raw(simple('x', 1, [ext(0, 2 * MiB)])), /overlaps the superblock or log/],
    [
      'an extent over the log',
      raw(simple('x', 1, [ext(LOG_OFFSET + 2 * MiB, 2 * MiB)])),
      /overlaps the superblock or log/,
    ],
    [
      'an extent straddling the log end',
      raw(simple('x', 1, [ext(DATA - 2 * MiB, 4 * MiB)])),
      /overlaps the superblock or log/,
    ],
    ['an extent on device index 1', raw(simple('x', 1, [ext(free(0), 2 * MiB, 1)])), /device index 1/],
    [
      '17 simple extents',
      raw(
        simple(
          'x',
          1,
          Array.from({ length: 16 }, (_, i) => ext(free(i), 2 * MiB)),
        ),
        (b) => b.writeUInt32LE(17, FMAP_AT + 8),
      ),
      /17 extents \(1\.\.16\)/,
    ],
    [
      '0 simple extents',
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), (b) => b.writeUInt32LE(0, FMAP_AT + 8)),
      /0 extents/,
    ],
    [
      '2^32-1 simple extents',
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), (b) => b.writeUInt32LE(0xffffffff, FMAP_AT + 8)),
      /4294967295 extents/,
    ],
    [
      '17 strips',
      raw(
        striped(
          'x',
          1,
          16,
          2 * MiB,
          Array.from({ length: 16 }, (_, i) => ext(free(i), 2 * MiB)),
        ),
        (b) => b.writeUInt32LE(17, FMAP_AT + FMAP_ARM_OFFSET),
      ),
      /17 strips \(1\.\.16\)/,
    ],
    [
      'interleave with nstrips 0',
      raw(striped('x', 1, 1, 2 * MiB, [ext(free(0), 2 * MiB)]), (b) => b.writeUInt32LE(0, FMAP_AT + FMAP_ARM_OFFSET)),
      /0 strips/,
    ],
    [
      '2 interleaved extents',
      raw(striped('x', 1, 1, 2 * MiB, [ext(free(0), 2 * MiB)]), (b) => b.writeUInt32LE(2, FMAP_AT + 8)),
      /2 interleaved extents \(must be 1\)/,
    ],
    [
      'interleave with chunk 0',
      raw(striped('x', 1, 2, 0, [ext(free(0), 2 * MiB), ext(free(1), 2 * MiB)])),
      /chunk size 0 is not a power of 2/,
    ],
    [
      'interleave with chunk 6 MiB (not a power of two)',
      raw(striped('x', 1, 2, 6 * MiB, [ext(free(0), 6 * MiB), ext(free(1), 6 * MiB)])),
      /chunk size 6291456 is not a power of 2/,
    ],
    [
      'interleave with chunk 4 KiB (below the allocation unit)',
      raw(striped('x', 1, 2, 4096, [ext(free(0), 2 * MiB), ext(free(1), 2 * MiB)])),
      /chunk size 4096/,
    ],
    [
      'an unknown extent type',
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), (b) => b.writeUInt32LE(7, FMAP_AT)),
      /unknown extent type 7/,
    ],
    [
      'a size larger than the allocation',
      raw(simple('x', 4 * MiB + 1, [ext(free(0), 2 * MiB), ext(free(1), 2 * MiB)])),
      /file size 4194305 exceeds the 4194304 bytes/,
    ],
    [
      'a striped size larger than whole chunks of the shortest strip',
      raw(striped('x', 4 * MiB + 1, 2, 2 * MiB, [ext(free(0), 4 * MiB), ext(free(1), 2 * MiB)])),
      /exceeds the 4194304 bytes/,
    ],
    [
      'a size of 2^64-1',
      raw(simple('x', 1, [ext(free(0), 2 * MiB)]), (b) => b.writeBigUInt64LE((1n << 64n) - 1n, BODY_OFFSET)),
      /exceeds/,
    ],
    ['an unknown entry type', raw(mkdirE('x'), (b) => b.writeUInt32LE(9, 8)), /unknown entry type 9/],
    ['a DELETE entry', raw(mkdirE('x'), (b) => b.writeUInt32LE(2, 8)), /DELETE entries are not supported/],
  ];
  test.each(cases)('%s is a bad entry', (_what, bytes, why) => {
    const dev = device();
    forge(dev, 2, bytes);
    expectRefused(dev, 2, new RegExp(`log entry 2: .*(${why.source})`));
  });

  test('a wrong seqnum and a wrong CRC are bad entries; the last one is marked torn', () => {
    const dev = device();
    forge(dev, 2, raw(simple('x', 1, [ext(free(0), 2 * MiB)])));
    forge(dev, 3, raw(simple('y', 1, [ext(free(1), 2 * MiB)])));
    const at2 = LOG_OFFSET + entryOffset(2);
    const e2 = readBytes(dev, at2, LOG_ENTRY_SIZE);
    e2.writeUInt32LE(5, 0);
    e2.writeUInt32LE(crc32(e2.subarray(0, LOG_ENTRY_CRC_SPAN)), LOG_ENTRY_CRC_SPAN);
    writeBytes(dev, at2, e2);
    const at3 = LOG_OFFSET + entryOffset(3);
    writeBytes(dev, at3 + 100, Buffer.from([0x55]));
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(shadow);
    const before = fingerprint(dev);
    const r = logplayDevice(dev, shadow);
    expect(fingerprint(dev)).toBe(before);
    expect(r.bad).toEqual([
      { index: 2, reason: 'log entry 2: seqnum 5 does not match its slot', torn: false },
      expect.objectContaining({ index: 3, reason: expect.stringMatching(/log entry 3: CRC mismatch/), torn: true }),
    ]);
  });
});

describe('the log header', () => {
  function patchHeader(dev: string, f: (h: Buffer) => void, fixCrc = true): void {
    const h = readBytes(dev, LOG_OFFSET, LOG_HEADER_SIZE);
    f(h);
    if (fixCrc) LogHeaderLayout.set(h, 'crc', logHeaderCrc(h));
    writeBytes(dev, LOG_OFFSET, h);
  }
  /** logplay and fsck both refuse the device with EBADLOG naming it; no shadow root is made. */
  function expectBadLog(dev: string, why: RegExp): void {
    const before = fingerprint(dev);
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(shadow);
    for (const run of [() => logplayDevice(dev, shadow), () => fsckDevice(dev, { systemUuid: MASTER })]) {
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FamfsError);
      expect((err as FamfsError).code).toBe('EBADLOG');
      expect((err as Error).message).toContain(dev);
      expect((err as Error).message).toMatch(why);
    }
    expect(fs.readdirSync(shadow)).toEqual([]);
    expect(fingerprint(dev)).toBe(before);
  }

  test('next_index one past the last slot is accepted (a full log)', () => {
    const dev = device();
    patchHeader(dev, (h) => LogHeaderLayout.set(h, 'nextIndex', logSlots(LOG_LEN)));
    const meta = mapMeta(Device.open(dev, { writable: false }));
    const r = replayLog(meta.log, meta.sb, dev);
    expect(r.entries).toHaveLength(logSlots(LOG_LEN));
    expect(r.bad.length).toBe(logSlots(LOG_LEN) - 2);
  });
  test('next_index beyond the last slot', () => {
    const dev = device();
    patchHeader(dev, (h) => LogHeaderLayout.set(h, 'nextIndex', logSlots(LOG_LEN) + 1));
    expectBadLog(dev, /next_index 15421 is beyond the last slot 15419/);
  });
  test('next_index of 2^64-1', () => {
    const dev = device();
    patchHeader(dev, (h) => h.writeBigUInt64LE((1n << 64n) - 1n, 40));
    expectBadLog(dev, /next_index .* is beyond the last slot/);
  });
  test('a log length that does not match the superblock', () => {
    const dev = device();
    patchHeader(dev, (h) => LogHeaderLayout.set(h, 'len', 16 * MiB));
    expectBadLog(dev, /log length 16777216 does not match the superblock's 8388608/);
  });
  test('a last_index that does not match the log length', () => {
    const dev = device();
    patchHeader(dev, (h) => LogHeaderLayout.set(h, 'lastIndex', logSlots(LOG_LEN)));
    expectBadLog(dev, /last_index 15420 is not 15419/);
  });
  test('a bad magic and a bad CRC', () => {
    const dev = device();
    patchHeader(dev, (h) => LogHeaderLayout.set(h, 'magic', 0x1234));
    expectBadLog(dev, /bad magic 0x1234/);
    patchHeader(dev, (h) => LogHeaderLayout.set(h, 'magic', 0xbadcafef00d), false);
    fs.rmSync(path.join(tmp(), 'shadow'), { recursive: true });
    expectBadLog(dev, /CRC mismatch/);
  });
  test('a superblock whose log length disagrees with a valid header is refused the same way', () => {
    const dev = device();
    const sb = readBytes(dev, 0, SuperblockLayout.size);
    SuperblockLayout.set(sb, 'logLen', 16 * MiB);
    SuperblockLayout.set(sb, 'crc', superblockCrc(sb));
    writeBytes(dev, 0, sb);
    expectBadLog(dev, /log length 8388608 does not match the superblock's 16777216/);
  });
});
