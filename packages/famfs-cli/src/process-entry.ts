import { argvEncodingProblem } from './argv';
import { processIo } from './io';
import { runFamfs } from './main';

const EXIT_SIGPIPE = 128 + 13;

/**
 * The `famfs` and `mkfs.famfs` processes: their arguments checked as the kernel passed them
 * (argv.ts), then the command line run. `prefix` goes before the arguments (['mkfs']).
 */
export function processMain(prog: string, prefix: string[] = []): number {
  // A reader that goes away (`famfs getmap ... | head`) ends the program as SIGPIPE ends a C one
  // (status 128 + 13), not with a stack trace from an unhandled stream error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(EXIT_SIGPIPE);
    });
  }
  const args = process.argv.slice(2);
  const problem = argvEncodingProblem(prog, args);
  if (problem) {
    processIo.err(`${problem}\n`);
    return 1;
  }
  return runFamfs([...prefix, ...args], processIo, prog);
}
