import * as fs from 'fs';
import * as path from 'path';
import { OptionSpec, parseOptions } from './args/option-spec';
import { checkPositionals } from './args/positionals';
import { CommandSpec, commandHelp, commandTitle, helpOptions, programHelp } from './command';
import { commandEntry, COMMAND_INDEX } from './command-index';
import { describeError, exitCodeOf } from './errors';
import { Io, processIo, UsageError } from './io';

/** Exit codes of the dispatcher itself, as the C famfs uses them. */
const EXIT_USAGE = 1;
const EXIT_UNKNOWN_COMMAND = 3;

const VERSION_OPTION: OptionSpec = { flags: '-V, --version', help: 'Print the version' };

/** Options before the command; `--dryrun` is the C famfs' global option, accepted and ignored. */
const GLOBAL_OPTIONS: OptionSpec[] = [
  { flags: '-h, --help', help: '' },
  { flags: '-?', help: '' },
  VERSION_OPTION,
  { flags: '--dryrun', help: '' },
];

export function versionLine(prog: string): string {
  let version = 'unknown';
  try {
    version = (
      JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    // an unpacked copy without its package.json still runs
  }
  return `${prog} (famfs-ts) ${version}\n`;
}

/**
 * Runs `famfs [-h | -V | --dryrun] <command> ...` and returns the exit code. `famfs -h [CMD]`
 * prints help and exits 0; no command exits 1, an unknown one 3 (as in the C famfs).
 */
export function runFamfs(argv: string[], io: Io = processIo, prog = 'famfs'): number {
  let global;
  try {
    global = parseOptions(argv, GLOBAL_OPTIONS, { permute: false });
  } catch (e) {
    io.err(`${prog}: ${(e as Error).message}\nTry '${prog} --help' for more information.\n`);
    return EXIT_USAGE;
  }
  const [name, ...rest] = global.positionals;
  const entry = commandEntry(name);
  if (global.options.version) {
    io.out(versionLine(prog));
    return 0;
  }
  if (global.options.help || global.options['?']) {
    io.out(entry ? commandHelp(prog, entry.load()) : programHelp(prog, COMMAND_INDEX));
    return 0;
  }
  if (name === undefined) {
    io.err(`${prog}: missing command\nUsage: ${prog} [-h | -V] <command> [options] [args]\n`);
    io.err(`Run '${prog} --help' for the list of commands.\n`);
    return EXIT_USAGE;
  }
  if (!entry) {
    io.err(`${prog}: unknown command '${name}'\nRun '${prog} --help' for the list of commands.\n`);
    return EXIT_UNKNOWN_COMMAND;
  }
  return runCommand(entry.load(), rest, io, prog);
}

/** `mkfs.famfs ARGS`: the mkfs command as a program of its own. */
export function runMkfsFamfs(argv: string[], io: Io = processIo): number {
  return runCommand(commandEntry('mkfs')!.load(), argv, io, 'mkfs.famfs', true);
}

/**
 * Parses a command's line against its option table, checks the arguments and runs it. A bad
 * command line prints two lines (the problem, and where help is) and exits 1, or the code the C
 * famfs uses for that mistake; any other failure prints one line and exits with the errno of the
 * cause, unless the command handled it.
 */
export function runCommand(spec: CommandSpec, rest: string[], io: Io, prog: string, standalone = false): number {
  const title = commandTitle(prog, spec, standalone);
  const extra = standalone ? [VERSION_OPTION] : [];
  try {
    const parsed = parseOptions(rest, [...spec.options, ...extra, ...helpOptions(spec)], {
      stopKeys: ['help', '?', 'version'],
    });
    if (parsed.stoppedAt === 'version') {
      io.out(versionLine(title));
      return 0;
    }
    if (parsed.stoppedAt !== undefined) {
      io.out(commandHelp(prog, spec, standalone, extra));
      return 0;
    }
    checkPositionals(spec.args, parsed.positionals, spec.missingArgsExit);
    return spec.run(parsed.positionals, parsed.options, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${title}: ${e.message}\nTry '${title} --help' for more information.\n`);
      return e.exitCode;
    }
    io.err(`${title}: ${describeError(e)}\n`);
    return exitCodeOf(e);
  }
}
