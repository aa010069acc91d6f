/**
 * The optional `.meta/.alloc.cfg` file: interleaved-allocation defaults, as YAML.
 *
 *     ---
 *     interleaved_alloc:
 *       nbuckets: 8
 *       nstrips: 6
 *       chunk_size: 2m
 *     ...
 *
 * Only the shape and the numbers are checked here; whether the values suit the device is the
 * allocator's business.
 */
import { isUtf8 } from 'buffer';
import type { Document } from 'yaml';
import { parseAllDocuments, visit } from './yaml-lib';
import { FamfsError } from '../errors';
import { parseCUnsigned, SHADOW_YAML_MAX } from './yaml-parse';

export interface AllocConfig {
  nbuckets: number;
  nstrips: number;
  /** Bytes. */
  chunkSize: number;
}

/** chunk_size when the file does not give one. */
export const DEFAULT_ALLOC_CHUNK_SIZE = 2 * 1024 * 1024;

const MULTIPLIERS: Record<string, number> = { k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 };
const KEYS = ['nbuckets', 'nstrips', 'chunk_size'];

class ConfigProblem extends Error {}
const problem = (msg: string): never => {
  throw new ConfigProblem(msg);
};
const show = (v: string) => JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function number(v: unknown, where: string): number {
  if (typeof v !== 'string' || v === '') problem(`${where} is not a number`);
  const s = v as string;
  if (s.startsWith('-')) problem(`${where} is negative: ${show(s)}`);
  const n = parseCUnsigned(s);
  if (n === undefined) problem(`${where} is not an unsigned number: ${show(s)}`);
  return n!;
}

/**
 * A size with an optional k/m/g suffix (either case, binary multiples), like the C famfs
 * `strtoull` + `get_multiplier`; unlike C, any other suffix is refused rather than ignored.
 */
export function parseSizeWithSuffix(s: string): number | undefined {
  const m = /^(.*?)([kKmMgG]?)$/.exec(s);
  if (!m) return undefined;
  const base = parseCUnsigned(m[1]);
  if (base === undefined) return undefined;
  const v = base * (m[2] ? MULTIPLIERS[m[2].toLowerCase()] : 1);
  return Number.isSafeInteger(v) ? v : undefined;
}

function parse(text: string | Buffer): AllocConfig {
  let s: string;
  if (typeof text === 'string') {
    if (Buffer.byteLength(text, 'utf8') > SHADOW_YAML_MAX) problem(`larger than ${SHADOW_YAML_MAX} bytes`);
    s = text;
  } else {
    if (text.length > SHADOW_YAML_MAX) problem(`larger than ${SHADOW_YAML_MAX} bytes`);
    if (!isUtf8(text)) problem('not valid UTF-8');
    s = text.toString('utf8');
  }
  const parsed = parseAllDocuments(s, { schema: 'failsafe', strict: true, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(parsed)) problem('no YAML document');
  const docs = parsed as Document.Parsed[];
  for (const d of docs) {
    const e = d.errors[0] ?? d.warnings[0];
    if (e) problem(`invalid YAML: ${e.message.split('\n', 1)[0].trim()}`);
  }
  if (docs.length !== 1) problem(`expected exactly one YAML document, found ${docs.length}`);
  let aliases = false;
  visit(docs[0], {
    Alias() {
      aliases = true;
      return visit.BREAK;
    },
  });
  if (aliases) problem('aliases are not allowed');

  const top: unknown = docs[0].toJS();
  if (!isPlainObject(top)) problem('the top level is not a mapping');
  const t = top as Record<string, unknown>;
  for (const k of Object.keys(t))
    if (k !== 'interleaved_alloc') problem(`unknown top-level key ${show(k)} (only "interleaved_alloc" is allowed)`);
  if (!Object.hasOwn(t, 'interleaved_alloc')) problem('no interleaved_alloc section');
  const ia = t.interleaved_alloc;
  if (!isPlainObject(ia)) problem('interleaved_alloc is not a mapping');
  const m = ia as Record<string, unknown>;
  for (const k of Object.keys(m)) if (!KEYS.includes(k)) problem(`unknown key ${show(k)} in interleaved_alloc`);
  for (const k of ['nbuckets', 'nstrips']) if (!Object.hasOwn(m, k)) problem(`interleaved_alloc has no ${k}`);

  const nbuckets = number(m.nbuckets, 'interleaved_alloc.nbuckets');
  const nstrips = number(m.nstrips, 'interleaved_alloc.nstrips');
  let chunkSize = DEFAULT_ALLOC_CHUNK_SIZE;
  if (Object.hasOwn(m, 'chunk_size')) {
    const c = m.chunk_size;
    if (typeof c !== 'string' || c === '') problem('interleaved_alloc.chunk_size is not a size');
    const v = parseSizeWithSuffix(c as string);
    if (v === undefined)
      problem(`interleaved_alloc.chunk_size is not a size (number with optional k/m/g): ${show(c as string)}`);
    chunkSize = v!;
  }
  return { nbuckets, nstrips, chunkSize };
}

/**
 * Parses `.meta/.alloc.cfg`. Throws FamfsError 'EBADYAML' naming `source` and the problem.
 * nbuckets and nstrips are required; chunk_size defaults to 2 MiB.
 */
export function parseAllocConfig(text: string | Buffer, source = '.meta/.alloc.cfg'): AllocConfig {
  try {
    return parse(text);
  } catch (e) {
    const why =
      e instanceof ConfigProblem
        ? e.message
        : e instanceof Error
          ? `invalid YAML: ${e.message.split('\n', 1)[0]}`
          : undefined;
    if (why === undefined) throw e;
    throw new FamfsError('EBADYAML', `${source}: ${why}`, { source, problem: why });
  }
}
