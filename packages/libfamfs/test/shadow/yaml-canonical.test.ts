/**
 * The fast path of shadow YAML reading: the emitter's own output is taken without the YAML
 * library, to the same entry the general parser gives; everything else goes the general way.
 */
import { FamfsError } from '../../src/errors';
import { MiB } from '../../src/format/constants';
import { FileEntry } from '../../src/format/log-entry';
import { canonicalShadowEntry } from '../../src/shadow/yaml-canonical';
import { emitShadowYaml } from '../../src/shadow/yaml-emit';
import { parseShadowYaml } from '../../src/shadow/yaml-parse';

const simple = (path: string, over: Partial<FileEntry> = {}): FileEntry => ({
  type: 'file',
  path,
  size: 3 * MiB,
  flags: 2,
  uid: 1000,
  gid: 100,
  mode: 0o100644,
  fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: 10 * MiB, len: 4 * MiB }] },
  ...over,
});
const striped: FileEntry = simple('dir/striped', {
  size: 8 * MiB,
  fmap: {
    kind: 'interleaved',
    nstrips: 3,
    chunkSize: 2 * MiB,
    strips: [0, 1, 2].map((i) => ({ devIndex: i, offset: (10 + 2 * i) * MiB, len: 2 * MiB })),
  },
});

describe('canonicalShadowEntry', () => {
  test.each([
    ['a simple file', simple('a/b')],
    [
      'sixteen extents',
      simple('many', {
        fmap: {
          kind: 'simple',
          extents: Array.from({ length: 16 }, (_, i) => ({ devIndex: i % 2, offset: (2 + 2 * i) * MiB, len: 2 * MiB })),
        },
      }),
    ],
    ['a striped file', striped],
    [
      'mode 0, the largest u32 ids and a 2^53 - 1 size',
      simple('x', { mode: 0, uid: 0xffffffff, gid: 0xffffffff, flags: 0xffffffff, size: 2 ** 53 - 1 }),
    ],
    ['the .meta/.log entry', simple('.meta/.log', { mode: 0o444, uid: 0, gid: 0, flags: 0 })],
  ])('takes the emitter output of %s, to the entry the general parser gives', (_, entry) => {
    const text = emitShadowYaml(entry);
    expect(canonicalShadowEntry(text)).toEqual(entry);
    expect(parseShadowYaml(text, 'x.yaml', true)).toEqual(entry);
  });

  test.each([
    ['a quoted path', simple("it's: quoted")],
    ['a non-ASCII path (double quoted)', simple('ünï/\u2028')],
    ['a path folded past column 80', simple(`${'d'.repeat(74)} ee`)],
  ])('leaves %s to the general parser, which gives the entry', (_, entry) => {
    const text = emitShadowYaml(entry);
    expect(canonicalShadowEntry(text)).toBeUndefined();
    expect(parseShadowYaml(text, 'x.yaml')).toEqual(entry);
  });

  const text = emitShadowYaml(simple('a/b'));
  test.each([
    ['a leading zero', text.replace('size: 3145728', 'size: 03145728')],
    ['upper-case hex', text.replace('0xa00000', '0xA00000')],
    ['CRLF line ends', text.replace(/\n/g, '\r\n')],
    ['no document end', text.replace('...\n', '')],
    ['no final newline', text.slice(0, -1)],
    ['a second document', text + text],
    ['a comment', text.replace('file:', 'file: # x')],
    ['keys in another order', text.replace('  flags: 2\n  mode: 0100644\n', '  mode: 0100644\n  flags: 2\n')],
    ['decimal extents', text.replace('offset: 0xa00000', 'offset: 10485760')],
  ])('leaves a text with %s to the general parser', (_, variant) => {
    expect(canonicalShadowEntry(variant)).toBeUndefined();
  });

  test.each([
    [
      'an empty extent list',
      text.replace(/nextents: 1\n  simple_ext_list:\n.*\n.*\n.*\n/, 'nextents: 0\n  simple_ext_list: []\n'),
    ],
    ['an escaping path', emitShadowYaml(simple('../x'))],
    ['an absolute path', emitShadowYaml(simple('/etc/passwd'))],
    [
      '17 extents',
      emitShadowYaml(
        simple('m', {
          fmap: {
            kind: 'simple',
            extents: Array.from({ length: 17 }, (_, i) => ({ devIndex: 0, offset: (2 + 2 * i) * MiB, len: 2 * MiB })),
          },
        }),
      ),
    ],
    ['a size past 2^53 - 1', text.replace('size: 3145728', 'size: 9007199254740992')],
    ['a uid past 32 bits', text.replace('uid: 1000', 'uid: 4294967296')],
    ['nine strips of a three-strip map', emitShadowYaml(striped).replace('nstrips: 3', 'nstrips: 9')],
  ])('refuses %s the way the general parser does', (_, bad) => {
    expect(canonicalShadowEntry(bad)).toBeUndefined();
    let general: unknown;
    try {
      parseShadowYaml(bad, 'x.yaml', true);
    } catch (e) {
      general = e;
    }
    expect(general).toBeInstanceOf(FamfsError);
    expect(() => parseShadowYaml(bad, 'x.yaml')).toThrow((general as Error).message);
  });

  test('reading the emitter output does not load the YAML library; anything else does', () => {
    jest.isolateModules(() => {
      jest.doMock('yaml', () => {
        throw new Error('the yaml library was loaded');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../src/shadow/yaml-parse') as typeof import('../../src/shadow/yaml-parse');
      expect(isolated.parseShadowYaml(text, 'x.yaml')).toEqual(simple('a/b'));
      expect(() => isolated.parseShadowYaml(text.replace('size: 3145728', 'size: 03145728'), 'x.yaml')).toThrow(
        'the yaml library was loaded',
      );
    });
  });
});
