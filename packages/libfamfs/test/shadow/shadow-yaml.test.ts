import * as YAML from 'yaml';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isFamfsError } from '../../src/errors';
import { Extent, Fmap } from '../../src/format/fmap';
import { FileEntry } from '../../src/format/log-entry';
import { relpathProblem } from '../../src/format/relpath';
import { emitShadowYaml } from '../../src/shadow/yaml-emit';
import { parseCUnsigned, parseShadowYaml, SHADOW_YAML_MAX } from '../../src/shadow/yaml-parse';
import { VECTOR_DIR } from '../vectors';

/** Asserts that parsing `text` fails with EBADYAML and a one-line message matching `why`. */
function expectRejected(text: string | Buffer, why: RegExp, source = 'test.yaml'): void {
  let err: unknown;
  try {
    parseShadowYaml(text, source);
  } catch (e) {
    err = e;
  }
  expect(isFamfsError(err, 'EBADYAML')).toBe(true);
  const msg = (err as Error).message;
  expect(msg.startsWith(`${source}: `)).toBe(true);
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(why);
}

const simple = (path: string, extents: Extent[], over: Partial<FileEntry> = {}): FileEntry => ({
  type: 'file',
  path,
  size: 1048576,
  flags: 2,
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  fmap: { kind: 'simple', extents },
  ...over,
});

// The two examples of the reference, §4.4.
const EXAMPLE_SIMPLE = `---
file:
  path: dir1/file0
  size: 1048576
  flags: 2
  mode: 0644
  uid: 1000
  gid: 1000
  nextents: 1
  simple_ext_list:
  - devindex: 0
    offset: 0xa00000
    length: 0x200000
...
`;
const EXAMPLE_STRIPED = `---
file:
  path: interleaved-file0
  size: 3145728
  flags: 2
  mode: 0644
  uid: 0
  gid: 0
  nextents: 1
  striped_ext_list:
  - nstrips: 2
    chunk_size: 0x200000
    simple_ext_list:
    - devindex: 0
      offset: 0x8600000
      length: 0x400000
    - devindex: 0
      offset: 0x2600000
      length: 0x400000
...
`;

