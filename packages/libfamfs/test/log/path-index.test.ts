/**
 * PathIndex (fsck's byte-keyed path tree) against a Map of the same paths: every answer the same,
 * through table growth, entry growth, arena growth and keys whose hashes collide.
 */
import fc from 'fast-check';
import { lastSlash, pathHash, PathIndex } from '../../src/log/path-index';

const bytesOf = (s: string): Buffer => Buffer.from(s, 'utf8');

test('findOrAdd, find and the string lookups agree with a Map, from a tiny start', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-c/]{1,6}$/), fc.boolean()), { maxLength: 300 }), (ops) => {
      const index = new PathIndex(1);
      const want = new Map<string, number>();
      ops.forEach(([path, dir], slot) => {
        const b = bytesOf(`xx${path}`);
        const h = pathHash(b, 2, b.length);
        const got = index.findOrAdd(b, 2, b.length, h, slot, dir);
        const had = want.get(path);
        expect(got).toBe(had ?? -1);
        if (had === undefined) want.set(path, slot * 2 + (dir ? 1 : 0));
      });
      expect(index.size).toBe(want.size);
      for (const [path, v] of want) {
        const b = bytesOf(path);
        expect(index.find(b, 0, b.length, pathHash(b, 0, b.length))).toBe(v);
        expect(index.findPath(path)).toBe(v);
        expect(index.hasDir(path)).toBe(v % 2 === 1);
        expect(index.fileIndex(path)).toBe(v % 2 === 0 ? v / 2 : undefined);
      }
      expect(index.findPath('absent/path')).toBe(-1);
    }),
  );
});

test('keys with the same hash stay apart', () => {
  const index = new PathIndex(4);
  const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];
  // Every key given hash 7: only the bytes tell them apart.
  keys.forEach((k, slot) => expect(index.findOrAdd(bytesOf(k), 0, k.length, 7, slot, slot % 2 === 1)).toBe(-1));
  keys.forEach((k, slot) => expect(index.find(bytesOf(k), 0, k.length, 7)).toBe(slot * 2 + (slot % 2)));
  expect(index.find(bytesOf('theta'), 0, 5, 7)).toBe(-1);
  expect(index.find(bytesOf('alph'), 0, 4, 7)).toBe(-1);
});

test('add, then lastSlash and a hash continued from a prefix', () => {
  const index = new PathIndex();
  const b = bytesOf('dir/sub/file');
  index.add(b, 0, b.length, pathHash(b, 0, b.length), 3, false);
  expect(index.fileIndex('dir/sub/file')).toBe(3);
  expect(lastSlash(b, 0, b.length)).toBe(7);
  expect(lastSlash(b, 0, 3)).toBe(-1);
  expect(pathHash(b, 7, b.length, pathHash(b, 0, 7))).toBe(pathHash(b, 0, b.length));
});
