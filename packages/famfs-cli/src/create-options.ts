import { DEFAULT_CHUNK_SIZE, InterleaveParams } from '@famfs/libfamfs/alloc';
import { FamfsMaster } from '@famfs/libfamfs/mount';
import { Io } from './io';
import { OptionSpec } from './args/option-spec';
import { optInt, optMode, optSize } from './options';

/** Options shared by the commands that create files (creat, cp, mkdir). */
export const OWNER_FLAGS: OptionSpec[] = [
  { flags: '-m, --mode=MODE', help: 'Permission bits, octal' },
  { flags: '-u, --uid=UID', help: 'Owner user id (default: yours)' },
  { flags: '-g, --gid=GID', help: 'Owner group id (default: yours)' },
];

export const INTERLEAVE_FLAGS: OptionSpec[] = [
  { flags: '-N, --nstrips=N', help: 'Interleave: strips per file (<= nbuckets, <= 16)' },
  { flags: '-B, --nbuckets=N', help: 'Interleave: buckets the device is divided into (<= 64, each >= 1 GiB)' },
  { flags: '-C, --chunksize=SIZE', help: 'Interleave: chunk size, a power of 2 multiple of 2M (default 2M)' },
];

export interface Owner {
  mode?: number;
  uid: number;
  gid: number;
}

/** -m/-u/-g; the mode is left undefined when not given (each command has its own default). */
export function parseOwner(o: Record<string, unknown>): Owner {
  return {
    mode: optMode(o.mode, '--mode'),
    uid: optInt(o.uid, '--uid', 0, 0xffffffff) ?? process.geteuid?.() ?? 0,
    gid: optInt(o.gid, '--gid', 0, 0xffffffff) ?? process.getegid?.() ?? 0,
  };
}

/** The process umask, read without changing it for more than an instant. */
export function currentUmask(): number {
  const m = process.umask(0o022);
  process.umask(m);
  return m;
}

/** -N/-B/-C: any of them turns interleaving on; the chunk defaults to 2 MiB. */
export function parseInterleaveFlags(o: Record<string, unknown>): InterleaveParams | undefined {
  const nstrips = optInt(o.nstrips, '--nstrips', 0, 1 << 20);
  const nbuckets = optInt(o.nbuckets, '--nbuckets', 0, 1 << 20);
  const chunk = optSize(o.chunksize, '--chunksize');
  if (nstrips === undefined && nbuckets === undefined && chunk === undefined) return undefined;
  return { nstrips: nstrips ?? 0, nbuckets: nbuckets ?? 0, chunkSize: chunk ?? DEFAULT_CHUNK_SIZE };
}

/**
 * The interleave parameters for new files: the command's flags, else `.meta/.alloc.cfg` of the
 * file system (a broken config file is reported and ignored, as the C famfs ignores it).
 */
export function interleaveFor(
  master: FamfsMaster,
  flags: InterleaveParams | undefined,
  io: Io,
  prog: string,
): InterleaveParams | undefined {
  if (flags) return flags;
  const cfg = master.allocConfig();
  if (cfg.problem) io.err(`${prog}: ignoring .meta/.alloc.cfg: ${cfg.problem}\n`);
  return cfg.params;
}
