/**
 * A getopt_long-compatible tokenizer, driven by a table of options. It follows glibc's rules,
 * because scripts written for the C famfs rely on them:
 * - short options cluster (`-vr`, `-pvvv`), and a short option that takes a value takes the rest
 *   of its word (`-t0`, `-s2m`, `-d/dev/dax0.0`) or, when that is empty, the next word whatever it
 *   looks like (`-t -1`, `--shadow -d`);
 * - long options take `--opt=value` or `--opt value`, and any unique prefix names one (`--nbuck`);
 * - `--` ends the options, and a lone `-` is an argument.
 * One deliberate choice is a setting: with `permute` (GNU's default) options may follow arguments;
 * without it parsing stops at the first argument, as the C famfs' `+` option strings do.
 *
 * It only tokenizes: what an option means, and how repeats combine, is the caller's business.
 */

export interface GetoptOption {
  /** One character, without the dash. */
  short?: string;
  /** The long name, without the dashes. */
  long?: string;
  /** getopt's required_argument (no option here takes an optional argument). */
  takesValue: boolean;
}

export interface GetoptOccurrence<T extends GetoptOption = GetoptOption> {
  option: T;
  /** The value, for options that take one. */
  value?: string;
  /** How the user wrote the option: `-s`, `--size`, or the prefix `--si`. */
  spelled: string;
}

export interface GetoptResult<T extends GetoptOption = GetoptOption> {
  /** Options in command-line order. */
  options: Array<GetoptOccurrence<T>>;
  positionals: string[];
  /** Set when parsing stopped at an option of `stopAt` (help, version): the rest was not read. */
  stoppedAt?: T;
}

export interface GetoptConfig<T extends GetoptOption> {
  /** Accept options after arguments (GNU); false stops at the first argument (C's `+`). */
  permute: boolean;
  /** Options that end parsing at once, as the C famfs returns at `-h`. */
  stopAt?: (option: T) => boolean;
}

/** A command line getopt refuses; the message names the option as it was written. */
export class GetoptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GetoptError';
  }
}

export function getopt<T extends GetoptOption>(
  argv: readonly string[],
  table: readonly T[],
  config: GetoptConfig<T>,
): GetoptResult<T> {
  const result: GetoptResult<T> = { options: [], positionals: [] };
  const stops = (o: T) => config.stopAt?.(o) === true;
  let i = 0;
  const nextWord = (): string | undefined => (i < argv.length ? argv[i++] : undefined);
  while (i < argv.length) {
    const arg = argv[i++];
    if (arg === '--') {
      result.positionals.push(...argv.slice(i));
      return result;
    }
    if (arg.startsWith('--')) {
      const occ = longOption(arg, table, nextWord);
      result.options.push(occ);
      if (stops(occ.option)) return { ...result, stoppedAt: occ.option };
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      for (const occ of shortCluster(arg, table, nextWord)) {
        result.options.push(occ);
        if (stops(occ.option)) return { ...result, stoppedAt: occ.option };
      }
      continue;
    }
    if (!config.permute) {
      result.positionals.push(arg, ...argv.slice(i));
      return result;
    }
    result.positionals.push(arg);
  }
  return result;
}

/** `--name`, `--name=value` or `--name value`, with name possibly a unique prefix. */
function longOption<T extends GetoptOption>(
  arg: string,
  table: readonly T[],
  nextWord: () => string | undefined,
): GetoptOccurrence<T> {
  const eq = arg.indexOf('=');
  const name = arg.slice(2, eq < 0 ? undefined : eq);
  const spelled = `--${name}`;
  const option = findLong(name, table);
  if (eq >= 0) {
    if (!option.takesValue) throw new GetoptError(`option '--${option.long}' takes no value`);
    return { option, value: arg.slice(eq + 1), spelled };
  }
  if (!option.takesValue) return { option, spelled };
  const value = nextWord();
  if (value === undefined) throw new GetoptError(`option '--${option.long}' needs a value`);
  return { option, value, spelled };
}

/** An exact long name, else the one option whose long name starts with `name`. */
function findLong<T extends GetoptOption>(name: string, table: readonly T[]): T {
  const exact = table.find((o) => o.long === name);
  if (exact) return exact;
  const matches = name === '' ? [] : table.filter((o) => o.long?.startsWith(name));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new GetoptError(`unknown option '--${name}'`);
  const names = matches.map((o) => `--${o.long}`).join(', ');
  throw new GetoptError(`option '--${name}' is ambiguous (${names})`);
}

/**
 * `-abc`: flags in a row; one that takes a value ends the cluster with the rest of it, or the next
 * word. A generator, so that a stop option (`-h`) ends parsing before anything after it is judged.
 */
function* shortCluster<T extends GetoptOption>(
  arg: string,
  table: readonly T[],
  nextWord: () => string | undefined,
): Generator<GetoptOccurrence<T>> {
  for (let j = 1; j < arg.length; j++) {
    const c = arg[j];
    const option = table.find((o) => o.short === c);
    if (!option) throw new GetoptError(`unknown option '-${c}'${arg.length > 2 ? ` (in '${arg}')` : ''}`);
    if (!option.takesValue) {
      yield { option, spelled: `-${c}` };
      continue;
    }
    const rest = arg.slice(j + 1);
    const value = rest !== '' ? rest : nextWord();
    if (value === undefined) throw new GetoptError(`option '-${c}' needs a value`);
    yield { option, value, spelled: `-${c}` };
    return;
  }
}
