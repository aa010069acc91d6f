import { argvEncodingProblem } from './argv';
import { processIo } from './io';
import { runFamfs } from './main';

/**
 * The `famfs` and `mkfs.famfs` processes: their arguments checked as the kernel passed them
 * (argv.ts), then the command line run. `prefix` goes before the arguments (['mkfs']).
 */
export function processMain(prog: string, prefix: string[] = []): number {
  const args = process.argv.slice(2);
  const problem = argvEncodingProblem(prog, args);
  if (problem) {
    processIo.err(`${problem}\n`);
    return 1;
  }
  return runFamfs([...prefix, ...args], processIo, prog);
}
