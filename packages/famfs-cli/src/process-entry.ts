import { argvEncodingProblem } from './argv';
import { processIo } from './io';
import { COMMAND_INDEX } from './command-index';
import { runFamfs, runMkfsFamfs } from './main';
import type * as MountHelperModule from './mount-helper';

/**
 * The `famfs` and `mkfs.famfs` processes: their arguments checked as the kernel passed them
 * (argv.ts), then the command line run.
 */
export function processMain(prog: 'famfs' | 'mkfs.famfs' | 'mount.famfs'): number {
  const args = process.argv.slice(2);
  const problem = argvEncodingProblem(prog, args);
  if (problem) {
    processIo.err(`${problem}\n`);
    return 1;
  }
  if (prog === 'mount.famfs') {
    // Loaded only here: it brings in the whole mount command, which no other program needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runMountHelper } = require('./mount-helper') as typeof MountHelperModule;
    return runMountHelper(args, processIo);
  }
  return prog === 'mkfs.famfs' ? runMkfsFamfs(args) : runFamfs(args);
}

/** The names of famfs' commands, in `famfs --help` order (for tools that run each, e.g. the code cache). */
export function commandNames(): string[] {
  return COMMAND_INDEX.map((c) => c.name);
}
