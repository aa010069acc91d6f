/**
 * Shadow YAML, writing: the per-file YAML documents the famfs FUSE daemon serves files from.
 *
 * The emitter reproduces, byte for byte, what the C famfs writes with libyaml (block style,
 * explicit `---` and `...`, best width 80, indent 2, unicode output off). Reading them back is
 * yaml-parse.ts.
 */
import { FamfsError } from '../errors';
import { Extent } from '../format/fmap';
import { FileEntry } from '../format/log-entry';

/** libyaml's default line width: plain and quoted scalars fold at a space past this column. */
const BEST_WIDTH = 80;
/** Indent libyaml uses for the continuation lines of a value under `file:` (2 + best indent 2). */
const VALUE_INDENT = 4;

type ScalarStyle = 'plain' | 'single' | 'double';

const isPrintableAscii = (c: number): boolean => c === 0x0a || (c >= 0x20 && c <= 0x7e);
const isBlankOrEnd = (c: number | undefined): boolean =>
  c === undefined || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

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
    case 0x00:
      return '\\0';
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x09:
      return '\\t';
    case 0x0a:
      return '\\n';
    case 0x0b:
      return '\\v';
    case 0x0c:
      return '\\f';
    case 0x0d:
      return '\\r';
    case 0x1b:
      return '\\e';
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x85:
      return '\\N';
    case 0xa0:
      return '\\_';
    case 0x2028:
      return '\\L';
    case 0x2029:
      return '\\P';
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
      if (!spaces && w.column > BEST_WIDTH && i !== 0 && i !== n - 1 && cps[i + 1] !== 0x20)
        w.writeIndent(VALUE_INDENT);
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
    if (c >= 0xd800 && c <= 0xdfff)
      throw new FamfsError('EINVAL', `${what} contains a lone UTF-16 surrogate`, { path: s });
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
