/**
 * Fuzz targets for the on-media format: the superblock, the log header and one log entry. Each
 * input is a valid encoding mutated by fast-check (seeded; see fuzz-helpers.ts), usually with its
 * CRC recomputed so the checks behind the CRC are reached. The oracle: the parser returns a value
 * or throws FamfsError; an accepted value re-encodes to bytes that parse to the same value.
 */
import { crc32 } from 'zlib';
import { FamfsError } from '../../src/errors';
import {
  CURRENT_VERSION,
  GiB,
  LOG_ENTRY_CRC_SPAN,
  LOG_ENTRY_SIZE,
  LOG_MAGIC,
  LOG_OFFSET,
  logSlots,
  MiB,
  OMF_VER_MAJOR,
  OMF_VER_MINOR,
  SUPER_MAGIC,
} from '../../src/format/constants';
import { Extent, fmapProblem, FmapGeometry, FMAP_ARM_OFFSET, STRIPS_OFFSET } from '../../src/format/fmap';
import {
  encodeLogEntry,
  FILE_FMAP_OFFSET,
  FileEntry,
  LogEntry,
  readLogEntry,
  BODY_OFFSET,
  MkdirLayout,
  FileMetaLayout,
} from '../../src/format/log-entry';
import { LogHeaderLayout, newLogHeader, parseLogHeader, logHeaderCrc } from '../../src/format/log-header';
import {
  checkSuperblock,
  encodeSuperblock,
  parseSuperblock,
  Superblock,
  SuperblockLayout,
  superblockCrc,
} from '../../src/format/superblock';
import { PathTree } from '../../src/log/replay';
import { emitShadowYaml } from '../../src/shadow/yaml-emit';
import { parseShadowYaml } from '../../src/shadow/yaml-parse';
import { deepEqual, fc, fuzz, fuzzTimeout, mutatedInputs, showMutated, showValue, violated } from '../fuzz-helpers';

/** A FamfsError is the typed outcome; its code is the label. */
const famfsTyped = (e: unknown): string | undefined => (e instanceof FamfsError ? `FamfsError:${e.code}` : undefined);

/** Names of the number fields of `v` (one level of objects and arrays deep) that are not safe integers. */
function unsafeNumbers(v: unknown, prefix = ''): string[] {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? [] : [prefix];
  if (Buffer.isBuffer(v) || typeof v !== 'object' || v === null) return [];
  const names = Object.entries(v).flatMap(([k, x]) =>
    unsafeNumbers(x, Array.isArray(v) ? prefix : prefix ? `${prefix}.${k}` : k),
  );
  return [...new Set(names)].sort();
}

// ---------------------------------------------------------------------------------------------
// Superblock

const uuid = (b: number) => Buffer.alloc(16, b);
const superblock = (over: Partial<Superblock> = {}): Superblock => ({
  magic: SUPER_MAGIC,
  version: CURRENT_VERSION,
  logOffset: LOG_OFFSET,
  logLen: 8 * MiB,
  allocUnit: 2 * MiB,
  omfMajor: OMF_VER_MAJOR,
  omfMinor: OMF_VER_MINOR,
  uuid: uuid(0x11),
  devUuid: uuid(0x22),
  systemUuid: uuid(0x33),
  crc: 0,
  flags: 0,
  daxdevSize: 8 * GiB,
  daxdevUuid: uuid(0x44),
  daxdevName: '/dev/dax0.0',
  ...over,
});

const SB_SEEDS = [
  superblock(),
  superblock({
    version: 47,
    allocUnit: 4096,
    logLen: 16 * MiB,
    daxdevSize: 4 * GiB,
    daxdevName: '/tmp/famfs-test-x/dev.img',
  }),
  superblock({ logLen: 256 * MiB, daxdevSize: 64 * GiB, daxdevName: 'x'.repeat(64) }),
].map(encodeSuperblock);

