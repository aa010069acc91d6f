/**
 * Hostile shadow YAML (the list): malformed, oversized, unknown keys, count mismatches.
 * Each is refused with FamfsError EBADYAML and a one-line message naming the file and the problem.
 */
import { FamfsError } from '../../src/errors';
import { parseShadowYaml, SHADOW_YAML_MAX } from '../../src/shadow/yaml-parse';

const GOOD = `---
file:
  path: d/f
  size: 1048576
  flags: 2
  mode: 0644
  uid: 0
  gid: 0
  nextents: 1
  simple_ext_list:
  - devindex: 0
    offset: 0x200000
    length: 0x200000
...
`;
const STRIPED = `---
file:
  path: s
  size: 4194304
  nextents: 1
  striped_ext_list:
  - nstrips: 2
    chunk_size: 0x200000
    simple_ext_list:
    - offset: 0x200000
      length: 0x200000
    - offset: 0x400000
      length: 0x200000
...
`;

function refused(text: string | Buffer, why: RegExp): void {
  let err: unknown;
  try {
    parseShadowYaml(text, 'root/d/f');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FamfsError);
  expect((err as FamfsError).code).toBe('EBADYAML');
  const msg = (err as Error).message;
  expect(msg.startsWith('root/d/f: ')).toBe(true);
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(why);
}

test('the valid documents parse (so every refusal below is the edit)', () => {
  expect(parseShadowYaml(GOOD).size).toBe(1048576);
  expect(parseShadowYaml(STRIPED).fmap.kind).toBe('interleaved');
});

test.each<[string, string | Buffer, RegExp]>([
  ['unbalanced flow', '{file: {path: x', /invalid YAML/],
  ['a tab indent', GOOD.replace('  size', '\tsize'), /invalid YAML/],
  ['a bad indent', GOOD.replace('  size', '   size'), /invalid YAML/],
  ['an empty file', '', /empty YAML document|no YAML document|exactly one/],
  ['only ---', '---\n', /empty YAML document|not a mapping/],
  ['two documents', GOOD + GOOD, /exactly one YAML document, found 2/],
  ['a list at the top', '- a\n- b\n', /the top level is not a mapping/],
  ['a scalar at the top', 'hello\n', /the top level is not a mapping/],
  ['file as a list', 'file:\n- a\n', /file is not a mapping/],
  ['file with no value', 'file:\n', /file is not a mapping/],
  [
    'an alias',
    GOOD.replace('size: 1048576', 'size: &s 1048576').replace('uid: 0', 'uid: *s'),
    /aliases are not allowed/,
  ],
  ['a custom tag', GOOD.replace('size: 1048576', 'size: !big 1048576'), /unsupported tag/],
  ['a NUL byte', GOOD.replace('d/f', 'd\0f'), /NUL byte/],
  [
    'invalid UTF-8',
    Buffer.concat([Buffer.from(GOOD.slice(0, 20)), Buffer.from([0xff, 0xfe]), Buffer.from(GOOD.slice(20))]),
    /not valid UTF-8/,
  ],
  ['a negative size', GOOD.replace('size: 1048576', 'size: -1'), /file\.size is negative/],
  ['a size past 2^53', GOOD.replace('size: 1048576', 'size: 9007199254740993'), /file\.size is not an unsigned number/],
  ['a uid past 2^32', GOOD.replace('uid: 0', 'uid: 4294967296'), /file\.uid is out of range/],
  ['a float', GOOD.replace('size: 1048576', 'size: 1.5'), /file\.size is not an unsigned number/],
  ['bad octal', GOOD.replace('mode: 0644', 'mode: 0968'), /file\.mode is not an unsigned number/],
  ['a missing path', GOOD.replace('  path: d/f\n', ''), /file has no path/],
  [
    'a missing extent list',
    GOOD.replace(/  simple_ext_list:[\s\S]*\.\.\./, '...'),
    /neither simple_ext_list nor striped_ext_list/,
  ],
  ['an absolute path', GOOD.replace('d/f', '/etc/passwd'), /absolute/],
  ['a .. path', GOOD.replace('d/f', '../../etc/passwd'), /'\.\.' component/],
  ['an 80-byte path', GOOD.replace('d/f', 'x'.repeat(80)), /longer than 79 bytes/],
])('malformed: %s', (_what, text, why) => refused(text, why));

