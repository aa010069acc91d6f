/**
 * The baseline: a walk of the tree before the run (names, attributes, GET_FMAP blobs, the first
 * bytes of each file), taken again afterwards; every difference is a violation, since the run
 * only sends mutations a correct daemon refuses.
 */
import {
  AttrOut,
  EntryOut,
  errnoName,
  FUSE_ROOT_ID,
  GetattrIn,
  GetxattrIn,
  Opcode,
  OpenIn,
  OpenOut,
  ReleaseIn,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
} from '@famfs/fuse';
import { cstr, getFmapMsg } from '@famfs/fuse/testing';
import { O_RDONLY } from '../kernel';
import { pageDirectory } from '../readdir';
import type { Answer, FuzzChannel } from './channel';
import type { KnownEntry } from './types';

export interface Baseline {
  entries: KnownEntry[];
  /** What each request of the walk answered, by "path what". */
  facts: Map<string, string>;
}

/** Compact description of a reply for baseline comparisons. */
export function describe(error: number, payload: Buffer, what: 'attr' | 'entry' | 'raw'): string {
  if (error !== 0) return errnoName(-error);
  if (what === 'raw') return `${payload.length}:${payload.toString('hex')}`;
  const a = what === 'attr' ? AttrOut.decode(payload).attr : EntryOut.decode(payload).attr;
  const isFile = (a.mode & S_IFMT) === S_IFREG;
  // Times move (atime of shadow files), inode numbers may be reissued, directory link counts follow mkdirs.
  return `mode=0${a.mode.toString(8)} size=${a.size} uid=${a.uid} gid=${a.gid}${isFile ? ` nlink=${a.nlink}` : ''}`;
}

const fact = (r: Answer, what: 'attr' | 'entry' | 'raw'): string =>
  r ? describe(r.error, r.payload, what) : 'violation';
const plainGetattr = (): Buffer => GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 });

/**
 * The names in a directory, paged as the kernel pages them but leniently (a daemon the kernel
 * would fail still gets compared): a failed OPENDIR still reads with fh 0.
 */
function listDir(ch: FuzzChannel, nodeid: number, maxNames: number): string[] {
  const o = ch.call(Opcode.OPENDIR, nodeid, OpenIn.encode({ flags: O_RDONLY, openFlags: 0 }));
  const fh = o && o.error === 0 ? OpenOut.decode(o.payload).fh : 0;
  const { entries } = pageDirectory({
    strict: false,
    maxRounds: 64,
    maxNames,
    read: (offset, size) => {
      const r = ch.callRead(Opcode.READDIR, nodeid, fh, offset, size);
      return r && r.error === 0 ? r.payload : null;
    },
  });
  if (o && o.error === 0) {
    ch.call(Opcode.RELEASEDIR, nodeid, ReleaseIn.encode({ fh, flags: O_RDONLY, releaseFlags: 0, lockOwner: 0n }));
  }
  return entries.map((e) => e.name);
}

/** GET_FMAP, then OPEN, the first page of READ and RELEASE of a regular file. */
function fileFacts(ch: FuzzChannel, path: string, nodeid: number, facts: Map<string, string>): void {
  const { profile } = ch;
  const size = profile.fmapSizing?.firstBuffer ?? profile.maxFmapBytes;
  const build = (u: bigint, pid: number): Buffer => getFmapMsg(profile, u, nodeid, size, { pid });
  const fmap = ch.callWith(profile.getFmapOpcode, nodeid, build, size);
  facts.set(`${path} fmap`, fact(fmap, 'raw'));
  const o = ch.call(Opcode.OPEN, nodeid, OpenIn.encode({ flags: O_RDONLY, openFlags: 0 }));
  facts.set(`${path} open`, o ? (o.error ? errnoName(-o.error) : 'ok') : 'violation');
  if (!o || o.error !== 0) return;
  const fh = OpenOut.decode(o.payload).fh;
  facts.set(`${path} read`, fact(ch.callRead(Opcode.READ, nodeid, fh, 0, 4096), 'raw'));
  ch.call(Opcode.RELEASE, nodeid, ReleaseIn.encode({ fh, flags: O_RDONLY, releaseFlags: 0, lockOwner: 0n }));
}

/** Walks the tree breadth first (depth 8, `maxEntries` names) and records what each request answered. */
export function takeBaseline(ch: FuzzChannel, maxEntries: number): Baseline {
  const entries: KnownEntry[] = [];
  const facts = new Map<string, string>();
  facts.set('/ getattr', fact(ch.call(Opcode.GETATTR, FUSE_ROOT_ID, plainGetattr()), 'attr'));
  const xattrIn = Buffer.concat([GetxattrIn.encode({ size: 4096, padding: 0 }), cstr('user.famfs.shadow')]);
  facts.set('/ xattr user.famfs.shadow', fact(ch.call(Opcode.GETXATTR, FUSE_ROOT_ID, xattrIn, 4096), 'raw'));
  const queue: { nodeid: number; path: string; depth: number }[] = [{ nodeid: FUSE_ROOT_ID, path: '', depth: 0 }];
  while (queue.length && entries.length < maxEntries) {
    const dir = queue.shift()!;
    for (const name of listDir(ch, dir.nodeid, maxEntries).sort()) {
      if (entries.length >= maxEntries) break;
      const path = `${dir.path}/${name}`;
      const l = ch.call(Opcode.LOOKUP, dir.nodeid, cstr(name));
      if (!l) continue;
      facts.set(`${path} lookup`, describe(l.error, l.payload, 'entry'));
      if (l.error !== 0) continue;
      const e = EntryOut.decode(l.payload);
      if (e.nodeid === 0) continue;
      ch.noteLookup(e.nodeid);
      entries.push({ path, nodeid: e.nodeid, mode: e.attr.mode, size: e.attr.size, parent: dir.nodeid, name });
      facts.set(`${path} getattr`, fact(ch.call(Opcode.GETATTR, e.nodeid, plainGetattr()), 'attr'));
      const type = e.attr.mode & S_IFMT;
      if (type === S_IFDIR && dir.depth < 8) queue.push({ nodeid: e.nodeid, path, depth: dir.depth + 1 });
      if (type === S_IFREG) fileFacts(ch, path, e.nodeid, facts);
    }
  }
  return { entries, facts };
}

function short(s: string | undefined): string {
  if (s === undefined) return 'missing';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Every fact that changed, vanished or appeared between two baselines. */
export function baselineChanges(before: Baseline, after: Baseline): string[] {
  const out: string[] = [];
  for (const [k, v] of before.facts) {
    const w = after.facts.get(k);
    if (w !== v) out.push(`${k}: before ${short(v)}, after ${short(w)}`);
  }
  for (const [k, w] of after.facts) if (!before.facts.has(k)) out.push(`${k}: new after the run (${short(w)})`);
  return out;
}
