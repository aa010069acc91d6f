import { FamfsError } from '@famfs/libfamfs/common';
import { FileEntry } from '@famfs/libfamfs/format';
import type { FileOptions } from '@famfs/libfamfs/log';
import { FamfsMaster, randomizeFile } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import {
  currentUmask,
  interleaveFor,
  INTERLEAVE_FLAGS,
  OWNER_FLAGS,
  parseInterleaveFlags,
  parseOwner,
} from '../create-options';
import { describeError } from '../errors';
import { Io, UsageError } from '../io';
import { partialFailure } from '../partial';
import { listOption, optCount, optInt, optSize, optString, parseSeed, parseSizeText } from '../options';

interface FileSpec {
  path: string;
  size?: number;
  seed?: bigint;
}

/**
 * `famfs creat`: allocate and log new files (master only), optionally filled with the C famfs
 * test-data stream. An existing file of the same size (or with no size, or size 0) is a no-op
 * success, and is refilled when a seed is given; of another size, an error. The whole request is
 * checked before anything is logged (a refused -M creates nothing); the files are filled after
 * all of them are logged.
 * Exit 0 or 1; with -M, the number of files that failed.
 */
export const creatCommand: CommandSpec = {
  name: 'creat',
  args: '[FILE]',
  summary: 'Create famfs files of a fixed size, optionally filled with the test-data stream',
  options: [
    { flags: '-s, --size=SIZE', help: 'File size (K, M, G suffixes); required for a new file' },
    { flags: '-r, --randomize', help: 'Fill the file with the test-data stream (see famfs verify)' },
    { flags: '-S, --seed=SEED', help: 'Seed of the stream (needs -r; default: a random seed, printed; 0: no fill)' },
    ...OWNER_FLAGS,
    {
      flags: '-M, --multi=NAME,SIZE[,SEED]',
      help: 'Create several files (repeatable; not with -S or FILE); SIZE 0 keeps an existing file',
      repeat: 'list',
    },
    { flags: '-t, --threadct=N', help: 'Fill threads for -M, 0..256 (files are filled one after another)' },
    ...INTERLEAVE_FLAGS,
    { flags: '-v, --verbose', help: 'Print each file created and its seed' },
  ],
  examples: [
    'famfs creat -s 1g /mnt/famfs/f1',
    'famfs creat -r -S 42 -s 64m /mnt/famfs/data',
    'famfs creat -M a,1m,1 -M b,2m,2',
    'famfs creat -M a,0,7                # refill the existing file a with seed 7',
  ],
  run(args, o, io) {
    const multi = listOption(o.multi).map(parseMultiSpec);
    const seedText = optString(o.seed, '--seed');
    const randomize = optCount(o.randomize) > 0;
    if (seedText !== undefined && !randomize) throw new UsageError('--seed needs --randomize');
    if (multi.length > 0 && (seedText !== undefined || args[0] !== undefined)) {
      throw new UsageError('-M cannot be combined with -S or a FILE argument');
    }
    if (multi.length === 0 && args[0] === undefined) throw new UsageError('missing FILE (or -M NAME,SIZE[,SEED])');
    optInt(o.threadct, '--threadct', 0, 256);
    const owner = parseOwner(o);
    const mode = (owner.mode ?? 0o644) & ~currentUmask();
    const flags = parseInterleaveFlags(o);
    const single = (): FileSpec => ({
      path: args[0],
      size: optSize(o.size, '--size'),
      seed: seedText === undefined ? undefined : parseSeed(seedText, '--seed'),
    });
    const specs: FileSpec[] = multi.length > 0 ? multi : [single()];

    let master: FamfsMaster;
    try {
      master = FamfsMaster.open(specs[0].path);
    } catch (e) {
      io.err(`famfs creat: ${describeError(e)}\n`);
      return multi.length > 0 ? specs.length : 1;
    }
    const exit = (failed: number) => (multi.length > 0 ? Math.min(failed, 127) : failed > 0 ? 1 : 0);
    try {
      const interleave = interleaveFor(master, flags, io, 'famfs creat');
      // The whole request first: every name, size and allocation is checked (and reserved in
      // memory) before the first entry is written, so a refused request changes nothing.
      const plan: PlannedFile[] = [];
      const refused: string[] = [];
      for (const spec of specs) {
        try {
          plan.push(planOne(master, spec, { mode, uid: owner.uid, gid: owner.gid, interleave }));
        } catch (e) {
          refused.push(`${spec.path}: ${describeError(e)}`);
        }
      }
      if (refused.length > 0) {
        const none = specs.length > 1 ? ' (so none of the files was created)' : '';
        for (const line of refused) io.err(`famfs creat: ${line}${none}\n`);
        return exit(refused.length);
      }
      // When the daemon serves the log, logged in runs (one write of many entries, the counters
      // moved once: all of a run or none), each ending at a file to be filled, which is filled
      // once it is logged. Else one at a time: this process also writes each shadow file.
      let failures = 0;
      const created = (steps: PlannedFile[]) => steps.filter((p) => p.reserved).map((p) => p.entry.path);
      for (let from = 0; from < plan.length;) {
        let to = from + 1;
        if (master.daemonServesLog) while (to < plan.length && !wantsFill(plan[to - 1].spec, randomize)) to++;
        const run = plan.slice(from, to);
        try {
          master.logReservedRun(run.filter((p) => p.reserved).map((p) => p.entry));
        } catch (e) {
          // Only what could not be checked in advance gets here (a shadow tree or device failure).
          const failed = run.find((p) => p.reserved)!;
          const rest = created(plan.slice(plan.indexOf(failed) + 1));
          io.err(`famfs creat: ${partialFailure(master, created(plan.slice(0, from)), failed.entry.path, rest, e)}\n`);
          return exit(1 + rest.length);
        }
        for (const step of run) if (!fill(master, step, randomize, optCount(o.verbose) > 0, io)) failures++;
        from = to;
      }
      return exit(failures);
    } finally {
      master.close();
    }
  },
};

