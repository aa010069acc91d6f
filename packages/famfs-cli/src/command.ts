import { Io } from './io';

/** One famfs subcommand: its command line, its help text and what it does. */
export interface CommandSpec {
  name: string;
  /** Positional arguments in cac syntax: `<required>`, `[optional]`, `<...many>` (at least one). */
  args: string;
  summary: string;
  /** [flags in cac syntax, description]. */
  options: Array<[string, string]>;
  examples?: string[];
  /** Whether -h means --help (false where -h is a command flag, as in fsck). Default true. */
  helpShort?: boolean;
  /** Runs the command; returns the exit code. Options arrive camel-cased, as cac parses them. */
  run(args: string[], options: Record<string, unknown>, io: Io): number;
}

export function commandHelp(prog: string, c: CommandSpec): string {
  const L = [`Usage: ${prog} ${c.name} [options] ${c.args}`.trimEnd(), '', c.summary, '', 'Options:'];
  const opts: Array<[string, string]> = [
    ...c.options,
    [c.helpShort === false ? '--help' : '-h, --help', 'Show this help'],
  ];
  const width = Math.max(...opts.map(([f]) => f.length)) + 2;
  for (const [flags, desc] of opts) L.push(`  ${flags.padEnd(width)}${desc}`);
  if (c.examples?.length) L.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return L.join('\n') + '\n';
}

export function programHelp(prog: string, commands: CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${prog} <command> [options] [args]`,
    '',
    'famfs: a shared-memory file system for CXL and pmem devices (famfs-ts).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run '${prog} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}
