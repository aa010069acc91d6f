/**
 * Shadow YAML, reading. The parser treats its input as untrusted (another host wrote the log the
 * file came from, or anyone with access changed the shadow tree): it is strict about structure,
 * keys and numbers, and every refusal is a FamfsError 'EBADYAML' whose one-line message names
 * the source and the problem. Writing them is yaml-emit.ts.
 */
import { isUtf8 } from 'buffer';
import type { Document, Node, Scalar, YAMLMap } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from './yaml-lib';
import { FamfsError } from '../errors';
import { MAX_SIMPLE_EXTENTS, MAX_STRIPS } from '../format/constants';
import { Extent, Fmap } from '../format/fmap';
import { FileEntry } from '../format/log-entry';
import { relpathProblem } from '../format/relpath';
import { canonicalShadowEntry } from './yaml-canonical';

/** Largest shadow YAML file accepted, in bytes. */
export const SHADOW_YAML_MAX = 16384;

class YamlProblem extends Error {}
const problem = (msg: string): never => {
  throw new YamlProblem(msg);
};

/** A value quoted for a one-line message, cut short when long. */
function show(v: string): string {
  const s = v.length > 40 ? v.slice(0, 40) + '...' : v;
  return JSON.stringify(s);
}

const U32_MAX = 0xffffffff;

/**
 * Parses an unsigned number the way C `strtoull(s, NULL, 0)` does for well-formed input:
 * `0x`/`0X` hex, leading-0 octal, otherwise decimal. Unlike strtoull it refuses signs, blanks,
 * empty strings, trailing characters and values above Number.MAX_SAFE_INTEGER (2^53 - 1).
 */
export function parseCUnsigned(s: string): number | undefined {
  let digits: string;
  let radix: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) {
    digits = s.slice(2);
    radix = 16n;
  } else if (/^0[0-7]*$/.test(s)) {
    digits = s;
    radix = 8n;
  } else if (/^[1-9][0-9]*$/.test(s)) {
    digits = s;
    radix = 10n;
  } else {
    return undefined;
  }
  if (digits.length > 64) return undefined;
  let v = 0n;
  for (const d of digits) v = v * radix + BigInt(parseInt(d, 16));
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(v);
}

const CORE_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

function checkTag(node: Node, where: string): void {
  if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) problem(`${where}: unsupported tag ${show(node.tag)}`);
}

function asMap(node: unknown, where: string): YAMLMap {
  if (isAlias(node)) problem(`${where}: aliases are not allowed`);
  if (!isMap(node)) problem(`${where} is not a mapping`);
  const m = node as YAMLMap;
  checkTag(m, where);
  return m;
}

function asString(node: unknown, where: string): string {
  if (isAlias(node)) problem(`${where}: aliases are not allowed`);
  if (node === null || node === undefined) problem(`${where} has no value`);
  if (!isScalar(node)) problem(`${where} is not a scalar`);
  const s = node as Scalar;
  checkTag(s, where);
  if (typeof s.value !== 'string') problem(`${where} has no value`);
  return s.value as string;
}

/** The entries of a mapping as [key, value node], refusing keys outside `allowed`. */
function mapEntries(m: YAMLMap, where: string, allowed: readonly string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const pair of m.items) {
    const key = asString(pair.key, `a key of ${where}`);
    if (!allowed.includes(key)) problem(`unknown key ${show(key)} in ${where}`);
    if (out.has(key)) problem(`duplicate key ${show(key)} in ${where}`);
    out.set(key, pair.value);
  }
  return out;
}