describe('emitShadowYaml', () => {
  test('the simple example of the reference, byte for byte', () => {
    const e = simple('dir1/file0', [{ devIndex: 0, offset: 0xa00000, len: 0x200000 }]);
    expect(emitShadowYaml(e)).toBe(EXAMPLE_SIMPLE);
    expect(parseShadowYaml(EXAMPLE_SIMPLE)).toEqual(e);
  });

  test('the interleaved example of the reference, byte for byte', () => {
    const e: FileEntry = {
      type: 'file',
      path: 'interleaved-file0',
      size: 3145728,
      flags: 2,
      mode: 0o644,
      uid: 0,
      gid: 0,
      fmap: {
        kind: 'interleaved',
        nstrips: 2,
        chunkSize: 0x200000,
        strips: [
          { devIndex: 0, offset: 0x8600000, len: 0x400000 },
          { devIndex: 0, offset: 0x2600000, len: 0x400000 },
        ],
      },
    };
    expect(emitShadowYaml(e)).toBe(EXAMPLE_STRIPED);
    expect(parseShadowYaml(EXAMPLE_STRIPED)).toEqual(e);
  });

  test('mode is 0%o: 0 is written 00', () => {
    const text = emitShadowYaml(simple('m', [{ devIndex: 0, offset: 0, len: 1 }], { mode: 0 }));
    expect(text).toContain('\n  mode: 00\n');
    expect(parseShadowYaml(text).mode).toBe(0);
    expect(emitShadowYaml(simple('m', [{ devIndex: 0, offset: 0, len: 1 }], { mode: 0o104755 }))).toContain(
      '\n  mode: 0104755\n',
    );
  });

  // Each row: a path and the path line(s) libyaml 0.2.5 writes for it through the C famfs
  // emitter (captured from the real library: same events, default width 80, unicode off).
  const LIBYAML_PATH_LINES: [string, string][] = [
    ['dir1/file0', '  path: dir1/file0'],
    ['a b/c d', '  path: a b/c d'],
    ['-dash', '  path: -dash'],
    ['yes', '  path: yes'],
    ["dir/'q'", "  path: dir/'q'"],
    ['#hash', "  path: '#hash'"],
    ['x: y', "  path: 'x: y'"],
    ['trailing ', "  path: 'trailing '"],
    [' leading', "  path: ' leading'"],
    ['[br]', "  path: '[br]'"],
    ['{br}', "  path: '{br}'"],
    [']x', "  path: ']x'"],
    ['}x', "  path: '}x'"],
    [',x', "  path: ',x'"],
    ['- x', "  path: '- x'"],
    ['-', "  path: '-'"],
    ['?', "  path: '?'"],
    ['?x', '  path: ?x'],
    ['? x', "  path: '? x'"],
    [':x', '  path: :x'],
    [': x', "  path: ': x'"],
    ['x:', "  path: 'x:'"],
    ['a:b', '  path: a:b'],
    ['a #b', "  path: 'a #b'"],
    ['a#b', '  path: a#b'],
    ['!bang', "  path: '!bang'"],
    ['&amp', "  path: '&amp'"],
    ['*star', "  path: '*star'"],
    ['|pipe', "  path: '|pipe'"],
    ['>gt', "  path: '>gt'"],
    ["'q", "  path: '''q'"],
    ['"dq', "  path: '\"dq'"],
    ['%pct', "  path: '%pct'"],
    ['@at', "  path: '@at'"],
    ['`bt', "  path: '`bt'"],
    ['a,b[c]{d}', '  path: a,b[c]{d}'],
    ['---x', "  path: '---x'"],
    ['...x', "  path: '...x'"],
    ['--x', '  path: --x'],
    ['~', '  path: ~'],
    ['null', '  path: null'],
    ['0644', '  path: 0644'],
    ['a"b', '  path: a"b'],
    ['a\\b', '  path: a\\b'],
    ['caf\u00e9', '  path: "caf\\xE9"'],
    ['caf\u00e9/\u4e2d\u6587', '  path: "caf\\xE9/\\u4E2D\\u6587"'],
    ['emoji\ud83d\ude00', '  path: "emoji\\U0001F600"'],
    ['tab\there', '  path: "tab\\there"'],
    ['nl\nx', "  path: 'nl\n\n    x'"],
    ['cr\rx', '  path: "cr\\rx"'],
    ['bell\u0007', '  path: "bell\\a"'],
    ['esc\u001b', '  path: "esc\\e"'],
    ['del\u007f', '  path: "del\\x7F"'],
    ['nel\u0085', '  path: "nel\\N"'],
    ['nbsp\u00a0', '  path: "nbsp\\_"'],
    ['ls\u2028', '  path: "ls\\L"'],
    ['ps\u2029', '  path: "ps\\P"'],
    ['bom\ufeff', '  path: "bom\\uFEFF"'],
    ['x\n', "  path: 'x\n\n    '"],
    ['\nx', "  path: '\n\n    x'"],
    ['a \nb', '  path: "a \\nb"'],
    ['a\n b', '  path: "a\\n b"'],
    ['a\n\nb', "  path: 'a\n\n\n    b'"],
    ["it's/a\nb", "  path: 'it''s/a\n\n    b'"],
    ['a  b', '  path: a  b'],
    [
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bb',
      '  path: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    bb',
    ],
    [
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  bbbb',
      '  path: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  bbbb',
    ],
    [
      'a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b ab',
      '  path: a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a b a\n    b ab',
    ],
    [
      "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bb",
      "  path: '''aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    bb'",
    ],
    [
      '#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  b c',
      "  path: '#aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  b\n    c'",
    ],
    [
      '\u00e9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bb',
      '  path: "\\xE9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    bb"',
    ],
    [
      '\u00e9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  bb',
      '  path: "\\xE9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    \\ bb"',
    ],
    [
      '\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t x y z',
      '  path: "\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t x y z"',
    ],
    [
      'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      '  path: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    ],
  ];

  test.each(LIBYAML_PATH_LINES)('path %j is written as libyaml writes it', (p, lines) => {
    const text = emitShadowYaml(simple(p, [{ devIndex: 0, offset: 0xa00000, len: 0x200000 }]));
    expect(text).toBe(EXAMPLE_SIMPLE.replace('  path: dir1/file0', lines));
    // The yaml package reads it back to the same string (whether famfs would accept the path
    // is another matter, so this bypasses parseShadowYaml's path rules).
    expect(YAML.parse(text, { schema: 'failsafe' }).file.path).toBe(p);
  });
});

