/**
 * Fuzz target for shadow YAML: files famfs writes (and other hosts' famfs may have written),
 * mutated at the byte level and with YAML tokens spliced in. The oracle: parseShadowYaml returns
 * an entry or throws FamfsError EBADYAML (never anything else, never a hang); the same text given
 * as a string and as a Buffer gets the same answer; an accepted entry re-emits to YAML that parses
 * to the same entry, and emitting is a fixed point. A text the fast path (yaml-canonical.ts) takes
 * gets the same entry from the general parser.
 */
import { isUtf8 } from 'buffer';
import { FamfsError } from '../../src/errors';
import { MiB } from '../../src/format/constants';
import { Extent } from '../../src/format/fmap';
import { FileEntry } from '../../src/format/log-entry';
import { canonicalShadowEntry } from '../../src/shadow/yaml-canonical';
import { emitShadowYaml } from '../../src/shadow/yaml-emit';
import { parseShadowYaml, SHADOW_YAML_MAX } from '../../src/shadow/yaml-parse';
import { deepEqual, fuzz, fuzzTimeout, mutatedInputs, showMutated, showValue, violated } from '../fuzz-helpers';

const ext = (offset: number, len: number, devIndex = 0): Extent => ({ devIndex, offset, len });
const file = (path: string, size: number, fmap: FileEntry['fmap'], over: Partial<FileEntry> = {}): FileEntry => ({
  type: 'file',
  path,
  size,
  flags: 2,
  uid: 1000,
  gid: 100,
  mode: 0o100644,
  fmap,
  ...over,
});

const ENTRIES: FileEntry[] = [
  file('a/b', 3 * MiB, { kind: 'simple', extents: [ext(10 * MiB, 4 * MiB)] }),
  file('many', 32 * MiB, {
    kind: 'simple',
    extents: Array.from({ length: 16 }, (_, i) => ext((10 + 2 * i) * MiB, 2 * MiB, i % 3)),
  }),
  file('dir/striped', 8 * MiB, {
    kind: 'interleaved',
    nstrips: 4,
    chunkSize: 2 * MiB,
    strips: Array.from({ length: 4 }, (_, i) => ext((10 + 2 * i) * MiB, 2 * MiB)),
  }),
  file(
    'q/it\'s "quoted" #not a comment: - [x]',
    1,
    { kind: 'simple', extents: [ext(0x200000, 0x200000)] },
    { uid: 0xffffffff, gid: 0, mode: 0o4755, flags: 0 },
  ),
  file('ünï/cödé/\u2028/\u{1F600}', 1, { kind: 'simple', extents: [ext(0x200000, 0x200000)] }),
  file('p'.repeat(79), 2 ** 53 - 1, { kind: 'simple', extents: [ext(2 ** 52, 2 ** 52)] }),
  file(
    '.meta/.log',
    8 * MiB,
    { kind: 'simple', extents: [ext(2 * MiB, 8 * MiB)] },
    { mode: 0o444, uid: 0, gid: 0, flags: 0 },
  ),
];

const FLOW = `{file: {path: "flow/x", size: 0x10, nextents: 1, simple_ext_list: [{offset: 0x200000, length: 0x200000}]}}\n`;
const PLAIN = `file:\n  size: 010\n  path: plain\n  nextents: 1\n  simple_ext_list:\n  - {devindex: 0, offset: 2097152, length: 2097152}\n`;

const SEEDS: Buffer[] = [...ENTRIES.map((e) => Buffer.from(emitShadowYaml(e))), Buffer.from(FLOW), Buffer.from(PLAIN)];

/** YAML syntax, famfs keys and values worth splicing in. */
const TOKENS: Buffer[] = [
  '\n',
  ' ',
  '  ',
  '\t',
  '\r\n',
  ':',
  ': ',
  '- ',
  '-',
  '#',
  ',',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '\\',
  '|',
  '>',
  '? ',
  '%YAML 1.2\n',
  '%TAG ! tag:x,2000:\n',
  '&a ',
  '*a',
  '<<: *a\n',
  '!!str ',
  '!!int ',
  '!!map ',
  '!!binary ',
  '!x ',
  '---\n',
  '...\n',
  '--- ',
  'null',
  '~',
  '""',
  "''",
  '0x',
  '0X',
  '0',
  '00',
  '08',
  '0b1',
  '-1',
  '+1',
  '1e3',
  '.5',
  '18446744073709551616',
  '9007199254740992',
  '9007199254740991',
  '4294967296',
  '0xffffffffffffffff',
  '0x1fffffffffffff',
  '0x200000',
  '0x1fffff',
  '17',
  'path: ',
  'size: ',
  'flags: ',
  'mode: ',
  'uid: ',
  'gid: ',
  'nextents: ',
  'devindex: ',
  'offset: ',
  'length: ',
  'nstrips: ',
  'chunk_size: ',
  'simple_ext_list:\n',
  'striped_ext_list:\n',
  'simple_ext_list: []\n',
  'file:\n',
  'unknown: 1\n',
  '  extra: x\n',
  '  - devindex: 0\n    offset: 0x200000\n    length: 0x200000\n',
  '  - nstrips: 1\n    chunk_size: 0x200000\n    simple_ext_list:\n    - offset: 0x200000\n      length: 0x200000\n',
  '/',
  '..',
  '../',
  '/etc/passwd',
  '.meta',
  '\u00e9',
  '\u2028',
  '\ufeff',
  '\u{1F600}',
]
  .map((t) => Buffer.from(t, 'utf8'))
  .concat([
    Buffer.from([0xff]),
    Buffer.from([0xc3]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0]),
    Buffer.alloc(200, 0x20),
    Buffer.alloc(SHADOW_YAML_MAX - 300, 0x61),
  ]);