const fixSuperblockCrc = (b: Buffer): void => {
  if (b.length >= 104) SuperblockLayout.set(b, 'crc', superblockCrc(b));
};

describe('fuzz: superblock', () => {
  test(
    'checkSuperblock / parseSuperblock return a superblock or EBADSUPER; an accepted one round-trips',
    () => {
      const offsets = SuperblockLayout.fieldInfo.map((f) => f.offset);
      const arb = fc.tuple(
        mutatedInputs(SB_SEEDS, fixSuperblockCrc, {
          hot: offsets,
          dictionary: [Buffer.from('/dev/dax'), Buffer.from([0xff, 0xfe]), Buffer.from([0xe2, 0x82])],
        }),
        fc.constantFrom(undefined, 8 * GiB, 4 * GiB, 0, 2 ** 60),
      );
      fuzz(
        'superblock',
        arb,
        ([m, devSize]) => {
          const c = checkSuperblock(m.bytes, devSize);
          let sb: Superblock;
          try {
            sb = parseSuperblock(m.bytes, 'fuzzdev', devSize);
          } catch (e) {
            if (c.ok) violated(`checkSuperblock accepted what parseSuperblock refused: ${(e as Error).message}`);
            if (!(e instanceof FamfsError) || e.code !== 'EBADSUPER' || !e.message.includes(c.reason!)) throw e;
            return `EBADSUPER:${c.fault}`;
          }
          if (!c.ok) violated('parseSuperblock accepted what checkSuperblock refused');
          const unsafe = unsafeNumbers(sb);
          if (unsafe.length > 0) return `ok:unsafe-u64(${unsafe.join(',')})`;
          // The device name (outside the CRC) is decoded exactly or refused (fault dev_name): an
          // accepted name is its bytes, never a lossy reading of them.
          const nameField = m.bytes.subarray(136, 200);
          const nul = nameField.indexOf(0);
          const rawName = nul < 0 ? nameField : nameField.subarray(0, nul);
          if (!Buffer.from(sb.daxdevName, 'utf8').equals(rawName)) {
            violated(`device name ${JSON.stringify(sb.daxdevName)} is not its bytes`);
          }
          let again: Buffer;
          try {
            again = encodeSuperblock(sb);
          } catch (e) {
            return violated(
              `an accepted superblock does not re-encode: ${(e as Error).name}: ${(e as Error).message} (${showValue(sb)})`,
            );
          }
          const back = parseSuperblock(again, 'fuzzdev', devSize);
          if (!deepEqual(back, sb))
            violated(`round trip changed the superblock: ${showValue(sb)} -> ${showValue(back)}`);
          return 'ok';
        },
        famfsTyped,
        { show: ([m, devSize]) => `deviceSize ${devSize}, ${showMutated(m)}` },
      );
    },
    fuzzTimeout(),
  );
});

// ---------------------------------------------------------------------------------------------
// Log header

const header = (logLen: number, nextIndex: number, nextSeqnum = nextIndex): Buffer => {
  const b = newLogHeader(logLen);
  LogHeaderLayout.set(b, 'nextIndex', nextIndex);
  LogHeaderLayout.set(b, 'nextSeqnum', nextSeqnum);
  return b;
};
const LOG_LENS = [8 * MiB, 16 * MiB, 256 * MiB];
const HEADER_SEEDS = [
  newLogHeader(8 * MiB),
  header(8 * MiB, 17),
  header(16 * MiB, logSlots(16 * MiB)),
  header(256 * MiB, 1000, 1000),
];

