/**
 * Options as data: each command declares a table of OptionSpec, written the way its help shows
 * them (`-s, --size=SIZE`). From that one table come the getopt table, the parsed values and the
 * help lines, so what is parsed and what is documented cannot differ.
 */
import { getopt, GetoptError, GetoptOption } from './getopt';
import { UsageError } from './usage-error';

export interface OptionSpec {
  /** As the help shows it: `-s, --size=SIZE`, `-v, --verbose`, `-b`, `--fuse`, `--shadow=DIR`. */
  flags: string;
  help: string;
  /**
   * What a second occurrence of an option with a value does: replace the first (getopt's
   * behaviour, the default), add to a list, or fail the command line with this exit code.
   * Options without a value count their occurrences (`-vvv` = 3).
   */
  repeat?: 'last' | 'list' | { refuseWith: number };
}

/** One option of a table, ready for getopt. */
export interface ParsedFlags extends GetoptOption {
  /** The key of its value in the parsed options: the long name in camelCase, else the short letter. */
  key: string;
  /** The value's name (SIZE), for options that take one. */
  metavar?: string;
  spec: OptionSpec;
}

/** Parsed options by key: a count for flags, a string (or a list) for options with a value. */
export type ParsedOptions = Record<string, number | string | string[] | undefined>;

/** Reads `-s, --size=SIZE` (or `-b`, `--fuse`, `-X VALUE`) into its parts; a malformed one is a programming error. */
export function parseFlags(spec: OptionSpec): ParsedFlags {
  let short: string | undefined;
  let long: string | undefined;
  let metavar: string | undefined;
  for (const part of spec.flags.split(', ')) {
    const m = /^(?:--([a-z][a-z0-9-]*)(?:=([A-Z][A-Z0-9_,.[\]|]*))?|-([^-\s])(?: ([A-Z][A-Z0-9_]*))?)$/.exec(part);
    if (!m) throw new Error(`bad option flags '${spec.flags}'`);
    long = m[1] ?? long;
    short = m[3] ?? short;
    metavar = m[2] ?? m[4] ?? metavar;
  }
  if (short === undefined && long === undefined) throw new Error(`bad option flags '${spec.flags}'`);
  const key = long ? long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : short!;
  return { short, long, takesValue: metavar !== undefined, key, metavar, spec };
}

export interface ParseResult {
  options: ParsedOptions;
  positionals: string[];
  /** Parsing stopped at this option (help, version) before reading the rest. */
  stoppedAt?: string;
}

export interface ParseConfig {
  /** Options whose key is here end parsing at once (help, as the C famfs returns at -h). */
  stopKeys?: readonly string[];
  /** Options after arguments (default true); false stops at the first argument. */
  permute?: boolean;
}

/** Parses `argv` against `specs`. Throws UsageError. */
export function parseOptions(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  config: ParseConfig = {},
): ParseResult {
  const table = specs.map(parseFlags);
  const stopKeys = config.stopKeys ?? [];
  let raw;
  try {
    raw = getopt(argv, table, { permute: config.permute ?? true, stopAt: (o) => stopKeys.includes(o.key) });
  } catch (e) {
    if (e instanceof GetoptError) throw new UsageError(e.message);
    throw e;
  }
  const options: ParsedOptions = {};
  for (const { option, value, spelled } of raw.options) {
    const prev = options[option.key];
    if (value === undefined) {
      options[option.key] = (typeof prev === 'number' ? prev : 0) + 1;
      continue;
    }
    const repeat = option.spec.repeat ?? 'last';
    if (repeat === 'list') {
      // Appended in place: creat -M may be given tens of thousands of times.
      if (Array.isArray(prev)) prev.push(value);
      else options[option.key] = [value];
    } else if (repeat === 'last' || prev === undefined) options[option.key] = value;
    else throw new UsageError(`option ${spelled} given more than once`, repeat.refuseWith);
  }
  return { options, positionals: raw.positionals, stoppedAt: raw.stoppedAt?.key };
}

/** The help lines of a table, GNU style: long-only options are indented past the short column. */
export function optionHelpLines(specs: readonly OptionSpec[]): string[] {
  const shown = specs.map((s) => (s.flags.startsWith('--') ? `    ${s.flags}` : s.flags));
  const width = Math.max(...shown.map((f) => f.length)) + 2;
  return specs.map((s, i) => `  ${shown[i].padEnd(width)}${s.help}`);
}
