/**
 * Option values as the C famfs reads them (strtoull/strtol with base 0, octal modes, one size
 * suffix), checked exactly: numbers are parsed as BigInt, and a value is echoed in messages as it
 * was typed, never as a rounded double. Every refusal is a UsageError (exit 1).
 */
import { UsageError } from './args/usage-error';

/** The binary multipliers of a size suffix (either case; KiB/MiB/GiB/TiB say the same). */
const SIZE_UNITS: Record<string, bigint> = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };
const SIZE_FORM = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)(?:([kmgt])(?:ib)?)?$/i;

/** strtoull(text, 0): 0x-hex, 0-octal or decimal; undefined when `text` is none of them. */
export function parseCInteger(text: string): bigint | undefined {
  const m = /^(-?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(text);
  if (!m) return undefined;
  const digits = m[2];
  const n = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return m[1] ? -n : n;
}

/** A value option given once (the parser already applied the repeat rule). */
export function optString(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new UsageError(`option ${name} given more than once`);
  return String(v);
}

/** How many times a flag was given (0 when absent). */
export function optCount(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** A byte count: a number with an optional K, M, G, T (or KiB...) suffix, binary units. */
export function parseSizeText(text: string, name: string): number {
  const m = SIZE_FORM.exec(text);
  if (!m)
    throw new UsageError(`${name} '${text}' is not a size (a number with an optional K, M, G or KiB, MiB, GiB suffix)`);
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  // A decimal of up to 15 digits is exact as a number, and so is its product with a power of two
  // (creat -M parses thousands of sizes: no BigInt for the usual case).
  if (SHORT_DECIMAL.test(m[1])) {
    const n = Number(m[1]) * Number(unit);
    if (!Number.isSafeInteger(n)) throw new UsageError(`${name} '${text}' is too large`);
    return n;
  }
  const n = parseCInteger(m[1])! * unit;
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${name} '${text}' is too large`);
  return Number(n);
}

const SHORT_DECIMAL = /^[1-9][0-9]{0,14}$/;

export function optSize(v: unknown, name: string): number | undefined {
  const s = optString(v, name);
  return s === undefined ? undefined : parseSizeText(s, name);
}

/** An integer in C's base-0 notation (decimal, 0x-hex, 0-octal), within [min, max]. */
export function optInt(v: unknown, name: string, min: number, max: number): number | undefined {
  const s = optString(v, name);
  if (s === undefined) return undefined;
  const n = parseCInteger(s);
  if (n === undefined) throw new UsageError(`${name} '${s}' is not an integer`);
  if (n < BigInt(min) || n > BigInt(max)) throw new UsageError(`${name} '${s}' is out of range (${min}..${max})`);
  return Number(n);
}

/** A permission mode in octal (644, 0755), at most 07777. */
export function optMode(v: unknown, name: string): number | undefined {
  const s = optString(v, name);
  if (s === undefined) return undefined;
  if (!/^[0-7]{1,5}$/.test(s) || parseInt(s, 8) > 0o7777)
    throw new UsageError(`${name} '${s}' is not an octal mode (such as 644)`);
  return parseInt(s, 8);
}

/** A repeatable option as a list of strings. */
export function listOption(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A PRNG seed as strtoull reads it (decimal, 0x-hex, 0-octal); the stream uses its low 32 bits. */
export function parseSeed(text: string, name = 'seed'): bigint {
  const n = parseCInteger(text);
  if (n === undefined || n < 0n) throw new UsageError(`${name} '${text}' is not a non-negative integer`);
  if (n >= 1n << 64n) throw new UsageError(`${name} '${text}' is too large`);
  return n;
}