describe('fuzz: log header', () => {
  test(
    'parseLogHeader returns a header or EBADLOG; an accepted one round-trips',
    () => {
      const offsets = LogHeaderLayout.fieldInfo.map((f) => f.offset);
      const arb = fc.tuple(
        mutatedInputs(HEADER_SEEDS, (b) => LogHeaderLayout.set(b, 'crc', logHeaderCrc(b)), { hot: offsets }),
        fc.constantFrom(...LOG_LENS),
      );
      fuzz(
        'log-header',
        arb,
        ([m, logLen]) => {
          const h = parseLogHeader(m.bytes, logLen, 'fuzzdev');
          if (
            h.magic !== LOG_MAGIC ||
            h.len !== logLen ||
            h.lastIndex !== logSlots(logLen) - 1 ||
            h.nextIndex > h.lastIndex + 1
          ) {
            violated(`an inconsistent header was accepted: ${showValue(h)}`);
          }
          const unsafe = unsafeNumbers(h);
          if (unsafe.length > 0) return `ok:unsafe-u64(${unsafe.join(',')})`;
          const back = parseLogHeader(LogHeaderLayout.encode(h), logLen, 'fuzzdev');
          if (!deepEqual(back, h)) violated(`round trip changed the header: ${showValue(h)} -> ${showValue(back)}`);
          return 'ok';
        },
        (e) =>
          e instanceof FamfsError && e.code === 'EBADLOG'
            ? `EBADLOG:${e.message
                .replace(/^.*invalid log header: /, '')
                .split(' ')
                .slice(0, 2)
                .join(' ')
                .replace(/\d+/g, 'N')
                .replace(/:$/, '')}`
            : undefined,
        { show: ([m, logLen]) => `logLen ${logLen}, ${showMutated(m)}` },
      );
    },
    fuzzTimeout(),
  );
});

// ---------------------------------------------------------------------------------------------
// Log entry

const GEOMETRY: FmapGeometry = { devSize: 8 * GiB, dataStart: LOG_OFFSET + 8 * MiB, allocUnit: 2 * MiB };
const SLOT = 7;
const ext = (offset: number, len: number): Extent => ({ devIndex: 0, offset, len });
const file = (path: string, size: number, fmap: FileEntry['fmap']): FileEntry => ({
  type: 'file',
  path,
  size,
  flags: 2,
  uid: 1000,
  gid: 100,
  mode: 0o100644,
  fmap,
});
const at = (i: number) => 10 * MiB + i * 4 * MiB;

const ENTRY_SEEDS: LogEntry[] = [
  file('a/b', 3 * MiB, { kind: 'simple', extents: [ext(at(0), 4 * MiB)] }),
  file('big', 16 * 2 * MiB, { kind: 'simple', extents: Array.from({ length: 16 }, (_, i) => ext(at(i), 2 * MiB)) }),
  file('dir/striped', 8 * MiB, {
    kind: 'interleaved',
    nstrips: 4,
    chunkSize: 2 * MiB,
    strips: Array.from({ length: 4 }, (_, i) => ext(at(i), 2 * MiB)),
  }),
  file('s16', 32 * MiB, {
    kind: 'interleaved',
    nstrips: 16,
    chunkSize: 2 * MiB,
    strips: Array.from({ length: 16 }, (_, i) => ext(at(i), 2 * MiB)),
  }),
  file('p'.repeat(79), 1, { kind: 'simple', extents: [ext(at(3), 2 * MiB)] }),
  file('.meta/.alloc.cfg', 100, { kind: 'simple', extents: [ext(at(5), 2 * MiB)] }),
  file('d/é ü "q" \'x\'', 1, { kind: 'simple', extents: [ext(at(6), 2 * MiB)] }),
  { type: 'mkdir', path: 'dir', uid: 0, gid: 0, mode: 0o40755 },
  { type: 'mkdir', path: 'a/b/c/d', uid: 1, gid: 2, mode: 0o700 },
  { type: 'add_daxdev', size: 8 * GiB, uuid: uuid(0x55), index: 1 },
];