describe('C famfs shadow trees', () => {
  const tars = fs
    .readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.shadow.tar'))
    .sort();
  const dirs: string[] = [];
  const files = new Map<string, Map<string, string>>();

  beforeAll(() => {
    for (const tar of tars) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-shadow-'));
      dirs.push(dir);
      execFileSync('tar', ['xf', path.join(VECTOR_DIR, tar), '-C', dir]);
      const m = new Map<string, string>();
      const walk = (rel: string) => {
        for (const ent of fs.readdirSync(path.join(dir, 'root', rel), { withFileTypes: true })) {
          const r = rel ? `${rel}/${ent.name}` : ent.name;
          if (ent.isDirectory()) walk(r);
          else if (ent.isFile()) m.set(r, fs.readFileSync(path.join(dir, 'root', r), 'utf8'));
        }
      };
      walk('');
      files.set(tar, m);
    }
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('there are trees to check', () => {
    expect(tars.length).toBeGreaterThanOrEqual(4);
    expect(files.get('populated.shadow.tar')!.size).toBe(8);
  });

  test('every shadow file parses and re-emits byte for byte', () => {
    let n = 0;
    for (const [tar, m] of files) {
      expect(m.has('.meta/.superblock')).toBe(true);
      expect(m.has('.meta/.log')).toBe(true);
      for (const [rel, text] of m) {
        const e = parseShadowYaml(text, `${tar}:${rel}`);
        expect(e.path).toBe(rel);
        expect(emitShadowYaml(e)).toBe(text);
        // Buffers are accepted too.
        expect(parseShadowYaml(Buffer.from(text))).toEqual(e);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(20);
  });

  test('known files of the populated tree', () => {
    const m = files.get('populated.shadow.tar')!;
    expect(parseShadowYaml(m.get('a/odd')!)).toEqual({
      type: 'file',
      path: 'a/odd',
      size: 3000000,
      flags: 2,
      mode: 0o444,
      uid: 1001,
      gid: 1002,
      fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: 0x1400000, len: 0x400000 }] },
    });
    const striped = parseShadowYaml(m.get('striped')!);
    expect(striped.size).toBe(7 * 1024 * 1024);
    expect(striped.fmap.kind).toBe('interleaved');
    const fm = striped.fmap as Extract<Fmap, { kind: 'interleaved' }>;
    expect(fm.nstrips).toBe(2);
    expect(fm.chunkSize).toBe(0x200000);
    expect(fm.strips.map((s) => s.len)).toEqual([0x400000, 0x400000]);
    const sb = parseShadowYaml(m.get('.meta/.superblock')!);
    expect(sb).toMatchObject({ path: '.meta/.superblock', size: 0x200000, flags: 0, mode: 0o444 });
    expect(sb.fmap).toEqual({ kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 0x200000 }] });
    const log = parseShadowYaml(m.get('.meta/.log')!);
    expect(log.fmap).toEqual({ kind: 'simple', extents: [{ devIndex: 0, offset: 0x200000, len: 0x800000 }] });
  });
});