test.each<[string, string, RegExp]>([
  ['a top-level key', GOOD.replace('file:', 'evil: 1\nfile:'), /unknown top-level key "evil"/],
  ['a key under file', GOOD.replace('  size:', '  owner: root\n  size:'), /unknown key "owner" in file/],
  [
    'a key in an extent',
    GOOD.replace('    length: 0x200000', '    length: 0x200000\n    flags: 1'),
    /unknown key "flags" in file\.simple_ext_list\[0\]/,
  ],
  [
    'a key in a striped extent',
    STRIPED.replace('    chunk_size', '    stride: 1\n    chunk_size'),
    /unknown key "stride" in file\.striped_ext_list\[0\]/,
  ],
  ['a duplicate key', GOOD.replace('  uid: 0', '  uid: 0\n  uid: 1'), /invalid YAML|duplicate key/],
])('unknown keys: %s', (_what, text, why) => refused(text, why));

test.each<[string, string, RegExp]>([
  [
    'nextents above the list',
    GOOD.replace('nextents: 1', 'nextents: 2'),
    /file\.nextents is 2 but simple_ext_list has 1 extent/,
  ],
  ['nextents 0', GOOD.replace('nextents: 1', 'nextents: 0'), /file\.nextents is 0 but simple_ext_list has 1 extent/],
  [
    'an empty extent list',
    GOOD.replace(/  simple_ext_list:[\s\S]*\.\.\./, '  simple_ext_list: []\n...'),
    /simple_ext_list is empty/,
  ],
  [
    '17 extents',
    GOOD.replace('nextents: 1', 'nextents: 17').replace(/(  - devindex[\s\S]*?length: 0x200000\n)/, (m) =>
      m.repeat(17),
    ),
    /has 17 extents \(max 16\)/,
  ],
  [
    'nstrips above the strips',
    STRIPED.replace('nstrips: 2', 'nstrips: 3'),
    /nstrips is 3 but its simple_ext_list has 2 strip/,
  ],
  ['nstrips 0', STRIPED.replace('nstrips: 2', 'nstrips: 0'), /nstrips is 0 \(1\.\.16\)/],
  ['a striped file with nextents 2', STRIPED.replace('nextents: 1', 'nextents: 2'), /exactly 1 interleaved extent/],
  [
    'two interleaved extents',
    STRIPED.replace(
      '  striped_ext_list:\n',
      '  striped_ext_list:\n  - nstrips: 1\n    chunk_size: 0x200000\n    simple_ext_list:\n    - offset: 0x200000\n      length: 0x200000\n',
    ),
    /has 2 interleaved extents \(must be 1\)/,
  ],
  [
    'both lists',
    GOOD.replace('...', STRIPED.split('\n').slice(5, 13).join('\n') + '\n...'),
    /both simple_ext_list and striped_ext_list/,
  ],
])('count mismatches: %s', (_what, text, why) => refused(text, why));

describe('oversized', () => {
  const big = GOOD.replace('...', '#' + 'x'.repeat(SHADOW_YAML_MAX) + '\n...');
  test('a string over 16 KiB', () => refused(big, /larger than 16384 bytes/));
  test('a Buffer over 16 KiB', () => refused(Buffer.from(big), /larger than 16384 bytes/));
  test('16 KiB of multi-byte characters counts bytes, not characters', () =>
    refused(GOOD.replace('...', '# ' + 'é'.repeat(8200) + '\n...'), /larger than 16384 bytes/));
  test('exactly 16 KiB is read', () => {
    const pad = SHADOW_YAML_MAX - Buffer.byteLength(GOOD) - 2;
    const text = GOOD.replace('...', '#' + 'x'.repeat(pad) + '\n...');
    expect(Buffer.byteLength(text)).toBe(SHADOW_YAML_MAX);
    expect(parseShadowYaml(text).path).toBe('d/f');
  });
  test('deep nesting under 16 KiB is refused quickly', () => {
    const t0 = Date.now();
    refused('file: ' + '['.repeat(8000) + ']'.repeat(8000), /invalid YAML|not a mapping/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
