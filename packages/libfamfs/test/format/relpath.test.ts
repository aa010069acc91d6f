import { relpathField, relpathProblem } from '../../src/format/relpath';
import { MAX_PATHLEN } from '../../src/format/constants';

describe('relpathProblem', () => {
  test.each([
    ['a/b/c', undefined],
    ['d/é/\u{1F600}', undefined],
    ['', 'empty path'],
    ['/a', 'path is absolute'],
    ['a//b', 'path has an empty component'],
    ['a/', 'path has an empty component'],
    ['a/./b', "path has a '.' component"],
    ['a/../b', "path has a '..' component"],
    ['x'.repeat(MAX_PATHLEN - 1), undefined],
    ['x'.repeat(MAX_PATHLEN), 'path is longer than 79 bytes'],
    // 40 two-byte characters: 40 UTF-16 units, 80 UTF-8 bytes.
    ['é'.repeat(40), 'path is longer than 79 bytes'],
  ])('%j: %s', (path, problem) => {
    expect(relpathProblem(path)).toBe(problem);
  });

  test('when several rules are broken, the first in rule order is told', () => {
    // NUL, then a lone surrogate, then the length, then absolute, then the first bad component.
    expect(relpathProblem('/../a\0\uD800' + 'x'.repeat(90))).toBe('path contains a NUL byte');
    expect(relpathProblem('/../a\uD800' + 'x'.repeat(90))).toBe('path is not valid Unicode (a lone UTF-16 surrogate)');
    expect(relpathProblem('/../a//' + 'x'.repeat(90))).toBe('path is longer than 79 bytes');
    expect(relpathProblem('/../a//.')).toBe('path is absolute');
    expect(relpathProblem('a/./../b//')).toBe("path has a '.' component");
  });
});

describe('the relpath field', () => {
  const field = relpathField(0).codec;
  const slot = (bytes: Buffer): Buffer => {
    const b = Buffer.alloc(MAX_PATHLEN);
    bytes.copy(b);
    return b;
  };

  test('reads ASCII and UTF-8 paths as they were written', () => {
    for (const p of ['a/b', 'd/é/\u{1F600}', 'x'.repeat(MAX_PATHLEN - 1)]) {
      const b = Buffer.alloc(MAX_PATHLEN, 0xff);
      field.write(b, 0, p);
      expect(field.read(b, 0)).toBe(p);
    }
  });

  test('refuses bytes that are not UTF-8, even after an ASCII start', () => {
    expect(() => field.read(slot(Buffer.from([0x61, 0x2f, 0xc3])), 0)).toThrow(/not valid UTF-8/);
  });

  test('refuses a field with no NUL in its 80 bytes', () => {
    expect(() => field.read(Buffer.alloc(MAX_PATHLEN + 8, 0x61), 0)).toThrow(/not NUL-terminated within 80 bytes/);
  });
});
