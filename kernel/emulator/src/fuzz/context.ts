/**
 * What the generators draw from: the seeded PRNG, the tree the baseline found, the file handles
 * the run's OPENs returned, and pickers for the values worth sending (bogus nodeids, sizes at
 * page edges, odd offsets, names). Every draw comes from the one PRNG, in a fixed order, so a run
 * is reproducible from its seed.
 */
import { FUSE_ROOT_ID, GetxattrIn, S_IFDIR, S_IFMT, S_IFREG } from '@famfs/fuse';
import { msg, readMsg } from '@famfs/fuse/testing';
import type { Prng } from '../prng';
import type { FuzzChannel } from './channel';
import type { KnownEntry } from './types';

const MAX_PAGE_READ = 256 * 4096;
/** The pid of READs and INTERRUPTs; other generated requests draw one. */
export const PLAIN = { pid: 1 } as const;

export interface OpenFh {
  nodeid: number;
  fh: number;
  dir: boolean;
}

export class FuzzContext {
  readonly files: KnownEntry[];
  readonly dirs: number[];
  /** Handles the run's OPEN/OPENDIRs returned that no generated RELEASE has taken back. */
  readonly fhs: OpenFh[] = [];

  constructor(
    readonly ch: FuzzChannel,
    readonly rng: Prng,
    readonly known: KnownEntry[],
    readonly hostileSizes: boolean,
  ) {
    this.files = known.filter((e) => (e.mode & S_IFMT) === S_IFREG);
    this.dirs = [FUSE_ROOT_ID, ...known.filter((e) => (e.mode & S_IFMT) === S_IFDIR).map((e) => e.nodeid)];
  }

  bogusNodeid(): bigint {
    const rng = this.rng;
    return rng.pick([
      0xdead_beefn,
      1n << 40n,
      (1n << 53n) - 1n,
      (1n << 64n) - 1n,
      BigInt(0x7000_0000 + rng.int(0x1000_0000)) << 20n,
      rng.u64() | (1n << 60n),
    ]);
  }

  anyKnown(): number {
    return this.known.length && this.rng.chance(0.8) ? this.rng.pick(this.known).nodeid : FUSE_ROOT_ID;
  }

  aFile(): KnownEntry | undefined {
    return this.files.length ? this.rng.pick(this.files) : undefined;
  }

  aDir(): number {
    return this.rng.pick(this.dirs);
  }

  /** A READ-like size: page edges mostly; with hostileSizes sometimes one no kernel sends. */
  sizeFor(max = MAX_PAGE_READ): number {
    const rng = this.rng;
    if (this.hostileSizes && rng.chance(0.1)) return rng.pick([0xffff_ffff, 0x7fff_ffff, 0x8000_0000]);
    return rng.pick([0, 1, 7, 4095, 4096, 4097, 65536, 131072, max, rng.int(max + 1)]);
  }

  bigOffset(): number {
    const rng = this.rng;
    const edges = [0, 1, 4096, 2 * 1024 * 1024 - 1, 2 ** 31, 2 ** 32, 2 ** 52, Number.MAX_SAFE_INTEGER];
    return rng.pick([...edges, rng.int(1 << 30)]);
  }

  /** 1-40 characters, some non-ASCII; never "." or "..". */
  randomName(): string {
    const rng = this.rng;
    const n = 1 + rng.int(40);
    let s = '';
    for (let i = 0; i < n; i++) {
      s += String.fromCharCode(
        rng.pick([0x41 + rng.int(26), 0x61 + rng.int(26), 0x30 + rng.int(10), 0x2e, 0x2d, 0x5f, 0xe9, 0x4e2d]),
      );
    }
    return s === '.' || s === '..' ? `${s}x` : s;
  }

  /** Mostly a handle the run opened on `nodeid`, otherwise any number. */
  fhFor(nodeid: number): number {
    const rng = this.rng;
    const mine = this.fhs.filter((f) => f.nodeid === nodeid && !f.dir);
    if (mine.length && rng.chance(0.7)) return rng.pick(mine).fh;
    return rng.pick([0, 1, 0xffff_ffff, Number.MAX_SAFE_INTEGER, rng.int(1000)]);
  }

  /** A request with the next unique, a drawn uid (unless given) and a drawn pid. */
  req(
    opcode: number,
    nodeid: number | bigint,
    body: Buffer = Buffer.alloc(0),
    extra: { len?: number; totalExtlen?: number; uid?: number } = {},
  ): Buffer {
    const rng = this.rng;
    return msg(opcode, this.ch.nextUnique(), nodeid, body, {
      uid: extra.uid ?? rng.pick([0, 0, 1000, 0xffff_ffff]),
      gid: 0,
      pid: 1 + rng.int(1 << 22),
      len: extra.len,
      totalExtlen: extra.totalExtlen,
    });
  }

  /** The reply buffer a kernel of this profile offers a GET_FMAP first. */
  get fmapBuffer(): number {
    const { profile } = this.ch;
    return profile.fmapSizing?.firstBuffer ?? profile.maxFmapBytes;
  }

  /** A GET_FMAP body as the profile's kernel sends it (none, or fuse_getxattr_in); no draw. */
  fmapBody(size = this.fmapBuffer): Buffer {
    return this.ch.profile.fmapSizing ? GetxattrIn.encode({ size, padding: 0 }) : Buffer.alloc(0);
  }

  /** A READ, READDIR or READDIRPLUS with the next unique. */
  read(opcode: number, nodeid: number | bigint, fh: number, offset: number, size: number): Buffer {
    return readMsg(opcode, this.ch.nextUnique(), nodeid, offset, size, fh, PLAIN);
  }
}
