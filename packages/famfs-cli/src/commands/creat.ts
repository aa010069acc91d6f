import { randomBytes } from 'crypto';
import { FamfsError, randomizeFile } from '@famfs/libfamfs';
import { FileEntry } from '@famfs/libfamfs/format';
import { FamfsMaster } from '@famfs/libfamfs/mount';
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
import { listOption, optCount, optInt, optSize, optString, parseSeed, parseSizeText } from '../options';

interface FileSpec {
  path: string;
  size?: number;
  seed?: bigint;
}

/**
 * `famfs creat`: allocate and log new files (master only), optionally filled with the C famfs
 * test-data stream. An existing file of the same size (or with no size, or size 0) is a no-op
 * success, and is refilled when a seed is given; of another size, an error. With -M the files are
 * all created first and filled only if every create succeeded, as in the C famfs.
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
      return multi.length > 0 ? Math.min(specs.length, 127) : 1;
    }
    let failures = 0;
    try {
      const interleave = interleaveFor(master, flags, io, 'famfs creat');
      const created: Array<{ spec: FileSpec; entry: FileEntry }> = [];
      for (const spec of specs) {
        try {
          created.push({ spec, entry: createOne(master, spec, { mode, uid: owner.uid, gid: owner.gid, interleave }) });
        } catch (e) {
          failures++;
          io.err(`famfs creat: ${spec.path}: ${describeError(e)}\n`);
        }
      }
      // As in the C famfs, a failed create in -M mode leaves every file unfilled.
      if (failures > 0 && multi.length > 0) {
        const unfilled = created.filter(({ spec }) => wantsFill(spec, randomize)).length;
        if (unfilled > 0) io.err(`famfs creat: ${failures} of ${specs.length} creates failed: no file was filled\n`);
        return Math.min(failures, 127);
      }
      for (const { spec, entry } of created) {
        try {
          fillOne(master, spec, entry, randomize, optCount(o.verbose) > 0, io);
        } catch (e) {
          failures++;
          io.err(`famfs creat: ${spec.path}: ${describeError(e)}\n`);
        }
      }
    } finally {
      master.close();
    }
    return multi.length > 0 ? Math.min(failures, 127) : failures > 0 ? 1 : 0;
  },
};

/** Seed 0 means no fill (the C famfs' rule); without a seed, only -r asks for one. */
function wantsFill(spec: FileSpec, randomize: boolean): boolean {
  return spec.seed !== 0n && (randomize || spec.seed !== undefined);
}

/**
 * Fills a file with the stream of its seed; -r without a seed picks one at random and prints it,
 * where the C famfs silently skips the fill.
 */
function fillOne(
  master: FamfsMaster,
  spec: FileSpec,
  entry: FileEntry,
  randomize: boolean,
  verbose: boolean,
  io: Io,
): void {
  if (!wantsFill(spec, randomize)) {
    if (verbose) io.out(`famfs creat: ${spec.path}: ${entry.size} bytes\n`);
    return;
  }
  const seed = spec.seed ?? BigInt(randomBytes(4).readUInt32LE(0));
  randomizeFile(master.data, entry, seed);
  if (verbose || spec.seed === undefined)
    io.out(`famfs creat: ${spec.path}: ${entry.size} bytes filled with seed ${seed}\n`);
}

function createOne(master: FamfsMaster, spec: FileSpec, opts: Parameters<FamfsMaster['createFile']>[2]): FileEntry {
  const rel = master.relpath(spec.path);
  const existing = master.file(rel);
  if (existing) {
    // Size 0 (or none) names the existing file as it is: -M name,0,seed refills it.
    if (spec.size !== undefined && spec.size !== 0 && spec.size !== existing.size) {
      throw new FamfsError('EEXIST', `exists with size ${existing.size}; famfs files cannot change size`, {
        path: rel,
      });
    }
    return existing;
  }
  if (rel === '' || master.dir(rel)) throw new FamfsError('EISDIR', 'is a directory');
  if (spec.size === undefined) throw new FamfsError('EINVAL', 'a new file needs a size (-s)');
  if (spec.size === 0) throw new FamfsError('EINVAL', 'a new file needs a size above 0');
  return master.createFile(rel, spec.size, opts);
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
