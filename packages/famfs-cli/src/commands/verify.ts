import { FamfsFile, verifyFile } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError } from '../errors';
import { UsageError } from '../io';
import { listOption, optCount, optInt, optString, parseSeed } from '../options';

/**
 * `famfs verify`: compare files with the test-data stream of their seed (works on any host).
 * One file: exit 0 or 1. With -m: the number of files that failed.
 */
export const verifyCommand: CommandSpec = {
  name: 'verify',
  args: '',
  summary: 'Check that famfs files hold the test-data stream of their seed (as written by creat -r)',
  options: [
    { flags: '-S, --seed=SEED', help: 'Seed of the stream (not 0)' },
    { flags: '-f, --filename=FILE', help: 'File to verify' },
    { flags: '-m, --multi=FILE,SEED', help: 'Verify several files (repeatable; not with -S/-f)', repeat: 'list' },
    { flags: '-t, --threadct=N', help: 'Threads, 0..256 (files are checked one after another)' },
    { flags: '-q, --quiet', help: 'Print only failures' },
  ],
  examples: ['famfs verify -S 42 -f /mnt/famfs/data', 'famfs verify -m /mnt/famfs/a,1 -m /mnt/famfs/b,2'],
  run(_args, o, io) {
    const multi = listOption(o.multi).map((t) => {
      const [file, seed, extra] = t.split(',');
      if (!file || seed === undefined || extra !== undefined) throw new UsageError(`-m needs FILE,SEED, not '${t}'`);
      return { file, seed: nonZeroSeed(seed, '-m seed') };
    });
    const seedText = optString(o.seed, '--seed');
    const file = optString(o.filename, '--filename');
    if (multi.length > 0 && (seedText !== undefined || file !== undefined))
      throw new UsageError('-m cannot be combined with -S or -f');
    if (multi.length === 0 && (seedText === undefined || file === undefined))
      throw new UsageError('verify needs -S SEED and -f FILE (or -m FILE,SEED)');
    optInt(o.threadct, '--threadct', 0, 256);
    const jobs = multi.length > 0 ? multi : [{ file: file!, seed: nonZeroSeed(seedText!, '--seed') }];
    let failures = 0;
    for (const job of jobs) {
      try {
        const f = FamfsFile.open(job.file);
        try {
          const bad = verifyFile(f.data, f.entry, job.seed);
          if (bad >= 0) {
            failures++;
            io.err(`Verify fail: ${job.file} at offset ${bad} of ${f.size} bytes\n`);
          } else if (optCount(o.quiet) === 0) {
            io.out(`Success: verified ${f.size} bytes in file ${job.file}\n`);
          }
        } finally {
          f.close();
        }
      } catch (e) {
        failures++;
        io.err(`famfs verify: ${job.file}: ${describeError(e)}\n`);
      }
    }
    return multi.length > 0 ? Math.min(failures, 127) : failures > 0 ? 1 : 0;
  },
};

/** Seed 0 is "no data" to famfs creat, so there is nothing to verify against (the C famfs refuses it too). */
function nonZeroSeed(text: string, name: string): bigint {
  const seed = parseSeed(text, name);
  if (seed === 0n) throw new UsageError(`${name} must not be 0 (seed 0 means the file was not filled)`);
  return seed;
}
