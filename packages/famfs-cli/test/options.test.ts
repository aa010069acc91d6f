/** Size and integer arguments: the number fast path agrees with the exact BigInt reading. */
import { parseCInteger, parseSizeText } from '../src/options';

const UNITS: [string, bigint][] = [
  ['', 1n],
  ['k', 1n << 10n],
  ['M', 1n << 20n],
  ['GiB', 1n << 30n],
  ['t', 1n << 40n],
];

/** What the size must be, read exactly; undefined when it is over 2^53 - 1. */
function exact(digits: string, unit: bigint): number | undefined {
  const n = parseCInteger(digits)! * unit;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(n);
}

test('sizes of every length and unit read exactly, and the ones past 2^53 - 1 are too large', () => {
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  const samples = ['1', '9', '10', '999999999999999', '1000000000000000', '9007199254740991', '9007199254740992'];
  for (let len = 1; len <= 20; len++) {
    for (let k = 0; k < 20; k++) {
      let d = String(1 + (next() % 9));
      while (d.length < len) d += String(next() % 10);
      samples.push(d);
    }
  }
  for (const digits of [...samples, '0x10', '0755', '0']) {
    for (const [suffix, unit] of UNITS) {
      const text = digits + suffix;
      const want = exact(digits, unit);
      if (want === undefined) expect(() => parseSizeText(text, '-s')).toThrow(`-s '${text}' is too large`);
      else expect(parseSizeText(text, '-s')).toBe(want);
    }
  }
  expect(() => parseSizeText('12x', '-s')).toThrow(/is not a size/);
  expect(() => parseSizeText('-5', '-s')).toThrow(/is not a size/);
});
