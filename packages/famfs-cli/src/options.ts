import { parseSize } from '@famfs/libfamfs';
import { UsageError } from './io';

/** cac (through mri) turns numeric-looking values into numbers and repeats into arrays. */
export function optString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === false) return undefined;
  if (Array.isArray(v)) throw new UsageError(`option ${name} given more than once`);
  if (v === true || v === '') throw new UsageError(`option ${name} needs a value`);
  return String(v);
}

export function optSize(v: unknown, name: string): number | undefined {
  const s = optString(v, name);
  return s === undefined ? undefined : parseSize(s, name);
}

export function optInt(v: unknown, name: string, min: number, max: number): number | undefined {
  const s = optString(v, name);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new UsageError(`option ${name} needs an integer, not '${s}'`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`option ${name} must be between ${min} and ${max}`);
  return n;
}

/** A repeatable option as a list of strings (cac gives one value or an array). */
export function listOption(v: unknown): string[] {
  if (v === undefined || v === false) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A PRNG seed: a decimal or 0x-hex integer (the stream uses its low 32 bits). */
export function parseSeed(text: string): bigint {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new UsageError(`seed '${text}' is not a non-negative integer`);
  return BigInt(text);
}
