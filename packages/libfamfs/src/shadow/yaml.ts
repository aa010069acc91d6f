/**
 * Shadow YAML: the per-file YAML documents the famfs FUSE daemon serves files from.
 *
 * The emitter reproduces, byte for byte, what the C famfs writes with libyaml (block style,
 * explicit `---` and `...`, best width 80, indent 2, unicode output off). The parser treats its
 * input as untrusted: it is strict about structure, keys and numbers, and every refusal is a
 * FamfsError 'EBADYAML' whose one-line message names the source and the problem.
 */
import { isUtf8 } from 'buffer';
import type { Document, Node, Scalar, YAMLMap } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from './yaml-lib';
import { FamfsError } from '../errors';
import { MAX_SIMPLE_EXTENTS, MAX_STRIPS } from '../format/constants';
import { Extent, Fmap } from '../format/fmap';
import { FileEntry } from '../format/log-entry';
import { relpathProblem } from '../format/relpath';

/** Largest shadow YAML file accepted, in bytes. */
export const SHADOW_YAML_MAX = 16384;

// ---------------------------------------------------------------------------------------------
// Emitter
// ---------------------------------------------------------------------------------------------

/** libyaml's default line width: plain and quoted scalars fold at a space past this column. */
const BEST_WIDTH = 80;
/** Indent libyaml uses for the continuation lines of a value under `file:` (2 + best indent 2). */
const VALUE_INDENT = 4;

type ScalarStyle = 'plain' | 'single' | 'double';

const isPrintableAscii = (c: number): boolean => c === 0x0a || (c >= 0x20 && c <= 0x7e);
const isBlankOrEnd = (c: number | undefined): boolean => c === undefined || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * The style libyaml picks for a plain-requested, implicit scalar in block context
 * (`yaml_emitter_analyze_scalar` then `yaml_emitter_select_scalar_style`, unicode off).
 * `cps` are the code points of the value.
 */
function selectStyle(cps: number[]): ScalarStyle {
  const n = cps.length;
  if (n === 0) return 'plain';
  // With unicode output off, anything non-ASCII (or a control other than LF) is "special":
  // neither plain nor single-quoted is allowed.
  if (cps.some((c) => !isPrintableAscii(c))) return 'double';

  let blockIndicators = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  const startsWith3 = (ch: number) => n >= 3 && cps[0] === ch && cps[1] === ch && cps[2] === ch;
  if (startsWith3(0x2d /* - */) || startsWith3(0x2e /* . */)) blockIndicators = true;

  let precededByWhitespace = true;
  for (let i = 0; i < n; i++) {
    const c = cps[i];
    const followedByWhitespace = isBlankOrEnd(cps[i + 1]);
    const ch = String.fromCharCode(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (c === 0x0a) lineBreaks = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (c === 0x0a) {
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankOrEnd(c);
  }

  let plainAllowed = true;
  let singleAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) plainAllowed = false;
  if (breakSpace || spaceBreak) {
    plainAllowed = false;
    singleAllowed = false;
  }
  if (lineBreaks || blockIndicators) plainAllowed = false;
  if (plainAllowed) return 'plain';
  return singleAllowed ? 'single' : 'double';
}

/** A tiny model of libyaml's output state: enough to reproduce its line folding exactly. */
class LineWriter {
  text = '';
  column = 0;
  whitespace = true;
  indention = true;

  put(s: string): void {
    this.text += s;
    this.column += s.length;
  }
  putBreak(): void {
    this.text += '\n';
    this.column = 0;
  }
  /** yaml_emitter_write_indent */
  writeIndent(indent: number): void {
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }
  /** yaml_emitter_write_indicator */
  indicator(s: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(s);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }
}

const hex2 = (v: number, digits: number) => v.toString(16).toUpperCase().padStart(digits, '0');

/** Escape of one code point in a libyaml double-quoted scalar (unicode off). */
function doubleQuotedEscape(c: number): string {
  switch (c) {
    case 0x00: return '\\0';
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x09: return '\\t';
    case 0x0a: return '\\n';
    case 0x0b: return '\\v';
    case 0x0c: return '\\f';
    case 0x0d: return '\\r';
    case 0x1b: return '\\e';
    case 0x22: return '\\"';
    case 0x5c: return '\\\\';
    case 0x85: return '\\N';
    case 0xa0: return '\\_';
    case 0x2028: return '\\L';
    case 0x2029: return '\\P';
    default:
      if (c <= 0xff) return '\\x' + hex2(c, 2);
      if (c <= 0xffff) return '\\u' + hex2(c, 4);
      return '\\U' + hex2(c, 8);
  }
}

function writePlain(w: LineWriter, cps: number[]): void {
  if (!w.whitespace && cps.length > 0) w.put(' ');
  let spaces = false;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (c === 0x20) {
      if (!spaces && w.column > BEST_WIDTH && cps[i + 1] !== 0x20) w.writeIndent(VALUE_INDENT);
      else w.put(' ');
      spaces = true;
    } else {
      // Plain is never chosen for values with line breaks, and only for printable ASCII.
      w.put(String.fromCharCode(c));
      w.indention = false;
      spaces = false;
    }
  }
  w.whitespace = false;
  w.indention = false;
}

