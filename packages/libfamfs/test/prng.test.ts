import { FamfsPrng } from '../src/prng';

test('the C famfs stream: seed 1 and seed 42 start as the C famfs documents', () => {
  const a = Buffer.alloc(16);
  new FamfsPrng(1).fill(a);
  expect(a.toString('hex')).toBe('284991ee66b6fb343a87ca18de441778');
  const b = Buffer.alloc(8);
  new FamfsPrng(42).fill(b);
  expect(b.toString('hex')).toBe('985f52e27afb0c3d');
});

test('the seed is truncated to 32 bits, as the C famfs does', () => {
  const a = Buffer.alloc(64);
  const b = Buffer.alloc(64);
  new FamfsPrng(5).fill(a);
  new FamfsPrng(5n + (1n << 32n)).fill(b);
  expect(a).toEqual(b);
});

test('filling in pieces, at odd offsets and lengths, gives the same stream as one fill', () => {
  const whole = Buffer.alloc(300001);
  new FamfsPrng(9).fill(whole);
  const backing = Buffer.alloc(300001 + 3);
  const pieces = backing.subarray(3); // not 4-byte aligned
  const p = new FamfsPrng(9);
  for (let at = 0; at < pieces.length; at += 65536 * 4)
    p.fill(pieces.subarray(at, Math.min(pieces.length, at + 65536 * 4)));
  expect(pieces).toEqual(whole);
});

test('compare finds the first differing byte, or -1', () => {
  const buf = Buffer.alloc(1 << 20);
  new FamfsPrng(3).fill(buf);
  expect(new FamfsPrng(3).compare(buf)).toBe(-1);
  expect(new FamfsPrng(4).compare(buf)).toBe(0);
  buf[777777] ^= 0x10;
  expect(new FamfsPrng(3).compare(buf)).toBe(777777);
});

test('a partial last word: fill and compare agree, and a bad tail byte is found', () => {
  for (const len of [1, 2, 3, 5, 6, 7]) {
    const b = Buffer.alloc(len);
    new FamfsPrng(77).fill(b);
    expect(new FamfsPrng(77).compare(b)).toBe(-1);
    b[len - 1] ^= 0x80;
    expect(new FamfsPrng(77).compare(b)).toBe(len - 1);
  }
});
