import { isFamfsError } from '../../src/errors';
import { DEFAULT_ALLOC_CHUNK_SIZE, parseAllocConfig, parseSizeWithSuffix } from '../../src/shadow/alloc-config';

const MiB = 1024 * 1024;

function expectRejected(text: string | Buffer, why: RegExp): void {
  let err: unknown;
  try {
    parseAllocConfig(text, 'cfg');
  } catch (e) {
    err = e;
  }
  expect(isFamfsError(err, 'EBADYAML')).toBe(true);
  const msg = (err as Error).message;
  expect(msg.startsWith('cfg: ')).toBe(true);
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(why);
}

const REFERENCE = `---
interleaved_alloc:
  nbuckets: 8
  nstrips: 6
  chunk_size: 2m
...
`;

describe('parseAllocConfig', () => {
  test('the example of the reference', () => {
    expect(parseAllocConfig(REFERENCE)).toEqual({ nbuckets: 8, nstrips: 6, chunkSize: 2 * MiB });
    expect(parseAllocConfig(Buffer.from(REFERENCE))).toEqual({ nbuckets: 8, nstrips: 6, chunkSize: 2 * MiB });
  });

  test('chunk_size suffixes and bases', () => {
    const cs = (v: string) => parseAllocConfig(REFERENCE.replace('chunk_size: 2m', `chunk_size: ${v}`)).chunkSize;
    expect(cs('2M')).toBe(2 * MiB);
    expect(cs('4096k')).toBe(4 * MiB);
    expect(cs('4096K')).toBe(4 * MiB);
    expect(cs('1g')).toBe(1024 * MiB);
    expect(cs('1G')).toBe(1024 * MiB);
    expect(cs('2097152')).toBe(2 * MiB);
    expect(cs('0x200000')).toBe(2 * MiB);
    expect(cs('0x2m')).toBe(2 * MiB);
    expect(cs('010m')).toBe(8 * MiB);
    expect(cs("'4m'")).toBe(4 * MiB);
  });

  test('chunk_size defaults to 2 MiB; key order is free; flow style works', () => {
    expect(DEFAULT_ALLOC_CHUNK_SIZE).toBe(2 * MiB);
    expect(parseAllocConfig('interleaved_alloc:\n  nstrips: 2\n  nbuckets: 4\n')).toEqual({
      nbuckets: 4,
      nstrips: 2,
      chunkSize: 2 * MiB,
    });
    expect(parseAllocConfig('{interleaved_alloc: {nbuckets: 0x10, nstrips: 010, chunk_size: 8m}}')).toEqual({
      nbuckets: 16,
      nstrips: 8,
      chunkSize: 8 * MiB,
    });
  });

  test('values are not checked against a device here', () => {
    expect(parseAllocConfig('interleaved_alloc:\n  nbuckets: 1000\n  nstrips: 99\n  chunk_size: 3\n')).toEqual({
      nbuckets: 1000,
      nstrips: 99,
      chunkSize: 3,
    });
  });

  test('parseSizeWithSuffix', () => {
    expect(parseSizeWithSuffix('0')).toBe(0);
    expect(parseSizeWithSuffix('1k')).toBe(1024);
    for (const bad of ['', 'm', 'mm', '2mm', '2x', '2 m', '-2m', '2kb', '2t', '0x', '1.5m', '9007199254740991k']) {
      expect(parseSizeWithSuffix(bad)).toBeUndefined();
    }
  });

  test('rejections', () => {
    expectRejected('', /exactly one YAML document, found 0/);
    expectRejected(REFERENCE + REFERENCE, /exactly one YAML document, found 2/);
    expectRejected('interleaved_alloc: [\n', /invalid YAML/);
    expectRejected('- 1\n', /top level is not a mapping/);
    expectRejected(REFERENCE.replace('...', 'other: 1\n...'), /unknown top-level key "other"/);
    expectRejected('{}\n', /no interleaved_alloc section/);
    expectRejected('interleaved_alloc: 3\n', /interleaved_alloc is not a mapping/);
    expectRejected(
      REFERENCE.replace('  nstrips: 6', '  nstrips: 6\n  stride: 2'),
      /unknown key "stride" in interleaved_alloc/,
    );
    expectRejected(REFERENCE.replace('  nbuckets: 8\n', ''), /interleaved_alloc has no nbuckets/);
    expectRejected(REFERENCE.replace('  nstrips: 6\n', ''), /interleaved_alloc has no nstrips/);
    expectRejected(REFERENCE.replace('nbuckets: 8', 'nbuckets: -8'), /nbuckets is negative/);
    expectRejected(REFERENCE.replace('nbuckets: 8', 'nbuckets: 8x'), /nbuckets is not an unsigned number/);
    expectRejected(REFERENCE.replace('nstrips: 6', 'nstrips:'), /nstrips is not a number/);
    expectRejected(REFERENCE.replace('nstrips: 6', 'nstrips: [6]'), /nstrips is not a number/);
    expectRejected(REFERENCE.replace('chunk_size: 2m', 'chunk_size: mm'), /chunk_size is not a size.*"mm"/);
    expectRejected(REFERENCE.replace('chunk_size: 2m', 'chunk_size: 2mb'), /chunk_size is not a size/);
    expectRejected(REFERENCE.replace('chunk_size: 2m', 'chunk_size: -2m'), /chunk_size is not a size/);
    expectRejected(REFERENCE.replace('chunk_size: 2m', 'chunk_size: !!int 2'), /invalid YAML: Unresolved tag/);
    expectRejected(REFERENCE.replace('  nbuckets: 8', '  nbuckets: 8\n  nbuckets: 9'), /invalid YAML: .*unique/);
    expectRejected('interleaved_alloc: &a\n  nbuckets: 1\n  nstrips: 1\n  chunk_size: *a\n', /aliases are not allowed/);
    expectRejected(REFERENCE + '#'.repeat(16384), /larger than 16384 bytes/);
    expectRejected(Buffer.from([0x69, 0x3a, 0x20, 0xff]), /not valid UTF-8/);
  });

  test('a billion-laughs bomb is refused at once', () => {
    let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let prev = 'a';
    for (const n of 'bcdefghi') {
      bomb += `${n}: &${n} [${Array(9)
        .fill('*' + prev)
        .join(',')}]\n`;
      prev = n;
    }
    const t0 = Date.now();
    expectRejected(bomb, /aliases are not allowed/);
    expectRejected(
      `interleaved_alloc:\n  nbuckets: 1\n  nstrips: 1\n  chunk_size: 2m\n  x:\n${bomb.replace(/^/gm, '    ')}`,
      /aliases are not allowed/,
    );
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
