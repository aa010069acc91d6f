import * as fs from 'fs';
import { LARGE_ARRAY_BYTES, scratchBuffer, zeroedArray } from '../src/large-arrays';

/** Start addresses (hex) of the anonymous mappings with huge pages requested (VmFlags "hg"). */
function hugeRequested(): Set<string> {
  const out = new Set<string>();
  let start = '';
  for (const l of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-[0-9a-f]+ /.exec(l);
    if (m) start = m[1];
    else if (l.startsWith('VmFlags:') && l.split(/\s+/).includes('hg')) out.add(start);
  }
  return out;
}

test('zeroedArray: a large array is zeroed, writable and in a mapping of its own with huge pages requested; a small one is ordinary', () => {
  const before = hugeRequested();
  const big = zeroedArray(Int32Array, LARGE_ARRAY_BYTES / 4 + 3);
  expect(big).toBeInstanceOf(Int32Array);
  expect(big.length).toBe(LARGE_ARRAY_BYTES / 4 + 3);
  expect(big.every((v) => v === 0)).toBe(true);
  big.fill(-7);
  expect(big[big.length - 1]).toBe(-7);
  // A kernel built without transparent huge pages refuses the request (and nothing else changes).
  const thp = fs.existsSync('/sys/kernel/mm/transparent_hugepage');
  const added = [...hugeRequested()].filter((s) => !before.has(s));
  expect(added.length).toBe(thp ? 1 : 0);

  const small = zeroedArray(Uint8Array, 100);
  expect(small.length).toBe(100);
  expect(small.every((v) => v === 0)).toBe(true);
  expect([...hugeRequested()].filter((s) => !before.has(s)).length).toBe(thp ? 1 : 0);
});

test('scratchBuffer: a Buffer of the size asked, large or small', () => {
  const big = scratchBuffer(LARGE_ARRAY_BYTES + 1);
  expect(Buffer.isBuffer(big)).toBe(true);
  expect(big.length).toBe(LARGE_ARRAY_BYTES + 1);
  big.writeUInt32LE(0xdeadbeef, big.length - 4);
  expect(big.readUInt32LE(big.length - 4)).toBe(0xdeadbeef);
  expect(scratchBuffer(4096).length).toBe(4096);
});
