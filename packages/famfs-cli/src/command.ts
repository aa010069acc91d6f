import { OptionSpec, optionHelpLines } from './args/option-spec';
import { Io } from './io';

/** One famfs subcommand: its command line, its help text and what it does. */
export interface CommandSpec {
  name: string;
  /** Arguments as the usage line shows them: `DEVICE MOUNTPOINT`, `[FILE]`, `SOURCE... DEST`. */
  args: string;
  summary: string;
  /** The command's options, as data; -h/--help (and -?) are added by the runner. */
  options: OptionSpec[];
  examples?: string[];
  /** Whether -h means --help (false where -h is a command flag, as in fsck). Default true. */
  helpShort?: boolean;
  /** Exit code for a missing argument (the C famfs uses 22 in check and getmap). Default 1. */
  missingArgsExit?: number;
  /**
   * Runs the command; returns the exit code. Options arrive by key (the long name in camelCase):
   * flags as a count, values as strings (a list for repeatable ones).
   */
  run(args: string[], options: Record<string, unknown>, io: Io): number;
}

/** The help options every command has; -? is help everywhere, as in the C famfs. */
export function helpOptions(c: CommandSpec): OptionSpec[] {
  return [
    { flags: c.helpShort === false ? '--help' : '-h, --help', help: 'Show this help (also -?)' },
    { flags: '-?', help: '' },
  ];
}

/** `famfs mkfs` inside famfs, `mkfs.famfs` when the command is its own program. */
export function commandTitle(prog: string, c: CommandSpec, standalone = false): string {
  return standalone ? prog : `${prog} ${c.name}`;
}

export function commandHelp(prog: string, c: CommandSpec, standalone = false, extra: OptionSpec[] = []): string {
  const title = commandTitle(prog, c, standalone);
  const shown = [...c.options, ...extra, ...helpOptions(c).filter((o) => o.help !== '')];
  const L = [`Usage: ${title} [options] ${c.args}`.trimEnd(), '', c.summary, '', 'Options:', ...optionHelpLines(shown)];
  if (c.examples?.length) L.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return L.join('\n') + '\n';
}

/** The program's help: each command's name and summary (a CommandSpec, or its index entry). */
export function programHelp(prog: string, commands: readonly Pick<CommandSpec, 'name' | 'summary'>[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${prog} [-h | -V] <command> [options] [args]`,
    '',
    'famfs: a shared-memory file system for CXL and pmem devices (famfs-ts).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run '${prog} <command> --help' for a command's options, '${prog} --version' for the version.`,
    '',
  ].join('\n');
}
