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
import { UsageError } from '../io';
import { listOption, optInt, optSize, optString, parseSeed } from '../options';

interface FileSpec {
  path: string;
  size?: number;
  seed?: bigint;
}

/**
 * `famfs creat`: allocate and log new files (master only), optionally filled with the C famfs
 * test-data stream. An existing file of the same size (or with no -s) is a no-op success; of
 * another size, an error. Exit 0 or 1; with -M, the number of files that failed.
 */
export const creatCommand: CommandSpec = {
  name: 'creat',
  args: '[file]',
  summary: 'Create famfs files of a fixed size, optionally filled with the test-data stream',
  options: [
    ['-s, --size <size>', 'File size (k/m/g suffixes); required for a new file'],
    ['-r, --randomize', 'Fill the file with the test-data stream (see famfs verify)'],
    ['-S, --seed <seed>', 'Seed of the stream (needs -r; default: a random seed, printed)'],
    ...OWNER_FLAGS,
    ['-M, --multi <name,size[,seed]>', 'Create several files (repeatable; not with -S or a file argument)'],
    ['-t, --threadct <n>', 'Fill threads for -M, 0..256 (files are filled one after another)'],
    ...INTERLEAVE_FLAGS,
    ['-v, --verbose', 'Print each file created and its seed'],
  ],
  examples: [
    'famfs creat -s 1g /mnt/famfs/f1',
    'famfs creat -r -S 42 -s 64m /mnt/famfs/data',
    'famfs creat -M a,1m,1 -M b,2m,2 -r',
  ],
  run(args, o, io) {
    const multi = listOption(o.multi).map(parseMultiSpec);
    const seedText = optString(o.seed, '--seed');
    const randomize = !!o.randomize;
    if (seedText !== undefined && !randomize) throw new UsageError('--seed needs --randomize');
    if (multi.length > 0 && (seedText !== undefined || args[0] !== undefined))
      throw new UsageError('-M cannot be combined with -S or a file argument');
    if (multi.length === 0 && args[0] === undefined) throw new UsageError('creat needs a file (or -M)');
    optInt(o.threadct, '--threadct', 0, 256);
    const owner = parseOwner(o);
    const mode = (owner.mode ?? 0o644) & ~currentUmask();
    const flags = parseInterleaveFlags(o);
    const specs: FileSpec[] =
      multi.length > 0
        ? multi
        : [
            {
              path: args[0],
              size: optSize(o.size, '--size'),
              seed: seedText === undefined ? undefined : parseSeed(seedText),
            },
          ];

    let master: FamfsMaster;
    try {
      master = FamfsMaster.open(specs[0].path);
    } catch (e) {
      io.err(`famfs creat: ${describeError(e)}\n`);
      return multi.length > 0 ? specs.length : 1;
    }
    let failures = 0;
    try {
      const interleave = interleaveFor(master, flags, io, 'famfs creat');
      for (const spec of specs) {
        try {
          const entry = createOne(master, spec, { mode, uid: owner.uid, gid: owner.gid, interleave });
          if (randomize || spec.seed !== undefined) {
            const seed = spec.seed ?? randomBytes(4).readUInt32LE(0);
            randomizeFile(master.data, entry, seed);
            if (o.verbose || spec.seed === undefined)
              io.out(`famfs creat: ${spec.path}: ${entry.size} bytes filled with seed ${seed}\n`);
          } else if (o.verbose) {
            io.out(`famfs creat: ${spec.path}: ${entry.size} bytes\n`);
          }
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

function createOne(master: FamfsMaster, spec: FileSpec, opts: Parameters<FamfsMaster['createFile']>[2]): FileEntry {
  const rel = master.relpath(spec.path);
  const existing = master.file(rel);
  if (existing) {
    if (spec.size !== undefined && spec.size !== existing.size) {
      throw new FamfsError('EEXIST', `exists with size ${existing.size}; famfs files cannot change size`, {
        path: rel,
      });
    }
    return existing;
  }
  if (rel === '' || master.dir(rel)) throw new FamfsError('EISDIR', 'is a directory');
  if (spec.size === undefined) throw new FamfsError('EINVAL', 'a new file needs a size (-s)');
  return master.createFile(rel, spec.size, opts);
}

/** -M name,size[,seed] */
function parseMultiSpec(text: string): FileSpec {
  const parts = text.split(',');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '')
    throw new UsageError(`-M needs name,size[,seed], not '${text}'`);
  return {
    path: parts[0],
    size: optSize(parts[1], '-M size'),
    seed: parts[2] === undefined ? undefined : parseSeed(parts[2]),
  };
}
