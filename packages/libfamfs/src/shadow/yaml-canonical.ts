/**
 * Shadow YAML, the fast way in: almost every shadow file was written by emitShadowYaml (ours or
 * the C famfs', which it reproduces byte for byte), and a text that is exactly what the emitter
 * writes for some entry is that entry. Recognizing one takes a line split, a few number parses
 * and a re-emit to compare with, where the general parser (yaml-parse.ts) loads and runs a YAML
 * library: a famfs process that reads one file's YAML no longer pays for the library.
 *
 * Anything else (other key orders, styles, number bases, comments, quoted or folded paths) and
 * anything the general parser refuses returns undefined here and goes the general way, which alone
 * words refusals. The re-emit comparison is what makes this sound: the emitter and the general
 * parser round-trip every valid entry, so an accepted text parses to the same entry either way.
 */
import { MAX_SIMPLE_EXTENTS, MAX_STRIPS } from '../format/constants';
import { Extent, Fmap } from '../format/fmap';
import { FileEntry } from '../format/log-entry';
import { relpathProblem } from '../format/relpath';
import { emitShadowYaml } from './yaml-emit';

const U32_MAX = 0xffffffff;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const HEX = /^0x[0-9a-f]{1,14}$/;
const OCTAL = /^0[0-7]{0,11}$/;

const NOT_CANONICAL = new Error('not canonical shadow YAML');

/** Reads the emitter's lines in order; every miss throws, and the caller answers undefined. */
class Lines {
  private at = 0;
  constructor(private readonly lines: string[]) {}

  /** The rest of the next line after `prefix` (which must match exactly). */
  value(prefix: string): string {
    const line = this.lines[this.at++];
    if (line === undefined || !line.startsWith(prefix)) throw NOT_CANONICAL;
    return line.slice(prefix.length);
  }
  exact(line: string): void {
    if (this.value(line) !== '') throw NOT_CANONICAL;
  }
  number(prefix: string, form: RegExp, max = Number.MAX_SAFE_INTEGER): number {
    const s = this.value(prefix);
    if (!form.test(s)) throw NOT_CANONICAL;
    const v = form === OCTAL ? parseInt(s, 8) : Number(s);
    if (!Number.isSafeInteger(v) || v > max) throw NOT_CANONICAL;
    return v;
  }
  get done(): boolean {
    return this.at === this.lines.length;
  }
}

function extents(lines: Lines, count: number, indent: string): Extent[] {
  const out: Extent[] = [];
  for (let i = 0; i < count; i++) {
    const devIndex = lines.number(`${indent}- devindex: `, DECIMAL);
    const offset = lines.number(`${indent}  offset: `, HEX);
    const len = lines.number(`${indent}  length: `, HEX);
    out.push({ devIndex, offset, len });
  }
  return out;
}

function scan(text: string): FileEntry {
  // The last line ends with a newline: split leaves an empty string after it.
  const lines = new Lines(text.split('\n'));
  lines.exact('---');
  lines.exact('file:');
  const path = lines.value('  path: ');
  // Quoted paths (and anything that could be a YAML indicator) are left to the general parser.
  if (path.length === 0 || `'"`.includes(path[0]) || relpathProblem(path) !== undefined) throw NOT_CANONICAL;
  const size = lines.number('  size: ', DECIMAL);
  const flags = lines.number('  flags: ', DECIMAL, U32_MAX);
  const mode = lines.number('  mode: ', OCTAL, U32_MAX);
  const uid = lines.number('  uid: ', DECIMAL, U32_MAX);
  const gid = lines.number('  gid: ', DECIMAL, U32_MAX);
  const nextents = lines.number('  nextents: ', DECIMAL, U32_MAX);
  let fmap: Fmap;
  const list = lines.value('');
  if (list === '  simple_ext_list:') {
    if (nextents < 1 || nextents > MAX_SIMPLE_EXTENTS) throw NOT_CANONICAL;
    fmap = { kind: 'simple', extents: extents(lines, nextents, '  ') };
  } else {
    if (list !== '  striped_ext_list:' || nextents !== 1) throw NOT_CANONICAL;
    const nstrips = lines.number('  - nstrips: ', DECIMAL);
    if (nstrips < 1 || nstrips > MAX_STRIPS) throw NOT_CANONICAL;
    const chunkSize = lines.number('    chunk_size: ', HEX);
    lines.exact('    simple_ext_list:');
    fmap = { kind: 'interleaved', nstrips, chunkSize, strips: extents(lines, nstrips, '    ') };
  }
  lines.exact('...');
  lines.exact('');
  if (!lines.done) throw NOT_CANONICAL;
  return { type: 'file', path, size, flags, uid, gid, mode, fmap };
}

/** The entry `text` describes when it is exactly emitShadowYaml's output for it; else undefined. */
export function canonicalShadowEntry(text: string): FileEntry | undefined {
  try {
    const entry = scan(text);
    return emitShadowYaml(entry) === text ? entry : undefined;
  } catch {
    return undefined;
  }
}