/** The fix-up of most inputs: NULs made spaces and invalid UTF-8 replaced (U+FFFD), so the YAML parser is reached. */
function toValidUtf8(b: Buffer): Buffer {
  for (let i = b.indexOf(0); i >= 0; i = b.indexOf(0, i + 1)) b[i] = 0x20;
  return isUtf8(b) ? b : Buffer.from(b.toString('utf8'), 'utf8');
}

/** Outcome of one parse: the entry, or the EBADYAML message (anything else propagates). */
function attempt(input: string | Buffer, general = false): { entry: FileEntry } | { error: string } {
  try {
    return { entry: parseShadowYaml(input, 'fuzz.yaml', general) };
  } catch (e) {
    if (e instanceof FamfsError && e.code === 'EBADYAML') {
      if (!e.message.startsWith('fuzz.yaml: ') || e.message.includes('\n'))
        violated(`EBADYAML message not one line naming the source: ${JSON.stringify(e.message)}`);
      return { error: e.message };
    }
    throw e;
  }
}

/** A coarse class of a refusal, for the outcome counts: its first words, indices and values elided. */
function errorKind(why: string): string {
  if (why.startsWith('invalid YAML')) return 'invalid YAML';
  if (why.startsWith('larger than')) return 'too large';
  const cut = why
    .replace(/\[\d+\]/g, '[]')
    .split(/[:("]/)[0]
    .trim();
  return cut.split(' ').slice(0, 4).join(' ');
}

describe('fuzz: shadow YAML', () => {
  test(
    'parseShadowYaml returns an entry or EBADYAML; string and Buffer agree; accepted entries round-trip',
    () => {
      fuzz(
        'shadow-yaml',
        mutatedInputs(SEEDS, toValidUtf8, { dictionary: TOKENS, resizable: true, maxLength: 2048, maxMutations: 5 }),
        (m) => {
          const r = attempt(m.bytes);
          // The string form is checked for a third of the inputs (by length), to keep CI time down.
          if (m.bytes.length % 3 === 0 && isUtf8(m.bytes)) {
            const s = attempt(m.bytes.toString('utf8'));
            if ('entry' in r !== 'entry' in s || ('entry' in r && 'entry' in s && !deepEqual(r.entry, s.entry))) {
              violated(`Buffer and string parses differ: ${showValue(r)} vs ${showValue(s)}`);
            }
          }
          const fast = isUtf8(m.bytes) ? canonicalShadowEntry(m.bytes.toString('utf8')) : undefined;
          if (fast) {
            const g = attempt(m.bytes, true);
            if (!('entry' in g) || !deepEqual(g.entry, fast))
              violated(`the fast path took ${showValue(fast)}, the general parser gives ${showValue(g)}`);
          }
          if ('error' in r) {
            return `EBADYAML:${errorKind(r.error.slice('fuzz.yaml: '.length))}`;
          }
          const text = emitShadowYaml(r.entry);
          const back = parseShadowYaml(text, 'fuzz.yaml');
          if (!deepEqual(back, r.entry))
            violated(`emit -> parse changed the entry: ${showValue(r.entry)} -> ${showValue(back)}`);
          const general = parseShadowYaml(text, 'fuzz.yaml', true);
          if (!deepEqual(general, r.entry))
            violated(`emit -> general parse changed the entry: ${showValue(r.entry)} -> ${showValue(general)}`);
          if (emitShadowYaml(back) !== text) violated('emitting is not a fixed point');
          return `ok:${r.entry.fmap.kind}${fast ? ':canonical' : ''}`;
        },
        () => undefined,
        { show: (m) => `${showMutated(m, 512)}\ntext: ${JSON.stringify(m.bytes.toString('latin1').slice(0, 2000))}` },
      );
    },
    fuzzTimeout(undefined, 3),
  );
});
