import { FamfsError } from './errors';

const MULTIPLIER: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Parses a size as the famfs CLI writes it: a decimal, 0x-hex or 0-octal integer with an optional
 * k, m, g or t suffix (binary multiples, either case). Anything else is EINVAL (the C famfs
 * silently ignores a malformed suffix; we refuse it).
 */
export function parseSize(text: string, what = 'size'): number {
  const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)([kmgt]?)$/i.exec(text.trim());
  if (!m)
    throw new FamfsError('EINVAL', `invalid ${what} '${text}': expected a number with an optional k/m/g suffix`, {
      text,
    });
  const n = parseCNumber(m[1]) * MULTIPLIER[m[2].toLowerCase()];
  if (!Number.isSafeInteger(n)) throw new FamfsError('EINVAL', `${what} '${text}' is too large`, { text });
  return n;
}

/** strtoull(s, 0) for a string already known to be one of the three forms. */
function parseCNumber(s: string): number {
  if (/^0x/i.test(s)) return parseInt(s.slice(2), 16);
  if (s.length > 1 && s.startsWith('0')) return parseInt(s.slice(1), 8);
  return parseInt(s, 10);
}

/** Parses an octal mode such as 644 or 0755. */
export function parseMode(text: string): number {
  if (!/^[0-7]{1,6}$/.test(text))
    throw new FamfsError('EINVAL', `invalid mode '${text}': expected octal digits`, { text });
  return parseInt(text, 8);
}