interface PlannedFile {
  spec: FileSpec;
  entry: FileEntry;
  /** A new file, reserved in the log session and not logged yet (else an existing file of this size). */
  reserved: boolean;
}

function planOne(master: FamfsMaster, spec: FileSpec, opts: FileOptions): PlannedFile {
  const rel = master.relpath(spec.path);
  const existing = master.file(rel);
  if (existing) {
    // Size 0 (or none) names the existing file as it is: -M name,0,seed refills it.
    if (spec.size !== undefined && spec.size !== 0 && spec.size !== existing.size) {
      throw new FamfsError('EEXIST', `exists with size ${existing.size}; famfs files cannot change size`, {
        path: rel,
      });
    }
    return { spec, entry: existing, reserved: false };
  }
  if (rel === '' || master.dir(rel)) throw new FamfsError('EISDIR', 'is a directory');
  if (spec.size === undefined) throw new FamfsError('EINVAL', 'a new file needs a size (-s)');
  if (spec.size === 0) throw new FamfsError('EINVAL', 'a new file needs a size above 0');
  return { spec, entry: master.session.reserveFile(rel, spec.size, opts), reserved: true };
}

/** Seed 0 means no fill (the C famfs' rule); without a seed, only -r asks for one. */
function wantsFill(spec: FileSpec, randomize: boolean): boolean {
  return spec.seed !== 0n && (randomize || spec.seed !== undefined);
}

/**
 * Fills a created file with the stream of its seed when asked; -r without a seed picks one at
 * random and prints it, where the C famfs silently skips the fill. False (reported) when it fails.
 */
function fill(master: FamfsMaster, step: PlannedFile, randomize: boolean, verbose: boolean, io: Io): boolean {
  const { spec, entry } = step;
  try {
    if (wantsFill(spec, randomize)) {
      // A fill pattern's seed, not a secret: Math.random spares the process loading node:crypto.
      const seed = spec.seed ?? BigInt(Math.floor(Math.random() * 2 ** 32));
      randomizeFile(master.data, entry, seed);
      if (verbose || spec.seed === undefined) {
        io.out(`famfs creat: ${spec.path}: ${entry.size} bytes filled with seed ${seed}\n`);
      }
    } else if (verbose) {
      io.out(`famfs creat: ${spec.path}: ${entry.size} bytes\n`);
    }
    return true;
  } catch (e) {
    io.err(`famfs creat: ${spec.path}: created, but filling it failed: ${describeError(e)}\n`);
    return false;
  }
}

/** -M name,size[,seed] */
function parseMultiSpec(text: string): FileSpec {
  const parts = text.split(',');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '')
    throw new UsageError(`-M needs NAME,SIZE[,SEED], not '${text}'`);
  return {
    path: parts[0],
    size: parseSizeText(parts[1], '-M size'),
    seed: parts[2] === undefined ? undefined : parseSeed(parts[2], '-M seed'),
  };
}