function writeSingleQuoted(w: LineWriter, cps: number[]): void {
  w.indicator("'", true, false, false);
  let spaces = false;
  let breaks = false;
  const n = cps.length;
  for (let i = 0; i < n; i++) {
    const c = cps[i];
    if (c === 0x20) {
      if (!spaces && w.column > BEST_WIDTH && i !== 0 && i !== n - 1 && cps[i + 1] !== 0x20) w.writeIndent(VALUE_INDENT);
      else w.put(' ');
      spaces = true;
    } else if (c === 0x0a) {
      if (!breaks) w.putBreak();
      w.putBreak();
      w.indention = true;
      breaks = true;
    } else {
      if (breaks) w.writeIndent(VALUE_INDENT);
      w.put(c === 0x27 ? "''" : String.fromCharCode(c));
      w.indention = false;
      spaces = false;
      breaks = false;
    }
  }
  if (breaks) w.writeIndent(VALUE_INDENT);
  w.indicator("'", false, false, false);
  w.whitespace = false;
  w.indention = false;
}

function writeDoubleQuoted(w: LineWriter, cps: number[]): void {
  w.indicator('"', true, false, false);
  let spaces = false;
  const n = cps.length;
  for (let i = 0; i < n; i++) {
    const c = cps[i];
    if (!isPrintableAscii(c) || c === 0x0a || c === 0x22 || c === 0x5c) {
      w.put(doubleQuotedEscape(c));
      spaces = false;
    } else if (c === 0x20) {
      if (!spaces && w.column > BEST_WIDTH && i !== 0 && i !== n - 1) {
        w.writeIndent(VALUE_INDENT);
        if (cps[i + 1] === 0x20) w.put('\\');
      } else {
        w.put(' ');
      }
      spaces = true;
    } else {
      w.put(String.fromCharCode(c));
      spaces = false;
    }
  }
  w.indicator('"', false, false, false);
  w.whitespace = false;
  w.indention = false;
}

function codePoints(s: string, what: string): number[] {
  const cps: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) throw new FamfsError('EINVAL', `${what} contains a lone UTF-16 surrogate`, { path: s });
    cps.push(c);
  }
  return cps;
}

/** The `  path: ...` line(s), without the final newline, as libyaml writes them. */
function emitPathLine(path: string): string {
  const cps = codePoints(path, 'path');
  const w = new LineWriter();
  w.put('  path');
  w.indicator(':', false, false, false);
  const style = selectStyle(cps);
  if (style === 'plain') writePlain(w, cps);
  else if (style === 'single') writeSingleQuoted(w, cps);
  else writeDoubleQuoted(w, cps);
  return w.text;
}

const hex = (v: number) => '0x' + v.toString(16);

function extentLines(extents: Extent[], indent: string): string[] {
  if (extents.length === 0) return [];
  const out: string[] = [];
  for (const e of extents) {
    out.push(`${indent}- devindex: ${e.devIndex}`);
    out.push(`${indent}  offset: ${hex(e.offset)}`);
    out.push(`${indent}  length: ${hex(e.len)}`);
  }
  return out;
}

/**
 * The shadow YAML of a file entry, exactly as `famfs_emit_file_yaml` writes it.
 * One deliberate difference: uid, gid and flags are written unsigned, where C's `%d` would write
 * values of 2^31 and above as negative numbers (which strict parsing refuses); C reads both.
 */
export function emitShadowYaml(entry: FileEntry): string {
  const { fmap } = entry;
  const lines = [
    '---',
    'file:',
    emitPathLine(entry.path),
    `  size: ${entry.size}`,
    `  flags: ${entry.flags}`,
    `  mode: 0${entry.mode.toString(8)}`,
    `  uid: ${entry.uid}`,
    `  gid: ${entry.gid}`,
    `  nextents: ${fmap.kind === 'simple' ? fmap.extents.length : 1}`,
  ];
  if (fmap.kind === 'simple') {
    lines.push(fmap.extents.length === 0 ? '  simple_ext_list: []' : '  simple_ext_list:');
    lines.push(...extentLines(fmap.extents, '  '));
  } else {
    lines.push('  striped_ext_list:');
    lines.push(`  - nstrips: ${fmap.nstrips}`);
    lines.push(`    chunk_size: ${hex(fmap.chunkSize)}`);
    lines.push(fmap.strips.length === 0 ? '    simple_ext_list: []' : '    simple_ext_list:');
    lines.push(...extentLines(fmap.strips, '    '));
  }
  lines.push('...');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

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

const FILE_KEYS = ['path', 'size', 'flags', 'mode', 'uid', 'gid', 'nextents', 'simple_ext_list', 'striped_ext_list'] as const;
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
  if (strips.length !== nstrips) problem(`${at}.nstrips is ${nstrips} but its simple_ext_list has ${strips.length} strip(s)`);
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
  if (!isScalar(pathNode) && !isAlias(pathNode) && pathNode !== null && pathNode !== undefined) problem('file.path is not a string');
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
    if (nextents !== extents.length) problem(`file.nextents is ${nextents} but simple_ext_list has ${extents.length} extent(s)`);
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
    problem(keys.length > 0 ? `unknown top-level key ${show(keys[0])} (only "file" is allowed)` : 'the top level must hold exactly the key "file"');
  }
  const key = asString(top.items[0].key, 'the top-level key');
  if (key !== 'file') problem(`unknown top-level key ${show(key)} (only "file" is allowed)`);
  return parseFileMap(asMap(top.items[0].value, 'file'));
}

/**
 * Why `text` is not an acceptable shadow YAML file, or the entry it describes.
 * Never throws for bad input: the problem comes back as a string.
 */
function shadowYamlProblem(text: string | Buffer): { entry: FileEntry } | { problem: string } {
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
    return { entry: parseDocument(s) };
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
 */
export function parseShadowYaml(text: string | Buffer, source = '<yaml>'): FileEntry {
  const r = shadowYamlProblem(text);
  if ('problem' in r) throw new FamfsError('EBADYAML', `${source}: ${r.problem}`, { source, problem: r.problem });
  return r.entry;
}