function num(node: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number {
  const s = asString(node, where);
  if (s.startsWith('-')) problem(`${where} is negative: ${show(s)}`);
  const v = parseCUnsigned(s);
  if (v === undefined) problem(`${where} is not an unsigned number (decimal, 0x hex or 0 octal): ${show(s)}`);
  if (v! > max) problem(`${where} is out of range (max ${max}): ${show(s)}`);
  return v!;
}

const FILE_KEYS = [
  'path',
  'size',
  'flags',
  'mode',
  'uid',
  'gid',
  'nextents',
  'simple_ext_list',
  'striped_ext_list',
] as const;
const EXTENT_KEYS = ['devindex', 'offset', 'length'] as const;
const STRIPE_KEYS = ['nstrips', 'chunk_size', 'simple_ext_list'] as const;

function parseExtentList(node: unknown, where: string, max: number, what: string): Extent[] {
  if (isAlias(node)) problem(`${where}: aliases are not allowed`);
  if (!isSeq(node)) problem(`${where} is not a list`);
  const seq = node as { items: unknown[] } & Node;
  checkTag(seq, where);
  if (seq.items.length === 0) problem(`${where} is empty`);
  if (seq.items.length > max) problem(`${where} has ${seq.items.length} ${what} (max ${max})`);
  return seq.items.map((item, i) => {
    const at = `${where}[${i}]`;
    const e = mapEntries(asMap(item, at), at, EXTENT_KEYS);
    if (!e.has('offset')) problem(`${at} has no offset`);
    if (!e.has('length')) problem(`${at} has no length`);
    return {
      devIndex: e.has('devindex') ? num(e.get('devindex'), `${at}.devindex`) : 0,
      offset: num(e.get('offset'), `${at}.offset`),
      len: num(e.get('length'), `${at}.length`),
    };
  });
}

function parseStripedList(node: unknown, nextents: number): Fmap {
  const where = 'file.striped_ext_list';
  if (isAlias(node)) problem(`${where}: aliases are not allowed`);
  if (!isSeq(node)) problem(`${where} is not a list`);
  const seq = node as { items: unknown[] } & Node;
  checkTag(seq, where);
  if (nextents !== 1) problem(`file.nextents is ${nextents} but a striped file has exactly 1 interleaved extent`);
  if (seq.items.length !== 1) problem(`${where} has ${seq.items.length} interleaved extents (must be 1)`);
  const at = `${where}[0]`;
  const ie = mapEntries(asMap(seq.items[0], at), at, STRIPE_KEYS);
  for (const k of STRIPE_KEYS) if (!ie.has(k)) problem(`${at} has no ${k}`);
  const nstrips = num(ie.get('nstrips'), `${at}.nstrips`);
  if (nstrips < 1 || nstrips > MAX_STRIPS) problem(`${at}.nstrips is ${nstrips} (1..${MAX_STRIPS})`);
  const chunkSize = num(ie.get('chunk_size'), `${at}.chunk_size`);
  const strips = parseExtentList(ie.get('simple_ext_list'), `${at}.simple_ext_list`, MAX_STRIPS, 'strips');
  if (strips.length !== nstrips)
    problem(`${at}.nstrips is ${nstrips} but its simple_ext_list has ${strips.length} strip(s)`);
  return { kind: 'interleaved', nstrips, chunkSize, strips };
}

function parseFileMap(m: YAMLMap): FileEntry {
  const f = mapEntries(m, 'file', FILE_KEYS);
  for (const k of ['path', 'size', 'nextents'] as const) if (!f.has(k)) problem(`file has no ${k}`);
  const hasSimple = f.has('simple_ext_list');
  const hasStriped = f.has('striped_ext_list');
  if (!hasSimple && !hasStriped) problem('file has neither simple_ext_list nor striped_ext_list');
  if (hasSimple && hasStriped) problem('file has both simple_ext_list and striped_ext_list');

  const pathNode = f.get('path');
  if (!isScalar(pathNode) && !isAlias(pathNode) && pathNode !== null && pathNode !== undefined)
    problem('file.path is not a string');
  const path = asString(pathNode, 'file.path');
  const bad = relpathProblem(path);
  if (bad) problem(`file.path ${show(path)}: ${bad}`);

  const size = num(f.get('size'), 'file.size');
  const opt32 = (k: 'flags' | 'mode' | 'uid' | 'gid') => (f.has(k) ? num(f.get(k), `file.${k}`, U32_MAX) : 0);
  const flags = opt32('flags');
  const mode = opt32('mode');
  const uid = opt32('uid');
  const gid = opt32('gid');
  const nextents = num(f.get('nextents'), 'file.nextents', U32_MAX);

  let fmap: Fmap;
  if (hasSimple) {
    const extents = parseExtentList(f.get('simple_ext_list'), 'file.simple_ext_list', MAX_SIMPLE_EXTENTS, 'extents');
    if (nextents !== extents.length)
      problem(`file.nextents is ${nextents} but simple_ext_list has ${extents.length} extent(s)`);
    fmap = { kind: 'simple', extents };
  } else {
    fmap = parseStripedList(f.get('striped_ext_list'), nextents);
  }
  return { type: 'file', path, size, flags, uid, gid, mode, fmap };
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0].trim();
}

