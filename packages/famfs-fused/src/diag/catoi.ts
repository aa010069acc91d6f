/**
 * glibc atoi(), byte for byte, so POST /log_level parses bodies exactly like the C daemon
 * (`level=3` is 0, ` 7x` is 7, an empty body is 0).
 */

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** isspace() in the C locale: space, \t, \n, \v, \f, \r. */
function isCSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/**
 * atoi(s) as glibc computes it: `(int) strtol(s, NULL, 10)`. strtol saturates at LONG_MIN/LONG_MAX
 * (64-bit long) and the cast keeps the low 32 bits, so huge inputs give the same odd values as C.
 * Parsing stops at the first NUL, as it would in the C string.
 */
export function cAtoi(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && isCSpace(bytes[i])) i++;
  let negative = false;
  if (i < bytes.length && (bytes[i] === 0x2b || bytes[i] === 0x2d)) {
    negative = bytes[i] === 0x2d;
    i++;
  }
  let value = 0n;
  let saturated = false;
  for (; i < bytes.length && bytes[i] >= 0x30 && bytes[i] <= 0x39; i++) {
    if (saturated) continue;
    value = value * 10n + BigInt(bytes[i] - 0x30);
    // Compare the magnitude against the limit of the sign being parsed (|LONG_MIN| = LONG_MAX + 1).
    if (value > (negative ? -LONG_MIN : LONG_MAX)) saturated = true;
  }
  let long = negative ? -value : value;
  if (saturated) long = negative ? LONG_MIN : LONG_MAX;
  return Number(BigInt.asIntN(32, long));
}