describe('parseShadowYaml accepts', () => {
  test('hex, octal and decimal numbers, as strtoull(s, 0) reads them', () => {
    const t = EXAMPLE_SIMPLE.replace('size: 1048576', 'size: 0X100000')
      .replace('uid: 1000', 'uid: 01750')
      .replace('gid: 1000', 'gid: 0x3E8');
    const e = parseShadowYaml(t);
    expect(e.size).toBe(1048576);
    expect(e.uid).toBe(1000);
    expect(e.gid).toBe(1000);
    expect(e.mode).toBe(0o644);
    expect(parseShadowYaml(EXAMPLE_SIMPLE.replace('mode: 0644', 'mode: 420')).mode).toBe(0o644);
    expect(parseShadowYaml(EXAMPLE_SIMPLE.replace('mode: 0644', 'mode: 0')).mode).toBe(0);
    expect(parseShadowYaml(EXAMPLE_SIMPLE.replace('offset: 0xa00000', 'offset: 10485760')).fmap).toEqual(
      parseShadowYaml(EXAMPLE_SIMPLE).fmap,
    );
  });

  test('parseCUnsigned', () => {
    expect(parseCUnsigned('0')).toBe(0);
    expect(parseCUnsigned('00')).toBe(0);
    expect(parseCUnsigned('0644')).toBe(420);
    expect(parseCUnsigned('0x1f')).toBe(31);
    expect(parseCUnsigned('0XFF')).toBe(255);
    expect(parseCUnsigned('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseCUnsigned('0x1fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of [
      '',
      '-1',
      '+1',
      ' 1',
      '1 ',
      '0x',
      '08',
      '12abc',
      '1.5',
      '1e3',
      '0b1',
      '9007199254740992',
      '0xffffffffffffffff',
    ]) {
      expect(parseCUnsigned(bad)).toBeUndefined();
    }
  });

  test('keys in any order, flow style, quoted scalars, no devindex, optional flags/mode/uid/gid', () => {
    const t = `{file: {simple_ext_list: [{length: "0x200000", offset: '0xa00000'}], nextents: 1, size: 1048576, path: "dir1/file0"}}`;
    expect(parseShadowYaml(t)).toEqual(
      simple('dir1/file0', [{ devIndex: 0, offset: 0xa00000, len: 0x200000 }], { flags: 0, mode: 0, uid: 0, gid: 0 }),
    );
  });

  test('devindex other than 0', () => {
    const e = parseShadowYaml(EXAMPLE_SIMPLE.replace('devindex: 0', 'devindex: 3'));
    expect(e.fmap).toEqual({ kind: 'simple', extents: [{ devIndex: 3, offset: 0xa00000, len: 0x200000 }] });
  });

  test('a plain document without --- and ...', () => {
    expect(parseShadowYaml(EXAMPLE_SIMPLE.replace('---\n', '').replace('...\n', ''))).toEqual(
      parseShadowYaml(EXAMPLE_SIMPLE),
    );
  });
});

describe('parseShadowYaml rejects', () => {
  const three = (n: number) =>
    Array.from({ length: n }, (_, i) => `  - offset: ${0x200000 * (i + 1)}\n    length: 0x200000\n`).join('');
  const withExtents = (n: number, nextents = n) =>
    `file:\n  path: f\n  size: 1\n  nextents: ${nextents}\n  simple_ext_list:\n${three(n)}`;

  test('input larger than SHADOW_YAML_MAX bytes', () => {
    const ok = EXAMPLE_SIMPLE.replace('...\n', '#'.repeat(SHADOW_YAML_MAX - EXAMPLE_SIMPLE.length - 1) + '\n...\n');
    expect(Buffer.byteLength(ok)).toBe(SHADOW_YAML_MAX);
    expect(parseShadowYaml(ok).path).toBe('dir1/file0');
    const big = EXAMPLE_SIMPLE.replace('...\n', '#'.repeat(SHADOW_YAML_MAX - EXAMPLE_SIMPLE.length) + '\n...\n');
    expect(Buffer.byteLength(big)).toBe(SHADOW_YAML_MAX + 1);
    expectRejected(big, /larger than 16384 bytes/);
    expectRejected(Buffer.from(big), /larger than 16384 bytes/);
  });

  test('invalid YAML, invalid UTF-8, NUL bytes', () => {
    expectRejected('file: [\n', /invalid YAML/);
    expectRejected('file:\n\tpath: x\n', /invalid YAML/);
    expectRejected(EXAMPLE_SIMPLE.replace('  size: 1048576', '  size: 1048576\n  size: 2'), /invalid YAML: .*unique/);
    expectRejected(
      Buffer.concat([
        Buffer.from(EXAMPLE_SIMPLE.slice(0, 20)),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(EXAMPLE_SIMPLE.slice(20)),
      ]),
      /not valid UTF-8/,
    );
    expectRejected(EXAMPLE_SIMPLE.replace('dir1/file0', 'dir1\0file0'), /NUL/);
  });

  test('pathologically deep nesting is an error, not a crash', () => {
    expectRejected('['.repeat(SHADOW_YAML_MAX), /invalid YAML/);
    expectRejected('file:\n  path: ' + '['.repeat(8000) + ']'.repeat(8000), /invalid YAML/);
  });

  test('not exactly one document', () => {
    expectRejected('', /exactly one YAML document, found 0/);
    expectRejected('# only a comment\n', /exactly one YAML document, found 0/);
    expectRejected(EXAMPLE_SIMPLE + EXAMPLE_SIMPLE, /exactly one YAML document, found 2/);
  });

  test('a top level that is not a mapping holding only "file"', () => {
    expectRejected('- file\n', /top level is not a mapping/);
    expectRejected('just a string\n', /top level is not a mapping/);
    expectRejected('{}\n', /exactly the key "file"/);
    expectRejected(EXAMPLE_SIMPLE.replace('...\n', 'extra: 1\n...\n'), /unknown top-level key "extra"/);
    expectRejected(EXAMPLE_SIMPLE.replace('file:', 'fil:'), /unknown top-level key "fil"/);
    expectRejected('file: x\n', /file is not a mapping/);
    expectRejected('file:\n- a\n', /file is not a mapping/);
  });

  test('an unknown key under file', () => {
    expectRejected(EXAMPLE_SIMPLE.replace('  flags: 2', '  flags: 2\n  owner: me'), /unknown key "owner" in file/);
  });

  test('missing path, size, nextents or extent list; both lists', () => {
    expectRejected(EXAMPLE_SIMPLE.replace('  path: dir1/file0\n', ''), /file has no path/);
    expectRejected(EXAMPLE_SIMPLE.replace('  size: 1048576\n', ''), /file has no size/);
    expectRejected(EXAMPLE_SIMPLE.replace('  nextents: 1\n', ''), /file has no nextents/);
    expectRejected('file:\n  path: f\n  size: 1\n  nextents: 1\n', /neither simple_ext_list nor striped_ext_list/);
    const both = EXAMPLE_STRIPED.replace('...\n', '  simple_ext_list:\n  - offset: 0\n    length: 1\n...\n');
    expectRejected(both, /both simple_ext_list and striped_ext_list/);
  });

  test('numbers strtoull would misread or that are out of range', () => {
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: -1'), /file\.size is negative/);
    expectRejected(
      EXAMPLE_SIMPLE.replace('size: 1048576', 'size: 12abc'),
      /file\.size is not an unsigned number.*"12abc"/,
    );
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', "size: ''"), /file\.size is not an unsigned number/);
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size:'), /file\.size is not an unsigned number/);
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: 0x'), /not an unsigned number/);
    expectRejected(EXAMPLE_SIMPLE.replace('mode: 0644', 'mode: 0648'), /file\.mode is not an unsigned number/);
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: 1.5'), /not an unsigned number/);
    expectRejected(
      EXAMPLE_SIMPLE.replace('size: 1048576', 'size: 18446744073709551615'),
      /file\.size is not an unsigned number/,
    );
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: [1]'), /file\.size is not a scalar/);
    expectRejected(
      EXAMPLE_SIMPLE.replace('offset: 0xa00000', 'offset: 0x20000000000000'),
      /offset is not an unsigned number/,
    );
    expectRejected(EXAMPLE_SIMPLE.replace('uid: 1000', 'uid: 4294967296'), /file\.uid is out of range/);
    expectRejected(EXAMPLE_SIMPLE.replace('gid: 1000', 'gid: 0x100000000'), /file\.gid is out of range/);
    expectRejected(EXAMPLE_SIMPLE.replace('mode: 0644', 'mode: 040000000000'), /file\.mode is out of range/);
    expectRejected(EXAMPLE_SIMPLE.replace('flags: 2', 'flags: 4294967296'), /file\.flags is out of range/);
    expect(parseShadowYaml(EXAMPLE_SIMPLE.replace('uid: 1000', 'uid: 4294967295')).uid).toBe(0xffffffff);
  });

  test('explicit tags other than the failsafe ones', () => {
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: !!int 1048576'), /file\.size: unsupported tag/);
    expect(parseShadowYaml(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: !!str 1048576')).size).toBe(1048576);
  });

  test('nextents not equal to the number of extents', () => {
    expectRejected(withExtents(3, 2), /nextents is 2 but simple_ext_list has 3 extent/);
    expectRejected(withExtents(1, 0), /nextents is 0 but simple_ext_list has 1 extent/);
    expect(parseShadowYaml(withExtents(3)).fmap).toMatchObject({ kind: 'simple' });
    expectRejected('file:\n  path: f\n  size: 1\n  nextents: 0\n  simple_ext_list: []\n', /simple_ext_list is empty/);
    expectRejected(
      EXAMPLE_STRIPED.replace('nextents: 1', 'nextents: 2'),
      /nextents is 2 but a striped file has exactly 1/,
    );
  });

  test('more than 16 extents or strips', () => {
    expect((parseShadowYaml(withExtents(16)).fmap as { extents: Extent[] }).extents).toHaveLength(16);
    expectRejected(withExtents(17), /simple_ext_list has 17 extents \(max 16\)/);
    const strips = (n: number, nstrips = n) =>
      `file:\n  path: s\n  size: 1\n  nextents: 1\n  striped_ext_list:\n  - nstrips: ${nstrips}\n    chunk_size: 0x200000\n    simple_ext_list:\n` +
      three(n).replace(/^ {2}/gm, '    ');
    expect((parseShadowYaml(strips(16)).fmap as { strips: Extent[] }).strips).toHaveLength(16);
    expectRejected(strips(17, 16), /simple_ext_list has 17 strips \(max 16\)/);
    expectRejected(strips(17, 17), /nstrips is 17 \(1\.\.16\)/);
    expectRejected(strips(3, 2), /nstrips is 2 but its simple_ext_list has 3 strip/);
    expectRejected(strips(1, 2), /nstrips is 2 but its simple_ext_list has 1 strip/);
  });

  test('striped lists with other than one item or missing keys', () => {
    const item = EXAMPLE_STRIPED.slice(EXAMPLE_STRIPED.indexOf('  - nstrips'), EXAMPLE_STRIPED.indexOf('...'));
    expectRejected(EXAMPLE_STRIPED.replace('...\n', item + '...\n'), /striped_ext_list has 2 interleaved extents/);
    expectRejected(EXAMPLE_STRIPED.replace('    chunk_size: 0x200000\n', ''), /has no chunk_size/);
    expectRejected(EXAMPLE_STRIPED.replace('  - nstrips: 2\n    chunk_size', '  - chunk_size'), /has no nstrips/);
    expectRejected(
      EXAMPLE_STRIPED.replace('chunk_size: 0x200000', 'chunk_size: 0x200000\n    stride: 4'),
      /unknown key "stride" in file\.striped_ext_list\[0\]/,
    );
    expectRejected(
      EXAMPLE_STRIPED.replace('striped_ext_list:\n', 'striped_ext_list: 3\n').replace(
        /  - nstrips[\s\S]*(?=\.\.\.)/,
        '',
      ),
      /striped_ext_list is not a list/,
    );
  });

  test('extents missing offset or length, with unknown keys, or not mappings', () => {
    expectRejected(EXAMPLE_SIMPLE.replace('    offset: 0xa00000\n', ''), /simple_ext_list\[0\] has no offset/);
    expectRejected(EXAMPLE_SIMPLE.replace('    length: 0x200000\n', ''), /simple_ext_list\[0\] has no length/);
    expectRejected(
      EXAMPLE_SIMPLE.replace('length: 0x200000', 'length: 0x200000\n    crc: 7'),
      /unknown key "crc" in file\.simple_ext_list\[0\]/,
    );
    expectRejected(
      EXAMPLE_STRIPED.replace('      length: 0x400000\n...', '      length: 0x400000\n      x: 1\n...'),
      /unknown key "x" in file\.striped_ext_list\[0\]\.simple_ext_list\[1\]/,
    );
    expectRejected(
      withExtents(1).replace('  - offset', '  - [offset]\n  - offset'),
      /simple_ext_list\[0\] is not a mapping/,
    );
    expectRejected(
      'file:\n  path: f\n  size: 1\n  nextents: 1\n  simple_ext_list: {offset: 0, length: 1}\n',
      /simple_ext_list is not a list/,
    );
  });

  test('a path that is not a string or not a famfs path', () => {
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', 'path: [a, b]'), /file\.path is not a string/);
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', 'path: {a: b}'), /file\.path is not a string/);
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', 'path:'), /file\.path "": empty path/);
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', 'path: /abs'), /path is absolute/);
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', 'path: a/../b'), /'\.\.' component/);
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', `path: ${'x'.repeat(80)}`), /longer than 79 bytes/);
    expectRejected(EXAMPLE_SIMPLE.replace('path: dir1/file0', 'path: "a\\0b"'), /NUL/);
  });

  test('aliases, including a billion-laughs bomb, quickly', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') {
      bomb += `${n}: &${n} [${Array(9)
        .fill('*' + prev)
        .join(',')}]\n`;
      prev = n;
    }
    const t0 = Date.now();
    expectRejected(bomb, /unknown top-level key "a"/);
    // The same bomb where famfs looks: the aliases themselves are refused.
    const nested = `file:\n  path: &p f\n  size: 1\n  nextents: 1\n  simple_ext_list: *p\n`;
    expectRejected(nested, /file\.simple_ext_list: aliases are not allowed/);
    const inList =
      'file:\n  path: f\n  size: 1\n  nextents: 1\n  simple_ext_list:\n  - &e {offset: 0, length: 1}\n  - *e\n';
    expectRejected(inList, /simple_ext_list\[1\]: aliases are not allowed/);
    const deep =
      'file:\n  path: f\n  size: 1\n  nextents: 1\n  simple_ext_list:\n  - offset: 0\n    length: 1\n' +
      bomb
        .split('\n')
        .filter(Boolean)
        .map((l) => '    ' + l.replace(/^(\w):/, 'k$1:'))
        .join('\n') +
      '\n';
    expectRejected(deep, /unknown key "ka"/);
    expectRejected(EXAMPLE_SIMPLE.replace('size: 1048576', 'size: *x'), /invalid YAML|alias/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

// ---------------------------------------------------------------------------------------------
// Property test: random entries survive emit -> parse unchanged.
// ---------------------------------------------------------------------------------------------

/** xorshift32 */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  return { next, int, pick };
}

const PATH_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789',
  ...' -_.:#?!&*|>\'"%@`,[]{}~=+^$()<>;\\',
  '\n',
  '\t',
  '\r',
  '\u0001',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00e9',
  '\u00ff',
  '\u0100',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\u4e2d',
  '\ud83d\ude00',
  '\u{10ffff}',
];
const COMMON = [...'abcdefgh    ----....'];

function randomPath(r: ReturnType<typeof rng>): string {
  for (;;) {
    const exotic = r.next();
    const target = 1 + r.int(79);
    let p = '';
    while (Buffer.byteLength(p) < target) {
      const c =
        r.next() < 0.08
          ? '/'
          : exotic < 0.4
            ? r.pick(COMMON)
            : exotic < 0.7
              ? r.pick(r.next() < 0.5 ? COMMON : PATH_CHARS)
              : r.pick(PATH_CHARS);
      if (Buffer.byteLength(p + c) > 79) break;
      p += c;
    }
    if (!relpathProblem(p)) return p;
  }
}

function randomNumber(r: ReturnType<typeof rng>, max: number): number {
  switch (r.int(4)) {
    case 0:
      return r.int(4);
    case 1:
      return Math.min(max, r.int(2 ** 31));
    case 2:
      return max;
    default:
      return Math.floor(r.next() * max);
  }
}

function randomEntry(r: ReturnType<typeof rng>): FileEntry {
  const ext = (): Extent => ({
    devIndex: r.next() < 0.8 ? 0 : r.int(1000),
    offset: randomNumber(r, Number.MAX_SAFE_INTEGER),
    len: randomNumber(r, Number.MAX_SAFE_INTEGER),
  });
  let fmap: Fmap;
  if (r.next() < 0.6) {
    fmap = { kind: 'simple', extents: Array.from({ length: 1 + r.int(16) }, ext) };
  } else {
    const nstrips = 1 + r.int(16);
    fmap = {
      kind: 'interleaved',
      nstrips,
      chunkSize: randomNumber(r, Number.MAX_SAFE_INTEGER),
      strips: Array.from({ length: nstrips }, ext),
    };
  }
  return {
    type: 'file',
    path: randomPath(r),
    size: randomNumber(r, Number.MAX_SAFE_INTEGER),
    flags: randomNumber(r, 0xffffffff),
    uid: randomNumber(r, 0xffffffff),
    gid: randomNumber(r, 0xffffffff),
    mode: randomNumber(r, 0xffffffff),
    fmap,
  };
}

describe('round trip', () => {
  test('4000 random entries: emit -> parse is the identity, and emit is a fixed point', () => {
    const r = rng(0xfa3f5);
    const styles = { plain: 0, single: 0, double: 0, folded: 0 };
    for (let i = 0; i < 4000; i++) {
      const e = randomEntry(r);
      const text = emitShadowYaml(e);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SHADOW_YAML_MAX);
      const back = parseShadowYaml(text, `entry ${i}`);
      if (JSON.stringify(back) !== JSON.stringify(e)) expect({ i, back }).toEqual({ i, back: e });
      expect(emitShadowYaml(back)).toBe(text);
      const pathLine = text.split('\n')[2];
      if (pathLine.startsWith("  path: '")) styles.single++;
      else if (pathLine.startsWith('  path: "')) styles.double++;
      else styles.plain++;
      if (!text.split('\n')[3].startsWith('  size:')) styles.folded++;
    }
    // The generator reaches every style, and line folding.
    expect(styles.plain).toBeGreaterThan(100);
    expect(styles.single).toBeGreaterThan(100);
    expect(styles.double).toBeGreaterThan(100);
    expect(styles.folded).toBeGreaterThan(10);
  });

  test('every single character a path may hold, alone and between letters', () => {
    const r = rng(7);
    const chars = new Set<string>(PATH_CHARS);
    for (let c = 1; c < 0x300; c++) chars.add(String.fromCodePoint(c));
    for (let i = 0; i < 300; i++)
      chars.add(String.fromCodePoint(0x300 + r.int(0x10fcff)).replace(/[\ud800-\udfff]/g, 'x'));
    for (const c of chars) {
      for (const p of [c, `a${c}b`, `${c}${c}`, `d/${c} ${c}`]) {
        if (relpathProblem(p)) continue;
        const e = simple(p, [{ devIndex: 0, offset: 0, len: 0x200000 }]);
        expect(parseShadowYaml(emitShadowYaml(e)).path).toBe(p);
      }
    }
  });
});