function parseDocument(text: string): FileEntry {
  const parsed = parseAllDocuments(text, {
    schema: 'failsafe',
    strict: true,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (!Array.isArray(parsed)) problem('no YAML document');
  const docs = parsed as Document.Parsed[];
  for (const d of docs) {
    if (d.errors.length > 0) problem(`invalid YAML: ${firstLine(d.errors[0].message)}`);
  }
  if (docs.length !== 1) problem(`expected exactly one YAML document, found ${docs.length}`);
  const doc = docs[0];
  if (doc.contents === null) problem('empty YAML document');
  const top = asMap(doc.contents, 'the top level');
  if (top.items.length !== 1) {
    const keys = top.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?')).filter((k) => k !== 'file');
    problem(
      keys.length > 0
        ? `unknown top-level key ${show(keys[0])} (only "file" is allowed)`
        : 'the top level must hold exactly the key "file"',
    );
  }
  const key = asString(top.items[0].key, 'the top-level key');
  if (key !== 'file') problem(`unknown top-level key ${show(key)} (only "file" is allowed)`);
  return parseFileMap(asMap(top.items[0].value, 'file'));
}

/**
 * Why `text` is not an acceptable shadow YAML file, or the entry it describes.
 * Never throws for bad input: the problem comes back as a string.
 */
function shadowYamlProblem(text: string | Buffer, general = false): { entry: FileEntry } | { problem: string } {
  try {
    let s: string;
    if (typeof text === 'string') {
      const n = Buffer.byteLength(text, 'utf8');
      if (n > SHADOW_YAML_MAX) problem(`larger than ${SHADOW_YAML_MAX} bytes (${n})`);
      s = text;
    } else {
      if (text.length > SHADOW_YAML_MAX) problem(`larger than ${SHADOW_YAML_MAX} bytes (${text.length})`);
      if (!isUtf8(text)) problem('not valid UTF-8');
      s = text.toString('utf8');
    }
    if (s.includes('\0')) problem('contains a NUL byte');
    // What the emitter writes is recognized without the YAML library (yaml-canonical.ts).
    return { entry: (!general && canonicalShadowEntry(s)) || parseDocument(s) };
  } catch (e) {
    if (e instanceof YamlProblem) return { problem: e.message };
    // The yaml package may throw for pathological input; report it rather than crash.
    if (e instanceof Error) return { problem: `invalid YAML: ${firstLine(e.message)}` };
    throw e;
  }
}

/**
 * Parses one shadow YAML file. Throws FamfsError 'EBADYAML' naming `source` and the problem
 * when the file is not exactly what famfs writes (modulo key order, styles and number bases).
 * `general` skips the fast path for the emitter's own output (tests compare the two with it).
 */
export function parseShadowYaml(text: string | Buffer, source = '<yaml>', general = false): FileEntry {
  const r = shadowYamlProblem(text, general);
  if ('problem' in r) throw new FamfsError('EBADYAML', `${source}: ${r.problem}`, { source, problem: r.problem });
  return r.entry;
}
