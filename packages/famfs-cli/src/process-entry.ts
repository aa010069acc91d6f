import { argvEncodingProblem } from './argv';
import { processIo, quietOnClosedPipes } from './io';
import { runFamfs, runMkfsFamfs } from './main';
import { runMountHelper } from './mount-helper';

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
    quietOnClosedPipes();
    return runMountHelper(args, processIo);
  }
  return prog === 'mkfs.famfs' ? runMkfsFamfs(args) : runFamfs(args);
}
