import { cac } from 'cac';
import { CommandSpec, commandHelp, programHelp } from './command';
import { fsckCommand } from './commands/fsck';
import { logplayCommand } from './commands/logplay';
import { mkfsCommand } from './commands/mkfs';
import { mountCommand } from './commands/mount';
import { creatCommand } from './commands/creat';
import { verifyCommand } from './commands/verify';
import { mkdirCommand } from './commands/mkdir';
import { umountCommand } from './commands/umount';
import { getmapCommand } from './commands/getmap';
import { flushCommand } from './commands/flush';
import { chkreadCommand } from './commands/chkread';
import { cloneCommand } from './commands/clone';
import { checkCommand } from './commands/check';
import { mkmetaCommand } from './commands/mkmeta';
import { cpCommand } from './commands/cp';
import { checkSystemCommand } from './commands/check-system';
import { describeError, exitCodeOf } from './errors';
import { Io, processIo, UsageError } from './io';

export const COMMANDS: CommandSpec[] = [
  mkfsCommand,
  mountCommand,
  umountCommand,
  fsckCommand,
  logplayCommand,
  creatCommand,
  verifyCommand,
  mkdirCommand,
  getmapCommand,
  flushCommand,
  chkreadCommand,
  cloneCommand,
  checkCommand,
  mkmetaCommand,
  cpCommand,
  checkSystemCommand,
];

/** Exit codes of the dispatcher itself, as the C famfs uses them. */
const EXIT_USAGE = 1;
const EXIT_UNKNOWN_COMMAND = 3;

/**
 * Runs `famfs <command> ...` and returns the exit code. `argv` is the arguments after the
 * program name. Help (-h where it is not a command flag, --help, -?) exits 0; a bad command line
 * prints the command's usage and exits 1; an unknown command exits 3.
 */
export function runFamfs(argv: string[], io: Io = processIo, prog = 'famfs'): number {
  const args = argv.map((a) => (a === '-?' ? '--help' : a));
  const name = args[0];
  if (name === undefined) {
    io.err(programHelp(prog, COMMANDS));
    return EXIT_USAGE;
  }
  if (name === '-h' || name === '--help') {
    io.out(programHelp(prog, COMMANDS));
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    io.err(`${prog}: unknown command '${name}'\n${programHelp(prog, COMMANDS)}`);
    return EXIT_UNKNOWN_COMMAND;
  }
  return runCommand(spec, args.slice(1), io, prog);
}

export function runCommand(spec: CommandSpec, rest: string[], io: Io, prog: string): number {
  const cli = cac(prog);
  const cmd = cli.command(`${spec.name} ${spec.args}`.trim());
  for (const [flags, desc] of spec.options) cmd.option(flags, desc);
  cmd.option(spec.helpShort === false ? '--help' : '-h, --help', 'Show this help');
  let code = 0;
  cmd.action((...a: unknown[]) => {
    const options = a.pop() as Record<string, unknown>;
    const positional = a.flatMap((x) => (x === undefined ? [] : Array.isArray(x) ? x.map(String) : [String(x)]));
    code = spec.run(positional, options, io);
  });
  try {
    cli.parse(['node', prog, spec.name, ...camelCaseBooleanFlags(spec, rest)], { run: false });
    if (cli.options.help) {
      io.out(commandHelp(prog, spec));
      return 0;
    }
    const declared = cmd.args.length;
    if (!cmd.args.some((a) => a.variadic) && cli.args.length > declared) {
      throw new UsageError(`unexpected argument '${cli.args[declared]}'`);
    }
    cli.runMatchedCommand();
    return code;
  } catch (e) {
    if (e instanceof UsageError || (e as Error).name === 'CACError') {
      io.err(`${prog} ${spec.name}: ${(e as Error).message}\n\n${commandHelp(prog, spec)}`);
      return EXIT_USAGE;
    }
    io.err(`${prog} ${spec.name}: ${describeError(e)}\n`);
    return exitCodeOf(e);
  }
}

/**
 * cac gives mri its option names camel-cased, so mri does not know that a kebab-case boolean flag
 * such as `--set-daxmode` takes no value and swallows the next argument as one. Spelled the way
 * cac registered it (`--setDaxmode`), mri treats it as the boolean it is.
 */
function camelCaseBooleanFlags(spec: CommandSpec, args: string[]): string[] {
  const renamed = new Map<string, string>();
  for (const [flags] of spec.options) {
    if (/[<[]/.test(flags)) continue;
    for (const flag of flags.split(',').map((f) => f.trim())) {
      const camel = flag.replace(/(?<=\w)-(\w)/g, (_m, c: string) => c.toUpperCase());
      if (/^--\w+(-\w+)+$/.test(flag)) renamed.set(flag, camel);
    }
  }
  const end = args.indexOf('--');
  return args.map((a, i) => (end >= 0 && i > end ? a : (renamed.get(a) ?? a)));
}
