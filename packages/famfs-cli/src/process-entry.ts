import { argvEncodingProblem } from './argv';
import { processIo } from './io';
import { runFamfs, runMkfsFamfs } from './main';

/**
 * The `famfs` and `mkfs.famfs` processes: their arguments checked as the kernel passed them
 * (argv.ts), then the command line run.
 */
export function processMain(prog: 'famfs' | 'mkfs.famfs'): number {
  const args = process.argv.slice(2);
  const problem = argvEncodingProblem(prog, args);
  if (problem) {
    processIo.err(`${problem}\n`);
    return 1;
  }
  return prog === 'mkfs.famfs' ? runMkfsFamfs(args) : runFamfs(args);
}