/** Offsets of every field of the three arms and the fmap, for the 'hot' mutations. */
function entryHotOffsets(): number[] {
  const s = new Set<number>([0, 8, LOG_ENTRY_CRC_SPAN]);
  for (const f of FileMetaLayout.fieldInfo) s.add(BODY_OFFSET + f.offset);
  for (const f of MkdirLayout.fieldInfo) s.add(BODY_OFFSET + f.offset);
  const fmap = BODY_OFFSET + FILE_FMAP_OFFSET;
  s.add(fmap).add(fmap + 8);
  const arm = fmap + FMAP_ARM_OFFSET;
  s.add(arm).add(arm + 8);
  for (let i = 0; i < 17; i++)
    for (const d of [0, 8, 16]) s.add(arm + 24 * i + d).add(arm + STRIPS_OFFSET + 24 * i + d);
  return [...s].filter((x) => x < LOG_ENTRY_SIZE).sort((a, b) => a - b);
}

/** Things worth writing over a path field or anywhere else in an entry. */
const PATH_TOKENS = [
  '/',
  '..',
  '../',
  '/..',
  '.',
  './',
  '//',
  '.meta',
  '.meta/.log',
  '.meta/.superblock',
  '\0',
  '/etc/passwd',
]
  .map((t) => Buffer.from(t))
  .concat([
    Buffer.from([0xff]),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xf4, 0x90, 0x80, 0x80]),
    Buffer.alloc(80, 0x61),
  ]);

/** Recomputes the entry CRC (a u64 field holding the CRC-32 of bytes [0, 536)). */
function fixEntryCrc(b: Buffer): void {
  b.writeUInt32LE(crc32(b.subarray(0, LOG_ENTRY_CRC_SPAN)), LOG_ENTRY_CRC_SPAN);
  b.writeUInt32LE(0, LOG_ENTRY_CRC_SPAN + 4);
}

describe('fuzz: log entry', () => {
  test(
    'readLogEntry returns an entry or EBADENTRY; fmapProblem and the path tree never throw; an accepted entry round-trips',
    () => {
      const seeds = ENTRY_SEEDS.map((e) => encodeLogEntry(e, SLOT));
      const arb = mutatedInputs(seeds, fixEntryCrc, {
        hot: entryHotOffsets(),
        dictionary: PATH_TOKENS,
        maxMutations: 8,
      });
      fuzz(
        'log-entry',
        arb,
        (m) => {
          const entry = readLogEntry(m.bytes, 0, SLOT);
          let label = `ok:${entry.type}`;
          if (entry.type === 'file') {
            const problem = fmapProblem(entry.fmap, entry.size, GEOMETRY);
            if (problem !== undefined && typeof problem !== 'string')
              violated(`fmapProblem returned ${String(problem)}`);
            if (problem) label = 'ok:file-rejected-by-fmapProblem';
            else {
              // A valid file entry becomes a shadow YAML file that parses back to the same entry.
              const yaml = emitShadowYaml(entry);
              const back = parseShadowYaml(yaml, 'fuzz');
              if (!deepEqual(back, entry))
                violated(`log entry -> shadow YAML -> entry changed it: ${showValue(entry)} -> ${showValue(back)}`);
            }
          }
          new PathTree().place(entry, SLOT);
          const unsafe = unsafeNumbers(entry);
          if (unsafe.length > 0) return `${label}:unsafe-u64`;
          let again: Buffer;
          try {
            again = encodeLogEntry(entry, SLOT);
          } catch (e) {
            return violated(
              `an accepted entry does not re-encode: ${(e as Error).name}: ${(e as Error).message} (${showValue(entry)})`,
            );
          }
          const back = readLogEntry(again, 0, SLOT);
          if (!deepEqual(back, entry))
            violated(`round trip changed the entry: ${showValue(entry)} -> ${showValue(back)}`);
          return label;
        },
        (e) =>
          e instanceof FamfsError && e.code === 'EBADENTRY' && e.message.startsWith(`log entry ${SLOT}: `)
            ? 'EBADENTRY'
            : undefined,
        { show: (m) => showMutated(m) },
      );
    },
    fuzzTimeout(),
  );
});
